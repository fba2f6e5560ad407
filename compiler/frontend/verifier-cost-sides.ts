// Helper calls on one side of a condition on data in a long loop, for the verifier-cost estimate
// (verifier-cost.ts). Inside a loop still being walked the verifier stores a state only every 20
// jumps or 100 instructions, and drops stored states that keep missing; a path that skipped the
// call (its registers and stack differ from the calling path's) then walks on through later trips
// before it meets a state it prunes against, and those walks grow with the trip. Measured on
// Linux 6.18 (test/verifier-cost-sides.test.ts): a 480-trip loop reading a byte per trip with
// `if (b > 100) results.update(1, 1);` processes 518,154 (700 trips are refused); the same with the
// call on both sides, or on neither, about 10,000 to 38,000. Nothing here is exact; it feeds a warning.

import { ts } from "./ts-adapter.js";
import { isPacketRead } from "./verifier-cost-branchless.js";
import { isIntCast, returns } from "./verifier-cost-ranges.js";
import { calleeOf, loopCounters, readsOnly } from "./verifier-cost-writes.js";

const K = ts.SyntaxKind;

/** Library functions the compiler expands inline: no helper call. */
const INLINE = new Set(["sizeof", "htons", "ntohs", "htonl", "ntohl", "htonll", "ntohll", "zero"]);

/**
 * Walks of `loop`'s body (n trips) when it calls a helper on one side of a condition on data: about
 * n + n²/11.5 in walks as the estimate weighs them (fitted to the measurements above); undefined when it does not.
 */
export function oneSidedCallWalks(loop: ts.IterationStatement, n: number, checker: ts.TypeChecker): number | undefined {
  const counters = loopCounters(loop, checker);
  const onData = (cond: ts.Expression) => !readsOnly(cond, counters, checker);
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isIterationStatement(x, false) || ts.isFunctionLike(x)) continue;
    let sides: [ts.Node | undefined, ts.Node | undefined] | undefined;
    if (ts.isIfStatement(x) && onData(x.expression)) {
      // A side that leaves the loop does not come back to be pruned within it.
      const leaves = (s: ts.Statement | undefined) => s !== undefined && returns(s);
      if (!leaves(x.thenStatement) && !leaves(x.elseStatement)) sides = [x.thenStatement, x.elseStatement];
    } else if (ts.isConditionalExpression(x) && onData(x.condition)) sides = [x.whenTrue, x.whenFalse];
    else if (
      ts.isBinaryExpression(x) &&
      (x.operatorToken.kind === K.AmpersandAmpersandToken || x.operatorToken.kind === K.BarBarToken) &&
      onData(x.left)
    )
      sides = [x.right, undefined];
    if (sides && callsHelper(sides[0], checker, new Set()) !== callsHelper(sides[1], checker, new Set())) return n + n ** 2 / 11.5;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return undefined;
}

/** Does `node` call a kernel helper (a map or context method, a library helper, a function that does)? */
function callsHelper(node: ts.Node | undefined, checker: ts.TypeChecker, seen: Set<ts.Node>): boolean {
  if (!node) return false;
  const stack: ts.Node[] = [node];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isCallExpression(x) && !isIntCast(x) && !isPacketRead(x)) {
      if (ts.isPropertyAccessExpression(x.expression)) return true;
      const own = calleeOf(x, checker);
      if (own?.body) {
        if (!seen.has(own)) {
          seen.add(own);
          if (callsHelper(own.body, checker, seen)) return true;
        }
      } else if (ts.isIdentifier(x.expression) && !INLINE.has(x.expression.text)) return true;
    }
    ts.forEachChild(x, (c) => {
      if (!ts.isFunctionLike(c)) stack.push(c);
    });
  }
  return false;
}
