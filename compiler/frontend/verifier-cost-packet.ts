// Packet-range growth for the verifier-cost estimate (verifier-cost.ts): a loop whose trips check a
// longer packet on each read leaves exits that each know a different length; while later code keeps
// a packet pointer and compares what the loop summed, each exit walks the rest of the program
// (TSBPF3014).

import { sizeOf } from "../../common/ctypes.js";
import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { TypeMapper } from "./types.js";
import { enclosingFunction, loopCounters, readsOnly, writeTarget } from "./verifier-cost-writes.js";
import { MAX_HOISTED } from "../passes/hoist-packet-loads.js";
import { isIntCast } from "./verifier-cost-ranges.js";
import { counterSpan } from "./verifier-cost-loops.js";
import { statementsAfter } from "./verifier-cost-precision.js";

const K = ts.SyntaxKind;

/**
 * `if`s in `loop`'s body that `break` out of it (not out of a nested loop or switch) on a condition
 * the verifier cannot decide: anything but the enclosing loops' counters and constants.
 */
export function dataBreaks(loop: ts.IterationStatement, checker: ts.TypeChecker): { all: number; packet: number } {
  const counters = loopCounters(loop, checker);
  const breaksOut = (st: ts.Statement): boolean => {
    let hit = false;
    const stack: ts.Node[] = [st];
    while (stack.length && !hit) {
      const x = stack.pop()!;
      if (ts.isBreakStatement(x) && !x.label) hit = true;
      else if (ts.isBreakStatement(x) && x.label && ts.isLabeledStatement(loop.parent) && loop.parent.label.text === x.label.text)
        hit = true;
      else if (!ts.isIterationStatement(x, false) && !ts.isSwitchStatement(x) && !ts.isFunctionLike(x))
        ts.forEachChild(x, (c) => {
          stack.push(c);
        });
    }
    return hit;
  };
  const b = { all: 0, packet: 0 };
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isIterationStatement(x, false) || ts.isSwitchStatement(x) || ts.isFunctionLike(x)) continue;
    if (
      ts.isIfStatement(x) &&
      (breaksOut(x.thenStatement) || (x.elseStatement && breaksOut(x.elseStatement))) &&
      !readsOnly(x.expression, counters, checker)
    ) {
      b.all++;
      if (comparesNull(x.expression)) b.packet++;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return b;
}

/** `x === null` or `x !== null` somewhere in `e`: the null check of a packet read (or a lookup). */
function comparesNull(e: ts.Node): boolean {
  let hit = false;
  const stack: ts.Node[] = [e];
  while (stack.length && !hit) {
    const x = stack.pop()!;
    if (ts.isBinaryExpression(x) && (x.left.kind === K.NullKeyword || x.right.kind === K.NullKeyword)) hit = true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return hit;
}

/**
 * Does `loop` read the packet at an offset its counters alone move (`ctx.header<u8>(14 + k)`, no data
 * in it) and stop when such a read fails? Each trip's check then tells the verifier the packet is
 * longer (it extends the range of every pointer to the packet's start, the header pointers taken
 * before the loop included), so the exit after each trip knows a different length. The back end walks
 * those exits shortest packet first, so they cover one another, unless they also differ in a value
 * compared after the loop (the caller checks: packetAfter, headerReadsHoisted, preciseAfter).
 * Measured (test/verifier-cost-exits.test.ts), a header, then 24 trips of such reads, then a
 * 2,000-trip loop comparing their sum and reading the header, which is written at the end: refused;
 * without the comparison, 32,337 processed. An offset with data in it is checked through a pointer of
 * its own and changes no other, and reads inside the length a constant-offset `header<T>()` checked
 * before the loop change nothing: neither counts. Counted for loops outside other loops, in the
 * warning estimate only.
 */
export function growsPacketRange(loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  if (dataBreaks(loop, checker).packet === 0) return false;
  const counters = loopCounters(loop, checker);
  const span = ts.isForStatement(loop) ? counterSpan(loop, checker) : undefined;
  const types = new TypeMapper(checker);
  let checked: number | undefined;
  let hit = false;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length && !hit) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isCallExpression(x) && isHeaderRead(x) && x.arguments.length > 0) {
      const off = x.arguments[0]!;
      if (constEval(off, checker) === undefined && readsOnly(off, counters, checker)) {
        // Reads that stay inside what the code before the loop checked grow nothing.
        const reach = span && offsetAt(off, span, checker);
        const size = headerSize(x, types, checker);
        checked ??= checkedBefore(loop, types, checker);
        hit = reach === undefined || size === undefined || reach + size > checked;
      }
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return hit;
}

/** The largest value `e` takes at the counter's first and last values (sums, differences, products of constants). */
function offsetAt(e: ts.Expression, span: { sym: ts.Symbol; values: bigint[] }, checker: ts.TypeChecker): number | undefined {
  const at = (x: ts.Expression, v: bigint): bigint | undefined => {
    while (ts.isParenthesizedExpression(x)) x = x.expression;
    if (ts.isIdentifier(x) && checker.getSymbolAtLocation(x) === span.sym) return v;
    const c = constEval(x, checker);
    if (c !== undefined) return c;
    if (ts.isCallExpression(x) && isIntCast(x) && x.arguments.length === 1) return at(x.arguments[0]!, v);
    if (!ts.isBinaryExpression(x)) return undefined;
    const a = at(x.left, v);
    const b = at(x.right, v);
    if (a === undefined || b === undefined) return undefined;
    const op = x.operatorToken.kind;
    return op === K.PlusToken ? a + b : op === K.MinusToken ? a - b : op === K.AsteriskToken ? a * b : undefined;
  };
  let most: bigint | undefined;
  for (const v of span.values) {
    const r = at(e, v);
    if (r === undefined) return undefined;
    if (most === undefined || r > most) most = r;
  }
  return most === undefined ? undefined : Number(most);
}

/** Bytes a `header<T>()` call reads (T's C size), when T has a layout. */
function headerSize(call: ts.CallExpression, types: TypeMapper, checker: ts.TypeChecker): number | undefined {
  const arg = call.typeArguments?.[0];
  const t = arg && types.memType(checker.getTypeFromTypeNode(arg));
  return t ? sizeOf(t) : undefined;
}

/** How far from the packet's start code before `loop` checked it: the furthest constant-offset `header<T>()` read. */
function checkedBefore(loop: ts.IterationStatement, types: TypeMapper, checker: ts.TypeChecker): number {
  const fn = enclosingFunction(loop);
  let most = 0;
  const visit = (x: ts.Node): void => {
    if (x.pos >= loop.pos) return;
    if (ts.isCallExpression(x) && isHeaderRead(x) && x.arguments.length > 0) {
      const off = constEval(x.arguments[0]!, checker);
      const size = headerSize(x, types, checker);
      if (off !== undefined && size !== undefined) most = Math.max(most, Number(off) + size);
    }
    ts.forEachChild(x, visit);
  };
  if (fn) ts.forEachChild(fn, visit);
  return most;
}

const isHeaderRead = (x: ts.CallExpression): boolean => ts.isPropertyAccessExpression(x.expression) && x.expression.name.text === "header";

/** Header pointers declared before `loop` in its function, in source order (an alias of one counts). */
function headerViews(loop: ts.IterationStatement, fn: ts.Node, checker: ts.TypeChecker): Set<ts.Symbol> {
  const views = new Set<ts.Symbol>();
  const decls: ts.VariableDeclaration[] = [];
  const collect = (x: ts.Node): void => {
    if (x.pos >= loop.pos) return;
    if (ts.isVariableDeclaration(x) && x.initializer) decls.push(x);
    ts.forEachChild(x, collect);
  };
  ts.forEachChild(fn, collect);
  for (const d of decls.sort((a, b) => a.pos - b.pos)) {
    const sym = ts.isIdentifier(d.name) ? checker.getSymbolAtLocation(d.name) : undefined;
    if (sym && readsView(d.initializer!, views, checker)) views.add(sym);
  }
  return views;
}

/** A `header()` call in `e`, or a variable of `views`. */
function readsView(e: ts.Node, views: ReadonlySet<ts.Symbol>, checker: ts.TypeChecker): boolean {
  let hit = false;
  const st: ts.Node[] = [e];
  while (st.length && !hit) {
    const x = st.pop()!;
    if (ts.isCallExpression(x) && isHeaderRead(x)) hit = true;
    else if (ts.isIdentifier(x)) {
      const sym = checker.getSymbolAtLocation(x);
      if (sym && views.has(sym)) hit = true;
    }
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return hit;
}

/**
 * Does code after `loop` read the packet: a `header()` call, or a variable declared before the loop
 * that holds a header pointer (or one taken from such a variable)?
 */
export function packetAfter(loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  const fn = enclosingFunction(loop);
  if (!fn) return false;
  const views = headerViews(loop, fn, checker);
  // (Counted only for loops outside other loops: no enclosing loop is among these.)
  return statementsAfter(loop).some((x) => readsView(x, views, checker));
}

/**
 * Will hoist-packet-loads read what code after `loop` reads of the packet before the loop, so that no
 * packet pointer outlives it? When that code reads the packet only through fields of header pointers
 * declared before the loop, at most MAX_HOISTED of them, none in the loop itself, and nothing in the
 * function writes the packet or passes the context to a call. (The pass decides on the IR; this
 * follows its rules on the source, closely enough for an estimate.)
 */
export function headerReadsHoisted(loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  const fn = enclosingFunction(loop);
  if (!fn || !ts.isFunctionLike(fn)) return false;
  const views = headerViews(loop, fn, checker);
  const ctx = fn.parameters[0] && ts.isIdentifier(fn.parameters[0].name) ? checker.getSymbolAtLocation(fn.parameters[0].name) : undefined;
  const symbolOf = (x: ts.Node): ts.Symbol | undefined => (ts.isIdentifier(x) ? checker.getSymbolAtLocation(x) : undefined);
  let ok = true;
  let reads = 0;
  const inLoop = (x: ts.Node): boolean => x.pos >= loop.pos && x.end <= loop.end;
  const visit = (x: ts.Node): void => {
    if (!ok) return;
    if (ts.isCallExpression(x)) {
      if (ctx && x.arguments.some((a) => symbolOf(a) === ctx)) ok = false;
      if (x.pos >= loop.end && isHeaderRead(x)) ok = false;
    }
    const sym = ts.isIdentifier(x) && !ts.isVariableDeclaration(x.parent) ? symbolOf(x) : undefined;
    const decl = sym?.valueDeclaration;
    const pointer =
      !!sym &&
      (views.has(sym) || (!!decl && ts.isVariableDeclaration(decl) && !!decl.initializer && readsView(decl.initializer, views, checker)));
    if (sym && pointer) {
      // The whole access: `h`, `h.a`, `h.arr[2]`.
      let top: ts.Node = x;
      while ((ts.isPropertyAccessExpression(top.parent) || ts.isElementAccessExpression(top.parent)) && top.parent.expression === top)
        top = top.parent;
      if (top !== x && writeTarget(top.parent) === top) ok = false;
      else if (views.has(sym) && inLoop(top)) ok = false;
      else if (views.has(sym) && top.pos >= loop.end) reads++;
    }
    ts.forEachChild(x, visit);
  };
  ts.forEachChild(fn, visit);
  return ok && reads <= MAX_HOISTED;
}
