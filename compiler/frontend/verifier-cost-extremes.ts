// Running extremes, for the verifier-cost estimate (verifier-cost.ts): a loop that keeps the largest
// (or smallest) value read from data with a strict comparison (`if (b > mx) mx = b;`). Each update
// raises the least value the maximum can hold by one, so on a path that updated it at every trip it
// reaches the end of the data's type (255 for a u8) after as many trips as the type has values; past
// that trip count the paths stop merging. Nothing here is exact; it feeds a warning.

import { ts } from "./ts-adapter.js";
import { branchlessCount } from "./verifier-cost-branchless.js";
import { exactUse } from "./verifier-cost-picks.js";
import { statementsAfter } from "./verifier-cost-precision.js";
import { intTypeOf, ORDERINGS } from "./verifier-cost-ranges.js";
import { carriedWrites, isCounterOf, writeTarget } from "./verifier-cost-writes.js";

const K = ts.SyntaxKind;

/**
 * Walks of `loop`'s body (n trips) when it keeps a strict running maximum or minimum of a value of b
 * bits, past 2^b trips, and the extreme's name; undefined otherwise. Measured on Linux 6.18 (a u8
 * per trip, test/verifier-cost-extremes.test.ts): 256 trips process 4,989, 260 trips 13,777, 280
 * trips 72,552, 300 trips 368,053, 400 are refused: n + 8 (n - 256)² walks. With `>=` (or `<=`)
 * the least value does not rise: 400 trips process 7,380.
 */
export function runningExtremeWalks(
  loop: ts.IterationStatement,
  n: number,
  checker: ts.TypeChecker,
): { walks: number; name: string } | undefined {
  let best: { walks: number; name: string } | undefined;
  for (const { v, d } of carriedWrites(loop, checker)) {
    const bits = extremeOf(loop, v, checker);
    // Computed without a branch (if-convert), the extreme is a range: one path.
    if (bits === undefined || bits > 16 || branchlessCount(v, loop, checker)) continue;
    const values = 2 ** bits;
    // An index after the loop needs it exactly at every exit, long before the type's end: a byte's
    // maximum then `t.v[mx & 255]` processes 42,830 at 32 trips, 469,177 at 56, refused at 64 (n +
    // n⁴/200 walks, high by up to 1.9x).
    const indexed = exactUse(statementsAfter(loop, d), v, checker) === "index";
    if (n <= values && !indexed) continue;
    const walks = Math.max(n + (n > values ? 8 * (n - values) ** 2 : 0), indexed ? n + n ** 4 / 200 : 0);
    if (!best || walks > best.walks) best = { walks, name: v.name };
  }
  return best;
}

/**
 * The bits of the data `loop` keeps `v` the strict extreme of: its only writes are `v = x` in the
 * then-side of an `if` that orders x strictly against v (`x > v`, `v < x`, `x < v`, ...), x a local
 * of the loop.
 */
function extremeOf(loop: ts.IterationStatement, v: ts.Symbol, checker: ts.TypeChecker): number | undefined {
  let bits: number | undefined;
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    const target = writeTarget(x);
    if (target && isCounterOf(target, v, checker)) {
      if (!ts.isBinaryExpression(x) || x.operatorToken.kind !== K.EqualsToken || !ts.isIdentifier(x.right)) return undefined;
      const from = checker.getSymbolAtLocation(x.right);
      const d = from?.valueDeclaration;
      if (!from || !d || d.pos < loop.pos || d.end > loop.end) return undefined;
      // Other statements beside it (`{ mx = b; ups++; }`) keep the branch and change nothing here.
      const stmt = x.parent;
      const guard = ts.isExpressionStatement(stmt) ? stmt.parent : undefined;
      const iff = guard && ts.isBlock(guard) ? guard.parent : guard;
      if (!iff || !ts.isIfStatement(iff) || iff.elseStatement || (iff.thenStatement !== stmt && iff.thenStatement !== guard))
        return undefined;
      if (!strictlyOrders(iff.expression, v, from, checker)) return undefined;
      const t = intTypeOf(x.right, checker);
      if (!t) return undefined;
      bits = Math.max(bits ?? 0, t.bits);
    }
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return bits;
}

/** `a > b`, `a < b` with {a, b} = {v, from}: a strict ordering of the two. */
function strictlyOrders(e: ts.Expression, v: ts.Symbol, from: ts.Symbol, checker: ts.TypeChecker): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (!ts.isBinaryExpression(e) || !ORDERINGS.has(e.operatorToken.kind)) return false;
  if (e.operatorToken.kind !== K.GreaterThanToken && e.operatorToken.kind !== K.LessThanToken) return false;
  const l = isCounterOf(e.left, v, checker) ? v : isCounterOf(e.left, from, checker) ? from : undefined;
  const r = isCounterOf(e.right, v, checker) ? v : isCounterOf(e.right, from, checker) ? from : undefined;
  return l !== undefined && r !== undefined && l !== r;
}
