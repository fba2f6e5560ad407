// Halvings, for the verifier-cost estimate (verifier-cost.ts): a loop that sets two or more
// variables from one another under a condition on data (a binary search: `mid = (lo + hi) >> 1`,
// then `lo = mid + 1` or `hi = mid` by a compare with a value read from a map). They start at
// constants and every write computes from constants and each other, so the verifier knows them
// exactly on every path; the paths hold different pairs, which a map key, an index or a compare
// makes it keep apart, and each trip doubles them. Nothing here is exact; it feeds a warning.

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { usesExactly } from "./verifier-cost-precision.js";
import { carriedWrites, guards, loopCounters, readsOnly, writeTarget } from "./verifier-cost-writes.js";

const K = ts.SyntaxKind;

/**
 * Walks of `loop`'s body (n trips) when it sets variables that way, and the first one's name;
 * undefined when it does not. Measured on Linux 6.18 (test/verifier-cost-halving.test.ts), a binary
 * search of an array map for a port: 5 trips 448 processed, 9 trips 6,688, 13 trips 106,528, 17
 * refused (2^(n+1) / 5 walks of a body whose paths leave halfway).
 */
export function halvingWalks(loop: ts.IterationStatement, n: number, checker: ts.TypeChecker): { walks: number; name: string } | undefined {
  const counters = loopCounters(loop, checker);
  const vars = carriedWrites(loop, checker).filter(
    ({ d }) => d.initializer !== undefined && constEval(d.initializer, checker) !== undefined,
  );
  if (vars.length < 2) return undefined;
  const set = new Set(vars.map((x) => x.v));
  const known = new Set([...counters, ...set]);
  // Locals of the body computed from them (`const mid = (lo + hi) >> 1`) count as them.
  const derived = new Set<ts.Symbol>();
  const writes: ts.BinaryExpression[] = [];
  let ok = true;
  const st: ts.Node[] = [loop.statement];
  while (st.length && ok) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isVariableDeclaration(x) && ts.isIdentifier(x.name) && x.initializer && readsOnly(x.initializer, known, checker)) {
      const s = checker.getSymbolAtLocation(x.name);
      if (s) {
        known.add(s);
        derived.add(s);
      }
    }
    const target = writeTarget(x);
    const sym = target && ts.isIdentifier(target) ? checker.getSymbolAtLocation(target) : undefined;
    if (sym && set.has(sym)) {
      if (!ts.isBinaryExpression(x) || x.operatorToken.kind !== K.EqualsToken || !readsOnly(x.right, known, checker)) ok = false;
      else writes.push(x);
    }
    // In source order, so a local is known before the writes that read it.
    const kids: ts.Node[] = [];
    ts.forEachChild(x, (c) => {
      kids.push(c);
    });
    for (let k = kids.length - 1; k >= 0; k--) st.push(kids[k]!);
  }
  if (!ok) return undefined;
  const fromTwo = (e: ts.Expression): boolean => {
    const read = new Set<ts.Symbol>();
    const s2: ts.Node[] = [e];
    while (s2.length) {
      const x = s2.pop()!;
      if (ts.isIdentifier(x)) {
        const s = checker.getSymbolAtLocation(x);
        if (s && (set.has(s) || derived.has(s))) read.add(s);
      }
      ts.forEachChild(x, (c) => {
        s2.push(c);
      });
    }
    return [...read].some((s) => derived.has(s)) || read.size >= 2;
  };
  const onData = writes.some((w) => fromTwo(w.right) && guards(w, loop).some((g) => !readsOnly(g, known, checker)));
  if (!onData || !usesExactly([loop.statement], new Set([...set, ...derived]), checker, false)) return undefined;
  return { walks: n + Math.min(2 ** (n + 1) / 5, 1e12), name: vars[0]!.v.name };
}
