// Pass: addr-fold — fold `base + constant` into the offset of the instructions that use it.
//
// eBPF loads, stores and atomics carry a 16-bit signed offset, so `p = q + 14; load p, 12` is
// `load q, 26` without computing p. For packet pointers the verifier allows this: q and q + constant
// share one pointer id, and a bounds check through either proves the range for both (the range is
// kept per id, relative to the pointer without its constant part). Chains of constant ptradds are
// merged too (`(q + 42) + 1` is `q + 43`), so the pointer compared with `data_end` and the pointer
// read through both come straight from q. The ptradds left without uses go at the next dce; that
// removes a register copy and an add per header, and frees the register that held the header.
//
// A `zext` feeding a ptradd's offset is skipped: i32 values are kept zero-extended in their registers,
// so the ALU64 add can take the 32-bit value's register directly (no copy to a second register).
//
// Only constant offsets are folded (a variable one must stay: the verifier needs its bounds on the
// pointer). Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural.

import { isImm, isValue, type Func, type Inst, type Operand, type Value } from "../ir/ir.js";

const S16_MIN = -32768;
const S16_MAX = 32767;
const S32_MIN = -(2 ** 31);
const S32_MAX = 2 ** 31 - 1;

export function addrFold(f: Func): boolean {
  const consts = new Map<number, bigint>();
  /** ptr value id -> [base, constant] when it is `ptradd base, constant`. */
  const offsetOf = new Map<number, { base: Value; c: number }>();
  /** zext value id -> its i32 operand: a zero-extended register already, usable as a 64-bit offset. */
  const zexts = new Map<number, Operand>();
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if (i.op === "const") consts.set(i.dst.id, i.value);
      if (i.op === "zext" && isValue(i.a)) zexts.set(i.dst.id, i.a);
    }
  }
  const constOf = (o: Operand): number | undefined => {
    // An immediate of the ALU64 add is read as a signed 64-bit value; an i32 constant is
    // zero-extended in its register.
    const c = isImm(o) ? o.imm : consts.get(o.id);
    if (c === undefined) return undefined;
    const v = isValue(o) && o.ty === "i32" ? BigInt.asUintN(32, c) : BigInt.asIntN(64, c);
    const n = Number(v);
    return n >= S32_MIN && n <= S32_MAX ? n : undefined;
  };
  // Resolve each constant ptradd to its root (definitions come before uses in dominator order, and
  // a use of a ptradd is always dominated by it, so one pass in block order per chain link is enough;
  // iterate to be independent of layout).
  let changed = false;
  for (let again = true; again; ) {
    again = false;
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if (i.op === "ptradd") {
          const z = isValue(i.offset) ? zexts.get(i.offset.id) : undefined;
          if (z) {
            i.offset = z;
            changed = true;
          }
          const c = constOf(i.offset);
          if (c === undefined) continue;
          const inner = offsetOf.get(i.base.id);
          if (inner && inner.c + c >= S32_MIN && inner.c + c <= S32_MAX) {
            i.base = inner.base;
            i.offset = { imm: BigInt(inner.c + c) };
            changed = again = true;
          }
          const prev = offsetOf.get(i.dst.id);
          const now = { base: i.base, c: constOf(i.offset)! };
          if (!prev || prev.base.id !== now.base.id || prev.c !== now.c) {
            offsetOf.set(i.dst.id, now);
            again = true;
          }
        } else if (foldInto(i, offsetOf)) changed = again = true;
      }
    }
  }
  return changed;
}

/** Memory instructions: move a constant ptradd of the base into the offset when it fits. */
function foldInto(i: Inst, offsetOf: Map<number, { base: Value; c: number }>): boolean {
  if (i.op !== "load" && i.op !== "store" && i.op !== "atomic" && i.op !== "atomic_add") return false;
  if (!isValue(i.base)) return false;
  const p = offsetOf.get(i.base.id);
  if (!p) return false;
  const off = i.offset + p.c;
  if (off < S16_MIN || off > S16_MAX) return false;
  i.base = p.base;
  i.offset = off;
  return true;
}
