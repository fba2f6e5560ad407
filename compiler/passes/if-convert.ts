// Pass: if-convert — a `?:` on data inside a loop, whose value goes into a packet offset, becomes
// arithmetic instead of a branch.
//
// The verifier tracks a packet offset exactly (it is added to a pointer), so the two sides of such a
// `?:` reach the next trip with different states and never prune each other; and where the states
// are equal it may still walk the second side again, since it stores few states while a loop is in
// progress. The count then grows by a factor per trip: the differential fuzzer's
// `ctx.header<u16>(((acc > 5 ? acc : 60) & 31) + 77 + k)` over 39 trips processes 61,423
// instructions, and the same offset computed without a branch 1,138 (about a third of the programs
// the kernel refused for their size with no warning had this shape). Here the diamond
// `cbr c -> T, E; T: x = ...; E: y = ...; J: v = phi(x, y)` becomes, in the branch's block,
// `c01 = (c ? 1 : 0) by arithmetic; m = -c01; v = y ^ ((x ^ y) & m)`, with T's and E's instructions
// moved up (so both are computed). One path, one state per trip.
//
// Only where that is safe and worth it: the arms are single blocks of pure instructions (arithmetic,
// width changes, loads through pointers defined before the branch, map/global addresses), at most
// MAX_ARM each; the phis are scalars and the compared values too; the join is inside a loop; and
// the phi's value, through arithmetic, reaches the offset of a ptradd on a packet pointer that a
// compare of that same offset guards (the front end's `offset > 0xffff` test, which range-fold later
// drops only if it can still prove the offset small: it runs after this pass, on the new code). Any
// other use (a store, a call argument, a return, a phi, an array index the front end proved in
// bounds from the two arms' values) keeps the branch, since the verifier sees the arithmetic's result
// only as a range.
//
// Needs: valid SSA. Produces: valid SSA (the join keeps no phis from the diamond; simplify-cfg
// merges the blocks). Invalidates: the dominator tree.

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
  type Value,
} from "../ir/ir.js";

/** Instructions an arm may hold. */
const MAX_ARM = 6;

export function ifConvert(f: Func): boolean {
  const dom = computeDominators(f);
  const inLoop = loopBlocks(f, dom);
  const preds = predecessors(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const defs = new Map<number, { inst?: Inst; block: number }>();
  const uses = new Map<number, { inst?: Inst; block: Block; term?: boolean; phi?: boolean }[]>();
  for (const b of f.blocks) {
    for (const p of b.phis) {
      defs.set(p.dst.id, { block: b.id });
      for (const x of p.incoming) if (isValue(x.value)) pushUse(uses, x.value.id, { block: b, phi: true });
    }
    for (const i of b.insts) {
      const d = instDst(i);
      if (d) defs.set(d.id, { inst: i, block: b.id });
      for (const u of instUses(i)) if (isValue(u)) pushUse(uses, u.id, { inst: i, block: b });
    }
    const t = b.term;
    const tu = t.op === "cbr" ? [t.a, t.b] : t.op === "ret" ? [t.value] : [];
    for (const u of tu) if (isValue(u)) pushUse(uses, u.id, { block: b, term: true });
  }
  for (const c of [...f.blocks]) {
    const t = c.term;
    if (t.op !== "cbr" || t.a.ty === "ptr" || (isValue(t.b) && t.b.ty === "ptr") || t.then === t.else) continue;
    const arm = (target: number): { block?: Block; end: number } | undefined => {
      const b = byId.get(target);
      if (!b) return undefined;
      if (b.phis.length > 0) return { end: c.id }; // the join itself: the edge is the arm
      if ((preds.get(b.id) ?? []).length !== 1 || b.term.op !== "br" || b.insts.length > MAX_ARM) return undefined;
      return b.insts.every((i) => speculatable(i, b, defs)) ? { block: b, end: b.id } : undefined;
    };
    const tArm = arm(t.then);
    const eArm = arm(t.else);
    if (!tArm || !eArm) continue;
    const joinId = tArm.block ? (tArm.block.term as { target: number }).target : t.then;
    const eJoin = eArm.block ? (eArm.block.term as { target: number }).target : t.else;
    const join = byId.get(joinId);
    if (!join || eJoin !== joinId || !inLoop.has(joinId) || join.phis.length === 0) continue;
    if ((preds.get(joinId) ?? []).length !== 2 || tArm.end === eArm.end) continue;
    if (!join.phis.every((p) => p.dst.ty !== "ptr")) continue;
    if (!join.phis.some((p) => reachesGuardedPacketOffset(p.dst, uses, defs, dom, byId))) continue;
    if (!join.phis.every((p) => onlySafeUses(p.dst, uses, defs, dom, byId))) continue;
    // Convert: the arms' instructions first, then the select of each phi.
    const out: Inst[] = [...(tArm.block?.insts ?? []), ...(eArm.block?.insts ?? [])];
    const c01 = condition01(f, out, t.cond, t.width, t.a, t.b);
    const mask = newValue(f, "i64");
    out.push({ op: "neg", dst: mask, a: c01 });
    let mask32: Value | undefined;
    for (const p of join.phis) {
      const x = p.incoming.find((i) => i.block === tArm.end)!.value;
      const y = p.incoming.find((i) => i.block === eArm.end)!.value;
      let m: Value = mask;
      if (p.dst.ty === "i32") {
        mask32 ??= push(f, out, "i32", (d) => ({ op: "trunc", dst: d, a: mask, to: 32 }));
        m = mask32;
      }
      const ty = p.dst.ty as "i32" | "i64";
      const xy = push(f, out, ty, (d) => ({ op: "bin", kind: "xor", dst: d, a: x, b: y }));
      const sel = push(f, out, ty, (d) => ({ op: "bin", kind: "and", dst: d, a: xy, b: m }));
      out.push({ op: "bin", kind: "xor", dst: p.dst, a: y, b: sel });
    }
    const loc = f.locs?.get(t);
    if (loc) for (const i of out) if (!f.locs!.has(i)) f.locs!.set(i, loc);
    c.insts.push(...out);
    c.term = { op: "br", target: joinId };
    if (loc) f.locs!.set(c.term, loc);
    join.phis = [];
    f.blocks = f.blocks.filter((b) => b !== tArm.block && b !== eArm.block);
    ifConvert(f); // the structure changed: start again with fresh maps
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

/** Can `i` run whether or not the branch goes to its arm `b`? */
function speculatable(i: Inst, b: Block, defs: Map<number, { inst?: Inst; block: number }>): boolean {
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

type Uses = Map<number, { inst?: Inst; block: Block; term?: boolean; phi?: boolean }[]>;
type Defs = Map<number, { inst?: Inst; block: number }>;

/** Values computed from `v` by arithmetic (v included), in the order found. */
function derived(v: Value, uses: Uses): { values: Value[]; others: { inst?: Inst; block: Block; term?: boolean; phi?: boolean }[] } {
  const values: Value[] = [v];
  const others: { inst?: Inst; block: Block; term?: boolean; phi?: boolean }[] = [];
  const seen = new Set<number>([v.id]);
  for (let k = 0; k < values.length; k++) {
    for (const u of uses.get(values[k]!.id) ?? []) {
      const i = u.inst;
      const d = i ? instDst(i) : undefined;
      if (
        i &&
        d &&
        d.ty !== "ptr" &&
        (i.op === "bin" || i.op === "neg" || i.op === "copy" || i.op === "zext" || i.op === "sext" || i.op === "trunc")
      ) {
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
    return false;
  });
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
