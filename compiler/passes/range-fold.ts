// Pass: range-fold — unsigned value ranges, used to drop compares and masks that cannot matter.
//
// Each i32/i64 value gets an unsigned interval [lo, hi] from its definition (constants, the width
// of a load, `and` with a mask, add/mul/shift by constants that cannot wrap, ...). Conditional
// branches narrow their operand's range in the blocks only reachable through one edge (a block
// whose single predecessor is the branch, and everything it dominates): inside `if (i < 64)` the
// counter i is in [0, 63]. With the ranges:
//   - a `cbr` whose outcome the ranges decide becomes a `br` (the dropped edge's phi incomings are
//     removed). This is what removes the `offset > 0xffff` test the front end puts before a packet
//     access at a computed offset when the offset is visibly small (`14 + (ver_ihl & 0xf) * 4`, or
//     a bounded loop counter plus a constant): one instruction less per access, and per iteration.
//   - `and x, m` with m = 2^k - 1 and x <= m becomes x (a 16-bit load needs no `& 0xffff`).
//   - `trunc x` to t bits with x < 2^t becomes x.
// A phi's range is the union of its incomings' where each is known without the phi: a value already
// visited, a constant, or a definition whose range does not depend on its operands (a mask, a
// narrow load), which covers a loop's back edge `x = (x + 1) & 0xffff`. A signed compare of values
// that are both in [0, 2^(w-1)) is the unsigned one (`u16 x; while (x < 100) x++;`: inside the
// loop x is in [0, 99], so the `& 0xffff` of the increment goes, and the verifier, whose range of
// an `and` starts at 0, sees the counter rise and the loop end instead of "infinite loop detected").
// Still one walk in dominator order.
//
// Needs: valid SSA. Produces: valid SSA; blocks a folded branch no longer reaches are deleted. Invalidates: the dominator tree when a branch folds.

import { computeDominators, type DomTree } from "../ir/dominators.js";
import {
  isImm,
  isValue,
  mapAllOperands,
  newValue,
  removeUnreachableBlocks,
  type Block,
  type CondOp,
  type Func,
  type Inst,
  type Operand,
  type Ty,
  type Value,
} from "../ir/ir.js";

interface Range {
  lo: bigint;
  hi: bigint;
}

const widthOf = (ty: Ty): number => (ty === "i32" ? 32 : 64);
const full = (ty: Ty): Range => ({ lo: 0n, hi: (1n << BigInt(widthOf(ty))) - 1n });
const maxOf = (ty: Ty): bigint => (1n << BigInt(widthOf(ty))) - 1n;
/** The smallest 2^k - 1 >= x. */
const ones = (x: bigint): bigint => (x === 0n ? 0n : (1n << BigInt(x.toString(2).length)) - 1n);

export function rangeFold(f: Func): boolean {
  const dom = computeDominators(f);
  const blocks = new Map(f.blocks.map((b) => [b.id, b] as const));
  /** Ranges from definitions (valid wherever the value is). */
  const defined = new Map<number, Range>();
  const replaced = new Map<number, Value>();
  let changed = false;

  const rangeIn = (o: Operand, ty: Ty, facts: ReadonlyMap<number, Range>): Range => {
    if (isImm(o)) {
      const v = BigInt.asUintN(widthOf(ty), o.imm);
      return { lo: v, hi: v };
    }
    const v = replaced.get(o.id) ?? o;
    if (v.ty === "ptr") return full("i64");
    return facts.get(v.id) ?? defined.get(v.id) ?? full(v.ty);
  };

  /** Instructions replacing the one `keep` rejected (a split ptradd); empty when it was just dropped. */
  const split: Inst[] = [];
  const keep = (i: Inst, facts: ReadonlyMap<number, Range>): boolean => {
    if (i.op === "ptradd" && isValue(i.offset)) return !splitOffset(i, facts);
    const d = "dst" in i ? i.dst : undefined;
    if (!d || d.ty === "ptr") return true;
    const r = rangeOfInst(
      i,
      d.ty,
      (o) => rangeIn(o, d.ty, facts),
      (o) => rangeIn(o, isValue(o) ? o.ty : d.ty, facts),
    );
    // Identities the ranges prove: the instruction's result equals its operand.
    const same = identityOperand(i, (o) => rangeIn(o, d.ty, facts));
    if (same && isValue(same) && same.ty === d.ty) {
      replaced.set(d.id, replaced.get(same.id) ?? same);
      changed = true;
      return false;
    }
    defined.set(d.id, r);
    return true;
  };

  /**
   * `p = base + zext(x + C)` with x + C visibly in [0, 0xffff] becomes `q = base + x; p = q + C`,
   * so addr-fold can move C into the offsets of the accesses through p (and the verifier, which
   * bounds x the same way, accepts q).
   */
  const splitOffset = (i: Extract<Inst, { op: "ptradd" }>, facts: ReadonlyMap<number, Range>): boolean => {
    const off = resolve(i.offset as Value);
    const z = defs.get(off.id);
    if (z?.op !== "zext" || !isValue(z.a)) return false;
    const add = defs.get(resolve(z.a).id);
    if (add?.op !== "bin" || add.kind !== "add" || add.dst.ty !== "i32") return false;
    const [x, c] = isImm(add.b) ? [add.a, add.b.imm] : isImm(add.a) ? [add.b, add.a.imm] : [undefined, 0n];
    if (!x || !isValue(x) || c <= 0n || c > 0x7fffn) return false;
    if (rangeIn(x, "i32", facts).hi + c > 0xffffn) return false;
    // An i32 value is kept zero-extended in its register: it is a valid 64-bit offset as it is.
    const q = newValue(f, "ptr");
    split.push({ op: "ptradd", dst: q, base: i.base, offset: resolve(x) }, { op: "ptradd", dst: i.dst, base: q, offset: { imm: c } });
    const loc = f.locs?.get(i);
    if (loc) for (const n of split) f.locs!.set(n, loc);
    changed = true;
    return true;
  };
  const resolve = (v: Value): Value => replaced.get(v.id) ?? v;
  const defs = new Map<number, Inst>();
  for (const bb of f.blocks) for (const i of bb.insts) if ("dst" in i && i.dst) defs.set(i.dst.id, i);

  /** A range of `o` known before its definition is visited: a constant, a mask or truncation, a narrow load. */
  const early = (o: Operand, ty: Ty, facts: ReadonlyMap<number, Range>): Range => {
    if (isImm(o) || defined.has(resolve(o).id) || facts.has(resolve(o).id)) return rangeIn(o, ty, facts);
    const d = defs.get(o.id);
    if (d?.op === "const") return rangeIn({ imm: d.value }, ty, facts);
    if (d?.op === "load" && d.width < 8) return { lo: 0n, hi: (1n << BigInt(8 * d.width)) - 1n };
    if (d?.op === "trunc") return { lo: 0n, hi: (1n << BigInt(d.to)) - 1n };
    if (d?.op === "bin" && d.kind === "and") {
      const m = isImm(d.b) ? d.b.imm : isImm(d.a) ? d.a.imm : undefined;
      if (m !== undefined && m >= 0n) return { lo: 0n, hi: BigInt.asUintN(widthOf(ty), m) };
    }
    return full(ty);
  };

  const visit = (id: number, facts: Map<number, Range>): void => {
    const b = blocks.get(id)!;
    for (const p of b.phis) {
      if (p.dst.ty === "ptr" || p.incoming.length === 0) continue;
      let lo = maxOf(p.dst.ty);
      let hi = 0n;
      for (const inc of p.incoming) {
        const r = early(inc.value, p.dst.ty, facts);
        if (r.lo < lo) lo = r.lo;
        if (r.hi > hi) hi = r.hi;
      }
      defined.set(p.dst.id, { lo, hi });
    }
    const out: Inst[] = [];
    for (const i of b.insts)
      if (keep(i, facts)) out.push(i);
      else if (split.length) out.push(...split.splice(0));
    b.insts = out;
    const t = b.term;
    if (t.op === "cbr" && t.a.ty !== "ptr" && (t.width === 64 || t.a.ty === "i32")) {
      const a = rangeIn(t.a, t.a.ty, facts);
      const bw = isImm(t.b) ? rangeIn(t.b, t.width === 32 ? "i32" : "i64", facts) : rangeIn(t.b, t.b.ty, facts);
      const outcome = decide(unsignedFor(t.cond, t.width, a, bw), a, bw);
      if (outcome !== undefined) {
        const taken = outcome ? t.then : t.else;
        const dropped = outcome ? t.else : t.then;
        if (dropped !== taken) {
          const db = blocks.get(dropped);
          if (db) for (const p of db.phis) p.incoming = p.incoming.filter((inc) => inc.block !== b.id);
        }
        const loc = f.locs?.get(t);
        b.term = { op: "br", target: taken };
        if (loc) f.locs!.set(b.term, loc);
        changed = true;
      }
    }
    const children = dom.children.get(id) ?? [];
    for (let k = children.length - 1; k >= 0; k--) work.push({ from: b, id: children[k]!, facts });
  };
  // The dominator tree in pre-order with an explicit stack (a long straight-line program has a deep
  // tree); a child's facts are derived when it is reached, after its earlier siblings' subtrees.
  const work: { from?: Block; id: number; facts: Map<number, Range> }[] = [{ id: f.blocks[0]!.id, facts: new Map() }];
  for (let w = work.pop(); w; w = work.pop()) visit(w.id, w.from ? narrowFor(w.from, w.id, dom, w.facts, rangeIn) : w.facts);
  if (replaced.size > 0) mapAllOperands(f, (o) => (isImm(o) ? o : (replaced.get(o.id) ?? o)));
  removeUnreachableBlocks(f);
  return changed;
}

/** The facts valid in dominator child `c` of `b`: b's, plus the branch's when c is only entered from b. */
function narrowFor(
  b: Block,
  c: number,
  dom: DomTree,
  facts: Map<number, Range>,
  rangeIn: (o: Operand, ty: Ty, facts: ReadonlyMap<number, Range>) => Range,
): Map<number, Range> {
  const t = b.term;
  if (t.op !== "cbr" || t.then === t.else || (dom.preds.get(c) ?? []).length !== 1) return facts;
  if (c !== t.then && c !== t.else) return facts;
  if (t.a.ty === "ptr" || !isImm(t.b) || !(t.width === 64 || t.a.ty === "i32")) return facts;
  const k = BigInt.asUintN(t.width, t.b.imm);
  const cur = rangeIn(t.a, t.a.ty, facts);
  const cond = unsignedFor(t.cond, t.width, cur, { lo: k, hi: k });
  const r = narrow(c === t.then ? cond : negate(cond), cur, k);
  if (!r) return facts;
  const next = new Map(facts);
  next.set(t.a.id, r);
  return next;
}

const NEGATED: Partial<Record<CondOp, CondOp>> = { eq: "ne", ne: "eq", ult: "uge", uge: "ult", ule: "ugt", ugt: "ule" };
const UNSIGNED: Partial<Record<CondOp, CondOp>> = { slt: "ult", sle: "ule", sgt: "ugt", sge: "uge" };

/** A signed condition as the unsigned one when both sides are in [0, 2^(width-1)), where they agree. */
function unsignedFor(cond: CondOp, width: number, a: Range, b: Range): CondOp {
  const u = UNSIGNED[cond];
  const top = (1n << BigInt(width - 1)) - 1n;
  return u && a.hi <= top && b.hi <= top ? u : cond;
}
const negate = (c: CondOp): CondOp => NEGATED[c] ?? "set";

/** `cur` intersected with { x | x cond k }, for the unsigned conditions; undefined when unknown or empty. */
function narrow(cond: CondOp, cur: Range, k: bigint): Range | undefined {
  let { lo, hi } = cur;
  switch (cond) {
    case "eq":
      lo = hi = k;
      break;
    case "ult":
      if (k === 0n) return undefined;
      if (hi > k - 1n) hi = k - 1n;
      break;
    case "ule":
      if (hi > k) hi = k;
      break;
    case "ugt":
      if (lo < k + 1n) lo = k + 1n;
      break;
    case "uge":
      if (lo < k) lo = k;
      break;
    default:
      return undefined;
  }
  return lo <= hi ? { lo, hi } : undefined;
}

/** Does `a cond b` hold for every pair of values in the ranges (true), for none (false), or is it open? */
function decide(cond: CondOp, a: Range, b: Range): boolean | undefined {
  switch (cond) {
    case "ugt":
      return a.lo > b.hi ? true : a.hi <= b.lo ? false : undefined;
    case "uge":
      return a.lo >= b.hi ? true : a.hi < b.lo ? false : undefined;
    case "ult":
      return a.hi < b.lo ? true : a.lo >= b.hi ? false : undefined;
    case "ule":
      return a.hi <= b.lo ? true : a.lo > b.hi ? false : undefined;
    case "eq":
      return a.hi < b.lo || b.hi < a.lo ? false : undefined;
    case "ne":
      return a.hi < b.lo || b.hi < a.lo ? true : undefined;
    default:
      return undefined;
  }
}

/** The range of an instruction's result; `op` reads an operand at the result's type, `any` at its own. */
function rangeOfInst(i: Inst, ty: Ty, op: (o: Operand) => Range, any: (o: Operand) => Range): Range {
  const max = maxOf(ty);
  const fits = (lo: bigint, hi: bigint): Range => (hi <= max && lo >= 0n ? { lo, hi } : full(ty));
  switch (i.op) {
    case "const": {
      const v = BigInt.asUintN(widthOf(ty), i.value);
      return { lo: v, hi: v };
    }
    case "load":
      return i.width === 8 ? full(ty) : { lo: 0n, hi: (1n << BigInt(8 * i.width)) - 1n };
    case "copy":
      return op(i.a);
    case "zext": {
      // The operand is an i32: an immediate is read at 32 bits (`zext -1` is 0xffffffff, not 2^64 - 1).
      if (isImm(i.a)) {
        const v = BigInt.asUintN(32, i.a.imm);
        return { lo: v, hi: v };
      }
      return any(i.a);
    }
    case "trunc": {
      const a = any(i.a);
      const m = (1n << BigInt(i.to)) - 1n;
      return a.hi <= m ? a : { lo: 0n, hi: m };
    }
    case "bswap":
      return { lo: 0n, hi: (1n << BigInt(i.bits)) - 1n };
    case "bin": {
      const a = op(i.a);
      const b = i.kind === "shl" || i.kind === "lshr" || i.kind === "ashr" ? any(i.b) : op(i.b);
      switch (i.kind) {
        case "add":
          return fits(a.lo + b.lo, a.hi + b.hi);
        case "sub":
          return a.lo >= b.hi ? fits(a.lo - b.hi, a.hi - b.lo) : full(ty);
        case "mul":
          return fits(a.lo * b.lo, a.hi * b.hi);
        case "and":
          return { lo: 0n, hi: a.hi < b.hi ? a.hi : b.hi };
        case "or":
        case "xor": {
          const m = ones(a.hi > b.hi ? a.hi : b.hi);
          return { lo: 0n, hi: m };
        }
        case "shl":
          return b.lo === b.hi && b.lo < BigInt(widthOf(ty)) ? fits(a.lo << b.lo, a.hi << b.lo) : full(ty);
        // Only what the verifier tracks too: a mask or an offset test dropped on a range it cannot
        // see leaves it an unbounded packet offset ("math between pkt pointer and register with
        // unbounded min value"). It forgets everything after a shift by a register, and (Linux
        // 6.18) after any div or mod: `(15 / x) & 31` must keep its mask.
        case "lshr":
          return b.lo === b.hi && b.lo < BigInt(widthOf(ty)) ? { lo: a.lo >> b.lo, hi: a.hi >> b.lo } : full(ty);
        case "udiv":
        case "umod":
          return full(ty);
        default:
          return full(ty);
      }
    }
    default:
      return full(ty);
  }
}

/** An operand equal to the instruction's result, by the ranges (`and x, 2^k-1` with x <= 2^k-1, ...). */
function identityOperand(i: Inst, op: (o: Operand) => Range): Operand | undefined {
  if (i.op === "bin" && i.kind === "and") {
    for (const [x, m] of [
      [i.a, i.b],
      [i.b, i.a],
    ] as const) {
      if (!isImm(m)) continue;
      const mask = op(m).lo;
      if (mask === ones(mask) && op(x).hi <= mask) return x;
    }
  }
  if (i.op === "trunc" && isValue(i.a) && i.a.ty === i.dst.ty && op(i.a).hi <= (1n << BigInt(i.to)) - 1n) return i.a;
  return undefined;
}
