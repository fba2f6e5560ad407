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
//
// This file holds the walk; the questions it asks of the AST live beside it, lowest first:
// verifier-cost-writes.ts, -ranges.ts, -loops.ts, -precision.ts and -packet.ts.

import { ts } from "./ts-adapter.js";
import {
  calleeOf,
  endsCounted,
  forCounter,
  loopWrites,
  readsOnly,
  setsOnlyConstants,
  worse,
  type WriteKind,
  writeKind,
  writesOf,
} from "./verifier-cost-writes.js";
import { isIntCast, returns } from "./verifier-cost-ranges.js";
import { loopTrips, openBranches, runsOnce } from "./verifier-cost-loops.js";
import {
  comparedExactly,
  counterCompared,
  exactExitVar,
  exitCompared,
  preciseAfter,
  selfExactFactor,
  usesExactly,
  wholeRangeStart,
} from "./verifier-cost-precision.js";
import { dataBreaks, growsPacketRange, headerReadsHoisted, packetAfter } from "./verifier-cost-packet.js";
import { runningExtremeWalks } from "./verifier-cost-extremes.js";
import { counterPickWalks } from "./verifier-cost-picks.js";
import { oneSidedCallWalks } from "./verifier-cost-sides.js";
import { counterSplitWalks } from "./verifier-cost-splits.js";
import { steppedCompareWalks } from "./verifier-cost-steps.js";
import { ceilingStepWalks } from "./verifier-cost-ceilings.js";
import { halvingWalks } from "./verifier-cost-halving.js";
import { runningSumWalks } from "./verifier-cost-sums.js";
import { slidingWindow } from "./verifier-cost-windows.js";
import { type BranchFacts, withBranchFacts, writesUnbranched } from "./verifier-cost-ir.js";
import { besideLoopTrips, carriedForks } from "./verifier-cost-carried.js";
import { outcomesOf } from "./verifier-cost-outcomes.js";
import { type ForkedCeiling, forkedCeiling } from "./verifier-cost-forks.js";
import { LOOP_BODY_WALKS, loopCallBody, otherSides, returnsAfter, type SteppedState, steppedState } from "./verifier-cost-loop-bodies.js";

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
  nestedExits?: Multiplied;
  /**
   * Set when `steps` passes the limit only because the code after a loop is walked once per exit
   * of it (see growsPacketRange): the loop and its number of distinct exit states.
   */
  exitWalks?: { loop: ts.Node; exits: number };
  /** The same for passing WITHIN_ERROR (TSBPF3016): the exit walks are counted low. */
  exitWalksNear?: { loop: ts.Node; exits: number };
  /**
   * Set when `steps` passes the limit only because the code after a loop with early exits is walked
   * once per exit, each leaving `name` at another known value that code needs exactly.
   */
  exactExits?: { loop: ts.Node; exits: number; name: string };
  /**
   * Set when `steps` passes the limit only because code after values that are one of several
   * (calls of multi-result functions) is walked once per combination: the value, and the walks.
   */
  outcomes?: { node: ts.Node; name: string; walks: number };
  /**
   * Set when `steps` passes the limit only because a loop() body steps a field of its state that it
   * needs exactly, so it is walked once per trip its count allows (verifier-cost-loop-bodies.ts):
   * the call, the body's name, the field, and the walks per call.
   */
  steppedState?: { call: ts.Node; body: string; field: string; walks: number };
  /**
   * steppedState where the rest of the estimate is under WITHIN_ERROR: compile.ts warns from there,
   * as these estimates run 0.5x to 2x of the kernel's count (differential seed 20261360: estimated
   * at 603,295, refused).
   */
  steppedStateNear?: { call: ts.Node; body: string; field: string; walks: number };
  /**
   * A loop() call inside loops the verifier walks trip by trip, LOOP_CALL_TRIPS times or more in
   * all: the call, the outermost such loop and the trips. Not modelled: a warning (see LOOP_CALL_TRIPS).
   */
  loopCallInLoop?: { call: ts.Node; loop: ts.Node; trips: number };
  /** A forked ceiling (verifier-cost-forks.ts): the loop, its fork, and the trips before and after the bound. Not modelled: a warning. */
  forkedCeiling?: ForkedCeiling & { loop: ts.Node };
}

/**
 * What multiplied the states most: the loop to point at, its distinct exit states per trip of the
 * enclosing loop and that loop's trip count; and which rule counted it (the diagnostic to report):
 * a variable the loop changes itself (`self`), a running sum, a counter split, a picked position, a
 * running extreme, a one-sided map call (`sides`), or else an inner loop's exits.
 */
export interface Multiplied {
  loop: ts.Node;
  exits: number;
  outerTrips: number;
  self?: string;
  sum?: string;
  split?: string;
  pick?: string;
  extreme?: string;
  step?: string;
  sides?: boolean;
  /** The exits know packet lengths that a header pointer carries into the next windows (slidingWindow). */
  window?: boolean;
  /** The exits multiply through records' lengths (Frame.records): the count swings around the estimate. */
  records?: boolean;
}

/**
 * A loop being walked: its trip count, the factor its states multiply by per trip, and the loop
 * that multiplies them (an inner loop's exits, or the loop itself changing `self` on some trips).
 */
interface Frame {
  node: ts.IterationStatement;
  trips: number;
  factor: number;
  /**
   * Set when what multiplies the states is only inner loops' exits through variables declared in
   * this loop's body (a record's length, skipped by `off += len`): their growth slows after the
   * third trip (grownWalks). Cleared by any other multiplier.
   */
  records?: boolean;
  /** Set when one of those inner loops pins a length it compares with its counter (exitCompared). */
  pinned?: boolean;
  inner?: ts.Node;
  exits: number;
  self?: string;
  /**
   * Walks of the body that grow faster than the trips, in the loop itself: a running sum's
   * (runningSumWalks, `sum` its name), a value the counter splits (counterSplitWalks, `split`), or
   * a picked position's (counterPickWalks, `pick`), a strict running extreme's
   * (runningExtremeWalks, `extreme`), a ceilinged offset's or a halving's (ceilingStepWalks,
   * halvingWalks: `self`), or a one-sided
   * map call's (oneSidedCallWalks, no name); or in
   * an inner loop reading a packet window this loop moves (slidingWindow: `window`, its exits).
   */
  quad?: {
    walks: number;
    loop: ts.Node;
    sum?: string;
    split?: string;
    pick?: string;
    extreme?: string;
    step?: string;
    /** A value changed on some trips that the verifier needs exactly (TSBPF3013): ceilingStepWalks. */
    self?: string;
    window?: number;
  };
}

/** Where compile.ts starts warning (TSBPF3010/3012). */
const NEAR_LIMIT = 0.9 * VERIFIER_INSN_LIMIT;

/**
 * Trips of loops around a loop() call from which compile.ts warns (TSBPF3027). A loop() call in a
 * loop the verifier walks trip by trip puts the loop's states under exact comparison: once the
 * call's body has been walked to where its state repeats, the kernel (6.16 on) counts its liveness
 * marks for that loop incomplete until every path through it is done, so it compares even dead and
 * imprecise values by range, and paths that carry different values through the trips stop merging.
 * The verifier walks on past a call as if its body ran no time and walks the body when it comes
 * back to the call's pending state; from then on the loop's other pending sides re-walk the rest of
 * the loop without pruning against the states it stored before (the kernel's log shows no pruning
 * at the `if`'s join). Measured on Linux 6.18, a packet loop with one `if` that adds a byte to a sum
 * or flips its low bit: 514 processed over 16 trips without the call, 13,908 over 14 trips with
 * `loop(4, ...)` at the top of each, 683,078 over 16; the call on the first trip only, whose body is
 * walked last: 606; on the last trip only: 6,066. On the fuzzer's programs (fuzz:cost seeds
 * 20261340-43, 16,000 programs), 15 of the 18 refusals the estimate missed had a loop() call inside
 * 20 to 186 trips; most such programs load, at 8,000 processed and more. How far the states
 * multiply depends on the order of the walk and on which states the kernel drops, so it is not
 * estimated. From 14 trips: differential seed 20261353 had calls inside 14 and 15 trips refused.
 */
const LOOP_CALL_TRIPS = 14;

/**
 * Where a loop() call in fewer trips is warned too (TSBPF3027): its body steps a field it needs on
 * one side of a test it cannot decide only (`(i ? s.b-- : 0) & 1` returned: SteppedState.partial),
 * and W^T reaches this (W the body's walks, T the trips). Alone, such a call is cheap (413 processed
 * over `& 13`); in a loop the states where the field is exact and those where it is not multiply,
 * unevenly with the count's bits. Measured on Linux 6.18 (differential seed 20261353, reduced): 2
 * trips over `& 13`, `& 15`, `& 17` process 27,450, 12,585, 16,792 and `& 19` is refused; 3 trips
 * over `& 7`, `& 11`, `& 13` 9,870, 178,493, 438,097; 4 trips over `& 5`, `& 7` 18,138 and 142,324;
 * 5 over `& 3`, `& 5` 9,136 and 833,805. With the field set from the stepped one on one side (`s.a =
 * i ? s.b-- : 0`, then both read) 2 trips over `& 11`, `& 12`, `& 13` process 38,232, 159,042 and
 * 351,871 (153,761 in another program, where `& 15` is refused); 3 over `& 7` 48,388, 4 over `& 5`
 * 37,032, 5 over `& 3` 34,555. The same for a field set from known values a test of the index forks
 * (SteppedState.storeOnly): `s.a -= (s.a |= 0x13) | (i ? 125 : i)` in 2 trips over `& 63` is
 * refused, in 4 over `& 7` processes 593,259.
 */
const ONE_SIDED_WALKS = { twoTrips: 169, more: 2500 };

/**
 * Where a loop() call in fewer trips is warned too (TSBPF3027): the loops around it run carried
 * forks (carriedForks: `if`s on data that leave a value from before the loop different on their
 * sides) whose paths reach 2^this: T x log2(F + 1) for F such `if`s (on one byte, F + 1 outcomes)
 * in each of T trips. Each walks on as states of its own once the call puts the loop's states under
 * exact comparison. Measured on Linux 6.18, a packet loop with `loop(4, ...)` and F `if`s on the
 * byte (`if (b > 20) a0 += b; else a0 ^= 1;`, a threshold each); the call at the end of the trip:
 * F = 2 over 10, 11, 12 trips 44,793, 160,720 and refused; 3 over 8, 9, 10 64,779, 220,365, 538,907;
 * 4 over 6, 7, 8 52,999, 108,553, 280,378; 6 over 4, 5 29,986, 110,872. At the top: 3 over 10, 12
 * 95,300, 232,084; 4 over 6, 8, 12 38,297, 274,893, refused; 6 over 6 606,409; 8 over 4, 5 64,254,
 * 410,369. Refusals start near 19 to 22; from 15 the warning leaves a margin. Without the call, 4
 * such `if`s over 12 trips process 1,193; tests that pick values stored in a map, not carried, cost
 * little (6 over 10 trips: 1,763).
 */
const CARRIED_FORK_BITS = 15;

/**
 * How many times more a later stepping loop() call on the path walks what follows, where the caller
 * reads the packet at an offset computed from the stepped field (SteppedState.offset): each state
 * also holds the packet range its read proved, and they multiply faster than W per call. Measured on
 * Linux 6.18, a call stepping `s.b` then `ctx.header<u32>((u8(s0.b) & 31) + 12 + k)` in a loop: 2
 * trips over `& 7`, `& 15` 2,185 and 44,927 processed, `& 31` refused (the same with `& 3`, `& 63`
 * or `(8 << u8(s0.b)) & 31` as the offset); 3 trips over `& 7` 23,252; 4 over `& 3` 5,204.
 */
const OFFSET_GROWTH = (w: number): number => 0.009 * w ** 3.4;

/** Trips of a loop over which the walks after multi-result values double (see weigh). */
const OUTCOME_GROWTH = 8;

/**
 * Where compile.ts warns (TSBPF3016) about a program whose estimate comes mostly from walks of the
 * code after a loop once per exit (exitWalks): that count runs low. In the kernel tests it is 10 to
 * 12% under (800,337 processed for 714,890 estimated), and on the fuzzer's programs the verifier
 * refused two of them estimated at 489,497 and 743,179 (the differential run's seed 20261260, and
 * fuzz:cost seed 20261262 #5508), while 4 of the 15,000 programs of fuzz:cost seeds 20261261 and
 * 20261262 that loaded had estimates between 450,000 and 900,000. The same band cautions where the
 * kernel's count swings as much around the estimate: record parsers (TSBPF3023) and packet windows
 * with a header pointer live through them (TSBPF3016, nestedExits.window).
 */
export const WITHIN_ERROR = 0.45 * VERIFIER_INSN_LIMIT;

/** The kernel's BPF_COMPLEXITY_LIMIT_JMP_SEQ (kernel/bpf/verifier.c). */
export const VERIFIER_JMP_SEQ_LIMIT = 8192;

/**
 * Estimate for a program whose body is `fn` and whose final code has `insnCount` instructions;
 * `facts`: which `if`s still branch after the IR passes (verifier-cost-ir.ts), when the compile knows.
 */
export function estimateVerifierCost(fn: ts.ArrowFunction, checker: ts.TypeChecker, insnCount: number, facts?: BranchFacts): CostEstimate {
  return withBranchFacts(facts, () => estimate(fn, checker, insnCount));
}

function estimate(fn: ts.ArrowFunction, checker: ts.TypeChecker, insnCount: number): CostEstimate {
  const w = new Walker(checker, Infinity, false);
  w.body(fn.body, 1, 1);
  const firm = new Walker(checker, 1, true);
  firm.body(fn.body, 1, 1);
  const scale = w.flatWeight > 0 ? insnCount / w.flatWeight : 1;
  // Past 10^12 the count says only "far too many": keep it a number a message can print.
  const steps = Math.round(Math.min(w.cost * scale + w.exitSteps, 1e12));
  const unmultiplied = Math.round((w.cost - w.multipliedCost) * scale + w.exitSteps);
  const unwalked = Math.round((w.cost - w.exitWalkCost) * scale + w.exitSteps);
  const unexact = Math.round((w.cost - w.exactExitCost) * scale + w.exitSteps);
  const unsplit = Math.round((w.cost - w.outcomeCost) * scale + w.exitSteps);
  const unstepped = Math.round((w.cost - w.steppedCost) * scale + w.exitSteps);
  return {
    steps,
    nestedExits: w.multiplied && unmultiplied <= NEAR_LIMIT ? w.multiplied : undefined,
    exitWalks: w.exitWalked && unwalked <= NEAR_LIMIT ? w.exitWalked : undefined,
    exitWalksNear: w.exitWalked && unwalked <= WITHIN_ERROR ? w.exitWalked : undefined,
    exactExits: w.exactExited && unexact <= NEAR_LIMIT ? w.exactExited : undefined,
    outcomes: w.outcomesMost && unsplit <= NEAR_LIMIT ? w.outcomesMost : undefined,
    steppedState: w.stepped && unstepped <= NEAR_LIMIT ? w.stepped : undefined,
    steppedStateNear: w.stepped && unstepped <= WITHIN_ERROR ? w.stepped : undefined,
    loopSteps: Math.round(firm.cost * scale + firm.exitSteps),
    hottest: w.hottest,
    pendingBranches: w.pending,
    pendingLoop: w.pendingLoop,
    unbounded: w.unbounded,
    nestedDataLoop: w.nestedDataLoop,
    loopCallInLoop: w.loopCallInLoop,
    forkedCeiling: w.forkedCeiling,
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
  /** Cost added by walks of what follows a loop whose exits leave a variable at different known values. */
  exactExitCost = 0;
  exactExited?: { loop: ts.Node; exits: number; name: string };
  /** Walks of the rest of a block after values that leave a statement as one of several (verifier-cost-outcomes.ts). */
  private outcomeMul = 1;
  /** Cost added by outcomeMul, and the value that multiplied most. */
  outcomeCost = 0;
  outcomesMost?: { node: ts.Node; name: string; walks: number };
  /** Walks of what follows such loops (one per exit), up to the end of the last statement using the variable. */
  private readonly exactMuls: { mul: number; until: number }[] = [];
  /**
   * Walks of what follows loop() calls whose body steps its state (steppedCall), from `from` to
   * `until` (positions, as exactMuls); the cost they add and the call that adds most.
   */
  private readonly steppedMuls: (PathSpan & { mul: number })[] = [];
  steppedCost = 0;
  stepped?: { call: ts.Node; body: string; field: string; walks: number };
  private steppedMost = 0;
  /** loop() calls whose body steps its state met so far on the walk, and the code on their paths after them. */
  private readonly steppedSites: (PathSpan & { calls: number })[] = [];
  /** While a called function's body is walked: where the outermost call is (exactMuls go by it). */
  private site?: number;
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
  /** The loop() call inside the most loop trips (see LOOP_CALL_TRIPS). */
  loopCallInLoop?: { call: ts.Node; loop: ts.Node; trips: number };
  /** The first forked ceiling met (verifier-cost-forks.ts). */
  forkedCeiling?: ForkedCeiling & { loop: ts.Node };
  /** The first loop the verifier can never see end, and why. */
  unbounded?: { loop: ts.Node; reason: string };
  /** Cost added by multiplied exit states (see multiply), and the inner loop that adds most. */
  multipliedCost = 0;
  multiplied?: Multiplied;
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
      const saved = this.outcomeMul;
      const list = node.statements;
      for (let k = 0; k < list.length; k++) {
        p = this.stmt(list[k]!, p, trips);
        // Warnings only: a value that is one of several, needed exactly by what follows, walks the
        // rest of the block once per value (times the values before it).
        const o = this.firm ? undefined : outcomesOf(list[k]!, this.checker);
        if (o && usesExactly(list.slice(k + 1), new Set([o.sym]), this.checker, false)) {
          this.outcomeMul = Math.min(this.outcomeMul * o.count, 1e6);
          if (this.outcomeMul > (this.outcomesMost?.walks ?? 1))
            this.outcomesMost = { node: o.node, name: o.sym.name, walks: this.outcomeMul };
        }
      }
      this.outcomeMul = saved;
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
      const n = runsOnce(s) ? 1 : (lt?.trips ?? 1);
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
      const frame: Frame = { node: s, trips: n, factor: 1, inner: undefined, exits: 1 };
      this.frames.push(frame);
      const before = this.cost;
      this.body(s.statement, inner, trips * n);
      this.frames.pop();
      this.cap = saved;
      if (!this.firm && !this.forkedCeiling) {
        const f = forkedCeiling(s, this.checker);
        if (f) this.forkedCeiling = { ...f, loop: s };
      }
      if (!this.firm && n >= 2) {
        // Warnings only, like noteExits: an upper estimate from measured shapes.
        const own = selfExactFactor(s, lt?.counter ?? forCounter(s, this.checker), this.checker);
        if (own.factor > 1) {
          frame.factor = Math.min(frame.factor * own.factor, 1e6);
          frame.records = false;
          if (!frame.inner) {
            frame.inner = s;
            frame.exits = own.factor;
            frame.self = own.name;
          }
        }
        const sum = runningSumWalks(s, n, this.checker);
        const split = counterSplitWalks(s, n, this.checker);
        const sides = oneSidedCallWalks(s, n, this.checker) ?? 0;
        const pick = counterPickWalks(s, n, this.checker);
        const extreme = runningExtremeWalks(s, n, this.checker);
        const step = steppedCompareWalks(s, n, this.checker);
        const ceiling = ceilingStepWalks(s, n, this.checker) ?? halvingWalks(s, n, this.checker);
        const most = Math.max(
          sum?.walks ?? 0,
          split?.walks ?? 0,
          pick?.walks ?? 0,
          extreme?.walks ?? 0,
          step?.walks ?? 0,
          ceiling?.walks ?? 0,
          sides,
        );
        if (most > n && most > (frame.quad?.walks ?? 0))
          frame.quad =
            sum && sum.walks === most
              ? { walks: most, loop: s, sum: sum.name }
              : split && split.walks === most
                ? { walks: most, loop: s, split: split.name }
                : pick && pick.walks === most
                  ? { walks: most, loop: s, pick: pick.name }
                  : extreme && extreme.walks === most
                    ? { walks: most, loop: s, extreme: extreme.name }
                    : step && step.walks === most
                      ? { walks: most, loop: s, step: step.name }
                      : ceiling && ceiling.walks === most
                        ? { walks: most, loop: s, self: ceiling.name }
                        : { walks: most, loop: s };
        if (frame.quad) frame.inner ??= s;
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
      if (
        !this.firm &&
        n >= 2 &&
        this.frames.length === 0 &&
        growsPacketRange(s, this.checker) &&
        packetAfter(s, this.checker) &&
        !headerReadsHoisted(s, this.checker) &&
        preciseAfter(s, lt?.counter ?? forCounter(s, this.checker), this.checker)
      ) {
        // Only while a packet pointer outlives the loop (nothing hoisted) and a value it sums is
        // compared after it: otherwise the exits walked failing side first cover one another
        // (packet-check-order.ts). A second such loop does not multiply the first's walks: an exit
        // of the second holds the larger of the two lengths, so most combinations repeat one (seed
        // 20261205: 28 then 38 trips load with 136,231, where a product put it at 1.2M).
        const exits = this.exitStates(s, lt?.counter ?? forCounter(s, this.checker), n) + 1;
        this.exitMul = Math.max(this.exitMul, exits);
        this.exitWalked ??= { loop: s, exits };
      } else if (!this.firm && n >= 2 && this.frames.length === 0 && !lt?.dataDependent && dataBreaks(s, this.checker).all > 0) {
        // Exits after different trips that leave a variable at different known values, which code
        // after the loop needs exactly: each walks that code (exactExitVar). Warnings only.
        const x = exactExitVar(s, lt?.counter ?? forCounter(s, this.checker), this.checker);
        if (x) {
          this.exactMuls.push({ mul: n + 1, until: x.until });
          this.exactExited ??= { loop: s, exits: n + 1, name: x.name };
        }
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
    if (!outer || outer.trips < 2 || !lt || lt.dataDependent || n < 1) return;
    const counter = forCounter(loop, this.checker) ?? lt.counter;
    // A one-trip loop counts only when its counter's comparison keeps a carried value exact (the
    // shape measured: ONE_TRIP_GROWTH); the other rules were fitted to loops of 2 trips and more
    // (fuzz:cost seed 20261344 #1096, a one-trip loop stepping a field a later offset reads through
    // an atomic, processes 5,290).
    if (n < 2 && ![...loopWrites(loop, this.checker)].some((v) => counterCompared(loop, outer.node, v, counter, this.checker))) return;
    const breaks = dataBreaks(loop, this.checker);
    if (breaks.all === 0) return;
    if (breaks.packet > 0 && slidingWindow(loop, outer.node, this.checker)) {
      // n + n^7.8 m^3.9 / 1e9 walks of the enclosing body: a threshold more than a rate, fitted to
      // the best window with a header pointer live (verifier-cost-windows.ts), which goes from
      // 156,485 processed at 12 x 6 to 804,597 at 12 x 10 and refused at 12 x 12.
      const o = outer.trips;
      const walks = o + (o ** 7.8 * n ** 3.9) / WINDOW_WALKS;
      if (walks > (outer.quad?.walks ?? 0)) outer.quad = { walks, loop, window: n + 1 };
    }
    // How the variables the enclosing loop needs exactly change: on every trip (n + 1 exit values),
    // under a condition on data (each exit may hold any count up to its trip: ~n^2/2 states), or only
    // under a condition on loop counters (a few values; measured: no blow-up, 8 x 16 trips load).
    let kind: WriteKind | undefined;
    // Whether every variable counted is declared afresh at each trip of the enclosing loop.
    let fresh = true;
    // The power of the exit states the growth takes when every variable counted holds a count (calls
    // or steps so far), and fewer states stay apart: set by a call that steps a struct's field
    // (endsCounted, COUNTED_GROWTH), or stepped by constants and compared exactly (comparedExactly,
    // DECIDED_GROWTH); 1 otherwise.
    let power = 0;
    const inOuter = (v: ts.Symbol): boolean => {
      const d = v.valueDeclaration;
      return !!d && d.pos >= outer.node.statement.pos && d.end <= outer.node.statement.end;
    };
    for (const v of loopWrites(loop, this.checker)) {
      if (v === counter || setsOnlyConstants(loop, v, this.checker) || wholeRangeStart(loop, v, this.checker)) continue;
      // Changed with no branch (the if-convert pass's `acc - c`): its exits hold overlapping ranges.
      if (writesUnbranched(writesOf(loop, v, this.checker), loop, true)) continue;
      // Needed exactly: in a packet offset or an index after the loop, or in a comparison the
      // verifier decides (a count held exactly, against a constant or a counter).
      const decided = comparedExactly(loop, outer.node, v, this.checker);
      if (decided || preciseAfter(loop, counter, this.checker, true, v) || counterCompared(loop, outer.node, v, counter, this.checker)) {
        const k = writeKind(loop, v, this.checker);
        kind = worse(kind, k);
        power = Math.max(power, decided ? DECIDED_GROWTH : endsCounted(loop, v, this.checker) ? COUNTED_GROWTH : 1);
        if (k !== "counter") fresh &&= inOuter(v);
      }
    }
    // A value the exits compare with the counter (exitCompared): pinned, one per trip, like a
    // variable changed on every trip.
    const compared = exitCompared(loop, counter, this.checker);
    if (compared) {
      kind = worse(kind, "every");
      power = 1;
      fresh &&= inOuter(compared.symbol);
      outer.pinned = true;
    }
    if (!kind || kind === "counter") return;
    const exits = kind === "data" ? ((n + 1) * (n + 2)) / 2 : n + 1;
    // Measured per outer trip: with a break on a failed packet read the count grows by about E - 1
    // (the inner trip count when every trip writes); with breaks on comparisons only, by about E/2
    // (more exits repeat a state).
    // Where the exits hold counts, fewer states stay apart than E - 1 per trip: measured for a
    // counted call (fuzz:cost seed 20261290 #5382's shape, `acc1 = f(s0)` then acc1 in the enclosing
    // loop's packet offset), about (E - 1)^0.75 per trip: 8 outer trips of 4 inner ones process
    // 28,453, 10 of them 713,048 and 11 are refused; 8 of 8, 656,134.
    // A one-trip inner loop (an `if` with a packet read) leaves 2 exit states per outer trip, and
    // the growth is not 1 but about 1.43x per outer trip (differential seed 20261349: 33 outer trips
    // of a one-trip loop stepping a narrow i32 it compares with its counter, refused; 13 trips
    // process 8,272, 19 trips 67,265, 25 trips 635,067).
    const base = breaks.packet > 0 ? Math.max(exits - 1, ONE_TRIP_GROWTH) : 1 + (exits - 1) / 2;
    const grow = base ** power;
    outer.factor = Math.min(outer.factor * grow, 1e6);
    outer.records = (outer.records ?? true) && fresh;
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
    if ((frame.factor <= 1 && !frame.quad) || frame.trips < 2 || !frame.inner) return;
    const f = frame.factor;
    const n = frame.trips;
    const later = frame.records ? (frame.pinned ? LATER_GROWTH.pinned : LATER_GROWTH.counted) : f;
    const grown = f > 1 ? grownWalks(f, n, later) : n;
    const quad = frame.quad && frame.quad.walks > grown ? frame.quad : undefined;
    const walks = quad?.walks ?? grown;
    // Records with a pinned length: a failed read's exit leaves the length a range, not a value,
    // and those states walk on beside the pinned ones (PINNED_WALKS).
    const pinned = !quad && frame.records && frame.pinned ? PINNED_WALKS : 1;
    const extra = (walked / n) * (walks - n) * pinned;
    this.cost += extra;
    this.multipliedCost += extra;
    if (extra > this.multipliedMost) {
      this.multipliedMost = extra;
      this.multiplied = quad?.window
        ? { loop: quad.loop, exits: quad.window, outerTrips: n, window: true }
        : quad
          ? {
              loop: quad.loop,
              exits: frame.exits,
              outerTrips: n,
              sum: quad.sum,
              split: quad.split,
              pick: quad.pick,
              extreme: quad.extreme,
              step: quad.step,
              self: quad.self,
              sides: !quad.sum && !quad.split && !quad.pick && !quad.extreme && !quad.step && !quad.self,
            }
          : { loop: frame.inner, exits: frame.exits, outerTrips: n, self: frame.self, records: frame.records };
    }
  }

  /**
   * A loop() call whose body steps a field of its state that it needs exactly (steppedState): each
   * walk of the body starts from a new value, so it is walked W times per call (W the count's
   * largest value plus one), and what follows once per walk. A second such call on the path walks
   * its body W times from each of those states, and what follows once per walk again; later ones
   * about W/1.6 times (measured: verifier-cost-loop-bodies.ts). A call inside a loop is one such
   * call per trip. What follows excludes the other sides of the `if`s and `switch`es the call is
   * in, and ends where the call's path returns. Warnings only (the firm estimate keeps LOOP_BODY_WALKS).
   */
  private steppedCall(call: ts.CallExpression, body: ts.Block, st: SteppedState, paths: number, trips: number, nested: boolean): void {
    const w = st.walks;
    const outer = this.frames[0];
    const calls = outer && !nested ? Math.max(1, Math.min(Math.round(trips), 1000)) : 1;
    const at = this.site ?? call.pos;
    const prior = this.steppedSites.filter((x) => onPath(x, at)).reduce((n, x) => n + x.calls, 0);
    // m: walks of the body at the j-th call here, and of what follows it, per walk of what came
    // before these calls: W at the first two such calls on the path, W/1.6 at later ones.
    let m = 1;
    let bodyWalks = 0;
    for (let j = 0; j < calls && m < 1e12; j++) {
      const growth = prior + j < 2 ? w : steppedGrowth(w);
      m = Math.min(m * (st.offset && prior + j >= 1 ? Math.max(growth, OFFSET_GROWTH(w)) : growth), 1e12);
      bodyWalks += m;
    }
    const before = this.cost;
    // A forking step walks the body more often than it leaves states (SteppedState.bodyWalks).
    bodyWalks *= (st.bodyWalks ?? w) / w;
    this.body(body, paths, (trips / calls) * bodyWalks);
    const walked = this.cost - before;
    this.steppedCost += walked * Math.max(0, 1 - (LOOP_BODY_WALKS * calls) / bodyWalks);
    const skip = nested ? [] : otherSides(call);
    const stop = nested ? Infinity : returnsAfter(call);
    const from = nested ? -Infinity : call.end;
    this.steppedSites.push({ calls, from, until: stop, skip });
    if (calls > 1 && outer) {
      // The rest of the enclosing loop's trips: walked once per trip already, m times more in all.
      this.steppedMuls.push({ mul: bodyWalks / calls, from, until: Math.min(outer.node.end, stop), skip });
      this.steppedMuls.push({ mul: m, from: outer.node.end, until: stop, skip });
    } else this.steppedMuls.push({ mul: m, from, until: stop, skip });
    if (walked > this.steppedMost) {
      this.steppedMost = walked;
      this.stepped = { call, body: call.arguments[1]!.getText(), field: st.field, walks: st.walks };
    }
  }

  /**
   * A loop() call inside loops walked trip by trip: keep the one inside the most trips, from
   * LOOP_CALL_TRIPS, or from fewer where its body needs a stepped field on one side only (ONE_SIDED_WALKS).
   */
  private noteLoopCall(call: ts.CallExpression, stepped: () => SteppedState | undefined): void {
    const walked = this.frames.filter((f) => f.trips > 1);
    const trips = walked.reduce((n, f) => Math.min(n * f.trips, 1e12), 1);
    if (trips <= (this.loopCallInLoop?.trips ?? 0) || trips < 2) return;
    const oneSided = (): boolean => {
      const st = stepped();
      return st?.partial === true && st.walks ** trips >= (trips === 2 ? ONE_SIDED_WALKS.twoTrips : ONE_SIDED_WALKS.more);
    };
    // Each trip runs the carried forks of every loop around it (the outer ones' once per their trip).
    let runs = 1;
    let bits = 0;
    for (const f of walked) {
      runs = Math.min(runs * f.trips, 1e12);
      bits += runs * Math.log2(1 + carriedForks(f.node, this.checker));
    }
    // The loops beside the call in the outermost one run under the same exact comparison.
    const beside = besideLoopTrips(walked[0]!.node, call, this.checker);
    const all = Math.min(trips * (1 + beside), 1e12);
    if (all >= LOOP_CALL_TRIPS || oneSided() || bits >= CARRIED_FORK_BITS)
      this.loopCallInLoop = { call, loop: walked[0]!.node, trips: all };
  }

  private expr(e: ts.Node, paths: number, trips: number): number {
    this.weigh(e, paths, trips);
    this.calls(e, paths, trips);
    return Math.min(paths + countBranches(e), this.cap);
  }

  private weigh(node: ts.Node, paths: number, trips: number): void {
    const w = nodeWeight(node);
    const base = w * paths * trips * this.tailMul;
    // The walks per trip grow with the loop's first trips (base64-decode: 24,700 processed per trip
    // for the first 4, 52,000 on average over 12), then level off (three calls: 5,600 per trip over
    // 64 trips, 3,400 over 200): counted as twice the walks from 8 trips on.
    const loopTrips = this.frames[this.frames.length - 1]?.trips ?? 0;
    const grow = 1 + Math.min(loopTrips, OUTCOME_GROWTH) / OUTCOME_GROWTH;
    const walked = this.outcomeMul > 1 ? base * this.outcomeMul * grow : base;
    let exact = 1;
    const at = this.site ?? node.pos;
    for (const m of this.exactMuls) if (at < m.until) exact = Math.min(exact * m.mul, 1e12);
    let stepped = 1;
    for (const m of this.steppedMuls) if (onPath(m, at)) stepped = Math.min(stepped * m.mul, 1e12);
    const both = Math.min(exact * stepped, 1e12);
    this.steppedCost += walked * this.exitMul * (both - exact);
    this.cost += walked * this.exitMul * both;
    this.outcomeCost += (walked - base) * this.exitMul * exact;
    this.exitWalkCost += walked * (this.exitMul - 1);
    this.exactExitCost += walked * this.exitMul * (exact - 1);
    this.flatWeight += w;
  }

  /**
   * Calls of module-level functions: inlined, or verified at each call site (@noinline). A loop()
   * body is verified at each call site too, as a loop of unknown trips: the verifier walks it until
   * its state at the body's entry repeats (LOOP_BODY_WALKS times, measured).
   */
  private calls(node: ts.Node, paths: number, trips: number): void {
    const stack: ts.Node[] = [node];
    while (stack.length) {
      const n = stack.pop()!;
      if (ts.isCallExpression(n)) {
        const cb = loopCallBody(n, this.checker);
        // steppedState walks the body and its caller: once per call, and only where asked.
        let st: SteppedState | undefined | null = null;
        const stepped = (): SteppedState | undefined => (st === null ? (st = cb && steppedState(n, cb, this.checker)) : st);
        if (cb) this.noteLoopCall(n, stepped);
        const d = cb ?? calleeOf(n, this.checker);
        if (d?.body && !this.active.has(d)) {
          this.active.add(d);
          const site = this.site;
          this.site ??= n.pos;
          const s = cb && !this.firm ? stepped() : undefined;
          if (s && !s.storeOnly) this.steppedCall(n, d.body, s, paths, trips, site !== undefined);
          else this.body(d.body, paths, trips * (cb ? LOOP_BODY_WALKS : 1));
          this.site = site;
          this.active.delete(d);
        }
      }
      ts.forEachChild(n, (c) => {
        if (!ts.isFunctionLike(c)) stack.push(c);
      });
    }
  }
}

/** Source positions after a loop() call on the paths through it: `from` to `until`, less the `skip` ranges (otherSides). */
interface PathSpan {
  from: number;
  until: number;
  skip: readonly (readonly [number, number])[];
}

const onPath = (x: PathSpan, at: number): boolean => at >= x.from && at < x.until && !x.skip.some(([a, b]) => at >= a && at < b);

/** How much the walks of what follows grow per further loop() call whose body steps its state (steppedCall). */
const steppedGrowth = (walks: number): number => Math.max(2, walks / 1.6);

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

/**
 * Walks of an enclosing loop's body over `n` trips when its states multiply by `f` per trip: 1, f,
 * f^2, then by at most LATER_GROWTH per trip.
 */
function grownWalks(f: number, n: number, later: number): number {
  let walks = 0;
  let g = 1;
  for (let k = 0; k < n && walks < 1e12; k++) {
    walks += g;
    g *= k < 2 ? f : Math.min(f, later);
  }
  return Math.min(walks, 1e12);
}

/**
 * How much an enclosing loop's walks grow per trip from its third on, when its states multiply
 * through records' lengths (Frame.records). Measured on Linux 6.18 with packet-rebase (which reads
 * `data` afresh in such loops; bench/natural/tlv and words, 2 to 12 records of 4 to 32 bytes): the
 * count grows by about the inner trip count for the second and third records, then by less,
 * whatever the inner trip count: 1.7 to 2.8 per record when the inner loop pins the length it
 * compares with its counter (tlv), 2.2 to 13 when it counts the length (words: 3 words of up to
 * 16 bytes process 77,235, 4 are refused). The verifier keeps few states inside a loop (peak_states
 * stays near 80 while total_states passes 24,000), so later records' states are walked again
 * rather than multiplied.
 */
const LATER_GROWTH = { pinned: 2.2, counted: 6 };

/** Growth per outer trip from a one-trip inner loop's two exit states (noteExits). */
const ONE_TRIP_GROWTH = 1.43;

/**
 * Outer trips^7.8 x inner trips^3.9 per extra walk of a sliding window's enclosing body
 * (slidingWindow): separates the best windows measured that load under 400,000 (16 x 4: 160,760;
 * 12 x 6: 156,485; 10 x 12: 85,428) from those refused (14 x 8, 12 x 12, 24 x 4) by about 2 times.
 */
const WINDOW_WALKS = 1e9;

/**
 * The power of an inner loop's exit states that its enclosing loop's walks grow by, per trip, when a
 * counted call sets what the exits differ in (noteExits).
 */
const COUNTED_GROWTH = 0.75;

/**
 * The same when the exits differ in a count the inner loop steps and compares exactly: measured on
 * fuzz:cost seed 20261300 #1140 (3 inner trips, `if (k7 >= (--s0.a)) break;`), about 2x per outer
 * trip, 3^0.6: 4, 8, 10 and 11 outer trips process 3,476, 65,039, 192,904 and 603,727; 12 are refused.
 */
const DECIDED_GROWTH = 0.6;

/**
 * Walks per counted walk of records whose inner loop pins their length (see multiply): measured
 * 0.8 to 1.5 times the walks counted without it (3 TLVs of up to 32 bytes: 911,369 processed,
 * estimated at 700,589; 6 of up to 8: 204,600 for 215,052).
 */
const PINNED_WALKS = 1.2;

/** Loops the compiler accepts run at most this many times when it can count them (lower-stmt.ts). */
const MAX_TRIPS = 65536;

/** Instructions the verifier walks per data-dependent loop exit before it prunes (the `ja +0`, the test). */
const EXIT_WALK = 3;
