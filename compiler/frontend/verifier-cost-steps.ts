// Stepped comparisons, for the verifier-cost estimate (verifier-cost.ts): a loop that moves a
// variable by a constant on every trip and orders it against a constant (`if (rem > 0) t += b;
// rem--;`, rem starting in a range read from data). Each trip's comparison cuts the range in two and
// the step moves the next cut to another place in the pieces; once a piece holds one value the
// comparisons on it are decided, which makes the verifier track the variable exactly (it marks it
// precise), so the pieces do not merge: at trip k it holds about k of them. Nothing here is exact;
// it feeds a warning.

import { constEval } from "./const-eval.js";
import type { ts } from "./ts-adapter.js";
import { onlyConstantSteps } from "./verifier-cost-precision.js";
import { intTypeOf } from "./verifier-cost-ranges.js";
import { orderedAgainstConstant } from "./verifier-cost-sums.js";
import { carriedWrites } from "./verifier-cost-writes.js";

/**
 * Walks of `loop`'s body (n trips) when it moves a variable that way, and the variable's name;
 * undefined when it does not. Measured on Linux 6.18 (test/verifier-cost-steps.test.ts), `if (v >=
 * 0) t += 3; ++v;` in a loop reading a byte per trip: an i64 from a u32 field less 1,000 and in the
 * packet offset processes 116,119 at 128 trips, 461,591 at 256 and is refused at 400 (n + n²/3.8
 * walks); the same not in the offset, 66,708 and 264,468, and 643,620 at 400 (n²/6); a u32 field
 * itself, its type's whole range, with `v >= 100`, 175,414 and 486,646, refused at 400 (n²/2.9).
 * Not counted: a start at one value (every comparison is decided: one path), a comparison that
 * leaves the loop (`if (v >= 0) break;`: one piece goes on, 7,623 at 400 trips), one with the
 * counter (the two move together).
 */
export function steppedCompareWalks(
  loop: ts.IterationStatement,
  n: number,
  checker: ts.TypeChecker,
): { walks: number; name: string } | undefined {
  for (const { v, d } of carriedWrites(loop, checker)) {
    if (!intTypeOf(d.name, checker) || !d.initializer || constEval(d.initializer, checker) !== undefined) continue;
    if (!onlyConstantSteps(loop.statement, v, checker)) continue;
    const order = orderedAgainstConstant(loop, v, checker);
    if (!order || order.counter) continue;
    return { walks: n + n ** 2 / 3.8, name: v.name };
  }
  return undefined;
}
