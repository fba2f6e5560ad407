// Offsets with a ceiling, for the verifier-cost estimate (verifier-cost.ts): a loop that moves a
// packet offset by a constant on some paths and by a value read from data on others (a TCP options
// walk: `off++` for a NOP, `off += o.len` for the rest) and leaves once the offset passes a
// ceiling (`if (off > 94) break;`). Without the ceiling the states of a trip nest (the step-floor
// pass masks the lengths) and prune: 1,000 trips process 62,744. The ceiling caps the ranges at
// one end, and the constant steps after it move that end again, so the states of a trip differ in
// both ends and multiply with the square of the trips. Nothing here is exact; it feeds a warning.

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { isCeiling, steppedByData, usesExactly } from "./verifier-cost-precision.js";
import { carriedWrites, loopCounters, writesOf } from "./verifier-cost-writes.js";

const K = ts.SyntaxKind;

/**
 * Walks of `loop`'s body (n trips) when it moves an offset that way, and the offset's name;
 * undefined when it does not. Measured on Linux 6.18 (test/step-floor.test.ts), `if (off > C)
 * break;` after `off += o.len`, for C = 94, 254 and 1,000 alike: 40 trips 20,167 processed, 60
 * 43,363, 80 193,159, 100 234,754, 140 refused (n + n³/50 walks, high by up to 1.5x).
 */
export function ceilingStepWalks(
  loop: ts.IterationStatement,
  n: number,
  checker: ts.TypeChecker,
): { walks: number; name: string } | undefined {
  const counters = loopCounters(loop, checker);
  for (const { v } of carriedWrites(loop, checker)) {
    if (counters.has(v) || !steppedByData(loop, v, counters, checker) || !constantStep(loop, v, checker)) continue;
    if (!ceiling(loop, v, checker) || !usesExactly([loop.statement], new Set([v]), checker, true)) continue;
    return { walks: n + n ** 3 / 50, name: v.name };
  }
  return undefined;
}

/** Does `loop` step `v` up by a constant somewhere (`v++`, `v += 1`)? */
const constantStep = (loop: ts.IterationStatement, v: ts.Symbol, checker: ts.TypeChecker): boolean =>
  writesOf(loop, v, checker).some((x) =>
    ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)
      ? x.operator === K.PlusPlusToken
      : ts.isBinaryExpression(x) && x.operatorToken.kind === K.PlusEqualsToken && constEval(x.right, checker) !== undefined,
  );

/** Does `loop` leave once `v` passes a ceiling? */
const ceiling = (loop: ts.IterationStatement, v: ts.Symbol, checker: ts.TypeChecker): boolean =>
  some(loop.statement, (x) => isCeiling(x, v, checker));

function some(root: ts.Node, test: (x: ts.Node) => boolean): boolean {
  const st: ts.Node[] = [root];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (test(x)) return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}
