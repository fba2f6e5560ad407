// loop() (bpf_loop) bodies, for the verifier-cost estimate (verifier-cost.ts). The verifier checks a
// body at each call, walking it until the state it starts from repeats. It does not end that walk
// on the body's `return 1`, so a state field the body steps by a constant and needs exactly (a
// comparison, the result) takes a new value at every walk: the body is then walked once per trip
// the count allows, and the code after the call once per walk. Measured on Linux 6.18
// (test/verifier-cost-loop-bodies.test.ts), `return i64((++s.n) & 1);` over a count of `ctx.len &
// M`, k calls one after another: M = 15 processes 320, 4,979, 49,015 and 392,765 for k = 1 to 4;
// M = 31, 624, 19,667 and 392,463, refused at 4; M = 7, 168 to 76,108 at k = 5. The second call
// is walked about W x W times (W the count's largest value plus one), each later one about W/1.6
// times as often as the one before: states that arrive with different values of the field prune
// against one another only in part.

import { type CType, sizeOf } from "../../common/ctypes.js";
import { constEval, stdlibName } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { TypeMapper } from "./types.js";
import {
  clearLowBits,
  decidedBy,
  deadSide,
  fieldPath,
  knownValue,
  liveValue,
  lowZeros,
  possibleBits,
  skipParens,
  unshifted,
  knownZero,
} from "./verifier-cost-known.js";
import { counterSpan, loopTrips } from "./verifier-cost-loops.js";
import { pureExpr } from "./verifier-cost-branchless.js";
import { intTypeOf, isIntCast, rangeOf, returns } from "./verifier-cost-ranges.js";
import { calleeOf, enclosingFunction, writeTarget } from "./verifier-cost-writes.js";
import { constantArgument, constantsGiven, readsKnownFields } from "./verifier-cost-call-args.js";
import {
  isHeaderRead,
  oneSided,
  orderedWithCounter,
  readsField,
  returnedFields,
  undecidedFork,
  undecidedSide,
  zeroIntoStruct,
} from "./verifier-cost-field-uses.js";

const K = ts.SyntaxKind;

/** How many times the verifier walks a loop() body per call when its state converges (Linux 6.18: 4 to 13 measured). */
export const LOOP_BODY_WALKS = 8;

/** The kernel's BPF_MAX_LOOPS: bpf_loop refuses larger counts at run time, the verifier does not. */
const MAX_LOOPS = 1 << 23;

/** The body function of a `loop(count, body, state)` call of the standard library's loop(). */
export function loopCallBody(call: ts.CallExpression, checker: ts.TypeChecker): ts.FunctionDeclaration | undefined {
  if (!ts.isIdentifier(call.expression) || stdlibName(call.expression, checker) !== "loop") return undefined;
  const arg = call.arguments[1];
  const d = arg && ts.isIdentifier(arg) ? checker.getSymbolAtLocation(arg)?.valueDeclaration : undefined;
  return d && ts.isFunctionDeclaration(d) && d.body ? d : undefined;
}

/**
 * The source ranges after `call` that a path through it never reaches: the `else` of each `if` whose
 * `then` holds it, and the clauses of each `switch` after the one its clause ends in (it falls
 * through the clauses that do not end in a `break`, `continue` or `return`).
 */
export function otherSides(call: ts.Node): [number, number][] {
  const endsInJump = (list: readonly ts.Statement[]) => list.length > 0 && returns(list[list.length - 1]!);
  const out: [number, number][] = [];
  for (let x: ts.Node = call; x.parent && !ts.isFunctionLike(x.parent); x = x.parent) {
    const p = x.parent;
    if (ts.isIfStatement(p) && x === p.thenStatement && p.elseStatement) out.push([p.elseStatement.pos, p.elseStatement.end]);
    if (ts.isCaseBlock(p) && ts.isCaseOrDefaultClause(x)) {
      let k = p.clauses.indexOf(x);
      while (k < p.clauses.length - 1 && !endsInJump(p.clauses[k]!.statements)) k++;
      const later = p.clauses.slice(k + 1);
      if (later.length > 0) out.push([later[0]!.pos, later[later.length - 1]!.end]);
    }
    if (ts.isConditionalExpression(p) && x === p.whenTrue) out.push([p.whenFalse.pos, p.whenFalse.end]);
  }
  return out;
}

/**
 * Where the paths through `call` end in a `return` (the end of the innermost statement around it
 * that always returns: `return loop(...)`, an `if` side ending in `return`); Infinity otherwise.
 */
export function returnsAfter(call: ts.Node): number {
  const ends = (s: ts.Statement): boolean =>
    ts.isReturnStatement(s) ||
    (ts.isBlock(s) && s.statements.length > 0 && ends(s.statements[s.statements.length - 1]!)) ||
    (ts.isIfStatement(s) && s.elseStatement !== undefined && ends(s.thenStatement) && ends(s.elseStatement));
  for (let x: ts.Node = call; x.parent && !ts.isFunctionLike(x); x = x.parent) if (ts.isStatement(x) && ends(x)) return x.end;
  return Infinity;
}

/** How many times fewer walks a field stepped by a range and only compared after the call takes (steppedState). */
const RANGE_COMPARED_SHARE = 3.5;

/** A loop() call whose body keeps stepping a field of its state: the field, and the body's walks per call. */
export interface SteppedState {
  field: string;
  walks: number;
  /** Walks of the body when its step forks each walk (about 2^(walks - 1)); what follows is walked `walks` times. */
  bodyWalks?: number;
  /** Not a step: the field is set from known values a test of the index forks; only warned in loops (SteppedState.partial). */
  storeOnly?: boolean;
  /** The caller reads the packet at an offset computed from the field after the call (verifier-cost.ts: OFFSET_GROWTH). */
  offset?: boolean;
  /**
   * The body needs the field on one side of a test it cannot decide only (oneSided), or steps it on
   * one side of such a test and needs it elsewhere than in that step (`if (i) s.b--; return s.b & 1`).
   */
  partial?: boolean;
}

/**
 * When `body` (the body of `call`) steps a field of its state by a constant on a path no comparison
 * of that field guards, and a comparison or its result depends on the field in a way the verifier
 * can decide (every value in it known: constants and fields it tracks, not the index or data), or
 * the calling function needs the field so after the call (a decided comparison, a loop() count):
 * the field and the walks, the count's largest value plus one, or fewer when the field's type
 * wraps sooner.
 * Deciding is what makes the verifier keep the field's exact value (it marks it precise); a
 * comparison it cannot decide explores both sides and leaves the field imprecise, and the walks
 * converge. Not counted: a field also set another way (from the index, an atomic), a step under a
 * test of the field (`if (s.n < 10) s.n++`) or after an exit on one (`if (s.n > 10) return 1; s.n++;`).
 */
export function steppedState(call: ts.CallExpression, body: ts.FunctionDeclaration, checker: ts.TypeChecker): SteppedState | undefined {
  const prm = body.parameters[1];
  const state = prm && ts.isIdentifier(prm.name) ? checker.getSymbolAtLocation(prm.name) : undefined;
  const count = call.arguments[0];
  if (!state || !count || !body.body) return undefined;
  const layout = new TypeMapper(checker).memType(checker.getTypeAtLocation(prm));
  if (!layout) return undefined;
  // values: what other writes store (undefined where unknown: an atomic).
  const index = indexSymbol(body, checker);
  const fields = new Map<
    string,
    {
      step?: bigint;
      /** A step by multiplication (`s.b *= 63`): the factor, "any" where it is one of two (mulStep). */
      factor?: bigint | "any";
      forks?: ts.Expression;
      /** The computed sides of steps that fork on the field's equality with the index (indexFork). */
      pinnedSides?: ts.Expression[];
      /** A step by one of two constants picked by the field's inequality with the index (indexEquality). */
      pinnedConstants?: boolean;
      /** A step by one of a constant and 0 (forkOf): its walks grow more slowly. */
      zeroFork?: boolean;
      /** Where the body steps it by a constant. */
      steps?: ts.Node[];
      /** The widest amount, in bits, of steps by a value the verifier knows only a range of (rangeStepBits). */
      rangeStep?: number;
      /** How many of its stores are such steps. */
      rangeSteps?: number;
      bits: number;
      unguarded: boolean;
      values: (ts.Expression | undefined)[];
      uses: ts.Node[];
    }
  >();
  const stack: ts.Node[] = [body.body];
  while (stack.length) {
    const n = stack.pop()!;
    // The side of a `?:` on a comparison of a value with itself that the compiler drops is not walked.
    const dead = ts.isConditionalExpression(n) ? deadSide(n, checker) : undefined;
    ts.forEachChild(n, (c) => {
      if (!ts.isFunctionLike(c) && c !== dead) stack.push(c);
    });
    if (!ts.isPropertyAccessExpression(n) || ts.isPropertyAccessExpression(n.parent)) continue;
    const path = fieldPath(n, state, checker);
    if (!path) continue;
    const f = fields.get(path) ?? { bits: intTypeOf(n, checker)?.bits ?? 64, unguarded: false, values: [], uses: [] };
    fields.set(path, f);
    const pinFork = index && indexFork(n, path, state, index, checker);
    const mul = mulStep(n, checker);
    const step = pinFork ? pinFork.step : mul ? undefined : stepOf(n, path, state, checker);
    if (pinFork) {
      (f.pinnedSides ??= []).push(pinFork.other);
      f.forks = pinFork.cond;
    }
    if (mul) {
      f.factor = f.factor === undefined || f.factor === mul.factor ? mul.factor : "any";
      if (mul.cond) f.forks ??= mul.cond;
      if (!guarded(n, path, body.body, state, checker)) f.unguarded = true;
    } else if (typeof step === "object") {
      f.values.push(step.value);
      const amount = rangeStepBits(n, f.bits, checker);
      if (amount !== undefined) {
        f.rangeStep = Math.max(f.rangeStep ?? 0, amount);
        f.rangeSteps = (f.rangeSteps ?? 0) + 1;
        if (!guarded(n, path, body.body, state, checker)) f.unguarded = true;
      }
      // Another operator with one of two constants (`s.m ^= i !== 256 ? 107 : 15`) forks as a step does.
      const p = n.parent;
      const fork =
        ts.isBinaryExpression(p) && p.left === n && p.operatorToken.kind !== K.EqualsToken ? forkOf(p.right, checker) : undefined;
      if (fork?.cond) f.forks ??= fork.cond;
    } else if (step !== undefined) {
      f.step ??= step;
      (f.steps ??= []).push(n);
      // The step is one of two constants (forkOf): the condition that picks it.
      const fork = ts.isBinaryExpression(n.parent) && !pinFork ? forkOf(stepAmount(n.parent), checker) : undefined;
      const pin = fork?.cond && index ? indexEquality(fork.cond, path, state, index, checker) : undefined;
      if (fork?.cond && pin !== "equal") f.forks = fork.cond;
      if (pin === "unequal") f.pinnedConstants = true;
      if (fork?.cond && fork.zero) f.zeroFork = true;
      if (!guarded(n, path, body.body, state, checker)) f.unguarded = true;
    }
    // The step's own value counts where it is used (`if (s.n++ > 10)`), a plain statement's does not.
    if ((step === undefined && !mul) || !ts.isExpressionStatement(n.parent.parent ?? n.parent)) {
      const d = decidedBy(n, body.body);
      if (d) f.uses.push(d);
    }
  }
  const init = initOf(call.arguments[2], layout, checker);
  const elsewhere = elsewhereOf(call, body, init, checker);
  if (!elsewhere) return undefined;
  // Stored one by one: the fields the declaration sets to anything but a constant 0 (the rest are
  // zeroed a slot at a time).
  const written = (x: string) => init.has(x) && init.get(x) !== 0n;
  // The verifier keeps a value stored on the stack only where it starts an 8-byte slot (the state
  // struct's are 8-aligned), and a store of another field into that slot (the struct's initializer
  // makes one) forgets it: the field is then read as any value. The fuzzer's `{ a: u8; b: i64; c:
  // u16; d: i32; ... }` stepping `a` processes 1,491 for a count of `ctx.len & 63`, `b` 1,239, `c`
  // (d shares its slot) 57. A field the caller (or another function given the state) sets from
  // data may hold any value too.
  // A field the body itself sets (`(s.e = 7) + s.e`) is known where it is read after that unless
  // the body stores another field of its slot. A store of 0 is known wherever it is: the verifier
  // marks each byte it writes as zero (`s.f = 0` at offset 28 of the fuzzer's struct, then `--s.b`
  // returned: refused for a count of `ctx.len & 15`; `s.f = 5`: 657 processed).
  const storedInBody = (x: string) =>
    fields.get(x)?.step !== undefined || fields.get(x)?.factor !== undefined || (fields.get(x)?.values.length ?? 0) > 0;
  const stored = (x: string) => written(x) || elsewhere.writes.has(x) || storedInBody(x);
  const whole = (x: string) => elsewhere.writes.get(x) !== "data" && init.get(x) !== "data" && aloneInSlot(layout, x, stored);
  const pinned = pinnedIndex(body, checker);
  // Set in the body only: its value there must not come from its own (forgotten) one.
  const setHere = new Set(
    [...fields.keys()].filter(
      (x) =>
        !whole(x) &&
        fields.get(x)!.values.length > 0 &&
        fields.get(x)!.step === undefined &&
        fields.get(x)!.factor === undefined &&
        (aloneInSlot(layout, x, storedInBody) ||
          fields.get(x)!.values.every((v) => v !== undefined && zeroOnAPath(v, pinned, checker, fields.get(x)!.bits))),
    ),
  );
  const kept = new Set([...fields.keys()].filter((x) => whole(x) || setHere.has(x)));
  const tracked = (x: string): boolean => kept.has(x);
  // A field the body sets from anything but known values holds a value the verifier does not know
  // (and makes the fields set from it so): drop those until none is left.
  for (let changed = true; changed; ) {
    changed = false;
    for (const x of kept) {
      const from = setHere.has(x) ? (y: string) => y !== x && tracked(y) : tracked;
      const bits = fields.get(x)!.bits;
      const knownHere = (v: ts.Expression) =>
        knownValue(v, state, from, checker, undefined, pinned?.sym) || zeroOnAPath(v, pinned, checker, bits);
      if (fields.get(x)!.values.some((v) => v === undefined || !knownHere(v))) {
        kept.delete(x);
        changed = true;
      }
    }
  }
  // A field nothing changes before or in the body holds its declaration's constant (a condition on
  // it is decided, and takes one side).
  const fixed = (x: string): bigint | undefined => {
    const v = init.get(x);
    const unchanged =
      fields.get(x)?.step === undefined && fields.get(x)?.factor === undefined && !fields.get(x)?.values.length && !elsewhere.writes.has(x);
    return typeof v === "bigint" && unchanged && (v === 0n || whole(x)) ? v : undefined;
  };
  const startsSlot = (x: string): boolean => fieldOffset(layout, x) % 8 === 0;
  // The low bits a field keeps set: its start's, where only the body's `|=` changes it and the
  // verifier keeps what it knows of the field's bits (alone in its slot, at the slot's start).
  const orOnly = orOnlyFields(body.body, state, checker);
  const lowOnes = (x: string): number => {
    const v = init.get(x);
    if (typeof v !== "bigint" || !orOnly.has(x) || elsewhere.writes.has(x) || !whole(x) || !startsSlot(x)) return 0;
    let k = 0;
    while (k < 64 && ((v >> BigInt(k)) & 1n) === 1n) k++;
    return k;
  };
  const known = (e: ts.Node, sym = state, given?: ReadonlySet<ts.Symbol>): boolean =>
    knownValue(
      e as ts.Expression,
      sym,
      tracked,
      checker,
      sym === state ? fixed : undefined,
      sym === state ? pinned?.sym : given,
      sym === state ? startsSlot : undefined,
      sym === state ? lowOnes : undefined,
    );
  // Uses after the call, or in other functions given the state: a decided comparison there, or a
  // loop() count, needs the field exactly too.
  const usedElsewhere = (x: string): boolean => elsewhere.uses.some((u) => u.path === x && (u.count || known(u.node, u.sym, u.given)));
  // A field the body sets from the stepped one (`s.c = ~(s.a++)`) hands the need on: the verifier
  // follows the value back through the store (differential seed 20261349: s0.c then the count of the
  // next call, in a 4-trip loop, refused with no warning).
  const feedsNeeded = (x: string): boolean =>
    [...fields].some(
      ([y, g]) =>
        y !== x &&
        tracked(y) &&
        g.values.some((v) => v !== undefined && readsField(v, x, state, checker)) &&
        (g.uses.some((u) => known(u)) || usedElsewhere(y)),
    );
  // A field ordered after the call against a loop's counter (`if (k >= (s0.a ^ y)) break;` in a `for`
  // on k): the states past the call hold one value of it per walk, and the kernel (6.16 on)
  // compares that loop's states by every value they hold, so each walks the loop's trips (Linux
  // 6.18, `s.a` stepped and not needed in the body, an 18-trip loop after the calls over `& 63`:
  // one call 10,601 processed, two 691,893, two over `& 15` 46,677; an equality `(s0.a ^ y) === 7`
  // instead, 290; the order against data, 258).
  const counterOrdered = (x: string): boolean => elsewhere.uses.some((u) => u.path === x && orderedWithCounter(u.node, checker));
  const range = rangeOf(count, checker)?.[1] ?? BigInt(MAX_LOOPS);
  const bits = possibleBits(count, checker);
  // A count masked by a loop's counter or a field nothing changes (`loop(u32(s0.c & k) & 63, ...)`)
  // is at most its value, as the verifier sees it (fuzz:cost seed 20261348 #3629: k from 3 to 13
  // there, 4 to 14 walks per call, not 64; counted as 14 on every trip).
  const arg = call.arguments[2];
  const argSym = arg && ts.isIdentifier(skipParens(arg)) ? checker.getSymbolAtLocation(skipParens(arg)) : undefined;
  const ceiling =
    argSym &&
    maskCeiling(
      count,
      (e) => {
        const path = fieldPath(e, argSym, checker);
        return path === undefined ? undefined : fixed(path);
      },
      checker,
    );
  const hi = [range, ...(bits !== undefined ? [bits] : []), ...(ceiling !== undefined ? [ceiling] : [])].reduce((a, b) => (a < b ? a : b));
  // With the index pinned to the field's value (indexFork): known there.
  const knownPinned = (e: ts.Node): boolean => index !== undefined && knownValue(e as ts.Expression, state, tracked, checker, fixed, index);
  // What the verifier knows on every path (no index pinned by a test).
  const decided = (e: ts.Node): boolean => knownValue(e as ts.Expression, state, tracked, checker, fixed);
  // Walks of a body: the count's largest value plus one, or fewer (`cap`: where the field's values repeat).
  const walksUpTo = (cap: bigint): number => Number([hi + 1n, cap, BigInt(MAX_LOOPS)].reduce((a, b) => (a < b ? a : b)));
  let forkedStore: SteppedState | undefined;
  for (const [field, f] of fields) {
    // Stepped only by values of a narrower type than the field that the verifier does not know (`s.b
    // -= (--s.f)`, f read as any u32): the field's range widens by the amount's every walk and never
    // falls within an earlier one, so where the caller needs it exactly (a packet offset, a count)
    // the walks do not converge until the range could wrap (Linux 6.18, `s.b -= s.f` then
    // `ctx.header<u32>((u8(s0.b) & 31) + 12)`: 1,860 processed over `& 63`; in 2 trips over `& 15`
    // 10,058; differential seed 20261354 had it in a 6-trip loop, refused with no warning).
    if (
      f.rangeStep !== undefined &&
      f.rangeSteps === f.values.length &&
      f.step === undefined &&
      f.factor === undefined &&
      f.unguarded &&
      whole(field) &&
      !tracked(field) &&
      elsewhere.uses.some((u) => u.path === field && (u.count || u.sym === argSym))
    ) {
      const walks = walksUpTo(2n ** BigInt(Math.max(0, f.bits - 1 - f.rangeStep)));
      // Compared only, by the caller (`k !== s0.b`, `p.i32a !== s0.b` after the call; not another
      // loop() body's result, fuzz:cost seed 20261344 #3104), not a count or an offset:
      // the states apart grow more slowly, about W / 3.5 per call in a loop (differential seed
      // 20261365: `s.b += i16(a0 / a0)` then `(k2 !== s0.b) || ...` in a packet loop, refused with
      // no warning. Linux 6.18, that call in 2, 3, 4 trips: over `& 63` 14,223, 260,410, refused;
      // `& 15` 2,841, 20,103, 58,323; `& 7` 1,480, 6,550, 16,884; with no comparison, 929 at 4).
      const counted = elsewhere.uses.some((u) => u.path === field && u.count);
      const w = counted ? walks : Math.round(walks / RANGE_COMPARED_SHARE);
      if (w >= 2) return { field, walks: w };
    }
    // Set from known values that a test of the index forks (`s.a -= (s.a |= 0x13) | (i ? 125 : i)`)
    // and needed: not estimated (the values may soon repeat), but in a loop the verifier walks trip
    // by trip the forked states multiply like a one-sided step's (verifier-cost.ts: ONE_SIDED_WALKS;
    // differential seed 20261356: such a call in a 4-trip loop, refused with no warning). A step on
    // one side of the fork is part of the value (`s.b = i ? ++s.b : 0`: differential seed 20261357,
    // in a 4-trip loop over `& 63`, refused with no warning).
    const inValues = (st: ts.Node) => f.values.some((v) => v !== undefined && v.pos <= st.pos && st.end <= v.end);
    // Or a step on one side and any value on the other (`s.b = i >= 5 ? ++s.b : s.e--`, e read as
    // any value): exact on the step's paths only, the field's states multiply in loops the same way
    // (Linux 6.18, that body returning `((s.b + s.b) ^ -76) & 1`: 3 trips over `& 15` 193,962
    // processed, 4 over `& 7` 220,218; estimated 487 and 644 before).
    const knownFork = () =>
      tracked(field) &&
      f.values.some(
        (v) => v !== undefined && undecidedFork(v, decided, (x) => knownValue(x, state, tracked, checker, fixed, pinned?.sym)),
      ) &&
      f.uses.some((u) => known(u));
    const stepFork = (v: ts.Expression) => {
      const c = liveValue(v, checker);
      return (
        ts.isConditionalExpression(c) &&
        !decided(c.condition) &&
        [c.whenTrue, c.whenFalse].some((side) => (f.steps ?? []).some((st) => side.pos <= st.pos && st.end <= side.end))
      );
    };
    const stepOrAny = () =>
      whole(field) &&
      f.values.some((v) => v !== undefined && stepFork(v)) &&
      f.uses.some((u) => knownValue(u as ts.Expression, state, (x) => x === field || tracked(x), checker, fixed, pinned?.sym));
    if (!forkedStore && f.values.length > 0 && (f.steps ?? []).every(inValues) && f.factor === undefined && (knownFork() || stepOrAny()))
      forkedStore = { field, walks: walksUpTo(BigInt(MAX_LOOPS)), partial: true, storeOnly: true };
    const pins = f.pinnedSides;
    if (pins && !pins.every(knownPinned)) continue;
    // Only a field the body changes by its steps alone: another store (`s.a >>>= 9`) resets it.
    if (!f.unguarded || (f.step === undefined && f.factor === undefined) || f.values.length > 0 || !tracked(field)) continue;
    const neededExactly =
      f.uses.some((u) => known(u) || (pins !== undefined && knownPinned(u))) || usedElsewhere(field) || feedsNeeded(field);
    // Needed only by an order against a later loop's counter: the body's walks converge, what follows does not.
    const afterOnly = !neededExactly;
    if (afterOnly && !counterOrdered(field)) continue;
    const mod = 1n << BigInt(f.bits);
    const period = f.step !== undefined ? stepPeriod(f.step, mod) : factorPeriod(f.factor!, mod, f.bits);
    if (period === undefined) continue;
    const walks = walksUpTo(period);
    // A step of one of two constants by a condition the verifier cannot decide (`s.n -= i ? 123 :
    // 188`) forks each walk, and the paths do not prune: the count doubles with each trip the count
    // allows (Linux 6.18, over `ctx.len & M`: M = 3 processes 286, 7 2,148, 11 30,498, 15 484,098;
    // a single constant step 411 at M = 15), about 2^(W-1) walks of the body. What follows is not
    // walked once per path.
    // (The index a test pins is known after the test, not in it.) A fork of another field the
    // verifier needs exactly doubles the walks too: `((s.m ^= (i !== 256 ? 107 : 15)) + s.m + (i >
    // 65535 ? ++s.n : s.n - i)) & 1` returned processes 630,129 over `ctx.len & 15`.
    const forks = (g: typeof f): boolean => g.forks !== undefined && !decided(g.forks);
    const otherForks = [...fields].some(
      ([x, g]) => x !== field && tracked(x) && forks(g) && (g.uses.some((u) => known(u)) || usedElsewhere(x)),
    );
    // A result the verifier knows only where the fork's test pins the index (`(s.b *= i ? C : 63) ...
    // ^ i` returned) leaves the other side's result undecided, and that side's states multiply too:
    // about 0.09 x 2.7^(W-1) walks (Linux 6.18, one call over `ctx.len & M`, with `*=` and with `-=`:
    // 9,903, 64,837 to 72,377 and 488,094 to 544,964 processed for M = 9, 11 and 13; known on both
    // sides, 40,371 and 161,331 for M = 11 and 13, the 2^(W-1) above).
    const pinOnly = f.uses.some((u) => known(u)) && f.uses.every((u) => !decided(u));
    // A step by a constant or 0 (`s.a = s.a - (i ? 0x7f : i)`, a u8) grows about 1.53x per walk:
    // 6,051, 33,784 and 239,545 processed for two calls over `ctx.len & 7`, `& 11`, `& 15`; `s.b -=
    // i ? 5 : 0` (an i64) barely grows (4,153 and 7,249 at `& 11` and `& 15`).
    const grows =
      forks(f) && f.zeroFork
        ? (w: number) => 2 * 1.53 ** (w - 1)
        : forks(f) && f.pinnedConstants
          ? (w: number) => 0.12 * 2 ** (w - 1)
          : forks(f) && pinOnly
            ? (w: number) => 0.09 * 2.7 ** (w - 1)
            : (w: number) => 2 ** (w - 1);
    const forked = forks(f) || otherForks ? Math.max(walks, Math.min(grows(walks), 1e12)) : undefined;
    if (walks < 2) continue;
    const needed = f.uses.filter((u) => known(u));
    const partial =
      needed.some((u) => oneSided(u, field, body.body!, state, checker, decided)) ||
      (f.steps ?? []).some((st) => undecidedSide(st, body.body!, decided) && needed.some((u) => st.pos < u.pos || st.end > u.end));
    const offset = elsewhere.uses.some((u) => u.path === field && u.offset);
    return { field, walks, bodyWalks: afterOnly ? LOOP_BODY_WALKS : forked, ...(partial && { partial }), ...(offset && { offset }) };
  }
  return forkedStore;
}

/**
 * The width in bits of the amount of a step `s.f += x` (or `-=`) at `n` whose amount is not a
 * constant and is of a narrower integer type than the field (`fieldBits`).
 */
function rangeStepBits(n: ts.PropertyAccessExpression, fieldBits: number, checker: ts.TypeChecker): number | undefined {
  const p = n.parent;
  if (!ts.isBinaryExpression(p) || p.left !== n) return undefined;
  const op = p.operatorToken.kind;
  if (op !== K.PlusEqualsToken && op !== K.MinusEqualsToken) return undefined;
  if (constEval(p.right, checker) !== undefined || forkOf(p.right, checker) !== undefined) return undefined;
  const bits = intTypeOf(p.right, checker)?.bits;
  return bits !== undefined && bits < fieldBits ? bits : undefined;
}

/** The loop() call or packet read whose count or offset (its first argument) holds `n`, below `top`. */
function countArgument(n: ts.Node, top: ts.Node, checker: ts.TypeChecker): ts.CallExpression | undefined {
  for (let x: ts.Node = n; x !== top && x.parent; x = x.parent)
    if (ts.isCallExpression(x.parent) && x.parent.arguments[0] === x && (loopCallBody(x.parent, checker) || isHeaderRead(x.parent)))
      return x.parent;
  return undefined;
}

/** Where the calling function and the other functions given the state store and use its fields. */
interface Elsewhere {
  /**
   * "const" when only constants are stored, "data" otherwise; stores after the call, outside any
   * loop around it, do not count (the walks at the call come before them).
   */
  writes: Map<string, "const" | "data">;
  /**
   * Expressions that decide a branch on a field (see decidedBy), or a loop() call's count, that can
   * come after the call (what comes before it needs the values before the walks). `given`: the
   * parameters that the call `node`'s function is walked from gives constants (constantsGiven).
   */
  uses: { path: string; node: ts.Node; sym: ts.Symbol; count: boolean; offset?: boolean; given?: ReadonlySet<ts.Symbol> }[];
}

/**
 * The stores and uses of `call`'s state's fields in the calling function other than in the state's
 * declaration, and in the functions it passes the state to other than `body` (undefined when one is
 * unknown).
 */
function elsewhereOf(
  call: ts.CallExpression,
  body: ts.FunctionDeclaration,
  init: ReadonlyMap<string, bigint | "data">,
  checker: ts.TypeChecker,
): Elsewhere | undefined {
  const out: Elsewhere = { writes: new Map(), uses: [] };
  const arg = call.arguments[2];
  const state = arg && ts.isIdentifier(arg) ? checker.getSymbolAtLocation(arg) : undefined;
  const fn = enclosingFunction(call);
  if (!state || !fn) return undefined;
  const seen = new Map<ts.Node, Set<string>>([[body, new Set([""])]]);
  // The stores counted as data: what they store (undefined for an atomic), to look at again below.
  const dataWrites: { path: string; rhs: ts.Expression | undefined; sym: ts.Symbol }[] = [];
  // Whether a node `at` of the calling function can run before (or after) the call: it comes
  // before (after) it, or a loop holds both.
  const inLoop = (at: ts.Node): boolean => {
    for (let x: ts.Node = call; x !== fn; x = x.parent)
      if (ts.isIterationStatement(x, false) && at.pos < x.end && at.pos >= x.pos) return true;
    return false;
  };
  const before = (at: ts.Node): boolean => at.pos < call.pos || inLoop(at);
  const after = (at: ts.Node): boolean => at.pos >= call.end || inLoop(at);
  // skipped: the function scanned is (or is called from) a loop() body. The verifier walks on past
  // a loop() call first, as if its body ran no time, and walks the body later: the state past the
  // call keeps the field's known value, and later paths that hold any value for it are walked too.
  const scan = (root: ts.Node, sym: ts.Symbol, site?: ts.Node, skipped = false, given?: ReadonlySet<ts.Symbol>): boolean => {
    const stack: ts.Node[] = [root];
    while (stack.length) {
      const n = stack.pop()!;
      // A loop that never runs (`for (let k = 4; k !== 4; k += 3)`) stores and uses nothing: the
      // compiler drops it (fuzz:cost seed 20261345 #996).
      ts.forEachChild(n, (c) => {
        if (!ts.isFunctionLike(c) && !(ts.isForStatement(c) && loopTrips(c, checker)?.trips === 0)) stack.push(c);
      });
      if (ts.isPropertyAccessExpression(n) && !ts.isPropertyAccessExpression(n.parent)) {
        const path = fieldPath(n, sym, checker);
        const w = path ? writeOf(n, checker) : undefined;
        // A store of data there is counted as a store of a constant. (A store of data on one side
        // of an `if` is not: the verifier walks the side that stores first, and prunes the other
        // at the join against the state that holds any value. `if (ctx.len > 1000) s.n =
        // ctx.len * 3` before two stepping calls: 86 processed.)
        const kind = w === "data" && skipped ? "const" : w;
        if (path && kind && before(site ?? n)) out.writes.set(path, kind === "const" && out.writes.get(path) !== "data" ? "const" : "data");
        if (path && kind === "data" && before(site ?? n)) {
          const p = n.parent;
          const rhs = ts.isBinaryExpression(p) && p.left === n ? p.right : undefined;
          dataWrites.push({ path, rhs, sym });
        }
        const d = path && after(site ?? n) && !unusedValue(n, checker) ? decidedBy(n, root) : undefined;
        // A function's result decides nothing by itself, but a loop() body's does (the verifier
        // checks it): fuzz:cost seed 20261348 #2292 counted `(s.a = -(a0 - a0)) + s.a` returned by a
        // function given the state as a need of `s.a`.
        const decides = d !== undefined && (skipped || root === fn || !ts.isReturnStatement(d.parent));
        if (path && d && decides) out.uses.push({ path, node: d, sym, count: false, ...(given && { given }) });
        // bpf_loop's count: the verifier keeps it exact (it stops walking the body at its largest
        // value). A packet offset too: the pointer's offset is part of each state (`ctx.header<u32>(
        // (u8(s0.b) & 31) + 12)` after a call stepping `s.b`, over `& 63`: 1,800 processed; in a
        // 2-trip loop, refused).
        const counted = path && after(site ?? n) ? countArgument(n, root, checker) : undefined;
        if (path && counted) out.uses.push({ path, node: n, sym, count: true, ...(isHeaderRead(counted) && { offset: true }) });
        if (path && after(site ?? n) && zeroIntoStruct(n, checker)) out.uses.push({ path, node: n, sym, count: true });
      }
      if (!ts.isCallExpression(n)) continue;
      const k = n.arguments.findIndex((a) => ts.isIdentifier(a) && checker.getSymbolAtLocation(a) === sym);
      if (k < 0) continue;
      const cb = loopCallBody(n, checker);
      // A method of the library's maps and contexts (update, push, output, storeBytes) reads the
      // struct it is given: the helper copies it.
      if (!cb && stdlibMethod(n, checker)) continue;
      const d = cb ?? calleeOf(n, checker);
      if (!d?.body) return false;
      const prm = d.parameters[cb ? 1 : k];
      const psym = prm && ts.isIdentifier(prm.name) ? checker.getSymbolAtLocation(prm.name) : undefined;
      if (!psym) return false;
      // Through the function's result: `loop(u32(f(s0)) & 63, ...)` where f returns a value computed
      // from a field (differential seed 20261359: `f(s0, 68)` returning `(s.b += ++s.f) + s.b`).
      const viaResult = !cb && after(site ?? n) ? countArgument(site ?? n, site ? fn : root, checker) : undefined;
      if (viaResult)
        for (const r of returnedFields(d.body, psym, checker))
          out.uses.push({ path: r.path, node: r.node, sym: psym, count: true, ...(isHeaderRead(viaResult) && { offset: true }) });
      // Walked again from a call that gives other parameters constants.
      const passed = cb ? undefined : constantsGiven(n, d, checker);
      const key = [...(passed ?? [])].map((x) => x.name).join();
      if (seen.get(d)?.has(key)) continue;
      seen.set(d, (seen.get(d) ?? new Set()).add(key));
      if (!scan(d.body, psym, site ?? n, skipped || cb !== undefined, passed)) return false;
    }
    return true;
  };
  if (!scan(fn, state)) return undefined;
  // A store of a value computed from constants and from fields only constants change (`s.b +=
  // ++s.f`) stores a known value too (differential seed 20261359, in a function called in a loop).
  for (let changed = true; changed; ) {
    changed = false;
    for (const [path, kind] of out.writes) {
      if (kind !== "data") continue;
      const mine = dataWrites.filter((w) => w.path === path);
      const knownField = (x: string) => x !== path && out.writes.get(x) !== "data" && typeof init.get(x) === "bigint";
      if (mine.length > 0 && mine.every((w) => w.rhs !== undefined && readsKnownFields(w.rhs, w.sym, knownField, checker))) {
        out.writes.set(path, "const");
        changed = true;
      }
    }
  }
  return out;
}

/** The fields of `state` that `body` writes, and only with `|=`. */
function orOnlyFields(body: ts.Block, state: ts.Symbol, checker: ts.TypeChecker): Set<string> {
  const ors = new Set<string>();
  const others = new Set<string>();
  const stack: ts.Node[] = [body];
  while (stack.length) {
    const n = stack.pop()!;
    ts.forEachChild(n, (c) => {
      if (!ts.isFunctionLike(c)) stack.push(c);
    });
    const t = writeTarget(n);
    const x = t && skipParens(t);
    const path = x && ts.isPropertyAccessExpression(x) ? fieldPath(x, state, checker) : undefined;
    if (path === undefined) continue;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === K.BarEqualsToken) ors.add(path);
    else others.add(path);
  }
  return new Set([...ors].filter((x) => !others.has(x)));
}

/**
 * The body's index when a test of it against a constant (`i ? x : y`, `if (i === 3) { ... }`) lets
 * the path where they are equal go on: the verifier knows the index there, so what it computes
 * from it and the state is known on that path (`s.b *= i ? i : s.a++` then `(s.b ^ (i - 62)) & 1`
 * returned: 5,149 processed for a count of `ctx.prev_prio & 63`).
 */
function pinnedIndex(body: ts.FunctionDeclaration, checker: ts.TypeChecker): Pinned | undefined {
  const prm = body.parameters[0];
  const sym = prm && ts.isIdentifier(prm.name) ? checker.getSymbolAtLocation(prm.name) : undefined;
  if (!sym || !body.body) return undefined;
  const isIndex = (e: ts.Expression): boolean => ts.isIdentifier(e) && checker.getSymbolAtLocation(e) === sym;
  // The side of `cond` on which the index equals a constant (true or false), and the constant.
  type Pin = { side: boolean; value: bigint } | undefined;
  const equalSide = (cond: ts.Expression): Pin => {
    cond = skipParens(cond);
    if (isIndex(cond)) return { side: false, value: 0n };
    if (ts.isPrefixUnaryExpression(cond) && cond.operator === K.ExclamationToken) {
      const s = equalSide(cond.operand);
      return s && { side: !s.side, value: s.value };
    }
    if (!ts.isBinaryExpression(cond)) return undefined;
    const op = cond.operatorToken.kind;
    // `a || b` is false where both are (`i || i`), `a && b` true where both are.
    if (op === K.BarBarToken || op === K.AmpersandAmpersandToken) {
      const side = op === K.AmpersandAmpersandToken;
      return [equalSide(cond.left), equalSide(cond.right)].find((x) => x?.side === side);
    }
    const eq = op === K.EqualsEqualsEqualsToken || op === K.EqualsEqualsToken;
    if (!eq && op !== K.ExclamationEqualsEqualsToken && op !== K.ExclamationEqualsToken) return undefined;
    const l = skipParens(cond.left);
    const r = skipParens(cond.right);
    const value = isIndex(l) ? constEval(r, checker) : isIndex(r) ? constEval(l, checker) : undefined;
    return value === undefined ? undefined : { side: eq, value };
  };
  let zero: boolean | undefined;
  const pin = (p: Pin) => {
    if (p) zero = zero === true || p.value === 0n;
  };
  const stack: ts.Node[] = [body.body];
  while (stack.length) {
    const n = stack.pop()!;
    ts.forEachChild(n, (c) => {
      if (!ts.isFunctionLike(c)) stack.push(c);
    });
    // (`i ? i : i` is folded to `i`: no branch.)
    if (ts.isConditionalExpression(n) && n.whenTrue.getText() !== n.whenFalse.getText()) pin(equalSide(n.condition));
    if (ts.isIfStatement(n)) {
      const p = equalSide(n.expression);
      const s = p && (p.side ? n.thenStatement : n.elseStatement);
      // No else: the equal path goes on past the if.
      if (p && (s === undefined || !returns(s))) pin(p);
    }
  }
  return zero === undefined ? undefined : { sym, zero };
}

/** The index a test pins to a constant on some path (pinnedIndex); zero: to 0 on one. */
interface Pinned {
  sym: ts.Symbol;
  zero: boolean;
}

/**
 * Whether `v` is 0 on some path the verifier walks: a constant 0, the index where a test pins it
 * to 0, a side of a `?:`, through an integer conversion. A store of 0 there marks the field's
 * bytes zero: known wherever it sits in its slot.
 */
function zeroOnAPath(v: ts.Expression, pinned: Pinned | undefined, checker: ts.TypeChecker, bits = 64): boolean {
  v = skipParens(v);
  if (knownZero(v, checker) || clearLowBits(v, checker) >= bits) return true;
  if (ts.isIdentifier(v)) return pinned?.zero === true && checker.getSymbolAtLocation(v) === pinned.sym;
  if (ts.isConditionalExpression(v)) return zeroOnAPath(v.whenTrue, pinned, checker) || zeroOnAPath(v.whenFalse, pinned, checker);
  if (ts.isCallExpression(v) && isIntCast(v) && v.arguments.length === 1) return zeroOnAPath(v.arguments[0]!, pinned, checker);
  return false;
}

/**
 * The largest value of `e`, an `&` of operands one of which is a constant, a field `fieldValue`
 * gives or a loop's counter, through parentheses and integer conversions; undefined when none is.
 */
function maskCeiling(
  e: ts.Expression,
  fieldValue: (e: ts.PropertyAccessExpression) => bigint | undefined,
  checker: ts.TypeChecker,
): bigint | undefined {
  e = skipParens(e);
  while (ts.isCallExpression(e) && isIntCast(e) && e.arguments.length === 1) e = skipParens(e.arguments[0]!);
  const c = constEval(e, checker);
  if (c !== undefined) return c >= 0n ? c : undefined;
  // A `for` loop's counter: its largest value over the trips.
  const d = ts.isIdentifier(e) ? checker.getSymbolAtLocation(e)?.valueDeclaration : undefined;
  const loop = d && ts.isVariableDeclaration(d) && ts.isVariableDeclarationList(d.parent) ? d.parent.parent : undefined;
  if (loop && ts.isForStatement(loop) && loop.initializer === d!.parent) {
    const values = counterSpan(loop, checker)?.values;
    return values?.every((v) => v >= 0n) ? values.reduce((a, b) => (a > b ? a : b)) : undefined;
  }
  if (ts.isPropertyAccessExpression(e)) {
    const v = fieldValue(e);
    return v !== undefined && v >= 0n ? v : undefined;
  }
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== K.AmpersandToken) return undefined;
  const l = maskCeiling(e.left, fieldValue, checker);
  const r = maskCeiling(e.right, fieldValue, checker);
  return l === undefined ? r : r === undefined || l < r ? l : r;
}

/**
 * Is `n` in the value of a local nothing reads, computed with no effects (pureExpr)? The compiler
 * drops it (fuzz:cost seed 20261348 #861: `const b8 = (p.u16b - p.u16b) >= (c ? v3 : s0.b);`
 * counted as a use of `s0.b`).
 */
function unusedValue(n: ts.Node, checker: ts.TypeChecker): boolean {
  let x: ts.Node = n;
  while (!ts.isVariableDeclaration(x)) {
    if (ts.isStatement(x) || ts.isFunctionLike(x) || !x.parent) return false;
    x = x.parent;
  }
  const d = x;
  if (!d.initializer || !ts.isIdentifier(d.name) || !pureExpr(d.initializer)) return false;
  const sym = checker.getSymbolAtLocation(d.name);
  const fn = enclosingFunction(d);
  if (!sym || !fn) return false;
  const stack: ts.Node[] = [fn];
  while (stack.length) {
    const y = stack.pop()!;
    if (ts.isIdentifier(y) && y !== d.name && checker.getSymbolAtLocation(y) === sym) return false;
    ts.forEachChild(y, (c) => {
      stack.push(c);
    });
  }
  return true;
}

/** Whether `n` calls a method declared by the library (`tsbpf/bpf`), not the program. */
function stdlibMethod(n: ts.CallExpression, checker: ts.TypeChecker): boolean {
  if (!ts.isPropertyAccessExpression(n.expression) || !ts.isIdentifier(n.expression.name)) return false;
  const d = checker.getSymbolAtLocation(n.expression.name)?.declarations?.[0];
  return d !== undefined && (ts.isMethodDeclaration(d) || ts.isMethodSignature(d)) && stdlibName(n.expression.name, checker) !== undefined;
}

/** How a field access writes its field: with constants only (a known value stays known), anything else, or not at all. */
function writeOf(n: ts.PropertyAccessExpression, checker: ts.TypeChecker): "const" | "data" | undefined {
  const p = n.parent;
  if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && p.operand === n)
    return p.operator === K.PlusPlusToken || p.operator === K.MinusMinusToken ? "const" : undefined;
  if (
    ts.isCallExpression(p) &&
    p.arguments[0] === n &&
    ts.isIdentifier(p.expression) &&
    /^atomic/.test(stdlibName(p.expression, checker) ?? "")
  )
    return "data";
  if (!ts.isBinaryExpression(p) || p.left !== n) return undefined;
  const op = p.operatorToken.kind;
  if (op >= K.FirstAssignment && op <= K.LastAssignment)
    return constEval(p.right, checker) !== undefined || constantArgument(p.right, checker) || knownZero(p.right, checker)
      ? "const"
      : "data";
  return undefined;
}

/**
 * What the state's declaration sets each field to: its constant (0 for the fields of a
 * `zero<T>()`), or "data" where it is not a constant.
 */
function initOf(arg: ts.Expression | undefined, layout: CType, checker: ts.TypeChecker): Map<string, bigint | "data"> {
  const out = new Map<string, bigint | "data">();
  const d = arg && ts.isIdentifier(arg) ? checker.getSymbolAtLocation(arg)?.valueDeclaration : undefined;
  const zeroAll = (t: CType | undefined, prefix: string): void => {
    if (t?.kind === "struct") for (const f of t.fields) zeroAll(f.type, prefix ? `${prefix}.${f.name}` : f.name);
    else if (t?.kind === "int") out.set(prefix, 0n);
  };
  const fieldType = (path: string): CType | undefined =>
    path
      .split(".")
      .reduce<CType | undefined>((t, n) => (t?.kind === "struct" ? t.fields.find((f) => f.name === n)?.type : undefined), layout);
  const walk = (e: ts.Expression, prefix: string): void => {
    e = skipParens(e);
    if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && stdlibName(e.expression, checker) === "zero")
      return zeroAll(prefix ? fieldType(prefix) : layout, prefix);
    if (!ts.isObjectLiteralExpression(e)) {
      if (prefix) out.set(prefix, constEval(e, checker) ?? "data");
      return;
    }
    for (const p of e.properties)
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)))
        walk(p.initializer, prefix ? `${prefix}.${p.name.text}` : p.name.text);
  };
  if (d && ts.isVariableDeclaration(d) && d.initializer) walk(d.initializer, "");
  return out;
}

/**
 * Whether the integer field at `path` starts an 8-byte slot of struct `t` in which no other field
 * is stored (`stored`).
 */
/** The offset of field `path` in `t` (-1 when it is not one). */
function fieldOffset(t: CType, path: string): number {
  let off = 0;
  let x: CType = t;
  for (const name of path.split(".")) {
    if (x.kind !== "struct") return -1;
    const f = x.fields.find((g) => g.name === name);
    if (!f) return -1;
    off += f.offset;
    x = f.type;
  }
  return off;
}

function aloneInSlot(t: CType, path: string, stored: (path: string) => boolean): boolean {
  const leaves: { path: string; off: number; size: number }[] = [];
  const walk = (x: CType, prefix: string, off: number): void => {
    if (x.kind === "struct") for (const f of x.fields) walk(f.type, prefix ? `${prefix}.${f.name}` : f.name, off + f.offset);
    else leaves.push({ path: prefix, off, size: sizeOf(x) });
  };
  walk(t, "", 0);
  const me = leaves.find((l) => l.path === path);
  if (!me || me.off % 8 !== 0) return false;
  return leaves.every((l) => l === me || l.off + l.size <= me.off || l.off >= me.off + 8 || !stored(l.path));
}

/**
 * The constant a use of field `path` steps it by; for any other write, the value it stores
 * (undefined when unknown); undefined for a read.
 */
function stepOf(
  n: ts.PropertyAccessExpression,
  path: string,
  state: ts.Symbol,
  checker: ts.TypeChecker,
): bigint | { value: ts.Expression | undefined } | undefined {
  const p = n.parent;
  if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && p.operand === n) {
    if (p.operator === K.PlusPlusToken) return 1n;
    if (p.operator === K.MinusMinusToken) return -1n;
    return undefined;
  }
  // An atomic's memory operand is written with a value the verifier does not track.
  if (
    ts.isCallExpression(p) &&
    p.arguments[0] === n &&
    ts.isIdentifier(p.expression) &&
    /^atomic/.test(stdlibName(p.expression, checker) ?? "")
  )
    return { value: undefined };
  if (!ts.isBinaryExpression(p) || p.left !== n) return undefined;
  const op = p.operatorToken.kind;
  if (op === K.PlusEqualsToken || op === K.MinusEqualsToken) {
    const c = constEval(p.right, checker) ?? forkOf(p.right, checker)?.value;
    return c === undefined ? { value: p } : op === K.PlusEqualsToken ? c : -c;
  }
  if (op === K.EqualsToken) {
    const r = liveValue(p.right, checker);
    // `s.n = ++s.n` (or `--s.n`, `s.n += c`): the inner step is the change, counted where it is.
    const inner = ts.isPrefixUnaryExpression(r) ? r.operand : ts.isBinaryExpression(r) ? r.left : undefined;
    if (
      inner &&
      ts.isPropertyAccessExpression(skipParens(inner)) &&
      fieldPath(skipParens(inner) as ts.PropertyAccessExpression, state, checker) === path
    ) {
      const s = stepOf(skipParens(inner) as ts.PropertyAccessExpression, path, state, checker);
      if (typeof s === "bigint") return s;
    }
    // `s.n = s.n + c`, `s.n = c + s.n` (fuzz:cost seed 20261345 #996: `s.a = (i ? 0x11e : i) + s.a`),
    // also under a shift by a multiple of 64, which the compiler drops (differential seed 20261359:
    // `s.b = (0x100000000 + s.b) >>> htonll(0xd9)`).
    const sum = unshifted(r, checker);
    if (ts.isBinaryExpression(sum) && (sum.operatorToken.kind === K.PlusToken || sum.operatorToken.kind === K.MinusToken)) {
      const same = (e: ts.Expression) =>
        ts.isPropertyAccessExpression(skipParens(e)) && fieldPath(skipParens(e) as ts.PropertyAccessExpression, state, checker) === path;
      const amount = same(sum.left) ? sum.right : sum.operatorToken.kind === K.PlusToken && same(sum.right) ? sum.left : undefined;
      const c = amount && (constEval(amount, checker) ?? forkOf(amount, checker)?.value);
      if (c !== undefined) return sum.operatorToken.kind === K.PlusToken ? c : -c;
    }
    return { value: p.right };
  }
  return op >= K.FirstCompoundAssignment && op <= K.LastCompoundAssignment ? { value: p } : undefined;
}

/** Steps of `step` before the field's values repeat: 2^bits / gcd(step, 2^bits); undefined for 0. */
function stepPeriod(step: bigint, mod: bigint): bigint | undefined {
  const s = ((step % mod) + mod) % mod;
  return s === 0n ? undefined : mod >> BigInt(lowZeros(s));
}

/**
 * Multiplications by `factor` before the field's values repeat: an odd factor permutes the values
 * (its order divides 2^(bits-2)), an even one reaches 0 within bits / (its low zero bits), a factor
 * of 0 or 1 changes nothing after the first; "any" (one of two, or through a conversion): as odd.
 */
function factorPeriod(factor: bigint | "any", mod: bigint, bits: number): bigint | undefined {
  if (factor === "any") return mod >> 2n;
  const f = ((factor % mod) + mod) % mod;
  if (f === 0n || f === 1n) return undefined;
  if (f & 1n) return bits > 2 ? mod >> 2n : 2n;
  return BigInt(Math.ceil(bits / lowZeros(f)) + 1);
}

/**
 * A step by multiplication with a constant, or with one of two constants by a condition (forkOf:
 * also through a byte-order function or an integer conversion, `s.b *= htonll(i ? C : 63)`): the
 * factor ("any" when it is one of two) and the condition. Every value stays known, and a new one at
 * each walk.
 * Differential seed 20261353: `s.b *= htonll(a0 ? C : 0x3f)` returned with `^ a0` (known where the
 * index is 0) in a 4-trip loop, refused with no warning; measured on Linux 6.18 over `ctx.len & M`,
 * one call: M = 3 processes 194, 7 2,135, 15 refused.
 */
function mulStep(n: ts.PropertyAccessExpression, checker: ts.TypeChecker): { factor: bigint | "any"; cond?: ts.Expression } | undefined {
  const p = n.parent;
  if (!ts.isBinaryExpression(p) || p.left !== n || p.operatorToken.kind !== K.AsteriskEqualsToken) return undefined;
  const c = constEval(p.right, checker);
  // `s.f *= 0` stores 0: a store, not a step (differential seed 20261357).
  if (c === 0n) return undefined;
  if (c !== undefined) return { factor: c };
  const fork = forkOf(p.right, checker);
  return fork && { factor: fork.cond ? "any" : fork.value, cond: fork.cond };
}

/** The body's index parameter (its first). */
function indexSymbol(body: ts.FunctionDeclaration, checker: ts.TypeChecker): ts.Symbol | undefined {
  const prm = body.parameters[0];
  return prm && ts.isIdentifier(prm.name) ? checker.getSymbolAtLocation(prm.name) : undefined;
}

/**
 * A step of field `path` at `n` by one of a constant and a computed value, picked by the field's
 * equality with the index (`s.b -= s.b === i ? i * i : 7`): the constant (the step), the condition
 * and the computed side. The compiler lays the computed side out as the fall-through, which the
 * verifier walks first, on the path where the index equals the field: it holds a known value there,
 * and the comparison hands the precision the result needs back to the field. Each walk forks into
 * two known values (Linux 6.18, two calls over `ctx.len & M`: M = 3 processes 665, M = 7 16,475, M =
 * 15 refused). Both constant, the constant of the true side is laid out first and the walks converge
 * (420 at every M); compared with another field, they converge too (291).
 */
function indexFork(
  n: ts.PropertyAccessExpression,
  path: string,
  state: ts.Symbol,
  index: ts.Symbol,
  checker: ts.TypeChecker,
): { step: bigint; cond: ts.Expression; other: ts.Expression } | undefined {
  const p = n.parent;
  if (!ts.isBinaryExpression(p) || p.left !== n) return undefined;
  const op = p.operatorToken.kind;
  if (op !== K.PlusEqualsToken && op !== K.MinusEqualsToken) return undefined;
  const r = skipParens(p.right);
  if (!ts.isConditionalExpression(r)) return undefined;
  const pin = indexEquality(r.condition, path, state, index, checker);
  if (!pin) return undefined;
  // The computed side is the one where the index equals the field.
  const equal = pin === "equal";
  const [other, konst] = equal ? [r.whenTrue, r.whenFalse] : [r.whenFalse, r.whenTrue];
  const k = constEval(konst, checker);
  if (k === undefined || constEval(other, checker) !== undefined) return undefined;
  return { step: op === K.PlusEqualsToken ? k : -k, cond: r.condition, other };
}

/**
 * Whether a fork's condition compares the field with the index: "equal" for `===`/`==`, "unequal"
 * for `!==`/`!=`. With both sides constant (`s.b -= s.b === i ? 5 : C`) the compiler loads the true
 * side's constant and branches over the false side's on that test, so with `===` the verifier walks
 * the unequal path first, where the index stays unknown and the result needs nothing exact, and the
 * walks converge (Linux 6.18, two calls over `ctx.len & 15`: 417 to 468 processed, with `-=` and
 * `+=`, either constant first, under a mask). With `!==` the equal path comes first and the walks
 * fork, more slowly than a fork on the index's truth: 4,773, 43,200 and 457,865 processed at M = 7,
 * 11 and 15, about 0.35 x 1.8^(W-1) walks.
 */
function indexEquality(
  cond: ts.Expression,
  path: string,
  state: ts.Symbol,
  index: ts.Symbol,
  checker: ts.TypeChecker,
): "equal" | "unequal" | undefined {
  const c = skipParens(cond);
  if (!ts.isBinaryExpression(c) || !EQUALITIES.has(c.operatorToken.kind)) return undefined;
  const isIndex = (e: ts.Expression) => ts.isIdentifier(skipParens(e)) && checker.getSymbolAtLocation(skipParens(e)) === index;
  const isField = (e: ts.Expression) => {
    const x = skipParens(e);
    return ts.isPropertyAccessExpression(x) && fieldPath(x, state, checker) === path;
  };
  if (!((isIndex(c.left) && isField(c.right)) || (isIndex(c.right) && isField(c.left)))) return undefined;
  const op = c.operatorToken.kind;
  return op === K.EqualsEqualsEqualsToken || op === K.EqualsEqualsToken ? "equal" : "unequal";
}

const EQUALITIES = new Set([K.EqualsEqualsEqualsToken, K.EqualsEqualsToken, K.ExclamationEqualsEqualsToken, K.ExclamationEqualsToken]);

/** The amount of a step at assignment `p`: its right side (`s.n -= x`), or `x` in `s.n = s.n - x` and `s.n = x + s.n`. */
function stepAmount(p: ts.BinaryExpression): ts.Expression {
  const r = skipParens(p.right);
  if (
    p.operatorToken.kind === K.EqualsToken &&
    ts.isBinaryExpression(r) &&
    (r.operatorToken.kind === K.PlusToken || r.operatorToken.kind === K.MinusToken)
  )
    return r.operatorToken.kind === K.PlusToken && ts.isPropertyAccessExpression(skipParens(r.right)) ? r.left : r.right;
  return p.right;
}

/**
 * A value that is one of two constants by a condition: a `?:` with constant sides, also inside
 * constant arithmetic (`(i ? 0x7f : C) & 0x129`: differential seed 20261354, refused with no
 * warning): the value with fewer low zero bits (its steps take the most values before they repeat:
 * the verifier walks each side with its own), and the condition (none when both sides give the
 * same value). Undefined when more than one `?:` picks.
 */
function forkOf(e: ts.Expression, checker: ts.TypeChecker): { value: bigint; cond?: ts.Expression; zero?: boolean } | undefined {
  const forks: ts.ConditionalExpression[] = [];
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isConditionalExpression(x)) forks.push(x);
    else
      ts.forEachChild(x, (c) => {
        st.push(c);
      });
  }
  if (forks.length !== 1 || constEval(forks[0]!.condition, checker) !== undefined) return undefined;
  // `i ? C : i`: the false side is 0 (differential seed 20261356: `s.a = s.a - (i ? 0x7f : i)`).
  const f = forks[0]!;
  const cond = skipParens(f.condition);
  const side = skipParens(f.whenFalse);
  if (
    f === skipParens(e) &&
    ts.isIdentifier(cond) &&
    ts.isIdentifier(side) &&
    checker.getSymbolAtLocation(cond) === checker.getSymbolAtLocation(side)
  ) {
    const t = constEval(f.whenTrue, checker);
    if (t !== undefined) return { value: t, cond: t === 0n ? undefined : f.condition, zero: true };
  }
  const a = constEval(e, checker, 0, (c) => c.whenTrue);
  const b = constEval(e, checker, 0, (c) => c.whenFalse);
  if (a === undefined || b === undefined) return undefined;
  // Equal sides pick nothing: no fork.
  return { value: lowZeros(a) <= lowZeros(b) ? a : b, cond: a === b ? undefined : forks[0]!.condition, zero: a === 0n || b === 0n };
}

/**
 * Whether a step at `n` only runs under a test of the field: inside a side of an `if` or `?:`, or
 * the right of `&&`/`||`, whose condition reads it, or after an `if` on it whose side leaves the
 * body (`if (s.n > 10) return 1;`) in the same block.
 */
function guarded(n: ts.Node, path: string, top: ts.Node, state: ts.Symbol, checker: ts.TypeChecker): boolean {
  const reads = (c: ts.Node): boolean => readsField(c, path, state, checker);
  for (let x: ts.Node = n; x !== top && x.parent; x = x.parent) {
    const p = x.parent;
    if (ts.isIfStatement(p) && x !== p.expression && reads(p.expression)) return true;
    if (ts.isConditionalExpression(p) && x !== p.condition && reads(p.condition)) return true;
    if (
      ts.isBinaryExpression(p) &&
      x === p.right &&
      (p.operatorToken.kind === K.AmpersandAmpersandToken || p.operatorToken.kind === K.BarBarToken) &&
      reads(p.left)
    )
      return true;
    if (ts.isBlock(p) && ts.isStatement(x)) {
      for (const s of p.statements) {
        if (s === x) break;
        if (ts.isIfStatement(s) && reads(s.expression) && leaves(s)) return true;
      }
    }
  }
  return false;
}

/** An `if` one of whose sides returns. */
function leaves(s: ts.IfStatement): boolean {
  const ends = (x: ts.Statement | undefined): boolean =>
    x !== undefined && (ts.isReturnStatement(x) || (ts.isBlock(x) && x.statements.some((y) => ts.isReturnStatement(y))));
  return ends(s.thenStatement) || ends(s.elseStatement);
}
