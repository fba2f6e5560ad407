// Positions picked by a loop, for the verifier-cost estimate (verifier-cost.ts): a loop that sets a
// variable to its counter under a condition on data (`if (b === 10) last = i;`, `if (s.ts < oldest)
// { oldest = s.ts; at = i; }`), after which the variable is compared, used as a map key or as an
// index. The verifier then needs its exact value: the states of trip k hold each of the trips
// before it as the pick, and do not prune. Nothing here is exact; it feeds a warning.

import { ts } from "./ts-adapter.js";
import { branchlessCount, convertedIfs } from "./verifier-cost-branchless.js";
import { isPacketRead } from "./verifier-cost-branchless.js";
import { dataBreaks } from "./verifier-cost-packet.js";
import { isMap } from "./verifier-cost-sides.js";
import { statementsAfter } from "./verifier-cost-precision.js";
import { constEval } from "./const-eval.js";
import { COMPARISONS, isIntCast } from "./verifier-cost-ranges.js";
import { carriedWrites, forCounter, guards, isCounterOf, loopCounters, mentions, readsOnly, writeTarget } from "./verifier-cost-writes.js";

const K = ts.SyntaxKind;

/**
 * Walks of `loop`'s body (n trips) when it picks a position that way, and the variable's name;
 * undefined when it does not. Measured on Linux 6.18 (test/verifier-cost-picks.test.ts), erratic from
 * one trip count to the next (the verifier drops stored states that keep missing):
 *   - compared or used as a map key after the loop: a 64-slot table scan for the oldest entry is
 *     refused from about 40 slots (36 slots 58,192 to 461,349 processed); a packet loop's last
 *     newline from 32 to 48 trips (28 trips 12,310 to 13,749): n + n³/1.6 walks;
 *   - used only as an index: the table scan loads up to 88 slots (804,751), 96 are refused:
 *     n + n³/12; a packet loop that stops at a failed read, 48 trips 114,345, 64 refused: n + n³/4.
 * A pick on a path that leaves the loop (`{ at = i; break; }`) carries nothing to the next trip: not
 * counted (4,434 processed for the table scan with only that pick).
 * A packet offset does not need it exactly (64 trips, 1,406 processed): not counted.
 * A second pick computed from the first and compared (`if (i - last > gap) { gap = i - last; end =
 * i; } last = i;`, the longest gap between newlines and where it ends) holds a pair per path, and
 * the count grows by about 1.7x per trip: 12 trips 24,564, 16 trips 194,289, 18 trips 568,882, 20
 * refused (1.8^n / 2 walks). The gap alone (`gap = i - last;`) is computed without a branch.
 */
export function counterPickWalks(
  loop: ts.IterationStatement,
  n: number,
  checker: ts.TypeChecker,
): { walks: number; name: string } | undefined {
  const counter = forCounter(loop, checker);
  if (!counter) return undefined;
  const counters = loopCounters(loop, checker);
  const carried = carriedWrites(loop, checker);
  let converted: Set<ts.Node> | undefined;
  let best: { walks: number; name: string } | undefined;
  for (const { v, d } of carried) {
    // Computed without a branch (if-convert), the pick is a range: one path.
    if (!picks(loop, v, counter, counters, checker) || branchlessCount(v, loop, checker)) continue;
    converted ??= convertedIfs(
      loop,
      carried.map((x) => x.v),
      checker,
    );
    const use = exactUse([loop.statement, ...statementsAfter(loop, d)], v, checker, converted);
    if (!use) continue;
    const c = use === "compare" ? 1.6 : dataBreaks(loop, checker).packet > 0 ? 4 : 12;
    const walks = n + (secondPick(loop, carried, v, counter, counters, checker) ? Math.min(1.8 ** n / 2, 1e12) : n ** 3 / c);
    if (!best || walks > best.walks) best = { walks, name: v.name };
  }
  return best;
}

/**
 * Does `loop` only set `v` to an expression of its counter (`v = i`, `v = i + 1`) or to constants,
 * at least once under a condition on data?
 */
function picks(
  loop: ts.IterationStatement,
  v: ts.Symbol,
  counter: ts.Symbol,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): boolean {
  let picked = false;
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    const target = writeTarget(x);
    if (target && isCounterOf(target, v, checker)) {
      if (!ts.isBinaryExpression(x) || x.operatorToken.kind !== K.EqualsToken) return false;
      if (constEval(x.right, checker) === undefined) {
        if (!readsOnly(x.right, counters, checker) || !mentions(x.right, counter, checker)) return false;
        if (!leaving(x, loop) && guards(x, loop).some((g) => !readsOnly(g, counters, checker))) picked = true;
      }
    }
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return picked;
}

/**
 * Does `loop` also pick another variable from `v` and its counter (`gap = i - last`) that is then
 * compared (secondPick's growth, counterPickWalks)?
 */
function secondPick(
  loop: ts.IterationStatement,
  carried: readonly { v: ts.Symbol; d: ts.VariableDeclaration }[],
  v: ts.Symbol,
  counter: ts.Symbol,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): boolean {
  const withV = new Set([...counters, v]);
  for (const { v: g, d } of carried) {
    // Computed without a branch in its own `if` (`if (i - last > gap) gap = i - last;`), it is a range.
    if (g === v || counters.has(g) || !picks(loop, g, counter, withV, checker) || branchlessCount(g, loop, checker, true)) continue;
    if (exactUse([loop.statement, ...statementsAfter(loop, d)], g, checker) === "compare") return true;
  }
  return false;
}

/** A call that is not an integer cast: what it returns is not computed from its arguments' values. */
const isCall = (e: ts.Expression): boolean => {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return ts.isCallExpression(e) && !isIntCast(e);
};

/** Is `x` in a branch of an `if` in `loop` that ends in `break` or `return`? */
function leaving(x: ts.Node, loop: ts.IterationStatement): boolean {
  const leaves = (s: ts.Statement): boolean =>
    ts.isBreakStatement(s) ||
    ts.isReturnStatement(s) ||
    (ts.isBlock(s) && s.statements.length > 0 && leaves(s.statements[s.statements.length - 1]!));
  for (let at: ts.Node = x; at !== loop.statement && at.parent; at = at.parent)
    if (ts.isIfStatement(at.parent) && at !== at.parent.expression && leaves(at as ts.Statement)) return true;
  return false;
}

/** Comparisons, equality included. */

/**
 * How `nodes` need `v` (or a local computed from it) exactly: in a comparison or as a map method's
 * key ("compare"), or only as an index ("index"). Packet offsets and stored values do not count, nor
 * the conditions of `converted` ifs (convertedIfs).
 */
export function exactUse(
  nodes: readonly ts.Node[],
  v: ts.Symbol,
  checker: ts.TypeChecker,
  converted: ReadonlySet<ts.Node> = new Set(),
): "compare" | "index" | undefined {
  const from = new Set([v]);
  const reads = (e: ts.Node): boolean => [...from].some((s) => mentions(e, s, checker));
  let use: "compare" | "index" | undefined;
  const st: ts.Node[] = [...nodes].reverse();
  while (st.length && use !== "compare") {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isCallExpression(x) && isPacketRead(x)) continue;
    if (converted.has(x) && ts.isIfStatement(x)) {
      // Its condition is arithmetic once converted: only what it sets is looked at.
      if (x.elseStatement) st.push(x.elseStatement);
      st.push(x.thenStatement);
      continue;
    }
    if (ts.isBinaryExpression(x) && COMPARISONS.has(x.operatorToken.kind) && reads(x)) use = "compare";
    else if (
      ts.isCallExpression(x) &&
      ts.isPropertyAccessExpression(x.expression) &&
      x.arguments[0] &&
      isMap(x.expression.expression, checker) &&
      reads(x.arguments[0])
    )
      use = "compare";
    else if (ts.isElementAccessExpression(x) && reads(x.argumentExpression)) use = "index";
    else if (ts.isVariableDeclaration(x) && ts.isIdentifier(x.name) && x.initializer && !isCall(x.initializer) && reads(x.initializer)) {
      const s = checker.getSymbolAtLocation(x.name);
      if (s) from.add(s);
    }
    // In source order: a local computed from v is seen before its uses.
    const kids: ts.Node[] = [];
    ts.forEachChild(x, (c) => {
      kids.push(c);
    });
    for (let k = kids.length - 1; k >= 0; k--) st.push(kids[k]!);
  }
  return use;
}
