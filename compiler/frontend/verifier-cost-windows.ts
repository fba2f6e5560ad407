// Packet windows that move with an enclosing loop, for the verifier-cost estimate (verifier-cost.ts),
// when a header pointer stays live through them. packet-rebase reads `data` afresh in such loops, so
// on their own they are cheap; but the verifier lengthens every packet pointer at a constant offset
// from `data` at each check (they share one id), so a header checked before the loops and used in or
// after them carries each exit's length again. hoist-packet-loads reads its fields before the loops
// where it can, and the back end walks each check's failing side first (packet-check-order.ts), so the
// exits that know less cover the others; what remains is the best window (its sum ordered against a
// value carried over the trips), whose exits also differ in that sum. Nothing here is exact; it feeds
// a warning.

import { ts } from "./ts-adapter.js";
import { branchlessCount, isPacketRead } from "./verifier-cost-branchless.js";
import { constEval } from "./const-eval.js";
import { growsPacketRange, headerReadsHoisted } from "./verifier-cost-packet.js";
import { ORDERINGS } from "./verifier-cost-ranges.js";
import { enclosingFunction, forCounter, isCounterOf, loopWrites, mentions, setsOnlyConstants } from "./verifier-cost-writes.js";

/**
 * Does `loop`, nested in `outer`, read a window of the packet that `outer`'s counter moves
 * (`ctx.header<u8>(14 + i + j)`, or `i * 16 + j`; growsPacketRange), stopping at a failed read, while
 * `outer` goes on after a window read whole, orders what the window summed against a value it carries
 * over its trips (the best window: `if (s >= best) best = s;`), and a header read at a constant offset
 * before `outer` is used in it or after it in a way hoist-packet-loads cannot move (headerReadsHoisted)?
 * Measured on Linux 6.18 (test/verifier-cost-windows.test.ts), the header also written at the end: the
 * best of 12 windows of 6 bytes 156,485 processed, of 10 bytes 804,597, of 12 refused; 14 x 8 and
 * 24 x 4 refused. With the header only read, or without the ordering, all process under 30,000.
 * A window whose whole read ends the outer loop (a substring search's `if (ok === 1) { found = i;
 * break; }`, `ok` a flag the window sets to constants) does not count.
 */
export function slidingWindow(loop: ts.IterationStatement, outer: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  const i = forCounter(outer, checker);
  if (!i || !growsPacketRange(loop, checker) || !headerLive(outer, checker) || headerReadsHoisted(outer, checker)) return false;
  let slides = false;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length && !slides) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isCallExpression(x) && isPacketRead(x) && x.arguments.length > 0 && mentions(x.arguments[0]!, i, checker)) slides = true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  if (!slides) return false;
  const written = [...loopWrites(loop, checker)];
  const flags = written.filter((v) => setsOnlyConstants(loop, v, checker));
  if (leaves(outer.statement, 0, (cond) => flags.some((v) => mentions(cond, v, checker)))) return false;
  const summed = written.filter((v) => !flags.includes(v) && v !== forCounter(loop, checker));
  // A best kept without a branch (if-convert: `if (s >= best) best = s;` alone) is a range: it
  // orders nothing the exits keep apart.
  const carried = [...loopWrites(outer, checker)].filter((v) => {
    const d = v.valueDeclaration;
    return !!d && (d.end <= outer.pos || d.pos >= outer.end) && !branchlessCount(v, outer, checker);
  });
  const has = (x: ts.Expression, vs: ts.Symbol[]): boolean => vs.some((v) => mentions(x, v, checker));
  const orders = (e: ts.Expression): boolean => {
    while (ts.isParenthesizedExpression(e)) e = e.expression;
    if (!ts.isBinaryExpression(e) || !ORDERINGS.has(e.operatorToken.kind)) return false;
    return (has(e.left, summed) && has(e.right, carried)) || (has(e.right, summed) && has(e.left, carried));
  };
  let ordered = false;
  const visit = (x: ts.Node): void => {
    if (ordered || x === loop || ts.isFunctionLike(x)) return;
    if (ts.isIfStatement(x) && orders(x.expression)) ordered = true;
    ts.forEachChild(x, visit);
  };
  visit(outer.statement);
  return ordered;
}

/** A variable declared before `outer` from a header read at a constant offset, used in `outer` or after it. */
function headerLive(outer: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  const fn = enclosingFunction(outer);
  if (!fn) return false;
  const headers: ts.Symbol[] = [];
  const uses: ts.Identifier[] = [];
  const visit = (x: ts.Node): void => {
    if (ts.isFunctionLike(x) && x !== fn) return;
    if (ts.isVariableDeclaration(x) && x.end <= outer.pos && x.initializer && ts.isIdentifier(x.name)) {
      const init = x.initializer;
      if (
        ts.isCallExpression(init) &&
        isPacketRead(init) &&
        init.arguments.length > 0 &&
        constEval(init.arguments[0]!, checker) !== undefined
      ) {
        const s = checker.getSymbolAtLocation(x.name);
        if (s) headers.push(s);
      }
    }
    if (ts.isIdentifier(x) && x.pos >= outer.pos) uses.push(x);
    ts.forEachChild(x, visit);
  };
  ts.forEachChild(fn, visit);
  return headers.length > 0 && uses.some((u) => headers.some((h) => isCounterOf(u, h, checker)));
}

/**
 * A `return`, or a `break` out of the loop `node` is the body of (`depth` loops and switches down),
 * under an `if` whose condition `flagged` accepts.
 */
function leaves(node: ts.Node, depth: number, flagged: (cond: ts.Expression) => boolean, under = false): boolean {
  if (ts.isReturnStatement(node)) return under;
  if (ts.isBreakStatement(node)) return under && (node.label !== undefined || depth === 0);
  if (ts.isFunctionLike(node)) return false;
  if (ts.isIfStatement(node)) {
    const u = under || flagged(node.expression);
    return leaves(node.thenStatement, depth, flagged, u) || (!!node.elseStatement && leaves(node.elseStatement, depth, flagged, u));
  }
  const d = ts.isIterationStatement(node, false) || ts.isSwitchStatement(node) ? depth + 1 : depth;
  return ts.forEachChild(node, (c) => leaves(c, d, flagged, under) || undefined) ?? false;
}
