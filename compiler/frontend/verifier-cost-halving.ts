// Halvings, for the verifier-cost estimate (verifier-cost.ts): a loop that sets two or more
// variables from one another under a condition on data (a binary search: `mid = (lo + hi) >> 1`,
// then `lo = mid + 1` or `hi = mid` by a compare with a value read from a map). They start at
// constants and every write computes from constants and each other, so the verifier knows them
// exactly on every path; the paths hold different pairs, which a map key, an index or a compare
// makes it keep apart, and each trip doubles them. Nothing here is exact; it feeds a warning.

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { branchlessCount } from "./verifier-cost-branchless.js";
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
  let vars = carriedWrites(loop, checker).filter(({ d }) => d.initializer !== undefined && constEval(d.initializer, checker) !== undefined);
  // Down to the variables set only from one another (a count beside them, `rights++`, drops out).
  for (;;) {
    const found = scan(loop, new Set(vars.map((x) => x.v)), counters, checker);
    const kept = vars.filter(({ v }) => !found.bad.has(v));
    if (kept.length === vars.length) {
      if (vars.length < 2) return undefined;
      // Computed without a branch (if-convert, a binary search's `lo`/`hi`), they are ranges: one path.
      if (vars.every(({ v }) => branchlessCount(v, loop, checker))) return undefined;
      const { writes, known, derived } = found;
      const set = new Set(vars.map((x) => x.v));
      const fromTwo = (e: ts.Expression): boolean => {
        const read = new Set<ts.Symbol>();
        const s2: ts.Node[] = [e];
        while (s2.length) {
          const x = s2.pop()!;
          if (ts.isIdentifier(x)) {
            const sym = checker.getSymbolAtLocation(x);
            if (sym && (set.has(sym) || derived.has(sym))) read.add(sym);
          }
          ts.forEachChild(x, (c) => {
            s2.push(c);
          });
        }
        return [...read].some((sym) => derived.has(sym)) || read.size >= 2;
      };
      const onData = writes.some((w) => fromTwo(w.right) && guards(w, loop).some((g) => !readsOnly(g, known, checker)));
      if (!onData || !usesExactly([loop.statement], new Set([...set, ...derived]), checker, false)) return undefined;
      return { walks: n + Math.min(2 ** (n + 1) / 5, 1e12), name: vars[0]!.v.name };
    }
    vars = kept;
  }
}

/**
 * The writes of `set` in `loop`, the variables known from them (counters, `set`, locals computed
 * from those), and the members of `set` with a write that is not `v = e` of known values.
 */
function scan(
  loop: ts.IterationStatement,
  set: ReadonlySet<ts.Symbol>,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): { writes: ts.BinaryExpression[]; known: Set<ts.Symbol>; derived: Set<ts.Symbol>; bad: Set<ts.Symbol> } {
  const known = new Set([...counters, ...set]);
  // Locals of the body computed from them (`const mid = (lo + hi) >> 1`) count as them.
  const derived = new Set<ts.Symbol>();
  const writes: ts.BinaryExpression[] = [];
  const bad = new Set<ts.Symbol>();
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isVariableDeclaration(x) && ts.isIdentifier(x.name) && x.initializer && readsOnly(x.initializer, known, checker)) {
      const sym = checker.getSymbolAtLocation(x.name);
      if (sym) {
        known.add(sym);
        derived.add(sym);
      }
    }
    const target = writeTarget(x);
    const sym = target && ts.isIdentifier(target) ? checker.getSymbolAtLocation(target) : undefined;
    if (sym && set.has(sym)) {
      if (!ts.isBinaryExpression(x) || x.operatorToken.kind !== K.EqualsToken || !readsOnly(x.right, known, checker)) bad.add(sym);
      else writes.push(x);
    }
    // In source order, so a local is known before the writes that read it.
    const kids: ts.Node[] = [];
    ts.forEachChild(x, (c) => {
      kids.push(c);
    });
    for (let k = kids.length - 1; k >= 0; k--) st.push(kids[k]!);
  }
  return { writes, known, derived, bad };
}
