// Forks that a loop carries to its next trip, for the verifier-cost estimate (verifier-cost.ts): the
// `if`s on data whose sides leave a value from before the loop different. Without a loop() call in
// the loop they cost little, since the verifier prunes a side against the other by the values it
// needs; with one, it compares the loop's states by every value they hold (TSBPF3027), and each
// such fork's sides walk on as states of their own.

import { branchKept } from "./verifier-cost-ir.js";
import { loopTrips, openBranches } from "./verifier-cost-loops.js";
import { dataBreaks } from "./verifier-cost-packet.js";
import { isGlobal, loopCounters, readsOnly, writeTarget } from "./verifier-cost-writes.js";
import { ts } from "./ts-adapter.js";

/**
 * The `if`s in `loop`'s body (not in a loop or function inside it) on a condition the verifier
 * cannot decide, kept as branches by the passes, whose sides both go on in the loop (no `break` out
 * of it, no `return`) and one of which writes a local declared before the loop, or a field of one.
 */
export function carriedForks(loop: ts.IterationStatement, checker: ts.TypeChecker): number {
  const counters = loopCounters(loop, checker);
  let n = 0;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x) || ts.isIterationStatement(x, false)) continue;
    if (
      ts.isIfStatement(x) &&
      !readsOnly(x.expression, counters, checker) &&
      branchKept(x) !== false &&
      !leaves(x, loop) &&
      (writesOutside(x.thenStatement, loop, checker) || (x.elseStatement !== undefined && writesOutside(x.elseStatement, loop, checker)))
    )
      n++;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return n;
}

/**
 * The trips of the loops inside `outer` beside `call` (not around it) that fork on data other than
 * to break out: once the call puts `outer`'s states under exact comparison, theirs are compared
 * the same way (differential seed 20261363: a call in 6 trips beside an 8-trip packet loop, refused
 * with no warning; 2 carried tests per inner trip: 2 x 8 process 97,586, 4 x 8 are refused, 6 x 8
 * without the call 3,125).
 */
export function besideLoopTrips(outer: ts.IterationStatement, call: ts.Node, checker: ts.TypeChecker): number {
  let trips = 0;
  const stack: ts.Node[] = [outer.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isIterationStatement(x, false) && !(x.pos <= call.pos && call.end <= x.end)) {
      if (openBranches(x, checker) > dataBreaks(x, checker).all) trips += loopTrips(x, checker)?.trips ?? 0;
      continue;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return trips;
}

/** Does a side of `iff` return, or break out of `loop` (a `break` not inside a nested loop or switch, or labelled)? */
function leaves(iff: ts.IfStatement, loop: ts.IterationStatement): boolean {
  const stack: ts.Node[] = [iff.thenStatement, ...(iff.elseStatement ? [iff.elseStatement] : [])];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isReturnStatement(x)) return true;
    if (ts.isBreakStatement(x) && (x.label || !insideInner(x, loop))) return true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return false;
}

/** Is `x` inside a loop or switch nested in `loop`? */
function insideInner(x: ts.Node, loop: ts.IterationStatement): boolean {
  for (let p = x.parent; p && p !== loop; p = p.parent) if (ts.isIterationStatement(p, false) || ts.isSwitchStatement(p)) return true;
  return false;
}

/** Does `side` write a local of the program declared before `loop` (not a global), or a field of one? */
function writesOutside(side: ts.Node, loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  const stack: ts.Node[] = [side];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x)) continue;
    let target = writeTarget(x);
    while (target && (ts.isPropertyAccessExpression(target) || ts.isParenthesizedExpression(target))) target = target.expression;
    const d = target && ts.isIdentifier(target) ? checker.getSymbolAtLocation(target)?.valueDeclaration : undefined;
    if (d && ts.isVariableDeclaration(d) && !isGlobal(d) && d.end <= loop.pos) return true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return false;
}
