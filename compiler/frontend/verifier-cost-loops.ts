// Loop trip counts for the verifier-cost estimate (verifier-cost.ts): counted loops simulated from
// their start or the worst start of their entry range, loops the verifier never sees end, and the
// comparisons a trip leaves pending (BPF_COMPLEXITY_LIMIT_JMP_SEQ).

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { forCounter, isCounterOf, loopCounters, soleStatement } from "./verifier-cost-writes.js";
import {
  compareType,
  counterCondition,
  entryRange,
  type IntT,
  intTypeOf,
  maxT,
  minT,
  rangeOf,
  relation,
  wrapT,
} from "./verifier-cost-ranges.js";

const K = ts.SyntaxKind;

/** Simulated iterations beyond which a loop counts as running its counter's whole range. */
const SIM_CAP = 1 << 17;

/**
 * The trip on which a `if (k >= X) break;` in the loop's body is sure to end it, X being a value the
 * compiler knows (seed 20261213's `k5 >= prog0_f0(...)`, a function that returns 0: one trip), or
 * `trips` when no such break is.
 */
function breakTrip(
  s: ts.ForStatement,
  sym: ts.Symbol,
  start: bigint,
  step: bigint,
  ct: IntT,
  trips: number,
  checker: ts.TypeChecker,
): number {
  const body = ts.isBlock(s.statement) ? s.statement.statements : [s.statement];
  let first = trips;
  for (const st of body) {
    if (!ts.isIfStatement(st) || st.elseStatement) continue;
    const then = soleStatement(st.thenStatement);
    if (!ts.isBreakStatement(then) || then.label) continue;
    let c = st.expression;
    while (ts.isParenthesizedExpression(c)) c = c.expression;
    if (!ts.isBinaryExpression(c)) continue;
    const op = c.operatorToken.kind;
    const left = isCounterOf(c.left, sym, checker);
    if (!left && !isCounterOf(c.right, sym, checker)) continue;
    const r = rangeOf(left ? c.right : c.left, checker);
    if (!r || r[0] !== r[1]) continue;
    // Compared as the counter's condition is (compareType: a constant past the counter's type
    // widens the comparison, `k1 >= 4294967296` on an i32 never holds).
    const cmp = compareType(ct, r[0]);
    const x = wrapT(cmp, r[0]);
    const holds = (k: bigint): boolean | undefined => (left ? relation(op, wrapT(cmp, k), x) : relation(op, x, wrapT(cmp, k)));
    for (let j = 0; j < Math.min(first, SIM_CAP); j++)
      if (holds(wrapT(ct, start + BigInt(j) * step))) {
        first = j + 1;
        break;
      }
  }
  return first;
}

/**
 * Iterations of a counted loop from `start` (the counter wraps in its type `ct` and is compared in
 * `cmp`, counter on the left), at most SIM_CAP simulated, then the range over the step.
 */
function simulateTrips(start: bigint, step: bigint, bound: bigint, op: ts.SyntaxKind, ct: IntT, isDo: boolean): number {
  const cmp = compareType(ct, bound);
  const b = wrapT(cmp, bound);
  // The counter's condition is an ordering, `!==` or `!=` (counterCondition: K_REL).
  const holds = (i: bigint): boolean => relation(op, wrapT(cmp, i), b) ?? wrapT(cmp, i) !== b;
  let i = wrapT(ct, start);
  let n = 0;
  if (isDo) {
    n = 1;
    i = wrapT(ct, i + step);
  }
  while (holds(i)) {
    if (++n > SIM_CAP) {
      const span = maxT(ct) - minT(ct) + 1n;
      const abs = step < 0n ? -step : step;
      return Number(span / (abs === 0n ? 1n : abs));
    }
    i = wrapT(ct, i + step);
  }
  return n;
}

/** The signed step of `i++`, `i--`, `i += k`, `i -= k` on `sym`; undefined for anything else. */
function stepOf(e: ts.Expression, sym: ts.Symbol, checker: ts.TypeChecker): bigint | undefined {
  if ((ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e)) && isCounterOf(e.operand, sym, checker)) {
    if (e.operator === K.PlusPlusToken) return 1n;
    if (e.operator === K.MinusMinusToken) return -1n;
  }
  if (ts.isBinaryExpression(e) && isCounterOf(e.left, sym, checker)) {
    const k = constEval(e.right, checker);
    if (k === undefined) return undefined;
    if (e.operatorToken.kind === K.PlusEqualsToken) return k;
    if (e.operatorToken.kind === K.MinusEqualsToken) return -k;
  }
  return undefined;
}

/**
 * Iterations of a counted loop: `for (let i = A; i < N; i += S)` with constants, or a while/do loop
 * stepping a local against a constant, from the counter's entry value when that is a constant, else
 * from the worst start in the range the code before the loop allows (the verifier simulates every
 * value of that range: `dataDependent`). Undefined when the loop has no such shape.
 */
export function loopTrips(
  s: ts.IterationStatement,
  checker: ts.TypeChecker,
): { trips: number; dataDependent: boolean; counter?: ts.Symbol; unbounded?: string } | undefined {
  if (ts.isForStatement(s)) {
    if (!s.initializer || !s.condition || !s.incrementor || !ts.isVariableDeclarationList(s.initializer)) return undefined;
    const d = s.initializer.declarations[0];
    const cc = counterCondition(s.condition, checker);
    if (!d?.initializer || !cc) return undefined;
    const start = constEval(d.initializer, checker);
    const step = stepOf(s.incrementor, cc.sym, checker);
    const ct = intTypeOf(cc.id, checker) ?? { signed: true, bits: 32 };
    if (start === undefined || step === undefined) return undefined;
    const trips = simulateTrips(start, step, cc.bound, cc.op, ct, false);
    return { trips: Math.min(trips, breakTrip(s, cc.sym, start, step, ct, trips, checker)), dataDependent: false };
  }
  if (!ts.isWhileStatement(s) && !ts.isDoStatement(s)) return undefined;
  const cc = counterCondition(s.expression, checker);
  if (!cc) return undefined;
  const ct = intTypeOf(cc.id, checker);
  const body = ts.isBlock(s.statement) ? s.statement.statements : [s.statement];
  let step = 0n;
  for (const st of body) if (ts.isExpressionStatement(st)) step += stepOf(st.expression, cc.sym, checker) ?? 0n;
  if (!ct || step === 0n) return undefined;
  const isDo = ts.isDoStatement(s);
  const [lo, hi] = entryRange(s, cc.sym, ct, checker);
  const starts = [lo, hi, cc.bound, 0n, cc.bound - step, cc.bound + step].filter((v) => v >= lo && v <= hi);
  const trips = Math.max(...starts.map((v) => simulateTrips(v, step, cc.bound, cc.op, ct, isDo)));
  return {
    trips,
    dataDependent: lo !== hi,
    counter: cc.sym,
    unbounded: lo !== hi ? neverBounded(lo, step, cc.bound, cc.op, ct) : undefined,
  };
}

/**
 * Why the verifier, walking a loop whose counter starts anywhere in [lo, hi], can never see it end,
 * or undefined. It follows the counter's range trip by trip: the range that continues (the loop test
 * holding), stepped, must stay a plain range. Two ways it does not, both measured on this kernel:
 *   - the step wraps the counter past its type's end (`while (x > 0) x -= 3` on a u16: 1 - 3 wraps),
 *     the range becomes the whole type again and the state repeats: "infinite loop detected";
 *   - an i8/i16 counter that may be negative: its sign extension (a shift pair) loses the range of a
 *     value whose 32-bit pattern may be negative, so each trip starts again from the whole type
 *     (`while (x < 1000) x++` on an i16 that may be below 0: "BPF program is too large", even from
 *     -10,000). Only the steady state counts: a first trip that wraps (a do/while from 0) is cut
 *     back to a range by the test.
 */
function neverBounded(lo: bigint, step: bigint, bound: bigint, op: ts.SyntaxKind, ct: IntT): string | undefined {
  const up = step > 0n && (op === K.LessThanToken || op === K.LessThanEqualsToken);
  const down = step < 0n && (op === K.GreaterThanToken || op === K.GreaterThanEqualsToken);
  if (!up && !down) return undefined;
  const name = `${ct.signed ? "i" : "u"}${ct.bits}`;
  // The continuing range's far end, stepped once more.
  const edge = up ? (op === K.LessThanToken ? bound - 1n : bound) + step : (op === K.GreaterThanToken ? bound + 1n : bound) + step;
  if (edge < minT(ct) || edge > maxT(ct)) return `a step of ${step} from the bound's side wraps its ${name} counter around`;
  const lowest = up ? lo : edge;
  if (ct.signed && ct.bits < 32 && lowest < 0n)
    return `its ${name} counter may be negative, and the verifier loses a negative ${name}'s range at each sign extension`;
  return undefined;
}

/**
 * Comparisons in one trip of `loop` that the verifier cannot decide, so each pushes a pending state:
 * conditions (if, ?:, &&, ||, case) that read anything but the enclosing loops' counters and
 * constants. Nested loops count by their trips.
 */
export function openBranches(loop: ts.IterationStatement, checker: ts.TypeChecker): number {
  const counters = loopCounters(loop, checker);
  const decided = (e: ts.Node): boolean => {
    let ok = true;
    const stack: ts.Node[] = [e];
    while (stack.length && ok) {
      const x = stack.pop()!;
      if (ts.isIdentifier(x)) {
        const sym = checker.getSymbolAtLocation(x);
        if (!sym || (!counters.has(sym) && constEval(x, checker) === undefined)) ok = false;
      } else if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x) || ts.isCallExpression(x)) {
        if (constEval(x as ts.Expression, checker) === undefined) ok = false;
      }
      ts.forEachChild(x, (c) => {
        stack.push(c);
      });
    }
    return ok;
  };
  // The loop's own test is not counted: its back edge is the jump, so the verifier walks the exit
  // first and pops the next trip, one pending state at a time (measured on this kernel).
  let b = 0;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const n = stack.pop()!;
    if (ts.isFunctionLike(n)) continue;
    if (ts.isForStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n)) {
      b += (loopTrips(n, checker)?.trips ?? 1) * openBranches(n, checker);
      continue;
    }
    if (ts.isIfStatement(n) && !decided(n.expression)) b++;
    else if (ts.isConditionalExpression(n) && !decided(n.condition)) b++;
    else if (ts.isCaseClause(n)) b++;
    else if (
      ts.isBinaryExpression(n) &&
      (n.operatorToken.kind === K.AmpersandAmpersandToken || n.operatorToken.kind === K.BarBarToken) &&
      !decided(n.left)
    )
      b++;
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  return b;
}

/** The first and last values of a `for` loop's counter over its trips. */
export function counterSpan(loop: ts.ForStatement, checker: ts.TypeChecker): { sym: ts.Symbol; values: bigint[] } | undefined {
  // `for (i = 0; ...)` assigns a variable declared before: no declaration to read the start from.
  if (!loop.initializer || !ts.isVariableDeclarationList(loop.initializer)) return undefined;
  const sym = forCounter(loop, checker);
  const lt = loopTrips(loop, checker);
  const d = loop.initializer.declarations[0];
  const start = d?.initializer ? constEval(d.initializer, checker) : undefined;
  const step = sym && loop.incrementor ? stepOf(loop.incrementor, sym, checker) : undefined;
  if (!sym || !lt || start === undefined || step === undefined) return undefined;
  return { sym, values: [start, start + step * BigInt(Math.max(0, lt.trips - 1))] };
}

/**
 * Does every trip of `loop` end it: its body's last statement a `break` (unlabeled) or `return`,
 * with no `continue` in the body that could skip it? The verifier walks such a loop once, whatever
 * its bound (a fuzz:cost program with `break;` closing a 22-trip loop was counted 22 times).
 */
export function runsOnce(loop: ts.IterationStatement): boolean {
  const body = loop.statement;
  const last = ts.isBlock(body) ? body.statements[body.statements.length - 1] : body;
  if (!last || !((ts.isBreakStatement(last) && !last.label) || ts.isReturnStatement(last))) return false;
  const stack: ts.Node[] = [body];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isContinueStatement(x)) return false;
    ts.forEachChild(x, (c) => {
      if (!ts.isFunctionLike(c) && !ts.isIterationStatement(c, false)) stack.push(c);
    });
  }
  return true;
}
