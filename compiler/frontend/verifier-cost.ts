// A compile-time estimate of how many instructions the kernel verifier will process for a program,
// to warn before the kernel refuses it with "BPF program is too large. Processed 1000001 insn".
//
// The verifier walks every path, pruning a path when an equivalent state was seen at the same
// instruction. Two facts dominate its cost:
//   - a bounded loop is simulated iteration by iteration: its body costs trips x (body);
//   - a comparison on a value the verifier does not know splits the state in two with different
//     ranges, which do not prune against each other; after k such branches about k+1 distinct
//     states travel on (ranges of one value nest, so it is k+1, not 2^k), and inside a loop the
//     states from every branch of the body arrive at each iteration.
// The model walks the program's statements (and the functions it calls) with that path count and
// the product of the enclosing loops' trip counts, weighs each statement by its expression nodes,
// and scales node weight to the program's real instruction count. It is an estimate: calibrated on
// a 64-iteration loop of n comparisons (n = 100 processes 999,016 instructions, n = 101 is refused).

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";

/** The kernel's BPF_COMPLEXITY_LIMIT_INSNS. */
export const VERIFIER_INSN_LIMIT = 1_000_000;

const K = ts.SyntaxKind;

export interface CostEstimate {
  /** Estimated verifier instruction count. */
  steps: number;
  /**
   * The same with no states multiplying outside loops. Straight-line branches often re-merge (the
   * verifier prunes equal states: 600 copies of `if (x > 3) x--` cost it 3,019 instructions), so
   * only this part, where loops multiply, is firm enough to refuse a program.
   */
  loopSteps: number;
  /** The loop that multiplies most, for the message. */
  hottest?: ts.Node;
}

/** Estimate for a program whose body is `fn` and whose final code has `insnCount` instructions. */
export function estimateVerifierCost(fn: ts.ArrowFunction, checker: ts.TypeChecker, insnCount: number): CostEstimate {
  const w = new Walker(checker, Infinity);
  w.body(fn.body, 1, 1);
  const firm = new Walker(checker, 1);
  firm.body(fn.body, 1, 1);
  const scale = w.flatWeight > 0 ? insnCount / w.flatWeight : 1;
  return { steps: Math.round(w.cost * scale), loopSteps: Math.round(firm.cost * scale), hottest: w.hottest };
}

class Walker {
  cost = 0;
  /** Weight at one path and one trip: what the instruction count scales against. */
  flatWeight = 0;
  hottest?: ts.Node;
  private hottestTrips = 1;
  private readonly active = new Set<ts.Node>();
  /** Inside a loop, states from every branch of the body already arrive: no more than this many. */
  private cap: number;

  /** `outside`: the most states that travel outside loops. */
  constructor(
    private readonly checker: ts.TypeChecker,
    outside: number,
  ) {
    this.cap = outside;
  }

  /** Walks `node` with `paths` distinct states arriving and `trips` iterations; returns the paths leaving. */
  body(node: ts.Node, paths: number, trips: number): number {
    if (ts.isBlock(node)) {
      let p = paths;
      for (const s of node.statements) p = this.stmt(s, p, trips);
      return p;
    }
    if (ts.isStatement(node)) return this.stmt(node, paths, trips);
    return this.expr(node, paths, trips);
  }

  private stmt(s: ts.Statement, paths: number, trips: number): number {
    if (ts.isIfStatement(s)) {
      let p = this.expr(s.expression, paths, trips);
      const thenP = this.body(s.thenStatement, Math.max(1, p / 2), trips);
      const elseP = s.elseStatement ? this.body(s.elseStatement, Math.max(1, p / 2), trips) : p / 2;
      // A side that always returns sends no state on.
      const thenOn = returns(s.thenStatement) ? 0 : thenP;
      const elseOn = s.elseStatement && returns(s.elseStatement) ? 0 : elseP;
      p = thenOn + elseOn + (thenOn > 0 && elseOn > 0 ? 1 : 0);
      return Math.max(1, Math.min(p, this.cap));
    }
    if (ts.isForStatement(s) || ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      const n = tripCount(s, this.checker) ?? 1;
      if (ts.isForStatement(s) && s.initializer) this.expr(s.initializer, paths, trips);
      // Steady state: the states split by every branch of the body reach each iteration.
      const branches = countBranches(s.statement);
      const inner = paths + branches;
      if (trips * n > this.hottestTrips) {
        this.hottestTrips = trips * n;
        this.hottest = s;
      }
      if (ts.isForStatement(s) && s.condition) this.expr(s.condition, inner, trips * n);
      if (ts.isForStatement(s) && s.incrementor) this.expr(s.incrementor, inner, trips * n);
      const saved = this.cap;
      this.cap = inner;
      this.body(s.statement, inner, trips * n);
      this.cap = saved;
      return Math.min(inner, saved);
    }
    if (ts.isSwitchStatement(s)) {
      let p = this.expr(s.expression, paths, trips);
      let out = 0;
      for (const c of s.caseBlock.clauses) {
        let q = p;
        for (const st of c.statements) q = this.stmt(st, q, trips);
        out += q;
        p += 1;
      }
      return Math.max(1, out);
    }
    if (ts.isLabeledStatement(s)) return this.stmt(s.statement, paths, trips);
    if (ts.isBlock(s)) return this.body(s, paths, trips);
    this.weigh(s, paths, trips);
    this.calls(s, paths, trips);
    return Math.min(paths + countBranches(s), this.cap);
  }

  private expr(e: ts.Node, paths: number, trips: number): number {
    this.weigh(e, paths, trips);
    this.calls(e, paths, trips);
    return Math.min(paths + countBranches(e), this.cap);
  }

  private weigh(node: ts.Node, paths: number, trips: number): void {
    const w = nodeWeight(node);
    this.cost += w * paths * trips;
    this.flatWeight += w;
  }

  /** Calls of module-level functions: inlined, or verified at each call site (@noinline). */
  private calls(node: ts.Node, paths: number, trips: number): void {
    const stack: ts.Node[] = [node];
    while (stack.length) {
      const n = stack.pop()!;
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
        const d = this.checker.getSymbolAtLocation(n.expression)?.valueDeclaration;
        if (d && ts.isFunctionDeclaration(d) && d.body && !this.active.has(d) && !d.getSourceFile().isDeclarationFile) {
          this.active.add(d);
          this.body(d.body, paths, trips);
          this.active.delete(d);
        }
      }
      ts.forEachChild(n, (c) => {
        if (!ts.isFunctionLike(c)) stack.push(c);
      });
    }
  }
}

/** Expression nodes that become instructions, in `node` without the statements nested in it. */
function nodeWeight(node: ts.Node): number {
  let w = 0;
  const stack: ts.Node[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (n !== node && (ts.isStatement(n) || ts.isFunctionLike(n) || ts.isTypeNode(n))) continue;
    if (
      ts.isBinaryExpression(n) ||
      ts.isCallExpression(n) ||
      ts.isPrefixUnaryExpression(n) ||
      ts.isPostfixUnaryExpression(n) ||
      ts.isPropertyAccessExpression(n) ||
      ts.isElementAccessExpression(n) ||
      ts.isConditionalExpression(n) ||
      ts.isVariableDeclaration(n) ||
      ts.isReturnStatement(n) ||
      ts.isExpressionStatement(n)
    )
      w++;
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  return Math.max(1, w);
}

/** Conditional branches in `node` (if, ?:, &&, ||, switch cases, loop tests). */
function countBranches(node: ts.Node): number {
  let b = 0;
  const stack: ts.Node[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (ts.isFunctionLike(n) && n !== node) continue;
    if (ts.isIfStatement(n) && !returns(n.thenStatement)) b++;
    else if (ts.isConditionalExpression(n) || ts.isCaseClause(n)) b++;
    else if (ts.isBinaryExpression(n) && (n.operatorToken.kind === K.AmpersandAmpersandToken || n.operatorToken.kind === K.BarBarToken))
      b++;
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  return b;
}

/** Does the statement end every path in `return`, `break` or `continue`? */
function returns(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.length > 0 && returns(s.statements[s.statements.length - 1]);
  if (ts.isIfStatement(s)) return !!s.elseStatement && returns(s.thenStatement) && returns(s.elseStatement);
  return false;
}

/** Iterations of `for (let i = A; i < N; i += S)` with constant A, N, S; undefined otherwise. */
function tripCount(s: ts.IterationStatement, checker: ts.TypeChecker): number | undefined {
  if (!ts.isForStatement(s) || !s.initializer || !s.condition || !ts.isVariableDeclarationList(s.initializer)) return undefined;
  const d = s.initializer.declarations[0];
  if (!d?.initializer || !ts.isBinaryExpression(s.condition)) return undefined;
  const start = constEval(d.initializer, checker);
  let end = constEval(s.condition.right, checker);
  if (start === undefined || end === undefined) return undefined;
  // The bound converts to the counter's type, as the comparison does: `y < -1` on a u32 runs to
  // 0xffffffff (found by the hostile fuzzer: the kernel gave up, the estimate said one trip).
  const width = d.type ? /^([ui])(8|16|32|64)$/.exec(d.type.getText()) : null;
  if (width) end = width[1] === "u" ? BigInt.asUintN(Number(width[2]), end) : BigInt.asIntN(Number(width[2]), end);
  let step = 1n;
  const inc = s.incrementor;
  if (
    inc &&
    ts.isBinaryExpression(inc) &&
    (inc.operatorToken.kind === K.PlusEqualsToken || inc.operatorToken.kind === K.MinusEqualsToken)
  ) {
    step = constEval(inc.right, checker) ?? 1n;
  }
  if (step <= 0n) step = 1n;
  const span = end > start ? end - start : start - end;
  const op = s.condition.operatorToken.kind;
  const inclusive = op === K.LessThanEqualsToken || op === K.GreaterThanEqualsToken ? 1n : 0n;
  const n = (span + inclusive + step - 1n) / step;
  return Number(n > 1_000_000n ? 1_000_000n : n);
}
