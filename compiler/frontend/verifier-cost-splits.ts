// Values the counter splits, for the verifier-cost estimate (verifier-cost.ts): a loop that orders a
// value it does not change, known only as a range (read from data), against its counter
// (`if (i < len)`, `len` from the packet). Each trip's comparison cuts the range at the counter's
// value and both pieces go on, so at trip k the verifier holds about k pieces, which do not prune.
// Nothing here is exact; it feeds a warning.

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { onlyConstantSteps } from "./verifier-cost-precision.js";
import { leavingIfParts, ORDERINGS, rangeOf } from "./verifier-cost-ranges.js";
import {
  carriedWrites,
  enclosingFunction,
  isGlobal,
  loopCounters,
  loopWrites,
  mentions,
  readsOnly,
  writeKind,
  writeTarget,
} from "./verifier-cost-writes.js";

/**
 * Walks of `loop`'s body (n trips) when it orders such a value against its counter, and the value's
 * name; undefined when it does not. Measured on Linux 6.18 (test/verifier-cost-splits.test.ts): `let
 * len = h.a` (a u16 from the packet), then `if (i < len) t += i;` in a loop of n trips processes
 * about 1.5 n² (200 trips 61,058, 600 trips 543,258), n + n²/3.5 walks as the estimate weighs the
 * body; with `if (i >= len) break;` instead (one piece goes on) 600 trips process 3,022, and with
 * `len` exact nothing splits.
 */
export function counterSplitWalks(
  loop: ts.IterationStatement,
  n: number,
  checker: ts.TypeChecker,
): { walks: number; name: string } | undefined {
  const counters = loopCounters(loop, checker);
  const own = counterSplit(loop, counters, checker);
  if (own) return { walks: (n + n ** 2 / 3.5) * (callsEveryTrip(loop) ? CALL_WALKS : 1), name: own };
  // A variable that starts at a constant and moves by a constant on every trip (`off += 2`) is a
  // counter too, to the verifier: one known value per trip. Measured, `if (off < len) t += w; off
  // += 2;` with len from the packet: 64 trips 14,837 processed, 256 trips 231,848, 400 trips 563,984,
  // 700 refused (estimated at 6,165 and 16,821 before): about n²/9 walks, cheaper than the loop's own
  // counter.
  const derived = new Set(counters);
  for (const { v, d } of carriedWrites(loop, checker))
    if (
      d.initializer &&
      constEval(d.initializer, checker) !== undefined &&
      onlyConstantSteps(loop.statement, v, checker) &&
      writeKind(loop, v, checker) === "every"
    )
      derived.add(v);
  const other = derived.size > counters.size ? counterSplit(loop, derived, checker) : undefined;
  if (other) return { walks: (n + n ** 2 / 9) * (callsEveryTrip(loop) ? CALL_WALKS : 1), name: other };
  return undefined;
}

/** The name of a value `loop` orders against an expression of `counters` (splitValue), if any. */
function counterSplit(loop: ts.IterationStatement, counters: ReadonlySet<ts.Symbol>, checker: ts.TypeChecker): string | undefined {
  if (counters.size === 0) return undefined;
  const written = loopWrites(loop, checker);
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    const parts = leavingIfParts(x);
    if (parts) {
      st.push(...parts);
      continue;
    }
    if (ts.isBinaryExpression(x) && ORDERINGS.has(x.operatorToken.kind)) {
      const v =
        splitValue(x.left, x.right, loop, counters, written, checker) ?? splitValue(x.right, x.left, loop, counters, written, checker);
      if (v) return v;
    }
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return undefined;
}

/**
 * Extra walks when every trip also calls a map or helper (a statement of the body, under no `if`):
 * measured, `if (n > j) t += j; out.update(j & 3, t);` at 200 trips processes 284,096 where the
 * estimate weighed 173,775 without this (1.6 times), and 400 trips were refused at 687,125; with it
 * 277,436 and 1,098,201 (warned). On the test's `len > i` form the same factor comes out 1.2 high.
 */
const CALL_WALKS = 1.6;

/** A map or helper call (`out.update(...)`, `ctx.xxx(...)`) among the statements of `loop`'s body, outside any `if`. */
function callsEveryTrip(loop: ts.IterationStatement): boolean {
  const body = ts.isBlock(loop.statement) ? loop.statement.statements : [loop.statement];
  return body.some((st) => {
    if (!ts.isExpressionStatement(st) && !ts.isVariableStatement(st)) return false;
    let hit = false;
    const visit = (x: ts.Node): void => {
      if (hit || ts.isFunctionLike(x)) return;
      if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression)) hit = true;
      else ts.forEachChild(x, visit);
    };
    visit(st);
    return hit;
  });
}

/**
 * Is `e` a local the loop does not change, declared before it from a value that is not one known
 * value, and `other` an expression of the loop's counters (not a constant)? Its name if so.
 */
function splitValue(
  e: ts.Expression,
  other: ts.Expression,
  loop: ts.IterationStatement,
  counters: ReadonlySet<ts.Symbol>,
  written: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): string | undefined {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (!ts.isIdentifier(e)) return undefined;
  const v = checker.getSymbolAtLocation(e);
  const d = v?.valueDeclaration;
  if (!v || !d || !ts.isVariableDeclaration(d) || !d.initializer || isGlobal(d) || counters.has(v) || written.has(v)) return undefined;
  if (d.pos >= loop.pos && d.end <= loop.end) return undefined;
  if (constEval(other, checker) !== undefined || !readsOnly(other, counters, checker)) return undefined;
  if (![...counters].some((c) => mentions(other, c, checker))) return undefined;
  // A value written again before the loop (by an earlier loop's sum) is not its initializer's.
  if (writtenBetween(v, d, loop, checker)) return v.name;
  const r = rangeOf(d.initializer, checker);
  return r && r[0] === r[1] ? undefined : v.name;
}

/**
 * Is `v` assigned between its declaration `d` and `loop` from data (an earlier loop's `s += b`)? A
 * value computed from itself, counters and constants (`n = n * 3 + 1`) stays exact on each path.
 */
function writtenBetween(v: ts.Symbol, d: ts.Node, loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  let hit = false;
  const visit = (x: ts.Node): void => {
    if (hit || x.pos >= loop.pos || x.end <= d.end) return;
    const t = writeTarget(x);
    if (t && ts.isIdentifier(t) && checker.getSymbolAtLocation(t) === v && ts.isBinaryExpression(x)) {
      const known = loopCounters(x, checker);
      known.add(v);
      if (!readsOnly(x.right, known, checker)) hit = true;
    }
    ts.forEachChild(x, visit);
  };
  const fn = enclosingFunction(loop);
  if (fn) ts.forEachChild(fn, visit);
  return hit;
}
