// Map calls on one side of a condition on data in a long loop, for the verifier-cost estimate
// (verifier-cost.ts). Inside a loop still being walked the verifier stores a state only every 20
// jumps or 100 instructions, and drops stored states that keep missing. A map call writes its key
// and value on the stack, so (the explanation that fits the measurements) a path that skipped it
// holds another stack than the path that made it, walks on through later trips before it meets a
// state it prunes against, and those walks grow with the trip. Measured on Linux 6.18 (test/verifier-cost-sides.test.ts): a 480-trip loop reading
// a byte per trip with `if (b > 100) results.update(1, 1);` processes 518,154 (700 trips are
// refused); with the call on both sides, on neither, or also made unconditionally in the trip, about
// 10,000 to 54,000; a helper that takes nothing on the stack (`ktimeGetNs()`) alone in the side,
// 27,015. Nothing here is exact; it feeds a warning.

import { INTRINSICS } from "./helpers-table.js";
import { ts } from "./ts-adapter.js";
import { returns } from "./verifier-cost-ranges.js";
import { calleeOf, loopCounters, readsOnly } from "./verifier-cost-writes.js";

/**
 * Trips per extra walk of the body: n + n²/SIDE_GROWTH walks. 11.5 fitted the byte scan above; an
 * IPv4 options walk with the call on one side (bench/natural/ipv4-options.bpf.ts) grows faster:
 * 420 trips 893,206 processed, 440 990,280, 450 refused, and 8 warns from 440.
 */
const SIDE_GROWTH = 8;

/**
 * Walks of `loop`'s body (n trips) when it calls maps only inside `if`s on data with nothing on
 * their other side: about n + n²/SIDE_GROWTH in walks as the estimate weighs them (fitted to the
 * measurements above and below); undefined when it does not. Measured and not counted, because they
 * load in linear time: an `else` with anything in it (`else n1++`, or the call on both sides), and any
 * other map call in the trip (an unconditional `results.update`, a lookup with its null check
 * before the `if`).
 */
export function oneSidedCallWalks(loop: ts.IterationStatement, n: number, checker: ts.TypeChecker): number | undefined {
  const counters = loopCounters(loop, checker);
  const sides = new Set<ts.Node>();
  let other = false;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length && !other) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x)) continue;
    // The side that calls, the other one empty (`if (c) call;`, or `if (c) {} else call;`).
    const side = !ts.isIfStatement(x)
      ? undefined
      : empty(x.elseStatement)
        ? x.thenStatement
        : empty(x.thenStatement)
          ? x.elseStatement
          : undefined;
    if (
      side &&
      ts.isIfStatement(x) &&
      !readsOnly(x.expression, counters, checker) &&
      !returns(side) &&
      !callsMap(x.expression, checker, new Set()) &&
      callsMap(side, checker, new Set())
    ) {
      sides.add(side);
      continue;
    }
    if (ts.isCallExpression(x) && callsMap(x, checker, new Set(), true)) other = true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return sides.size > 0 && !other ? n + n ** 2 / SIDE_GROWTH : undefined;
}

/** No statement, or an empty block. */
const empty = (s: ts.Statement | undefined): boolean => s === undefined || (ts.isBlock(s) && s.statements.length === 0);

/** Does `node` call a kernel helper (a map method or a stdlib helper such as `ktimeGetNs()`), directly or through a function it calls? */
export const callsHelper = (node: ts.Node, checker: ts.TypeChecker): boolean => callsMap(node, checker, new Set(), false, true);

/**
 * Does `node` call a map's method (`results.update(k, v)`, `m.lookup(k)`: helpers that take the key
 * and value by pointer, from the stack), directly or through a function it calls? `top`: only
 * `node` itself, a call, not the calls in its arguments. `helpers`: any other kernel helper too.
 */
function callsMap(node: ts.Node | undefined, checker: ts.TypeChecker, seen: Set<ts.Node>, top = false, helpers = false): boolean {
  if (!node) return false;
  const stack: ts.Node[] = [node];
  while (stack.length) {
    const x = stack.pop()!;
    if (top && x !== node) break;
    if (ts.isCallExpression(x)) {
      if (ts.isPropertyAccessExpression(x.expression) && isMap(x.expression.expression, checker)) return true;
      if (helpers && ts.isIdentifier(x.expression) && INTRINSICS[x.expression.text]?.helper) return true;
      const own = calleeOf(x, checker);
      if (own?.body && !seen.has(own)) {
        seen.add(own);
        if (callsMap(own.body, checker, seen, false, helpers)) return true;
      }
    }
    ts.forEachChild(x, (c) => {
      if (!ts.isFunctionLike(c)) stack.push(c);
    });
  }
  return false;
}

/** Does `e` name a map (a module-level `const m = new HashMap<…>(…)`)? */
export function isMap(e: ts.Expression, checker: ts.TypeChecker): boolean {
  const d = ts.isIdentifier(e) ? checker.getSymbolAtLocation(e)?.valueDeclaration : undefined;
  return d !== undefined && ts.isVariableDeclaration(d) && d.initializer !== undefined && ts.isNewExpression(d.initializer);
}
