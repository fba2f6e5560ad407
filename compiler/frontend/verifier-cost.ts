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

import { sizeOf } from "../../common/ctypes.js";
import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { TypeMapper } from "./types.js";

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
  /**
   * Branch states the verifier leaves pending on one path through the worst loop: it pushes the
   * other side of every comparison it cannot decide and walks on, so a loop of n trips with b such
   * comparisons per trip stacks n x b states before the first is popped. Past
   * BPF_COMPLEXITY_LIMIT_JMP_SEQ (8,192) the load fails: "The sequence of 8193 jumps is too complex".
   */
  pendingBranches: number;
  /** The loop that leaves them. */
  pendingLoop?: ts.Node;
  /** A loop the verifier can never see end (an infinite loop to it), and why. */
  unbounded?: { loop: ts.Node; reason: string };
  /** A loop whose trip count depends on data, nested in a loop that runs more than once. */
  nestedDataLoop?: ts.Node;
  /**
   * Set when `steps` passes the limit only because of the states multiplied by an inner loop's
   * exits (see Walker.multiply): the inner loop, how many distinct exit states it leaves per trip of
   * the enclosing loop, and that loop's trip count.
   */
  nestedExits?: { loop: ts.Node; exits: number; outerTrips: number; self?: string };
  /**
   * Set when `steps` passes the limit only because the code after a loop is walked once per exit
   * of it (see growsPacketRange): the loop and its number of distinct exit states.
   */
  exitWalks?: { loop: ts.Node; exits: number };
}

/**
 * A loop being walked: its trip count, the factor its states multiply by per trip, and the loop
 * that multiplies them (an inner loop's exits, or the loop itself changing `self` on some trips).
 */
interface Frame {
  trips: number;
  factor: number;
  inner?: ts.Node;
  exits: number;
  self?: string;
}

/** Where compile.ts starts warning (TSBPF3010/3012). */
const NEAR_LIMIT = 0.9 * VERIFIER_INSN_LIMIT;

/** The kernel's BPF_COMPLEXITY_LIMIT_JMP_SEQ (kernel/bpf/verifier.c). */
export const VERIFIER_JMP_SEQ_LIMIT = 8192;

/** Estimate for a program whose body is `fn` and whose final code has `insnCount` instructions. */
export function estimateVerifierCost(fn: ts.ArrowFunction, checker: ts.TypeChecker, insnCount: number): CostEstimate {
  const w = new Walker(checker, Infinity, false);
  w.body(fn.body, 1, 1);
  const firm = new Walker(checker, 1, true);
  firm.body(fn.body, 1, 1);
  const scale = w.flatWeight > 0 ? insnCount / w.flatWeight : 1;
  const steps = Math.round(w.cost * scale + w.exitSteps);
  const unmultiplied = Math.round((w.cost - w.multipliedCost) * scale + w.exitSteps);
  const unwalked = Math.round((w.cost - w.exitWalkCost) * scale + w.exitSteps);
  return {
    steps,
    nestedExits: w.multiplied && unmultiplied <= NEAR_LIMIT ? w.multiplied : undefined,
    exitWalks: w.exitWalked && unwalked <= NEAR_LIMIT ? w.exitWalked : undefined,
    loopSteps: Math.round(firm.cost * scale + firm.exitSteps),
    hottest: w.hottest,
    pendingBranches: w.pending,
    pendingLoop: w.pendingLoop,
    unbounded: w.unbounded,
    nestedDataLoop: w.nestedDataLoop,
  };
}

class Walker {
  cost = 0;
  /** Weight at one path and one trip: what the instruction count scales against. */
  flatWeight = 0;
  hottest?: ts.Node;
  pending = 0;
  pendingLoop?: ts.Node;
  /** Walks of what follows a loop whose trip count depends on data (one per possible exit). */
  private tailMul = 1;
  /** Walks of what follows a loop whose exits know different packet lengths (growsPacketRange). */
  private exitMul = 1;
  /** Cost added by exitMul, and the first loop that set it. */
  exitWalkCost = 0;
  exitWalked?: { loop: ts.Node; exits: number };
  /** Instructions (not weight) of the exit paths of loops whose trip count depends on data. */
  exitSteps = 0;
  /**
   * The first loop whose trip count depends on data inside a loop that runs more than once. Its
   * exits reach the enclosing loop's test, where the verifier stores few states while that loop is
   * in progress, so they may not prune: each walks the rest of the enclosing trips, inner loops
   * included (measured: 7 outer trips of a 63-trip inner `while` are refused, 3 load with 2,164
   * processed; 63 outer trips of a 15-trip inner loop load). Not modelled: a warning.
   */
  nestedDataLoop?: ts.Node;
  /** The first loop the verifier can never see end, and why. */
  unbounded?: { loop: ts.Node; reason: string };
  /** Cost added by multiplied exit states (see multiply), and the inner loop that adds most. */
  multipliedCost = 0;
  multiplied?: { loop: ts.Node; exits: number; outerTrips: number; self?: string };
  private multipliedMost = 0;
  /** The enclosing loops being walked: trip count, and the exit states their inner loops multiply by. */
  private readonly frames: Frame[] = [];
  /** Variables of a loop whose every exit walks the rest: each walk knows their values. */
  private readonly decided = new Set<ts.Symbol>();
  private hottestTrips = 1;
  private readonly active = new Set<ts.Node>();
  /** Inside a loop, states from every branch of the body already arrive: no more than this many. */
  private cap: number;

  /** `outside`: the most states that travel outside loops. */
  /** `firm`: the estimate refusals rest on (no state multiplication by nested loop exits: only warned). */
  constructor(
    private readonly checker: ts.TypeChecker,
    outside: number,
    private readonly firm: boolean,
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
      if (this.decided.size > 0 && readsOnly(s.expression, this.decided, this.checker)) {
        // Walked once per exit of a loop, from a state where this is decided: one side, no split.
        const a = this.body(s.thenStatement, p, trips);
        const b = s.elseStatement ? this.body(s.elseStatement, p, trips) : p;
        return Math.max(1, Math.min(Math.max(returns(s.thenStatement) ? 0 : a, b), this.cap));
      }
      const tm0 = this.tailMul;
      const em0 = this.exitMul;
      const thenP = this.body(s.thenStatement, Math.max(1, p / 2), trips);
      const tm1 = this.tailMul;
      // Exits of a loop in one side walk what follows the `if`, not the other side.
      const em1 = this.exitMul;
      this.exitMul = em0;
      const elseP = s.elseStatement ? this.body(s.elseStatement, Math.max(1, p / 2), trips) : p / 2;
      const tm2 = this.tailMul;
      this.exitMul = Math.max(em1, this.exitMul);
      // A side that always returns sends no state on.
      let thenOn = returns(s.thenStatement) ? 0 : thenP;
      let elseOn = s.elseStatement && returns(s.elseStatement) ? 0 : elseP;
      let join = thenOn > 0 && elseOn > 0 ? 1 : 0;
      // A loop in one side whose every exit walks on (tailMul) multiplies only that side's states:
      // the other side's are walked once.
      if (tm1 > tm0 && tm2 === tm1) {
        elseOn /= tm1 / tm0;
        join /= tm1 / tm0;
      } else if (tm2 > tm1) {
        thenOn /= tm2 / tm1;
        join /= tm2 / tm1;
      }
      p = thenOn + elseOn + join;
      return Math.max(1, Math.min(p, this.cap));
    }
    if (ts.isForStatement(s) || ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      const lt = loopTrips(s, this.checker);
      const n = lt?.trips ?? 1;
      if (lt?.unbounded && !this.unbounded) this.unbounded = { loop: s, reason: lt.unbounded };
      if (lt?.dataDependent && trips > 1 && !this.nestedDataLoop) this.nestedDataLoop = s;
      if (ts.isForStatement(s) && s.initializer) this.expr(s.initializer, paths, trips);
      const pending = n * openBranches(s, this.checker);
      if (pending > this.pending) {
        this.pending = pending;
        this.pendingLoop = s;
      }
      // Steady state: the states split by every branch of the body reach each iteration.
      const branches = countBranches(s.statement);
      const inner = paths + branches;
      if (trips * n > this.hottestTrips) {
        this.hottestTrips = trips * n;
        this.hottest = s;
      }
      if (ts.isForStatement(s) && s.condition) this.expr(s.condition, inner, trips * n);
      if (ts.isForStatement(s) && s.incrementor) this.expr(s.incrementor, inner, trips * n);
      if (!ts.isForStatement(s)) this.expr(s.expression, inner, trips * n);
      const saved = this.cap;
      this.cap = inner;
      const frame: Frame = { trips: n, factor: 1, inner: undefined, exits: 1 };
      this.frames.push(frame);
      const before = this.cost;
      this.body(s.statement, inner, trips * n);
      this.frames.pop();
      this.cap = saved;
      if (!this.firm && n >= 2) {
        // Warnings only, like noteExits: an upper estimate from measured shapes.
        const own = selfExactFactor(s, lt?.counter ?? forCounter(s, this.checker), this.checker);
        if (own.factor > 1) {
          frame.factor = Math.min(frame.factor * own.factor, 1e6);
          if (!frame.inner) {
            frame.inner = s;
            frame.exits = own.factor;
            frame.self = own.name;
          }
        }
      }
      this.multiply(frame, this.cost - before);
      this.noteExits(s, lt, n);
      // A trip count that depends on data: the loop may end after any trip, and the verifier walks
      // the exit path from each of those exits up to a pruning point where the exit state matches
      // one stored there. The back end makes every such exit a pruning point (a jump target: the
      // loop guard, a `break`, or the `ja +0` of layout.ts's exitCheckpoints), so an exit costs a
      // few instructions when the exits' states differ only in what later code never needs
      // exactly. A variable the loop changes that later code compares, indexes with or passes as a
      // key keeps every exit state distinct: then the whole rest of the program is walked once per
      // trip. The firm estimate counts that only past MAX_TRIPS, where the range analysis cannot
      // be what limits it.
      if (lt?.dataDependent) {
        this.exitSteps += Math.min(trips * n * paths * EXIT_WALK, 1e12);
        if (preciseAfter(s, lt.counter, this.checker) || n > MAX_TRIPS) {
          this.tailMul = Math.min(this.tailMul * (this.firm ? n : this.exitStates(s, lt.counter, n)), 1e12);
          for (const v of loopWrites(s, this.checker)) this.decided.add(v);
          // Each walk of the rest starts from one exit state, whose loop variables are as the
          // trips left them: known values, not ranges, so their comparisons are decided.
          return 1;
        }
      }
      if (!this.firm && n >= 2 && this.frames.length === 0 && growsPacketRange(s, this.checker) && packetAfter(s, this.checker)) {
        // A second such loop does not multiply the first's walks: an exit of the second holds the
        // larger of the two lengths, so most combinations repeat one (seed 20261205: 28 then 38
        // trips load with 136,231, where a product put it at 1.2M).
        const exits = this.exitStates(s, lt?.counter ?? forCounter(s, this.checker), n) + 1;
        this.exitMul = Math.max(this.exitMul, exits);
        this.exitWalked ??= { loop: s, exits };
      }
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

  /**
   * An inner loop that can end early (a `break` on data: a failed packet read, a comparison) leaves
   * one exit state per trip it ended after. When it writes a variable that the enclosing loop or
   * later code adds to a pointer (a packet offset, an array index: the verifier marks it precise),
   * those states differ in that variable's range and do not prune each other at the enclosing
   * loop's head, and each walks the rest of the enclosing loop, whose next inner loop splits it
   * again: with E exit states, trip k of the enclosing loop is walked up to about E^k times (the log
   * of the fuzzer's seed-21 program: `acc0` shifted by 0 to 6, 190 walks of a 4-trip outer loop's
   * head). Measured (test/verifier-cost-nested.test.ts): the verifier's count grows per outer trip
   * by about E - 1 with a break on a failed packet read, about E/2 with breaks on comparisons only,
   * less in later trips (states that repeat a sum prune). Only the warning uses those rates (a
   * refusal does not count this at all). Data-started inner loops are left to TSBPF3011.
   */
  private noteExits(loop: ts.IterationStatement, lt: ReturnType<typeof loopTrips>, n: number): void {
    const outer = this.frames[this.frames.length - 1];
    // Warnings only: the rates are fitted to measured shapes, and the 10,000-program differential
    // run found a program they put at 4.5M that the kernel loads; a refusal must be sure.
    if (this.firm) return;
    if (!outer || outer.trips < 2 || !lt || lt.dataDependent || n < 2) return;
    const breaks = dataBreaks(loop, this.checker);
    if (breaks.all === 0) return;
    const counter = forCounter(loop, this.checker) ?? lt.counter;
    // How the variables the enclosing loop needs exactly change: on every trip (n + 1 exit values),
    // under a condition on data (each exit may hold any count up to its trip: ~n^2/2 states), or only
    // under a condition on loop counters (a few values; measured: no blow-up, 8 x 16 trips load).
    let kind: WriteKind | undefined;
    for (const v of loopWrites(loop, this.checker))
      if (
        v !== counter &&
        !setsOnlyConstants(loop, v, this.checker) &&
        !wholeRangeStart(loop, v, this.checker) &&
        preciseAfter(loop, counter, this.checker, true, v)
      )
        kind = worse(kind, writeKind(loop, v, this.checker));
    if (!kind || kind === "counter") return;
    const exits = kind === "data" ? ((n + 1) * (n + 2)) / 2 : n + 1;
    // Measured per outer trip: with a break on a failed packet read the count grows by about E - 1
    // (the inner trip count when every trip writes); with breaks on comparisons only, by about E/2
    // (more exits repeat a state).
    const grow = breaks.packet > 0 ? exits - 1 : 1 + (exits - 1) / 2;
    outer.factor = Math.min(outer.factor * grow, 1e6);
    if (exits > outer.exits) {
      outer.exits = exits;
      outer.inner = loop;
    }
  }

  /**
   * Distinct exit states of a loop whose trip count depends on data, for the warning: one per trip,
   * or, when a variable later code needs exactly is changed only under a condition on data (the
   * fuzzer's `acc0 -= 31` on one side of a `?:`, seed 20261206, compared after the loop), one per
   * trip and count of changes: ~n^2/2.
   */
  private exitStates(loop: ts.IterationStatement, counter: ts.Symbol | undefined, n: number): number {
    for (const v of loopWrites(loop, this.checker))
      if (v !== counter && preciseAfter(loop, counter, this.checker, false, v) && writeKind(loop, v, this.checker) === "data")
        return ((n + 1) * (n + 2)) / 2;
    return n;
  }

  /** An enclosing loop's body cost `walked` (one walk per trip) becomes one walk per multiplied state. */
  private multiply(frame: Frame, walked: number): void {
    if (frame.factor <= 1 || frame.trips < 2 || !frame.inner) return;
    const f = frame.factor;
    const n = frame.trips;
    const walks = Math.min((f ** n - 1) / (f - 1), 1e12);
    const extra = (walked / n) * (walks - n);
    this.cost += extra;
    this.multipliedCost += extra;
    if (extra > this.multipliedMost) {
      this.multipliedMost = extra;
      this.multiplied = { loop: frame.inner, exits: frame.exits, outerTrips: n, self: frame.self };
    }
  }

  private expr(e: ts.Node, paths: number, trips: number): number {
    this.weigh(e, paths, trips);
    this.calls(e, paths, trips);
    return Math.min(paths + countBranches(e), this.cap);
  }

  private weigh(node: ts.Node, paths: number, trips: number): void {
    const w = nodeWeight(node);
    const walked = w * paths * trips * this.tailMul;
    this.cost += walked * this.exitMul;
    this.exitWalkCost += walked * (this.exitMul - 1);
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
      (ts.isCallExpression(n) && !isIntCast(n)) ||
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

/** `u32(x)`, `i16(x)`, ...: a conversion, at most a shift pair, mostly nothing. */
const isIntCast = (n: ts.CallExpression): boolean => ts.isIdentifier(n.expression) && /^[ui](8|16|32|64)$/.test(n.expression.text);

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

const K_REL = new Set([
  K.LessThanToken,
  K.LessThanEqualsToken,
  K.GreaterThanToken,
  K.GreaterThanEqualsToken,
  K.ExclamationEqualsEqualsToken,
  K.ExclamationEqualsToken,
]);

interface IntT {
  signed: boolean;
  bits: number;
}
const wrapT = (t: IntT, v: bigint): bigint => (t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v));
const minT = (t: IntT): bigint => (t.signed ? -(1n << BigInt(t.bits - 1)) : 0n);
const maxT = (t: IntT): bigint => (t.signed ? (1n << BigInt(t.bits - 1)) - 1n : (1n << BigInt(t.bits)) - 1n);

/**
 * The integer type of a counter (`u32`, `i16`, ...), from its annotation or what tsc infers. Where
 * tsc only says `number` (`let x = u8(a) & 63`), the type the lowering gives it: C's usual
 * conversions over the operands (below 32 bits promotes to i32), i32 for a bare number.
 */
function intTypeOf(id: ts.Node, checker: ts.TypeChecker, depth = 0): IntT | undefined {
  const m = /^([ui])(8|16|32|64)$/.exec(checker.typeToString(checker.getTypeAtLocation(id)));
  if (m) return { signed: m[1] === "i", bits: Number(m[2]) };
  if (depth > 8) return undefined;
  let e: ts.Node = id;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) {
    const d = checker.getSymbolAtLocation(e)?.valueDeclaration;
    if (d && ts.isVariableDeclaration(d) && !d.type && d.initializer) return intTypeOf(d.initializer, checker, depth + 1);
    return undefined;
  }
  if (ts.isNumericLiteral(e)) return { signed: true, bits: 32 };
  if (ts.isPrefixUnaryExpression(e)) return promote(intTypeOf(e.operand, checker, depth + 1));
  if (ts.isBinaryExpression(e) && !K_REL.has(e.operatorToken.kind)) {
    const a = promote(intTypeOf(e.left, checker, depth + 1));
    const b = promote(intTypeOf(e.right, checker, depth + 1));
    const op = e.operatorToken.kind;
    // Shifts take the left operand's type.
    if (op === K.LessThanLessThanToken || op === K.GreaterThanGreaterThanToken || op === K.GreaterThanGreaterThanGreaterThanToken) return a;
    if (!a || !b) return a ?? b;
    if (a.bits !== b.bits) return a.bits > b.bits ? a : b;
    return a.signed ? b : a;
  }
  return undefined;
}
const promote = (t: IntT | undefined): IntT | undefined => (t && t.bits < 32 ? { signed: true, bits: 32 } : t);

/**
 * The type a counter is compared in against a constant bound: the counter's promoted type when the
 * bound fits there (literal adaptation), else C's usual conversions with the bound's literal type.
 */
function compareType(ct: IntT, bound: bigint): IntT {
  const p: IntT = ct.bits < 32 ? { signed: true, bits: 32 } : ct;
  if (bound >= minT(p) && bound <= maxT(p)) return p;
  const lit: IntT =
    bound >= -(1n << 31n) && bound < 1n << 31n
      ? { signed: true, bits: 32 }
      : bound < 1n << 63n
        ? { signed: true, bits: 64 }
        : { signed: false, bits: 64 };
  if (lit.bits !== p.bits) return lit.bits > p.bits ? lit : p;
  return p.signed ? lit : p;
}

/** Simulated iterations beyond which a loop counts as running its counter's whole range. */
const SIM_CAP = 1 << 17;

/**
 * Iterations of a counted loop from `start` (the counter wraps in its type `ct` and is compared in
 * `cmp`, counter on the left), at most SIM_CAP simulated, then the range over the step.
 */
function simulateTrips(start: bigint, step: bigint, bound: bigint, op: ts.SyntaxKind, ct: IntT, isDo: boolean): number {
  const cmp = compareType(ct, bound);
  const b = wrapT(cmp, bound);
  const holds = (i: bigint): boolean => {
    const a = wrapT(cmp, i);
    if (op === K.LessThanToken) return a < b;
    if (op === K.LessThanEqualsToken) return a <= b;
    if (op === K.GreaterThanToken) return a > b;
    if (op === K.GreaterThanEqualsToken) return a >= b;
    return a !== b;
  };
  let i = wrapT(ct, start);
  let n = 0;
  if (isDo) {
    n = 1;
    i = wrapT(ct, i + step);
  }
  while (holds(i)) {
    if (++n > SIM_CAP) {
      const span = maxT(ct) - minT(ct) + 1n;
      const abs = step < 0n ? -step : step;
      return Number(span / (abs === 0n ? 1n : abs));
    }
    i = wrapT(ct, i + step);
  }
  return n;
}

const FLIP: Partial<Record<ts.SyntaxKind, ts.SyntaxKind>> = {
  [K.LessThanToken]: K.GreaterThanToken,
  [K.LessThanEqualsToken]: K.GreaterThanEqualsToken,
  [K.GreaterThanToken]: K.LessThanToken,
  [K.GreaterThanEqualsToken]: K.LessThanEqualsToken,
};

/** `counter OP constant` (either way round), normalised to the counter on the left. */
function counterCondition(
  c: ts.Expression,
  checker: ts.TypeChecker,
): { id: ts.Identifier; sym: ts.Symbol; bound: bigint; op: ts.SyntaxKind } | undefined {
  while (ts.isParenthesizedExpression(c)) c = c.expression;
  if (!ts.isBinaryExpression(c) || !K_REL.has(c.operatorToken.kind)) return undefined;
  const op = c.operatorToken.kind;
  for (const [id, other, o] of [
    [c.left, c.right, op],
    [c.right, c.left, FLIP[op] ?? op],
  ] as const) {
    if (!ts.isIdentifier(id)) continue;
    const bound = constEval(other, checker);
    const sym = checker.getSymbolAtLocation(id);
    if (bound !== undefined && sym) return { id, sym, bound, op: o };
  }
  return undefined;
}

const isCounterOf = (e: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker): boolean =>
  ts.isIdentifier(e) && checker.getSymbolAtLocation(e) === sym;

/** The signed step of `i++`, `i--`, `i += k`, `i -= k` on `sym`; undefined for anything else. */
function stepOf(e: ts.Expression, sym: ts.Symbol, checker: ts.TypeChecker): bigint | undefined {
  if ((ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e)) && isCounterOf(e.operand, sym, checker)) {
    if (e.operator === K.PlusPlusToken) return 1n;
    if (e.operator === K.MinusMinusToken) return -1n;
  }
  if (ts.isBinaryExpression(e) && isCounterOf(e.left, sym, checker)) {
    const k = constEval(e.right, checker);
    if (k === undefined) return undefined;
    if (e.operatorToken.kind === K.PlusEqualsToken) return k;
    if (e.operatorToken.kind === K.MinusEqualsToken) return -k;
  }
  return undefined;
}

/** Does `n` assign, increment or decrement `sym`? */
function writes(n: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  let found = false;
  const stack: ts.Node[] = [n];
  while (stack.length && !found) {
    const x = stack.pop()!;
    if (
      ts.isBinaryExpression(x) &&
      x.operatorToken.kind >= K.FirstAssignment &&
      x.operatorToken.kind <= K.LastAssignment &&
      isCounterOf(x.left, sym, checker)
    )
      found = true;
    if (
      (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
      (x.operator === K.PlusPlusToken || x.operator === K.MinusMinusToken) &&
      isCounterOf(x.operand, sym, checker)
    )
      found = true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return found;
}

/** Loops the compiler accepts run at most this many times when it can count them (lower-stmt.ts). */
const MAX_TRIPS = 65536;

/**
 * Iterations of a counted loop: `for (let i = A; i < N; i += S)` with constants, or a while/do loop
 * stepping a local against a constant, from the counter's entry value when that is a constant, else
 * from the worst start in the range the code before the loop allows (the verifier simulates every
 * value of that range: `dataDependent`). Undefined when the loop has no such shape.
 */
function loopTrips(
  s: ts.IterationStatement,
  checker: ts.TypeChecker,
): { trips: number; dataDependent: boolean; counter?: ts.Symbol; unbounded?: string } | undefined {
  if (ts.isForStatement(s)) {
    if (!s.initializer || !s.condition || !s.incrementor || !ts.isVariableDeclarationList(s.initializer)) return undefined;
    const d = s.initializer.declarations[0];
    const cc = counterCondition(s.condition, checker);
    if (!d?.initializer || !cc) return undefined;
    const start = constEval(d.initializer, checker);
    const step = stepOf(s.incrementor, cc.sym, checker);
    const ct = intTypeOf(cc.id, checker) ?? { signed: true, bits: 32 };
    if (start === undefined || step === undefined) return undefined;
    return { trips: simulateTrips(start, step, cc.bound, cc.op, ct, false), dataDependent: false };
  }
  if (!ts.isWhileStatement(s) && !ts.isDoStatement(s)) return undefined;
  const cc = counterCondition(s.expression, checker);
  if (!cc) return undefined;
  const ct = intTypeOf(cc.id, checker);
  const body = ts.isBlock(s.statement) ? s.statement.statements : [s.statement];
  let step = 0n;
  for (const st of body) if (ts.isExpressionStatement(st)) step += stepOf(st.expression, cc.sym, checker) ?? 0n;
  if (!ct || step === 0n) return undefined;
  const isDo = ts.isDoStatement(s);
  const [lo, hi] = entryRange(s, cc.sym, ct, checker);
  const starts = [lo, hi, cc.bound, 0n, cc.bound - step, cc.bound + step].filter((v) => v >= lo && v <= hi);
  const trips = Math.max(...starts.map((v) => simulateTrips(v, step, cc.bound, cc.op, ct, isDo)));
  return {
    trips,
    dataDependent: lo !== hi,
    counter: cc.sym,
    unbounded: lo !== hi ? neverBounded(lo, step, cc.bound, cc.op, ct) : undefined,
  };
}

/**
 * Why the verifier, walking a loop whose counter starts anywhere in [lo, hi], can never see it end,
 * or undefined. It follows the counter's range trip by trip: the range that continues (the loop test
 * holding), stepped, must stay a plain range. Two ways it does not, both measured on this kernel:
 *   - the step wraps the counter past its type's end (`while (x > 0) x -= 3` on a u16: 1 - 3 wraps),
 *     the range becomes the whole type again and the state repeats: "infinite loop detected";
 *   - an i8/i16 counter that may be negative: its sign extension (a shift pair) loses the range of a
 *     value whose 32-bit pattern may be negative, so each trip starts again from the whole type
 *     (`while (x < 1000) x++` on an i16 that may be below 0: "BPF program is too large", even from
 *     -10,000). Only the steady state counts: a first trip that wraps (a do/while from 0) is cut
 *     back to a range by the test.
 */
function neverBounded(lo: bigint, step: bigint, bound: bigint, op: ts.SyntaxKind, ct: IntT): string | undefined {
  const up = step > 0n && (op === K.LessThanToken || op === K.LessThanEqualsToken);
  const down = step < 0n && (op === K.GreaterThanToken || op === K.GreaterThanEqualsToken);
  if (!up && !down) return undefined;
  const name = `${ct.signed ? "i" : "u"}${ct.bits}`;
  // The continuing range's far end, stepped once more.
  const edge = up ? (op === K.LessThanToken ? bound - 1n : bound) + step : (op === K.GreaterThanToken ? bound + 1n : bound) + step;
  if (edge < minT(ct) || edge > maxT(ct)) return `a step of ${step} from the bound's side wraps its ${name} counter around`;
  const lowest = up ? lo : edge;
  if (ct.signed && ct.bits < 32 && lowest < 0n)
    return `its ${name} counter may be negative, and the verifier loses a negative ${name}'s range at each sign extension`;
  return undefined;
}

/** Instructions the verifier walks per data-dependent loop exit before it prunes (the `ja +0`, the test). */
const EXIT_WALK = 3;

/** Variables a loop assigns (its counter included). */
function loopWrites(loop: ts.IterationStatement, checker: ts.TypeChecker): Set<ts.Symbol> {
  const written = new Set<ts.Symbol>();
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    const target = writeTarget(x) ?? (ts.isVariableDeclaration(x) ? x.name : undefined);
    const sym = target && ts.isIdentifier(target) ? checker.getSymbolAtLocation(target) : undefined;
    if (sym) written.add(sym);
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return written;
}

/** What an assignment, `++` or `--` at `x` writes; undefined for anything else. */
function writeTarget(x: ts.Node): ts.Expression | undefined {
  if (ts.isBinaryExpression(x) && x.operatorToken.kind >= K.FirstAssignment && x.operatorToken.kind <= K.LastAssignment) return x.left;
  if (
    (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
    (x.operator === K.PlusPlusToken || x.operator === K.MinusMinusToken)
  )
    return x.operand;
  return undefined;
}

/** The conditions `x` runs under inside `loop`'s body: enclosing if, ?: and the left of && / ||. */
function guards(x: ts.Node, loop: ts.IterationStatement): ts.Expression[] {
  const out: ts.Expression[] = [];
  for (let at: ts.Node = x; at !== loop.statement && at.parent; at = at.parent) {
    const par = at.parent;
    if (ts.isIfStatement(par) && par.expression !== at) out.push(par.expression);
    else if (ts.isConditionalExpression(par) && par.condition !== at) out.push(par.condition);
    else if (
      ts.isBinaryExpression(par) &&
      (par.operatorToken.kind === K.AmpersandAmpersandToken || par.operatorToken.kind === K.BarBarToken) &&
      par.right === at
    )
      out.push(par.left);
  }
  return out;
}

/** Compound assignments that, by a constant, map each known value to one known value and add none. */
const NEUTRAL_OPS = new Set<ts.SyntaxKind>([
  K.AmpersandEqualsToken,
  K.BarEqualsToken,
  K.CaretEqualsToken,
  K.GreaterThanGreaterThanEqualsToken,
  K.GreaterThanGreaterThanGreaterThanEqualsToken,
  K.SlashEqualsToken,
  K.PercentEqualsToken,
]);

/**
 * Does every write of `sym` in `loop` keep a range that grows or moves trip by trip (`++`, `--`,
 * `+=`, `-=`, `= sym + e`, `*=`/`<<=` by a constant, `= c`; masks and shifts by a constant are
 * neutral), so that each exit holds its own range?
 * Bit operations, products and shifts by variables, or a value loaded from data make it unknown
 * at every exit, and unknown values prune.
 */
function keepsRange(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  const isSym = (e: ts.Expression) => ts.isIdentifier(e) && checker.getSymbolAtLocation(e) === sym;
  const isConst = (e: ts.Expression) => constEval(e, checker) !== undefined;
  let ok = true;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length && ok) {
    const x = stack.pop()!;
    if (
      ts.isBinaryExpression(x) &&
      x.operatorToken.kind >= K.FirstAssignment &&
      x.operatorToken.kind <= K.LastAssignment &&
      isSym(x.left)
    ) {
      const op = x.operatorToken.kind;
      let r = x.right;
      while (ts.isParenthesizedExpression(r)) r = r.expression;
      if (op === K.PlusEqualsToken || op === K.MinusEqualsToken) ok = true;
      else if (op === K.AsteriskEqualsToken || op === K.LessThanLessThanEqualsToken) ok = isConst(r);
      // By a constant, a mask, shift or division maps each known value to a known value (the
      // fuzzer's `v0 >>= 32768` beside a `v0++`, seed 20261207): it neither grows nor forgets.
      else if (NEUTRAL_OPS.has(op)) ok = isConst(r);
      else if (op === K.EqualsToken)
        ok =
          isConst(r) ||
          // `x = (x -= 31)`: the inner write is looked at on its own.
          (ts.isBinaryExpression(r) &&
            r.operatorToken.kind >= K.FirstAssignment &&
            r.operatorToken.kind <= K.LastAssignment &&
            isSym(r.left)) ||
          (ts.isBinaryExpression(r) &&
            (r.operatorToken.kind === K.PlusToken || r.operatorToken.kind === K.MinusToken) &&
            (isSym(r.left) || isSym(r.right)));
      else ok = false;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return ok;
}

/** Does `e` read nothing but `known` variables and constants (so the verifier can decide it)? */
function readsOnly(e: ts.Node, known: ReadonlySet<ts.Symbol>, checker: ts.TypeChecker): boolean {
  let ok = true;
  const st: ts.Node[] = [e];
  while (st.length && ok) {
    const x = st.pop()!;
    if (ts.isIdentifier(x)) {
      const sym = checker.getSymbolAtLocation(x);
      if (!sym || (!known.has(sym) && constEval(x, checker) === undefined)) ok = false;
    } else if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x) || ts.isCallExpression(x)) {
      if (constEval(x as ts.Expression, checker) === undefined) ok = false;
      continue;
    }
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return ok;
}

/**
 * Does code after `loop` use, where the verifier needs its exact value (a condition, an index, a
 * map key, a call argument), a variable the loop writes other than its counter? (The counter leaves
 * every trip at the same value, its bound, except the first exit.)
 */
function preciseAfter(
  loop: ts.IterationStatement,
  counter: ts.Symbol | undefined,
  checker: ts.TypeChecker,
  offsets = false,
  only?: ts.Symbol,
): boolean {
  const written = loopWrites(loop, checker);
  if (counter) written.delete(counter);
  // `only`: that one variable.
  if (only) for (const v of [...written]) if (v !== only) written.delete(v);
  // `offsets`: only uses the verifier surely marks precise, a packet offset or an index (pointer
  // arithmetic); an undecided comparison or a map key on the stack does not make it track the
  // value (measured: the nested-loop table with `acc` compared or used as a key loads with 4,000 to
  // 75,000 processed). Variables declared in the loop do not outlive a trip.
  if (offsets)
    for (const v of [...written]) {
      const d = v.valueDeclaration;
      if (d && d.pos >= loop.pos && d.end <= loop.end) written.delete(v);
    }
  // A variable made unknown at every exit (`s ^= u64(x) * 3`) prunes against the first exit's:
  // measured, 65,535 trips of that then 50 comparisons of s load with 532,587 processed. One that
  // adds up (`s += u64(x)`) holds a different range at each exit and does not.
  for (const v of [...written]) if (!keepsRange(loop, v, checker)) written.delete(v);
  if (written.size === 0) return false;
  // One variable declared in a loop around this one is declared afresh at that loop's next trip:
  // only the rest of the trip sees the value this loop leaves (the verifier finds it dead after).
  return usesExactly(statementsAfter(loop, only?.valueDeclaration), written, checker, offsets);
}

/**
 * What runs after `loop`: the statements after it in its block and every enclosing one up to the
 * function, and the loops around it (their next trips). With `decl`, only where what it declares is
 * in scope with the value `loop` leaves: not past the loop whose body declares it.
 */
function statementsAfter(loop: ts.IterationStatement, decl?: ts.Declaration): ts.Node[] {
  const after: ts.Node[] = [];
  for (let at: ts.Node = loop; at.parent && !ts.isFunctionLike(at); at = at.parent) {
    const par = at.parent;
    if (ts.isBlock(par) || ts.isCaseClause(par) || ts.isDefaultClause(par)) {
      const stmts = par.statements as readonly ts.Node[];
      after.push(...stmts.slice(stmts.indexOf(at) + 1));
    } else if (ts.isIterationStatement(par, false)) {
      if (decl && decl.pos >= par.statement.pos && decl.end <= par.statement.end) break;
      after.push(par);
    }
  }
  return after;
}

/** The function `node` is in. */
function enclosingFunction(node: ts.Node): ts.Node | undefined {
  let fn = node.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  return fn;
}

/**
 * Does one of `nodes` use a variable of `written` (or a local computed from one) where the verifier
 * needs its exact value: a condition, an index, a map key, a call argument; with `offsets`, only a
 * packet offset or an index (pointer arithmetic). Grows `written` with those locals.
 */
function usesExactly(nodes: readonly ts.Node[], written: Set<ts.Symbol>, checker: ts.TypeChecker, offsets: boolean): boolean {
  const reads = (e: ts.Node | undefined): boolean => {
    if (!e) return false;
    let hit = false;
    const st: ts.Node[] = [e];
    while (st.length && !hit) {
      const x = st.pop()!;
      if (ts.isIdentifier(x)) {
        const sym = checker.getSymbolAtLocation(x);
        if (sym && written.has(sym)) hit = true;
      }
      ts.forEachChild(x, (c) => {
        st.push(c);
      });
    }
    return hit;
  };
  for (const a of nodes) {
    const st: ts.Node[] = [a];
    while (st.length) {
      const x = st.pop()!;
      if (!offsets && (ts.isIfStatement(x) || ts.isWhileStatement(x) || ts.isDoStatement(x) || ts.isSwitchStatement(x))) {
        if (reads(x.expression)) return true;
      } else if (!offsets && ts.isForStatement(x)) {
        if (reads(x.condition) || reads(x.initializer)) return true;
      } else if (!offsets && ts.isConditionalExpression(x)) {
        if (reads(x.condition)) return true;
      } else if (
        !offsets &&
        ts.isBinaryExpression(x) &&
        (x.operatorToken.kind === K.AmpersandAmpersandToken || x.operatorToken.kind === K.BarBarToken || K_REL.has(x.operatorToken.kind))
      ) {
        if (reads(x.left) || reads(x.right)) return true;
      } else if (ts.isElementAccessExpression(x)) {
        if (reads(x.argumentExpression)) return true;
      } else if (offsets && ts.isCallExpression(x) && isPacketRead(x)) {
        if (x.arguments.some((arg) => reads(arg))) return true;
      } else if (!offsets && ts.isCallExpression(x) && !isIntCast(x)) {
        // A map key, a size, a helper's flags: all may have to be exact. Stored values need not be,
        // but telling them apart takes the helper table: count every argument but a method call's
        // second (the value of update/push).
        const method = ts.isPropertyAccessExpression(x.expression);
        if (x.arguments.some((arg, k) => !(method && k === 1) && reads(arg))) return true;
      } else if (ts.isVariableDeclaration(x) && ts.isIdentifier(x.name) && reads(x.initializer)) {
        // What is computed from them carries their differences on.
        const sym = checker.getSymbolAtLocation(x.name);
        if (sym) written.add(sym);
      } else if (
        ts.isBinaryExpression(x) &&
        x.operatorToken.kind >= K.FirstAssignment &&
        x.operatorToken.kind <= K.LastAssignment &&
        ts.isIdentifier(x.left) &&
        reads(x.right)
      ) {
        const sym = checker.getSymbolAtLocation(x.left);
        if (sym) written.add(sym);
      }
      ts.forEachChild(x, (c) => {
        st.push(c);
      });
    }
  }
  return false;
}

type Range = [bigint, bigint];
const typeRange = (t: IntT): Range => [minT(t), maxT(t)];
const meet = (a: Range, b: Range): Range => {
  const r: Range = [a[0] > b[0] ? a[0] : b[0], a[1] < b[1] ? a[1] : b[1]];
  return r[0] <= r[1] ? r : a;
};

/** What the AST shows of an expression's values: constants, masks, remainders, shifts, narrow types. */
function rangeOf(e: ts.Expression, checker: ts.TypeChecker, depth = 0): Range | undefined {
  const c = constEval(e, checker);
  if (c !== undefined) return [c, c];
  if (depth > 8) return undefined;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  const t = intTypeOf(e, checker);
  const own = t ? typeRange(t) : undefined;
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    const a = rangeOf(e.left, checker, depth + 1);
    const b = rangeOf(e.right, checker, depth + 1);
    let r: Range | undefined;
    if (op === K.AmpersandToken) {
      const m = [a, b].find((x) => x && x[0] === x[1] && x[0] >= 0n);
      if (m) r = [0n, m[1]];
    } else if (op === K.BarToken && a && b && a[0] >= 0n && b[0] >= 0n) {
      // Bits only add: at least the larger low end, at most all bits up to the larger high end.
      const hi = a[1] > b[1] ? a[1] : b[1];
      r = [a[0] > b[0] ? a[0] : b[0], (1n << BigInt(hi.toString(2).length)) - 1n];
    } else if (op === K.PercentToken && a && b && a[0] >= 0n && b[0] === b[1] && b[0] > 0n) r = [0n, b[0] - 1n];
    else if (
      (op === K.GreaterThanGreaterThanToken || op === K.GreaterThanGreaterThanGreaterThanToken) &&
      a &&
      b &&
      a[0] >= 0n &&
      b[0] === b[1] &&
      b[0] >= 0n &&
      b[0] < 64n
    )
      r = [a[0] >> b[0], a[1] >> b[0]];
    if (r) return own ? meet(own, r) : r;
  }
  if (ts.isCallExpression(e) && isIntCast(e) && e.arguments.length === 1 && own) {
    // A conversion keeps a value that fits its type.
    const r = rangeOf(e.arguments[0]!, checker, depth + 1);
    if (r && r[0] >= own[0] && r[1] <= own[1]) return r;
  }
  if (ts.isIdentifier(e)) {
    // A const local: what its initializer allows.
    const d = checker.getSymbolAtLocation(e)?.valueDeclaration;
    if (d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) {
      const r = rangeOf(d.initializer, checker, depth + 1);
      if (r) return own ? meet(own, r) : r;
    }
  }
  return own;
}

/** Narrows `r` by `counter OP constant` holding (or, with `neg`, failing). */
function narrow(r: Range, c: ts.Expression, sym: ts.Symbol, neg: boolean, checker: ts.TypeChecker): Range {
  while (ts.isParenthesizedExpression(c)) c = c.expression;
  if (ts.isPrefixUnaryExpression(c) && c.operator === K.ExclamationToken) return narrow(r, c.operand, sym, !neg, checker);
  if (ts.isBinaryExpression(c) && c.operatorToken.kind === (neg ? K.BarBarToken : K.AmpersandAmpersandToken))
    return narrow(narrow(r, c.left, sym, neg, checker), c.right, sym, neg, checker);
  const cc = counterCondition(c, checker);
  if (!cc || cc.sym !== sym || cc.bound < r[0] - 1n || cc.bound > r[1] + 1n) return r;
  const NEG: Partial<Record<ts.SyntaxKind, ts.SyntaxKind>> = {
    [K.LessThanToken]: K.GreaterThanEqualsToken,
    [K.LessThanEqualsToken]: K.GreaterThanToken,
    [K.GreaterThanToken]: K.LessThanEqualsToken,
    [K.GreaterThanEqualsToken]: K.LessThanToken,
    [K.ExclamationEqualsEqualsToken]: K.EqualsEqualsEqualsToken,
    [K.ExclamationEqualsToken]: K.EqualsEqualsEqualsToken,
  };
  const op = neg ? NEG[cc.op] : cc.op;
  const b = cc.bound;
  if (op === K.LessThanToken) return meet(r, [r[0], b - 1n]);
  if (op === K.LessThanEqualsToken) return meet(r, [r[0], b]);
  if (op === K.GreaterThanToken) return meet(r, [b + 1n, r[1]]);
  if (op === K.GreaterThanEqualsToken) return meet(r, [b, r[1]]);
  if (op === K.EqualsEqualsEqualsToken) return meet(r, [b, b]);
  return r;
}

/**
 * The values a while/do loop's counter may have on entry: from its declaration's initializer,
 * narrowed by the conditions of enclosing ifs and by early exits (`if (n > 16) return ...;`) between
 * the declaration and the loop; a write in between starts again from what it assigns.
 */
function entryRange(loop: ts.Statement, sym: ts.Symbol, ct: IntT, checker: ts.TypeChecker): Range {
  const full = typeRange(ct);
  const d = sym.valueDeclaration;
  if (!d || !ts.isVariableDeclaration(d)) return full;
  const declStmt = d.parent?.parent;
  type Ev = { stmts: readonly ts.Statement[] } | { cond: ts.Expression; neg: boolean };
  const events: Ev[] = [];
  let at: ts.Node = loop;
  let found = false;
  while (at.parent && !ts.isFunctionLike(at.parent) && !found) {
    const par: ts.Node = at.parent;
    if (ts.isBlock(par) || ts.isSourceFile(par) || ts.isCaseClause(par) || ts.isDefaultClause(par)) {
      const stmts = par.statements as readonly ts.Statement[];
      const idx = stmts.indexOf(at as ts.Statement);
      const di = stmts.indexOf(declStmt as ts.Statement);
      found = di >= 0 && di < idx;
      events.unshift({ stmts: stmts.slice(found ? di + 1 : 0, idx) });
    } else if (ts.isIfStatement(par)) {
      if (par.thenStatement === at) events.unshift({ cond: par.expression, neg: false });
      else if (par.elseStatement === at) events.unshift({ cond: par.expression, neg: true });
    } else if (ts.isIterationStatement(par, false) && writes(par, sym, checker)) return full;
    at = par;
  }
  if (!found) return full;
  let r = d.initializer ? meet(full, rangeOf(d.initializer, checker) ?? full) : ([0n, 0n] as Range);
  for (const ev of events) {
    if ("cond" in ev) {
      r = narrow(r, ev.cond, sym, ev.neg, checker);
      continue;
    }
    for (const st of ev.stmts) {
      if (writes(st, sym, checker)) {
        const e = ts.isExpressionStatement(st) ? st.expression : undefined;
        const plain = e && ts.isBinaryExpression(e) && e.operatorToken.kind === K.EqualsToken && isCounterOf(e.left, sym, checker);
        r = plain ? meet(full, rangeOf((e as ts.BinaryExpression).right, checker) ?? full) : full;
      } else if (ts.isIfStatement(st) && !st.elseStatement && returns(st.thenStatement)) r = narrow(r, st.expression, sym, true, checker);
    }
  }
  return r;
}

/**
 * Comparisons in one trip of `loop` that the verifier cannot decide, so each pushes a pending state:
 * conditions (if, ?:, &&, ||, case) that read anything but the enclosing loops' counters and
 * constants. Nested loops count by their trips.
 */
function openBranches(loop: ts.IterationStatement, checker: ts.TypeChecker): number {
  const counters = loopCounters(loop, checker);
  const decided = (e: ts.Node): boolean => {
    let ok = true;
    const stack: ts.Node[] = [e];
    while (stack.length && ok) {
      const x = stack.pop()!;
      if (ts.isIdentifier(x)) {
        const sym = checker.getSymbolAtLocation(x);
        if (!sym || (!counters.has(sym) && constEval(x, checker) === undefined)) ok = false;
      } else if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x) || ts.isCallExpression(x)) {
        if (constEval(x as ts.Expression, checker) === undefined) ok = false;
      }
      ts.forEachChild(x, (c) => {
        stack.push(c);
      });
    }
    return ok;
  };
  // The loop's own test is not counted: its back edge is the jump, so the verifier walks the exit
  // first and pops the next trip, one pending state at a time (measured on this kernel).
  let b = 0;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const n = stack.pop()!;
    if (ts.isFunctionLike(n)) continue;
    if (ts.isForStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n)) {
      b += (loopTrips(n, checker)?.trips ?? 1) * openBranches(n, checker);
      continue;
    }
    if (ts.isIfStatement(n) && !decided(n.expression)) b++;
    else if (ts.isConditionalExpression(n) && !decided(n.condition)) b++;
    else if (ts.isCaseClause(n)) b++;
    else if (
      ts.isBinaryExpression(n) &&
      (n.operatorToken.kind === K.AmpersandAmpersandToken || n.operatorToken.kind === K.BarBarToken) &&
      !decided(n.left)
    )
      b++;
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  return b;
}

/** The counter a `for` loop declares. */
function forCounter(loop: ts.IterationStatement, checker: ts.TypeChecker): ts.Symbol | undefined {
  if (!ts.isForStatement(loop) || !loop.initializer || !ts.isVariableDeclarationList(loop.initializer)) return undefined;
  const d = loop.initializer.declarations[0];
  return d && ts.isIdentifier(d.name) ? checker.getSymbolAtLocation(d.name) : undefined;
}

/**
 * `if`s in `loop`'s body that `break` out of it (not out of a nested loop or switch) on a condition
 * the verifier cannot decide: anything but the enclosing loops' counters and constants.
 */
function dataBreaks(loop: ts.IterationStatement, checker: ts.TypeChecker): { all: number; packet: number } {
  const counters = loopCounters(loop, checker);
  const breaksOut = (st: ts.Statement): boolean => {
    let hit = false;
    const stack: ts.Node[] = [st];
    while (stack.length && !hit) {
      const x = stack.pop()!;
      if (ts.isBreakStatement(x) && !x.label) hit = true;
      else if (ts.isBreakStatement(x) && x.label && ts.isLabeledStatement(loop.parent) && loop.parent.label.text === x.label.text)
        hit = true;
      else if (!ts.isIterationStatement(x, false) && !ts.isSwitchStatement(x) && !ts.isFunctionLike(x))
        ts.forEachChild(x, (c) => {
          stack.push(c);
        });
    }
    return hit;
  };
  const b = { all: 0, packet: 0 };
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isIterationStatement(x, false) || ts.isSwitchStatement(x) || ts.isFunctionLike(x)) continue;
    if (
      ts.isIfStatement(x) &&
      (breaksOut(x.thenStatement) || (x.elseStatement && breaksOut(x.elseStatement))) &&
      !readsOnly(x.expression, counters, checker)
    ) {
      b.all++;
      if (comparesNull(x.expression)) b.packet++;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return b;
}

/** `x === null` or `x !== null` somewhere in `e`: the null check of a packet read (or a lookup). */
function comparesNull(e: ts.Node): boolean {
  let hit = false;
  const stack: ts.Node[] = [e];
  while (stack.length && !hit) {
    const x = stack.pop()!;
    if (ts.isBinaryExpression(x) && (x.left.kind === K.NullKeyword || x.right.kind === K.NullKeyword)) hit = true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return hit;
}

/** `ctx.header<T>(offset)`, `ctx.load<T>(offset, start?)`: the offset is added to a packet pointer. */
const isPacketRead = (x: ts.CallExpression): boolean =>
  ts.isPropertyAccessExpression(x.expression) && (x.expression.name.text === "header" || x.expression.name.text === "load");

type WriteKind = "every" | "data" | "counter";
const worse = (a: WriteKind | undefined, b: WriteKind): WriteKind =>
  a === "data" || b === "data" ? "data" : a === "every" || b === "every" ? "every" : "counter";

/** The counters of `loop` and the loops around it. */
function loopCounters(loop: ts.Node, checker: ts.TypeChecker): Set<ts.Symbol> {
  const counters = new Set<ts.Symbol>();
  for (let n: ts.Node | undefined = loop; n && !ts.isFunctionLike(n); n = n.parent) {
    const c = ts.isIterationStatement(n, false) ? forCounter(n, checker) : undefined;
    if (c) counters.add(c);
  }
  return counters;
}

/**
 * How `loop` writes `sym`: on every trip (a write not under a condition), only under conditions on
 * loop counters and constants, or under a condition on data (the worst of its writes).
 */
function writeKind(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): WriteKind {
  const counters = loopCounters(loop, checker);
  let kind: WriteKind | undefined;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    const target = writeTarget(x);
    if (target && isCounterOf(target, sym, checker)) {
      let k: WriteKind = "every";
      for (const cond of guards(x, loop)) k = worse(k === "every" ? undefined : k, readsOnly(cond, counters, checker) ? "counter" : "data");
      kind = kind === undefined ? k : worse(kind, k);
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return kind ?? "every";
}

/**
 * Does `loop` read the packet at an offset its counters alone move (`ctx.header<u8>(14 + k)`, no data
 * in it) and stop when such a read fails? Each trip's check then tells the verifier the packet is
 * longer (it extends the range of every pointer to the packet's start, the header pointers taken
 * before the loop included), so the exit after each trip knows a different length. While code after
 * the loop reads the packet (packetAfter), those pointers are live, the exits do not prune each
 * other, and each walks the rest of the program: measured (test/verifier-cost-exits.test.ts), a
 * header, then 32 trips of such reads, then a 200-trip loop reading the header: 106,041 processed,
 * 3,175 with the header unused after the loop, 3,583 with the furthest offset checked before it.
 * An offset with data in it is checked through a pointer of its own and changes no other, and reads
 * inside the length a constant-offset `header<T>()` checked before the loop change nothing: neither
 * counts. Counted for loops outside other loops, in the warning estimate only.
 */
function growsPacketRange(loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  if (dataBreaks(loop, checker).packet === 0) return false;
  const counters = loopCounters(loop, checker);
  const span = ts.isForStatement(loop) ? counterSpan(loop, checker) : undefined;
  const types = new TypeMapper(checker);
  let checked: number | undefined;
  let hit = false;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length && !hit) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isCallExpression(x) && isHeaderRead(x) && x.arguments.length > 0) {
      const off = x.arguments[0]!;
      if (constEval(off, checker) === undefined && readsOnly(off, counters, checker)) {
        // Reads that stay inside what the code before the loop checked grow nothing.
        const reach = span && offsetAt(off, span, checker);
        const size = headerSize(x, types, checker);
        checked ??= checkedBefore(loop, types, checker);
        hit = reach === undefined || size === undefined || reach + size > checked;
      }
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return hit;
}

/** The first and last values of a `for` loop's counter over its trips. */
function counterSpan(loop: ts.ForStatement, checker: ts.TypeChecker): { sym: ts.Symbol; values: bigint[] } | undefined {
  const sym = forCounter(loop, checker);
  const lt = loopTrips(loop, checker);
  const d = (loop.initializer as ts.VariableDeclarationList).declarations[0];
  const start = d?.initializer ? constEval(d.initializer, checker) : undefined;
  const step = sym && loop.incrementor ? stepOf(loop.incrementor, sym, checker) : undefined;
  if (!sym || !lt || start === undefined || step === undefined) return undefined;
  return { sym, values: [start, start + step * BigInt(Math.max(0, lt.trips - 1))] };
}

/** The largest value `e` takes at the counter's first and last values (sums, differences, products of constants). */
function offsetAt(e: ts.Expression, span: { sym: ts.Symbol; values: bigint[] }, checker: ts.TypeChecker): number | undefined {
  const at = (x: ts.Expression, v: bigint): bigint | undefined => {
    while (ts.isParenthesizedExpression(x)) x = x.expression;
    if (ts.isIdentifier(x) && checker.getSymbolAtLocation(x) === span.sym) return v;
    const c = constEval(x, checker);
    if (c !== undefined) return c;
    if (ts.isCallExpression(x) && isIntCast(x) && x.arguments.length === 1) return at(x.arguments[0]!, v);
    if (!ts.isBinaryExpression(x)) return undefined;
    const a = at(x.left, v);
    const b = at(x.right, v);
    if (a === undefined || b === undefined) return undefined;
    const op = x.operatorToken.kind;
    return op === K.PlusToken ? a + b : op === K.MinusToken ? a - b : op === K.AsteriskToken ? a * b : undefined;
  };
  let most: bigint | undefined;
  for (const v of span.values) {
    const r = at(e, v);
    if (r === undefined) return undefined;
    if (most === undefined || r > most) most = r;
  }
  return most === undefined ? undefined : Number(most);
}

/** Bytes a `header<T>()` call reads (T's C size), when T has a layout. */
function headerSize(call: ts.CallExpression, types: TypeMapper, checker: ts.TypeChecker): number | undefined {
  const arg = call.typeArguments?.[0];
  const t = arg && types.memType(checker.getTypeFromTypeNode(arg));
  return t ? sizeOf(t) : undefined;
}

/** How far from the packet's start code before `loop` checked it: the furthest constant-offset `header<T>()` read. */
function checkedBefore(loop: ts.IterationStatement, types: TypeMapper, checker: ts.TypeChecker): number {
  const fn = enclosingFunction(loop);
  let most = 0;
  const visit = (x: ts.Node): void => {
    if (x.pos >= loop.pos) return;
    if (ts.isCallExpression(x) && isHeaderRead(x) && x.arguments.length > 0) {
      const off = constEval(x.arguments[0]!, checker);
      const size = headerSize(x, types, checker);
      if (off !== undefined && size !== undefined) most = Math.max(most, Number(off) + size);
    }
    ts.forEachChild(x, visit);
  };
  if (fn) ts.forEachChild(fn, visit);
  return most;
}

const isHeaderRead = (x: ts.CallExpression): boolean => ts.isPropertyAccessExpression(x.expression) && x.expression.name.text === "header";

/**
 * Does code after `loop` read the packet: a `header()` call, or a variable declared before the loop
 * that holds a header pointer (or one taken from such a variable)?
 */
function packetAfter(loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  const fn = enclosingFunction(loop);
  if (!fn) return false;
  // Header pointers declared before the loop, in source order (an alias of one counts).
  const views = new Set<ts.Symbol>();
  const readsView = (e: ts.Node): boolean => {
    let hit = false;
    const st: ts.Node[] = [e];
    while (st.length && !hit) {
      const x = st.pop()!;
      if (ts.isCallExpression(x) && isHeaderRead(x)) hit = true;
      else if (ts.isIdentifier(x)) {
        const sym = checker.getSymbolAtLocation(x);
        if (sym && views.has(sym)) hit = true;
      }
      ts.forEachChild(x, (c) => {
        st.push(c);
      });
    }
    return hit;
  };
  const decls: ts.VariableDeclaration[] = [];
  const collect = (x: ts.Node): void => {
    if (x.pos >= loop.pos) return;
    if (ts.isVariableDeclaration(x) && x.initializer) decls.push(x);
    ts.forEachChild(x, collect);
  };
  ts.forEachChild(fn, collect);
  for (const d of decls.sort((a, b) => a.pos - b.pos)) {
    const sym = ts.isIdentifier(d.name) ? checker.getSymbolAtLocation(d.name) : undefined;
    if (sym && readsView(d.initializer!)) views.add(sym);
  }
  // (Counted only for loops outside other loops: no enclosing loop is among these.)
  return statementsAfter(loop).some(readsView);
}

/**
 * A loop that changes a variable only on some trips, under a condition on data, while the verifier
 * needs its exact value: the loop adds it to a pointer (a packet offset, an index), or a comparison
 * the verifier can decide reads it in the loop or after it. The paths that changed it a different
 * number of times reach the next trip with different ranges and do not prune each other, and (the
 * verifier stores a state only every few jumps, so paths reaching one range by different routes are
 * not all merged) they multiply up to (1 + s) per trip for s such write sites. Measured
 * (test/verifier-cost-self.test.ts): through an offset about 1.4x per trip in a small body and 2x in
 * the differential fuzzer's case 12, counted as 2x; through a comparison about 1.5x, counted as 1.6x.
 * Returns the factor and the variable; writes inside nested loops are TSBPF3012's (noteExits). A
 * 32-bit variable that starts at its type's whole range stays there (the change wraps): not counted.
 */
function selfExactFactor(
  loop: ts.IterationStatement,
  counter: ts.Symbol | undefined,
  checker: ts.TypeChecker,
): { factor: number; name?: string } {
  const counters = loopCounters(loop, checker);
  let factor = 1;
  let name: string | undefined;
  for (const v of loopWrites(loop, checker)) {
    if (v === counter || counters.has(v)) continue;
    const d = v.valueDeclaration;
    if (!d || !ts.isVariableDeclaration(d) || (d.pos >= loop.pos && d.end <= loop.end)) continue;
    if (isGlobal(d) || setsOnlyConstants(loop, v, checker)) continue;
    if (!keepsRange(loop, v, checker)) continue;
    const t = intTypeOf(d.name, checker);
    // Changed by earlier code in a way the start does not show (an earlier loop's `acc0 -= acc0`,
    // seed 20261214): it may enter exact, so the whole-range rule below does not apply.
    const { start, rewritten } = startOf(loop, v, d, checker);
    const init = start ? rangeOf(start, checker) : undefined;
    if (!rewritten && t && t.bits <= 32 && (!init || (init[0] <= minT(t) && init[1] >= maxT(t)))) continue;
    const sites = dataWriteSites(loop, v, counters, checker);
    if (sites === 0) continue;
    // Twice: a local computed from v may be declared after the scan met its use.
    const from = new Set([v]);
    const offset = usesExactly([loop.statement], from, checker, true) || usesExactly([loop.statement], from, checker, true);
    // A comparison the verifier can decide marks v precise too, in the loop or after it: v must
    // start in a known range and move by constant steps, or its range is soon too wide to decide.
    const compared =
      !offset &&
      constantSteps(loop, v, checker) &&
      (rewritten || narrowStart(d, t, checker, start)) &&
      (usesExactly([loop.statement], new Set([v]), checker, false) || preciseAfter(loop, counter, checker, false, v));
    if (!offset && !compared) continue;
    // A loop that stops once v passes a tiny bound (`if (n >= 2) break;`) leaves too few values of it
    // to multiply (measured: 128 trips load with 18,180 processed). A bound of 4 does not stop the
    // growth (144 trips load with 743,363, 160 are refused), nor does 8 (64 trips are refused).
    if (exitBound(loop, v, checker) <= 4) continue;
    // Measured per trip: 1.4x to 2x through an offset, about 1.5x through a comparison.
    factor = Math.min(factor * (1 + sites * (offset ? 1 : 0.6)), 1e3);
    name ??= v.name;
  }
  const fields = fieldCounters(loop, counters, checker);
  if (fields.sites > 0) {
    // Measured on seed 20261211's program: about 1.6x per trip (6 trips 3,355 processed, 12 trips 43,659).
    factor = Math.min(factor * (1 + 0.6 * fields.sites), 1e3);
    name ??= fields.name;
  }
  return { factor, name };
}

/** The variable a field access starts from (`t6` of `t6.inner.arr[2]`); stops at a computed index. */
function rootOf(path: ts.Expression, checker: ts.TypeChecker): ts.Expression {
  let root = path;
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) {
    if (ts.isElementAccessExpression(root) && constEval(root.argumentExpression, checker) === undefined) break;
    root = root.expression;
  }
  return root;
}

/**
 * Counters kept in a field of a struct on the stack (`t6.inner.arr[2]++` inside a packet offset,
 * the fuzzer's seed 20261211, refused at 21 trips with an estimate of 9,988): the verifier tracks a
 * constant stored on the stack exactly, as it does a variable's. Counts the writes that move such a
 * field by a constant only under a condition on data, where the struct starts known (`zero<T>()` or
 * a literal, declared before the loop) and the field is read in a packet offset in the loop.
 */
function fieldCounters(
  loop: ts.IterationStatement,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): { sites: number; name?: string } {
  const offsets: string[] = [];
  const found: { x: ts.Node; path: ts.Expression }[] = [];
  /** Fields the loop sets to something other than a constant step or a constant. */
  const resets: ts.Expression[] = [];
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isIterationStatement(x, false) || ts.isFunctionLike(x)) continue;
    if (ts.isCallExpression(x) && isPacketRead(x)) for (const a of x.arguments) offsets.push(a.getText());
    const target = writeTarget(x);
    const step =
      ts.isPrefixUnaryExpression(x) ||
      ts.isPostfixUnaryExpression(x) ||
      (ts.isBinaryExpression(x) &&
        (x.operatorToken.kind === K.PlusEqualsToken || x.operatorToken.kind === K.MinusEqualsToken) &&
        constEval(x.right, checker) !== undefined);
    if (target && (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target))) {
      if (step) found.push({ x, path: target });
      else if (!(ts.isBinaryExpression(x) && constEval(x.right, checker) !== undefined)) resets.push(target);
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  let sites = 0;
  let name: string | undefined;
  for (const { x, path } of found) {
    const root = rootOf(path, checker);
    if (!ts.isIdentifier(root)) continue;
    const d = checker.getSymbolAtLocation(root)?.valueDeclaration;
    if (!d || !ts.isVariableDeclaration(d) || d.end > loop.pos || !d.initializer) continue;
    const init = d.initializer;
    const known =
      ts.isObjectLiteralExpression(init) ||
      (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === "zero");
    if (!known) continue;
    if (!guards(x, loop).some((cond) => !readsOnly(cond, counters, checker))) continue;
    // The same field set to data in the loop, maybe through an alias (`const r4: T = t0; r4.a = …`,
    // seed 20261208: loads with 6,002 processed), is unknown at every trip's end: nothing multiplies.
    const field = path.getText().slice(root.getText().length);
    if (resets.some((r) => r.getText().slice(rootOf(r, checker).getText().length) === field)) continue;
    const text = path.getText();
    if (!offsets.some((o) => o.includes(text))) continue;
    sites++;
    name ??= text;
  }
  return { sites, name };
}

/**
 * How many values `sym` can take before `loop` stops on it: an `if (sym >= C) break;` (or return)
 * directly in the body, with sym starting at a constant; Infinity when there is no such exit.
 */
function exitBound(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): number {
  const d = sym.valueDeclaration;
  const start = d && ts.isVariableDeclaration(d) && d.initializer ? constEval(d.initializer, checker) : undefined;
  if (start === undefined || !ts.isBlock(loop.statement)) return Infinity;
  let best = Infinity;
  const visit = (st: ts.Statement): void => {
    if (ts.isBlock(st)) for (const x of st.statements) visit(x);
    else if (ts.isIfStatement(st)) {
      const cc = counterCondition(st.expression, checker);
      const stops = (x: ts.Statement): boolean =>
        ts.isBreakStatement(x) ||
        ts.isReturnStatement(x) ||
        (ts.isBlock(x) && x.statements.length > 0 && stops(x.statements[x.statements.length - 1]!));
      if (cc && cc.sym === sym && stops(st.thenStatement)) {
        const span = cc.bound > start ? cc.bound - start : start - cc.bound;
        best = Math.min(best, Number(span) + 2);
      } else {
        visit(st.thenStatement);
        if (st.elseStatement) visit(st.elseStatement);
      }
    }
  };
  visit(loop.statement);
  return best;
}

/**
 * A module-level `let` lives in a global-data map: the verifier loads it as an unknown value at every
 * read, so what a loop did to it makes no state differ (seed 20261213: `--gd` under a condition,
 * compared later, warned at 3.6M and processed in 1,900).
 */
function isGlobal(d: ts.VariableDeclaration): boolean {
  return ts.isVariableDeclarationList(d.parent) && ts.isVariableStatement(d.parent.parent) && ts.isSourceFile(d.parent.parent.parent);
}

/**
 * Does a variable of 32 bits or fewer enter `loop` holding its type's whole range (or an unknown
 * start)? Steps wrap and keep that range on every path, so the exits do not differ in it (seed
 * 20261213: a u8 from a u16 field, `++v0` in an inner loop, warned by TSBPF3012 and processed in 918).
 */
function wholeRangeStart(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  const d = sym.valueDeclaration;
  if (!d || !ts.isVariableDeclaration(d) || isGlobal(d)) return false;
  const t = intTypeOf(d.name, checker);
  if (!t || t.bits > 32) return false;
  const { start, rewritten } = startOf(loop, sym, d, checker);
  if (rewritten || !start) return false; // may enter exact, or starts at 0
  const r = rangeOf(start, checker);
  return !r || (r[0] <= minT(t) && r[1] >= maxT(t));
}

/**
 * Does `loop` only set `sym` to constants (`acc0 = 0x68`)? Its exits then hold one of those values
 * or the one it came in with, however many trips ran: nothing multiplies (the fuzzer's seed
 * 20261210, warned by TSBPF3012 at 333M and processed in 2,267).
 */
function setsOnlyConstants(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  let only = true;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length && only) {
    const x = stack.pop()!;
    const target = writeTarget(x);
    if (target && isCounterOf(target, sym, checker))
      only = ts.isBinaryExpression(x) && x.operatorToken.kind === K.EqualsToken && constEval(x.right, checker) !== undefined;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return only;
}

/** Does `loop` only change `sym` by constants (`++`, `+= 3`, `<<= 1`, `^= 4`) or set it to constants? */
function constantSteps(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  let ok = true;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length && ok) {
    const x = stack.pop()!;
    if (
      ts.isBinaryExpression(x) &&
      x.operatorToken.kind >= K.FirstAssignment &&
      x.operatorToken.kind <= K.LastAssignment &&
      isCounterOf(x.left, sym, checker)
    ) {
      // Any operator with a constant operand (`<<= 1`, `>>= 3`, `|= 4`): from a known start the
      // value stays known on every path, and the paths differ in it.
      ok = constEval(x.right, checker) !== undefined;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return ok;
}

/**
 * Does the variable declared by `d` start in a range narrower than its type's (a constant, a mask, a
 * narrower field, a conversion from a narrower type)? With no initializer it starts at 0. A 64-bit
 * variable whose initializer has no integer type the AST shows counts as narrow (its values mostly
 * come from 32-bit or narrower data).
 */
function narrowStart(d: ts.VariableDeclaration, t: IntT | undefined, checker: ts.TypeChecker, start = d.initializer): boolean {
  if (!start) return true;
  let init: ts.Expression = start;
  while (ts.isParenthesizedExpression(init)) init = init.expression;
  const own = t ?? intTypeOf(d.name, checker);
  if (!own) return false;
  if (ts.isCallExpression(init) && isIntCast(init) && init.arguments.length === 1) {
    const inner = intTypeOf(init.arguments[0]!, checker);
    if (inner && inner.bits < own.bits) return true;
  }
  const r = rangeOf(init, checker);
  if (r) return r[0] > minT(own) || r[1] < maxT(own);
  return own.bits === 64;
}

/**
 * What `sym` holds when `loop` starts: the right side of the last `sym = e;` among the statements
 * before the loop in its block (the fuzzer's `let v0 = …; v0 = u16(gr);`), else its initializer
 * (undefined when it has none: it starts at 0). `rewritten` when the last write before the loop is
 * of another kind (inside an earlier loop, an `if`, an expression): the initializer is then only a
 * guess at the type's range, and the value may enter exact. This feeds a warning's estimate only.
 */
function startOf(
  loop: ts.IterationStatement,
  sym: ts.Symbol,
  d: ts.VariableDeclaration,
  checker: ts.TypeChecker,
): { start: ts.Expression | undefined; rewritten: boolean } {
  const block = loop.parent;
  if (ts.isBlock(block)) {
    const stmts = block.statements;
    for (let i = stmts.indexOf(loop as ts.Statement) - 1; i >= 0; i--) {
      const st = stmts[i]!;
      if (st.pos <= d.pos && d.end <= st.end) break;
      if (!writes(st, sym, checker)) continue;
      const e = ts.isExpressionStatement(st) ? st.expression : undefined;
      if (e && ts.isBinaryExpression(e) && e.operatorToken.kind === K.EqualsToken && isCounterOf(e.left, sym, checker))
        return { start: e.right, rewritten: false };
      return { start: d.initializer, rewritten: true };
    }
  }
  return { start: d.initializer, rewritten: false };
}

/** Writes of `sym` in `loop`'s body, outside loops nested in it, under a condition on data. */
function dataWriteSites(loop: ts.IterationStatement, sym: ts.Symbol, counters: ReadonlySet<ts.Symbol>, checker: ts.TypeChecker): number {
  let n = 0;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isIterationStatement(x, false) || ts.isFunctionLike(x)) continue;
    const target = writeTarget(x);
    // A mask or shift by a constant is idempotent or converges: it adds no value trip by trip.
    const neutral = ts.isBinaryExpression(x) && NEUTRAL_OPS.has(x.operatorToken.kind) && constEval(x.right, checker) !== undefined;
    if (target && !neutral && isCounterOf(target, sym, checker)) {
      if (guards(x, loop).some((cond) => !readsOnly(cond, counters, checker))) n++;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return n;
}
