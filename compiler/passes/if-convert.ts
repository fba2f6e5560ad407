// Pass: if-convert — a `?:` on data inside a loop, whose value goes into a packet offset, becomes
// arithmetic instead of a branch.
//
// The verifier tracks a packet offset exactly (it is added to a pointer), so the two sides of such a
// `?:` reach the next trip with different states and never prune each other; and where the states
// are equal it may still walk the second side again, since it stores few states while a loop is in
// progress. The count then grows by a factor per trip: the differential fuzzer's
// `ctx.header<u16>(((acc > 5 ? acc : 60) & 31) + 77 + k)` over 39 trips processes 61,423
// instructions, and 1,021 after this pass (4 of the 10 programs four fuzzing seeds had the kernel
// refuse for their size with no warning had this shape, and now load). Here the diamond
// `cbr c -> T, E; T: x = ...; E: y = ...; J: v = phi(x, y)` becomes, in the branch's block,
// `c01 = (c ? 1 : 0) by arithmetic; v = y ^ ((x ^ y) * c01)`, with T's and E's instructions
// moved up (so both are computed). One path, one state per trip.
// A multiply by the 0/1 value, not an `and` with its negation: the verifier (Linux 6.18,
// maybe_fork_scalars) forks its state at an `and`/`or` of a [-1, 0] value with a constant, which
// turned a `?:` between two constants back into a branch with an exact value on each side (fuzz:cost
// seed 20261261 #5545: a 39-trip packet loop refused, 1M instructions; 1,360 with the multiply).
//
// A condition of `&&`/`||` (branches leading to more branches of pure instructions, entered only
// from the condition) becomes one 0/1 value: whether control would reach the first of the two arms.
//
// Only where that is safe and worth it: the arms are single blocks of pure instructions (arithmetic,
// width changes, loads through pointers defined before the branch or the context, map/global
// addresses), at most MAX_ARM each; the phis are scalars and the compared values too; the join is
// inside a loop; and the phi's value, through arithmetic, byte swaps and phis, reaches the offset of a ptradd on a packet pointer that a
// compare of that same offset guards (the front end's `offset > 0xffff` test, which range-fold later
// drops only if it can still prove the offset small: it runs after this pass, on the new code).
// A value stored (a map's value, a field) needs no exact value either: differential seed 20261364's
// `(c ? --acc : acc * acc) & 31` in a 28-trip loop, acc stored after it, kept two phis (the pick and
// acc) and was refused. Any other use (a call argument, a return) keeps the branch, since the
// verifier sees the arithmetic's result only as a range, where a helper may need one of two values.
//
// Also a value the loop carries and compares, set under a condition on data: a count (`if (b ===
// 10) n++`, `if ((b & (1 << j)) !== 0) n++`, `if (c >= 48 && c <= 57) digits++`), a running extreme
// (`if (b > mx) mx = b`), a pick (`if (b === 10) at = i`), a binary search's `lo`/`hi`
// (countedAndCompared). The compare makes the verifier track it exactly, and the paths that set it
// differently never prune. A count becomes `n + c` (c the condition as 0 or 1), anything else the
// select below.
//
// Nested `?:`s go from the inside out: the inner one's value passes through the outer one's phi
// (a use that counts through what follows it), and its join is merged into its branch's block, so
// the outer arm is one block again.
//
// Needs: valid SSA. Produces: valid SSA (the join, left with one predecessor, is merged into the
// branch's block). Invalidates: the dominator tree.

import { computeDominators, type DomTree, loopBlocks } from "../ir/dominators.js";
import {
  type Block,
  type CondOp,
  type Func,
  type Inst,
  instDst,
  instUses,
  isImm,
  isValue,
  newValue,
  type Operand,
  predecessors,
  termUses,
  type Value,
} from "../ir/ir.js";

/** Instructions an arm may hold. */
const MAX_ARM = 16;

export function ifConvert(f: Func): boolean {
  let changed = false;
  // Each conversion changes the blocks: the next one starts from fresh maps.
  while (convertOne(f)) changed = true;
  return changed;
}

/** Converts the first diamond (or condition region) that qualifies; false when there is none. */
function convertOne(f: Func): boolean {
  const dom = computeDominators(f);
  const inLoop = loopBlocks(f, dom);
  const preds = predecessors(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const defs: Defs = new Map();
  for (const p of f.params) defs.set(p.id, { block: f.blocks[0]!.id }); // the context: good everywhere
  const uses: Uses = new Map();
  for (const b of f.blocks) {
    for (const p of b.phis) {
      defs.set(p.dst.id, { block: b.id });
      for (const x of p.incoming) if (isValue(x.value)) pushUse(uses, x.value.id, { block: b, phi: p.dst });
    }
    for (const i of b.insts) {
      const d = instDst(i);
      if (d) defs.set(d.id, { inst: i, block: b.id });
      for (const u of instUses(i)) if (isValue(u)) pushUse(uses, u.id, { inst: i, block: b });
    }
    for (const u of termUses(b.term)) if (isValue(u)) pushUse(uses, u.id, { block: b, term: true });
  }
  const scalarCbr = (b: Block): boolean => {
    const t = b.term;
    return t.op === "cbr" && t.a.ty !== "ptr" && !(isValue(t.b) && t.b.ty === "ptr") && t.then !== t.else;
  };
  for (const c of [...f.blocks]) {
    if (!scalarCbr(c)) continue;
    const t = c.term as Extract<Block["term"], { op: "cbr" }>;
    // The condition: c's branch and the branches it leads to that only compute more of it (`a || b`,
    // `a && b`: blocks whose predecessors are all in it, with a compare and pure instructions).
    const region: Block[] = [c];
    const inRegion = new Set([c.id]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of [...region]) {
        for (const s of [r.term.op === "cbr" ? r.term.then : -1, r.term.op === "cbr" ? r.term.else : -1]) {
          const x = byId.get(s);
          if (!x || inRegion.has(x.id) || x.phis.length > 0 || !scalarCbr(x) || x.insts.length > MAX_ARM) continue;
          if (!(preds.get(x.id) ?? []).every((p) => inRegion.has(p))) continue;
          if (!x.insts.every((i) => speculatable(i, x, defs))) continue;
          region.push(x);
          inRegion.add(x.id);
          grew = true;
        }
      }
    }
    const exits = [
      ...new Set(region.flatMap((r) => (r.term.op === "cbr" ? [r.term.then, r.term.else] : [])).filter((s) => !inRegion.has(s))),
    ];
    if (exits.length !== 2) continue;
    // Each exit is an arm (one block of pure instructions, entered only from the condition, going
    // to the join) or the join itself (then every edge to it must bring the same values).
    const arm = (target: number): { block?: Block; ends: number[] } | undefined => {
      const b = byId.get(target);
      if (!b) return undefined;
      const from = region.filter((r) => r.term.op === "cbr" && (r.term.then === target || r.term.else === target)).map((r) => r.id);
      if (b.phis.length > 0) return { ends: from };
      if (!(preds.get(b.id) ?? []).every((p) => inRegion.has(p)) || b.term.op !== "br" || b.insts.length > MAX_ARM) return undefined;
      return b.insts.every((i) => speculatable(i, b, defs)) ? { block: b, ends: [b.id] } : undefined;
    };
    const tArm = arm(exits[0]!);
    const eArm = arm(exits[1]!);
    if (!tArm || !eArm) continue;
    const joinId = tArm.block ? (tArm.block.term as { target: number }).target : exits[0]!;
    const eJoin = eArm.block ? (eArm.block.term as { target: number }).target : exits[1]!;
    const join = byId.get(joinId);
    if (!join || eJoin !== joinId || !inLoop.has(joinId) || join.phis.length === 0) continue;
    if ((preds.get(joinId) ?? []).length !== tArm.ends.length + eArm.ends.length) continue;
    const incoming = (p: (typeof join.phis)[number], ends: number[]) => {
      const vals = ends.map((e) => p.incoming.find((i) => i.block === e)?.value);
      const v = vals[0];
      if (!v || !vals.every((w) => w && (isImm(v) ? isImm(w) && w.imm === v.imm : isValue(w) && w.id === v.id))) return undefined;
      return v;
    };
    if (!join.phis.every((p) => p.dst.ty !== "ptr" && incoming(p, tArm.ends) && incoming(p, eArm.ends))) continue;
    const offsetCase =
      join.phis.some((p) => reachesGuardedPacketOffset(p.dst, uses, defs, dom, byId)) &&
      join.phis.every((p) => onlySafeUses(p.dst, uses, defs, dom, byId));
    const countCase =
      !offsetCase && join.phis.every((p) => countedAndCompared(p.dst, [incoming(p, tArm.ends)!, incoming(p, eArm.ends)!], uses));
    if (!offsetCase && !countCase) continue;
    // Convert: every instruction of the condition and the arms first, then whether control would
    // reach the first exit, as 0 or 1, then the select of each phi.
    const out: Inst[] = [...region.slice(1).flatMap((r) => r.insts), ...(tArm.block?.insts ?? []), ...(eArm.block?.insts ?? [])];
    const memo = new Map<number, Value>();
    const reach = (target: number): Value | 0n | 1n => {
      if (target === exits[0]) return 1n;
      if (target === exits[1]) return 0n;
      const done = memo.get(target);
      if (done) return done;
      const r = byId.get(target)!;
      const v = reachFrom(r);
      memo.set(target, v);
      return v;
    };
    const reachFrom = (r: Block): Value => {
      const rt = r.term as Extract<Block["term"], { op: "cbr" }>;
      const c01 = condition01(f, out, rt.cond, rt.width, rt.a, rt.b);
      return select01(f, out, c01, reach(rt.then), reach(rt.else));
    };
    const c01 = reachFrom(c);
    let c01x32: Value | undefined;
    for (const p of join.phis) {
      const x = incoming(p, tArm.ends)!;
      const y = incoming(p, eArm.ends)!;
      let m: Value = c01;
      if (p.dst.ty === "i32") {
        c01x32 ??= push(f, out, "i32", (d) => ({ op: "trunc", dst: d, a: c01, to: 32 }));
        m = c01x32;
      }
      const ty = p.dst.ty as "i32" | "i64";
      // A count (`n++` on one side): n + c, or n + c * k.
      const step = stepOf(x, y, out) ?? stepOf(y, x, out);
      if (step) {
        const on = step.from === y ? m : push(f, out, ty, (d) => ({ op: "bin", kind: "xor", dst: d, a: m, b: { imm: 1n } }));
        const by = step.k === 1n ? on : push(f, out, ty, (d) => ({ op: "bin", kind: "mul", dst: d, a: on, b: { imm: step.k } }));
        out.push({ op: "bin", kind: "add", dst: p.dst, a: step.from, b: by });
        continue;
      }
      const xy = push(f, out, ty, (d) => ({ op: "bin", kind: "xor", dst: d, a: x, b: y }));
      const sel = push(f, out, ty, (d) => ({ op: "bin", kind: "mul", dst: d, a: xy, b: m }));
      out.push({ op: "bin", kind: "xor", dst: p.dst, a: y, b: sel });
    }
    const loc = f.locs?.get(t);
    if (loc) for (const i of out) if (!f.locs!.has(i)) f.locs!.set(i, loc);
    for (const b of [c, ...region.slice(1)]) {
      const at = b && b.term.op === "cbr" ? f.locs?.get(b.term) : undefined;
      if (at) (f.converted ??= []).push(at);
    }
    // The join has one predecessor now: it becomes the rest of the branch's block (so a `?:` around
    // this one sees a single block as its arm).
    c.insts.push(...out, ...join.insts);
    c.term = join.term;
    for (const b of f.blocks) for (const p of b.phis) for (const x of p.incoming) if (x.block === joinId) x.block = c.id;
    const gone = new Set<Block | undefined>([...region.slice(1), tArm.block, eArm.block, join]);
    f.blocks = f.blocks.filter((b) => !gone.has(b));
    return true;
  }
  return false;
}

function pushUse<T>(m: Map<number, T[]>, id: number, u: T): void {
  const l = m.get(id);
  if (l) l.push(u);
  else m.set(id, [u]);
}

function push(f: Func, out: Inst[], ty: "i32" | "i64", mk: (d: Value) => Inst): Value {
  const d = newValue(f, ty);
  out.push(mk(d));
  return d;
}

/** `c ? p : q` for 0/1 values (c a value, p and q values or constants), appended to `out`. */
function select01(f: Func, out: Inst[], c: Value, p: Value | 0n | 1n, q: Value | 0n | 1n): Value {
  const bin = (kind: "and" | "or" | "xor", a: Operand, b: Operand): Value =>
    push(f, out, "i64", (d) => ({ op: "bin", kind, dst: d, a, b }));
  const op = (x: Value | 0n | 1n): Operand => (typeof x === "bigint" ? { imm: x } : x);
  if (p === 1n && q === 0n) return c;
  const notC = (): Value => bin("xor", c, { imm: 1n });
  if (p === 0n && q === 1n) return notC();
  if (p === 1n) return bin("or", c, op(q));
  if (p === 0n) return bin("and", notC(), op(q));
  if (q === 1n) return bin("or", notC(), op(p));
  if (q === 0n) return bin("and", c, op(p));
  return bin(
    "xor",
    q,
    push(f, out, "i64", (d) => ({ op: "bin", kind: "mul", dst: d, a: bin("xor", p, q), b: c })),
  );
}

/** Can `i` run whether or not the branch goes to its arm `b`? */
function speculatable(i: Inst, b: Block, defs: Defs): boolean {
  switch (i.op) {
    case "const":
    case "bin":
    case "neg":
    case "copy":
    case "zext":
    case "sext":
    case "trunc":
    case "bswap":
    case "mapaddr":
    case "globaladdr":
      return instDst(i)?.ty !== "ptr" || i.op === "mapaddr" || i.op === "globaladdr";
    case "load": {
      // Through a pointer from before the branch (the verifier knows it there as in the arm), not
      // the stack (a slot may be written only on the arm's paths).
      const d = defs.get(i.base.id);
      if (!d || d.inst?.op === "stackaddr") return false;
      if (d.block === b.id && d.inst?.op !== "globaladdr") return false; // a global's address is always good
      return i.dst.ty !== "ptr";
    }
    default:
      return false;
  }
}

/** A use of a value: by an instruction, the block's terminator, or a phi (`phi` is its result). */
interface Use {
  inst?: Inst;
  block: Block;
  term?: boolean;
  phi?: Value;
}
type Uses = Map<number, Use[]>;
type Defs = Map<number, { inst?: Inst; block: number }>;

/** Values computed from `v` by arithmetic and byte swaps (v included), in the order found. */
function derived(v: Value, uses: Uses): { values: Value[]; others: Use[] } {
  const values: Value[] = [v];
  const others: Use[] = [];
  const seen = new Set<number>([v.id]);
  for (let k = 0; k < values.length; k++) {
    for (const u of uses.get(values[k]!.id) ?? []) {
      const i = u.inst;
      // A phi passes the value on (an enclosing `?:`, a loop's next trip): what follows it counts.
      const d = i ? instDst(i) : u.phi;
      const arith =
        i &&
        (i.op === "bin" || i.op === "neg" || i.op === "copy" || i.op === "zext" || i.op === "sext" || i.op === "trunc" || i.op === "bswap");
      if (d && d.ty !== "ptr" && (u.phi || arith)) {
        if (!seen.has(d.id)) {
          seen.add(d.id);
          values.push(d);
        }
      } else others.push(u);
    }
  }
  return { values, others };
}

/** Is `base` a pointer into the packet (data plus offsets)? */
function packetPointer(base: Value, defs: Defs): boolean {
  for (let v: Value | undefined = base, n = 0; v && n < 64; n++) {
    const d: Inst | undefined = defs.get(v.id)?.inst;
    if (!d) return false;
    if (d.op === "ctxptr") return d.offset === 0; // `data` (offset 4 is data_end)
    if (d.op !== "ptradd" && d.op !== "copy") return false;
    v = d.op === "ptradd" ? d.base : isValue(d.a) ? d.a : undefined;
  }
  return false;
}

/** Is the ptradd in `block` (offset `off`) dominated by the in-range side of a compare of `off` with a constant? */
function guarded(off: Value, block: Block, uses: Uses, dom: DomTree, byId: Map<number, Block>): boolean {
  for (const u of uses.get(off.id) ?? []) {
    if (!u.term) continue;
    const t = u.block.term;
    if (t.op !== "cbr" || t.a.id !== off.id || !isImm(t.b) || (t.cond !== "ugt" && t.cond !== "uge")) continue;
    const inRange = byId.get(t.else);
    if (inRange && dom.dominates(inRange.id, block.id)) return true;
  }
  return false;
}

function reachesGuardedPacketOffset(v: Value, uses: Uses, defs: Defs, dom: DomTree, byId: Map<number, Block>): boolean {
  const { values } = derived(v, uses);
  return values.some((x) =>
    (uses.get(x.id) ?? []).some(
      (u) =>
        u.inst?.op === "ptradd" &&
        isValue(u.inst.offset) &&
        u.inst.offset.id === x.id &&
        packetPointer(u.inst.base, defs) &&
        guarded(x, u.block, uses, dom, byId),
    ),
  );
}

/** Every use of what is computed from `v`: arithmetic, a compare, or a guarded packet offset. */
function onlySafeUses(v: Value, uses: Uses, defs: Defs, dom: DomTree, byId: Map<number, Block>): boolean {
  const { values, others } = derived(v, uses);
  const mine = new Set(values.map((x) => x.id));
  return others.every((u) => {
    if (u.term) return u.block.term.op === "cbr";
    const i = u.inst;
    if (i?.op === "ptradd" && isValue(i.offset) && mine.has(i.offset.id) && !mine.has(i.base.id))
      return packetPointer(i.base, defs) && guarded(i.offset, u.block, uses, dom, byId);
    // A value stored (not an address), as countedAndCompared allows.
    return i?.op === "store" && isValue(i.value) && mine.has(i.value.id) && !mine.has(i.base.id);
  });
}

/** `to` as `from + k` (k a constant, `to` computed in `insts`), or undefined. */
function stepOf(to: Operand, from: Operand, insts: readonly Inst[]): { from: Operand; k: bigint } | undefined {
  if (!isValue(to)) return undefined;
  const d = insts.find((i) => instDst(i)?.id === to.id);
  if (d?.op !== "bin" || d.kind !== "add") return undefined;
  const same = (o: Operand) => (isImm(from) ? isImm(o) && o.imm === from.imm : isValue(o) && o.id === from.id);
  if (same(d.a) && isImm(d.b)) return { from, k: d.b.imm };
  if (same(d.b) && isImm(d.a)) return { from, k: d.a.imm };
  return undefined;
}

/**
 * Is the phi `v` a value the loop carries (what is computed from it comes back into one of its
 * `arms`' values, through the loop's phis), used only in arithmetic, compares and stored values, one
 * compare at least? A compare the verifier can decide makes it track the value exactly, and the
 * paths that set it differently never prune: counting the set bits of 4 packet bytes (`if ((b & (1
 * << j)) !== 0) n++;`, then `n > 100`) processed 998,676 instructions and 6 bytes were refused,
 * where clang's branchless `n += (b >> j) & 1` verifies in 151; counting spaces and comparing the
 * count was refused from 26 bytes (clang's twin from 32); a strict running maximum from 400 bytes.
 * Computed without the branch, the value is a range: one path. Not for a value that reaches a call,
 * an index or a return (a helper's size or a program's return code may need it exact).
 */
function countedAndCompared(v: Value, arms: Operand[], uses: Uses): boolean {
  const { values, others } = derived(v, uses);
  const mine = new Set(values.map((x) => x.id));
  if (!arms.some((a) => isValue(a) && mine.has(a.id))) return false;
  let compared = false;
  for (const u of others) {
    if (u.term) {
      if (u.block.term.op !== "cbr") return false;
      compared = true;
    } else if (!(u.inst?.op === "store" && isValue(u.inst.value) && mine.has(u.inst.value.id) && !mine.has(u.inst.base.id))) return false;
  }
  return compared;
}

/** Appends to `out` arithmetic giving 1 when `a cond b` holds, else 0 (an i64). Exported for its test. */
export function condition01(f: Func, out: Inst[], cond: CondOp, width: 32 | 64, a0: Value, b0: Operand): Value {
  const signed = cond === "slt" || cond === "sle" || cond === "sgt" || cond === "sge";
  // Both sides as i64 values: the low 32 bits extended for a 32-bit compare.
  const wide = (o: Operand): Value => {
    if (isImm(o)) {
      let v = width === 32 ? BigInt.asUintN(32, o.imm) : BigInt.asUintN(64, o.imm);
      if (width === 32 && signed) v = BigInt.asUintN(64, BigInt.asIntN(32, v));
      return push(f, out, "i64", (d) => ({ op: "const", dst: d, value: v }));
    }
    let x: Value = o;
    if (width === 32 && x.ty === "i64") {
      const lo = x;
      x = push(f, out, "i32", (d) => ({ op: "trunc", dst: d, a: lo, to: 32 }));
    }
    if (x.ty === "i64") return x;
    const n = x;
    return signed && width === 32
      ? push(f, out, "i64", (d) => ({ op: "sext", dst: d, a: n, from: 32 }))
      : push(f, out, "i64", (d) => ({ op: "zext", dst: d, a: n }));
  };
  const a = wide(a0);
  const b = wide(b0);
  const bin = (kind: "sub" | "xor" | "and" | "or" | "lshr", x: Operand, y: Operand): Value =>
    push(f, out, "i64", (d) => ({ op: "bin", kind, dst: d, a: x, b: y }));
  const flip = (x: Value): Value => bin("xor", x, { imm: 1n });
  /** 1 when x !== 0. */
  const nonzero = (x: Value): Value => {
    const neg = push(f, out, "i64", (d) => ({ op: "neg", dst: d, a: x }));
    return bin("lshr", bin("or", x, neg), { imm: 63n });
  };
  /** 1 when x < y: the sign of x - y when both fit in 33 bits (a 32-bit compare), else with the borrow or overflow. */
  const less = (x: Value, y: Value): Value => {
    const diff = bin("sub", x, y);
    if (width === 32) return bin("lshr", diff, { imm: 63n });
    if (signed) {
      const ovf = bin("and", bin("xor", x, y), bin("xor", diff, x));
      return bin("lshr", bin("xor", diff, ovf), { imm: 63n });
    }
    const nx = bin("xor", x, { imm: -1n });
    return bin("lshr", bin("or", bin("and", nx, y), bin("and", bin("or", nx, y), diff)), { imm: 63n });
  };
  // A 32-bit value zero-extended: 0 - x or x - 1 has bit 63 set exactly when x is non-zero or zero.
  const neg = (x: Value): Value => push(f, out, "i64", (d) => ({ op: "neg", dst: d, a: x }));
  if (width === 32 && !signed)
    switch (cond) {
      case "eq":
        return bin("lshr", bin("sub", bin("xor", a, b), { imm: 1n }), { imm: 63n });
      case "ne":
        return bin("lshr", neg(bin("xor", a, b)), { imm: 63n });
      case "set":
        return bin("lshr", neg(bin("and", a, b)), { imm: 63n });
    }
  switch (cond) {
    case "eq":
      return flip(nonzero(bin("xor", a, b)));
    case "ne":
      return nonzero(bin("xor", a, b));
    case "set":
      return nonzero(bin("and", a, b));
    case "ult":
    case "slt":
      return less(a, b);
    case "uge":
    case "sge":
      return flip(less(a, b));
    case "ugt":
    case "sgt":
      return less(b, a);
    case "ule":
    case "sle":
      return flip(less(b, a));
  }
}
