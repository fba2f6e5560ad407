// Forked ceilings, for the verifier-cost estimate (verifier-cost.ts). A loop whose counter the
// verifier keeps exact (a packet offset), that calls a helper on every trip, and that forks on data
// into two ways of leaving: one side stops at a constant bound of the counter (`if (k >= 79) break;`,
// decided on every trip), the other on data (`if (b > 300) break;`, or `k >= b`, not decided). The
// side the verifier pushes at the fork, walked after everything past it, meets stored states only
// erratically: inside a loop the kernel stores a state only every 20 jumps or 100 instructions and
// drops those that keep missing, and the trips past the bound leave the undecided side alone, whose
// pushed exits churn the states the earlier trips stored. So the pushed sides of the trips before
// the bound walk on through later trips, and push more of their own.
//
// Measured on Linux 6.18 (test/verifier-cost-forks.test.ts), 33 trips of `if (acc <= p.x) { if (k >=
// C) break; } else if (b > 300) break;` with a map update after it: 1,058 and 1,956 processed with
// the bound past 1 and 3 trips, 6,954 past 6, 25,506 past 8, 93,954 past 10, 344,706 past 12, refused
// past 14 to 20, about 2,100 to 2,500 past 22 and more. The same shape as `if (k >= i16(acc <= p.x ?
// C : b)) break;`: refused past 19 and 21 of 33 trips, 8,883 past 23; of 23 trips, 67,058 past 10
// and 1,292 past 12; of 29 trips, refused past 16 and 1,772 past 18; of 39, refused past 26 and
// 6,158 past 28; of 49 trips, 8,979 to 19,638 at every bound. Without the helper call, or with only
// one side leaving, 700 to 2,500 everywhere. Nothing here predicts which: it feeds a warning, no
// estimate.

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { counterSpan, loopTrips } from "./verifier-cost-loops.js";
import { skipParens } from "./verifier-cost-known.js";
import { usesExactly } from "./verifier-cost-precision.js";
import { isIntCast } from "./verifier-cost-ranges.js";
import { callsHelper } from "./verifier-cost-sides.js";
import { loopCounters, readsOnly } from "./verifier-cost-writes.js";

const K = ts.SyntaxKind;

/**
 * Trips before the bound, and after it, from which the walks were seen to run away (above): past
 * 100,000 processed from 10 trips before it, never with 11 or fewer after it (of 23 to 49 trips).
 */
const MIN_BEFORE = 10;
const MIN_AFTER = 12;

export interface ForkedCeiling {
  /** The `if` (or the `?:`) that forks. */
  fork: ts.Node;
  /** Trips the bound lets both sides go on, and the trips after it. */
  before: number;
  after: number;
}

/** The first forked ceiling in `loop` (a `for` of known trips) with enough trips on both sides of its bound. */
export function forkedCeiling(loop: ts.IterationStatement, checker: ts.TypeChecker): ForkedCeiling | undefined {
  if (!ts.isForStatement(loop)) return undefined;
  // The trip count first: it rules out most loops before the walks over the body.
  const trips = loopTrips(loop, checker)?.trips ?? 0;
  if (trips < MIN_BEFORE + MIN_AFTER) return undefined;
  const span = counterSpan(loop, checker);
  if (!span || !usesExactly([loop.statement], new Set([span.sym]), checker, true) || !callsHelper(loop.statement, checker))
    return undefined;
  const counters = loopCounters(loop, checker);
  const [first, last] = span.values as [bigint, bigint];
  const step = (last - first) / BigInt(trips - 1);
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x) || ts.isIterationStatement(x, false)) continue;
    const bound = ts.isIfStatement(x) ? ceilingOf(x, span.sym, counters, checker) : undefined;
    if (bound) {
      // Trips on which the bound does not stop the counter yet.
      let before = 0;
      for (let t = 0; t < trips; t++) {
        const k = first + BigInt(t) * step;
        if (!bound.stops(k)) before++;
        else break;
      }
      const after = trips - before;
      if (before >= MIN_BEFORE && after >= MIN_AFTER) return { fork: x, before, after };
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return undefined;
}

/**
 * The constant bound of `if` x when it is a forked ceiling of counter `k`: `if (k REL (data ? C :
 * D)) break;` (through parentheses and integer conversions), or `if (data) { … if (k REL C) break;
 * … } else { … if (data) break; … }` (either way round).
 */
function ceilingOf(
  x: ts.IfStatement,
  k: ts.Symbol,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): { stops: (v: bigint) => boolean } | undefined {
  const data = (e: ts.Expression): boolean => !readsOnly(e, counters, checker);
  if (stopsLoop(x.thenStatement) && !x.elseStatement) {
    const rel = relation(x.expression, k, checker);
    if (!rel) return undefined;
    let e = rel.other;
    for (;;) {
      e = skipParens(e);
      if (ts.isCallExpression(e) && isIntCast(e) && e.arguments.length === 1) e = e.arguments[0]!;
      else break;
    }
    if (!ts.isConditionalExpression(e) || !data(e.condition)) return undefined;
    const a = constEval(e.whenTrue, checker);
    const b = constEval(e.whenFalse, checker);
    const c = a ?? b;
    if (c === undefined || (a !== undefined && b !== undefined)) return undefined;
    return { stops: (v) => rel.test(v, c) };
  }
  if (!x.elseStatement || !data(x.expression)) return undefined;
  for (const [bounded, other] of [
    [x.thenStatement, x.elseStatement],
    [x.elseStatement, x.thenStatement],
  ] as const) {
    const c = counterBreak(bounded, k, checker);
    if (c && dataBreak(other, counters, checker)) return c;
  }
  return undefined;
}

/** `if (k REL C) break;` among `s`'s statements: the test it makes of the counter's value. */
function counterBreak(s: ts.Statement, k: ts.Symbol, checker: ts.TypeChecker): { stops: (v: bigint) => boolean } | undefined {
  for (const st of ts.isBlock(s) ? s.statements : [s]) {
    if (!ts.isIfStatement(st) || st.elseStatement || !stopsLoop(st.thenStatement)) continue;
    const rel = relation(st.expression, k, checker);
    const c = rel && constEval(rel.other, checker);
    if (rel && c !== undefined) return { stops: (v) => rel.test(v, c) };
  }
  return undefined;
}

/** `if (data) break;` among `s`'s statements. */
function dataBreak(s: ts.Statement, counters: ReadonlySet<ts.Symbol>, checker: ts.TypeChecker): boolean {
  return (ts.isBlock(s) ? s.statements : [s]).some(
    (st) => ts.isIfStatement(st) && !st.elseStatement && stopsLoop(st.thenStatement) && !readsOnly(st.expression, counters, checker),
  );
}

/** `k REL e` (either way round): e, and the relation's truth for a value of k and of e. */
function relation(
  c: ts.Expression,
  k: ts.Symbol,
  checker: ts.TypeChecker,
): { other: ts.Expression; test: (v: bigint, e: bigint) => boolean } | undefined {
  c = skipParens(c);
  if (!ts.isBinaryExpression(c)) return undefined;
  const op = c.operatorToken.kind;
  const cmp = COMPARE[op];
  if (!cmp) return undefined;
  const isK = (e: ts.Expression): boolean => {
    const id = skipParens(e);
    return ts.isIdentifier(id) && checker.getSymbolAtLocation(id) === k;
  };
  if (isK(c.left)) return { other: c.right, test: (v, e) => cmp(v, e) };
  if (isK(c.right)) return { other: c.left, test: (v, e) => cmp(e, v) };
  return undefined;
}

const COMPARE: Partial<Record<ts.SyntaxKind, (a: bigint, b: bigint) => boolean>> = {
  [K.LessThanToken]: (a, b) => a < b,
  [K.LessThanEqualsToken]: (a, b) => a <= b,
  [K.GreaterThanToken]: (a, b) => a > b,
  [K.GreaterThanEqualsToken]: (a, b) => a >= b,
  [K.EqualsEqualsEqualsToken]: (a, b) => a === b,
  [K.EqualsEqualsToken]: (a, b) => a === b,
};

/** Does `s` end in an unlabelled `break` (or a `return`)? */
const stopsLoop = (s: ts.Statement): boolean =>
  (ts.isBreakStatement(s) && !s.label) ||
  ts.isReturnStatement(s) ||
  (ts.isBlock(s) && s.statements.length > 0 && stopsLoop(s.statements[s.statements.length - 1]!));
