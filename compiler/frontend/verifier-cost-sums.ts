// Running sums, for the verifier-cost estimate (verifier-cost.ts): a loop that adds a value read
// from data to a variable on every trip and orders the variable against a constant or its counter
// in the same loop (`acc += b; if (acc > 1000) ...`). The comparison leaves the sum in two ranges, the next
// step widens both by the step's range, and the ranges reached after different trips do not nest,
// so they do not prune: the states at trip k grow with k. Nothing here is exact; it feeds a warning.

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { intTypeOf, leavingIfParts, ORDERINGS, rangeOf } from "./verifier-cost-ranges.js";
import { carriedWrites, isCounterOf, loopCounters, readsOnly, writeTarget } from "./verifier-cost-writes.js";

const K = ts.SyntaxKind;

/** The orderings that bound the variable from above on their true side. */
const BELOW = new Set<ts.SyntaxKind>([K.LessThanToken, K.LessThanEqualsToken]);

/**
 * Walks of `loop`'s body (n trips) that a running sum in it costs the verifier, and the sum's name;
 * undefined when it has none. Fitted to Linux 6.18's counts (test/verifier-cost-sums.test.ts) on a
 * small body with one comparison, in walks of the body as the estimate weighs it:
 *   - `acc += b` (u32 acc, u8 b; or u64 and u32) with `acc > 1000`: n + n²/4.5 (400 trips
 *     828,240 processed);
 *   - unsigned `acc -= b` with `acc < 0x8b`: n + n³/20 (90 trips 751,482; 100 are refused): a
 *     step below 0 wraps, and the true side is a small range again each trip;
 *   - unsigned `acc -= b` with `acc >= 0x8b`: n + n²/1.5; signed, n + n²/3;
 *   - otherwise against the loop's counter (`acc > i`, u32 and u8), erratic: 25 trips 18,526
 *     processed, 30 trips 204,475, 40 trips 240,725, 50 refused: n + n³/2.5, high for the short
 *     loops (unsigned `acc -= b` with `acc < i` is as with a constant: 64 trips 263,249).
 */
export function runningSumWalks(
  loop: ts.IterationStatement,
  n: number,
  checker: ts.TypeChecker,
): { walks: number; name: string } | undefined {
  let best: { walks: number; name: string } | undefined;
  for (const { v, d } of carriedWrites(loop, checker)) {
    // A sum of 8 or 16 bits is truncated after every step (a mask or a pair of shifts), which
    // leaves it its type's whole range: the paths meet again (seed 20261275 #3408, an i16: warned
    // at 4.5M, processes 5,958).
    const t = intTypeOf(d.name, checker);
    const steps = t && t.bits >= 32 && dataSteps(loop, v, t.bits, checker);
    if (!t || !steps) continue;
    const order = orderedAgainstConstant(loop, v, checker);
    if (!order) continue;
    const down = steps.down && !t.signed;
    const grow =
      down && order.below ? n ** 3 / 20 : order.counter ? n ** 3 / 2.5 : down ? n ** 2 / 1.5 : steps.down ? n ** 2 / 3 : n ** 2 / 4.5;
    const walks = n + grow;
    if (!best || walks > best.walks) best = { walks, name: v.name };
  }
  return best;
}

/**
 * Does every write of `v` in `loop` move it by a step (`+=`, `-=`, `++`, `--`), at least one by a
 * value that is not constant but bounded well inside v's type (a byte added to a u32, an i8 to an
 * i32)? A step as wide as v makes the sum unknown at once, and unknown values prune. `down`: a step
 * subtracts (or may be negative).
 */
function dataSteps(loop: ts.IterationStatement, v: ts.Symbol, bits: number, checker: ts.TypeChecker): { down: boolean } | undefined {
  let ok = true;
  let data = false;
  let down = false;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length && ok) {
    const x = stack.pop()!;
    const target = writeTarget(x);
    if (target && isCounterOf(target, v, checker)) {
      if (ts.isBinaryExpression(x)) {
        const op = x.operatorToken.kind;
        if (op !== K.PlusEqualsToken && op !== K.MinusEqualsToken) ok = false;
        else if (constEval(x.right, checker) === undefined) {
          const r = rangeOf(x.right, checker);
          const half = 1n << BigInt(bits - 1);
          if (!r || r[0] <= -half || r[1] >= half || r[1] - r[0] >= half) ok = false;
          data = true;
          down ||= op === K.MinusEqualsToken || (r !== undefined && r[0] < 0n);
        }
      }
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return ok && data ? { down } : undefined;
}

/**
 * Does `loop` order `v` against a constant or a loop counter (`acc > 1000`, `acc < i`: a known value
 * at each trip; 400 trips of `acc > i` are refused), and is one such ordering's true side `v` below
 * it? Not the condition of an `if` one of whose sides leaves the loop (`if (acc > 1000) break;`):
 * one range goes on, and nothing grows (480 trips: 4,342 processed).
 */
export function orderedAgainstConstant(
  loop: ts.IterationStatement,
  v: ts.Symbol,
  checker: ts.TypeChecker,
): { below: boolean; counter: boolean } | undefined {
  const counters = loopCounters(loop, checker);
  let found: { below: boolean; counter: boolean } | undefined;
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    const parts = leavingIfParts(x);
    if (parts) {
      st.push(...parts);
      continue;
    }
    const o = ts.isBinaryExpression(x) ? ordering(x, v, counters, checker) : undefined;
    if (o) found = { below: (found?.below ?? false) || o.below, counter: (found?.counter ?? false) || o.counter };
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return found;
}

/**
 * `x` orders `v` against constants and counters: is its true side `v` below the other operand, and
 * is that a counter's value? Undefined when it is no such ordering.
 */
function ordering(
  x: ts.BinaryExpression,
  v: ts.Symbol,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): { below: boolean; counter: boolean } | undefined {
  const op = x.operatorToken.kind;
  if (!ORDERINGS.has(op)) return undefined;
  const is = (e: ts.Expression) => {
    while (ts.isParenthesizedExpression(e)) e = e.expression;
    return ts.isIdentifier(e) && checker.getSymbolAtLocation(e) === v;
  };
  const known = (e: ts.Expression) => readsOnly(e, counters, checker);
  const counter = (e: ts.Expression) => constEval(e, checker) === undefined;
  if (is(x.left) && known(x.right)) return { below: BELOW.has(op), counter: counter(x.right) };
  if (is(x.right) && known(x.left)) return { below: !BELOW.has(op), counter: counter(x.left) };
  return undefined;
}
