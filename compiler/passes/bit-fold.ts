// Pass: bit-fold — folds that need to know which bits of a value can be set.
//
// csumReplace2(ip.check, ip.ttl | (ip.protocol << 8), ...) after `ip.protocol === IPPROTO_ICMP` is
// `~(ttl | 0x100)`: the byte load leaves bit 8 clear, so the `or` is an `xor` and the two xors are
// one (`ttl ^ 0xfeff`, as clang writes it). For each i32/i64 value the pass keeps a mask of the bits
// that may be 1 (loads narrower than the register, `and` with a constant, shifts by constants, zext,
// or, xor, constants), then:
//   - `or x, C` whose C shares no bit with x's mask becomes `xor x, C`;
//   - `xor (xor x, C1), C2` (the inner xor used only there) becomes `xor x, C1 ^ C2`;
//   - `and x, C` whose C covers x's mask becomes a copy of x.
// An i64 immediate must stay a sign-extended 32-bit one.
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural.

import { computeDominators } from "../ir/dominators.js";
import { type Func, type Inst, instUses, isImm, type Operand, termUses, type Value } from "../ir/ir.js";

const ALL = { i32: (1n << 32n) - 1n, i64: (1n << 64n) - 1n } as const;

export function bitFold(f: Func): boolean {
  if (f.blocks.length === 0) return false;
  const mask = new Map<number, bigint>();
  const defs = new Map<number, Inst>();
  const uses = new Map<number, number>();
  const count = (o: Operand): void => {
    if (!isImm(o)) uses.set(o.id, (uses.get(o.id) ?? 0) + 1);
  };
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) count(inc.value);
    for (const i of b.insts) for (const o of instUses(i)) count(o);
    for (const o of termUses(b.term)) count(o);
  }
  const width = (v: Value): bigint => (v.ty === "i32" ? ALL.i32 : ALL.i64);
  const maskOf = (o: Operand, ty: Value["ty"]): bigint => {
    const all = ty === "i32" ? ALL.i32 : ALL.i64;
    if (isImm(o)) return BigInt.asUintN(ty === "i32" ? 32 : 64, o.imm);
    return mask.get(o.id) ?? all;
  };
  const fitsImm = (v: bigint, ty: Value["ty"]): boolean =>
    ty === "i32" || (BigInt.asIntN(64, v) >= -(1n << 31n) && BigInt.asIntN(64, v) < 1n << 31n);
  const immOf = (v: bigint, ty: Value["ty"]): bigint => (ty === "i32" ? BigInt.asUintN(32, v) : BigInt.asIntN(64, v));
  // Dominator order: definitions before uses (phis are left unknown).
  const dom = computeDominators(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  let changed = false;
  for (const stack = [f.blocks[0]!.id]; stack.length > 0; ) {
    const bid = stack.pop()!;
    const b = byId.get(bid)!;
    for (const i of b.insts) {
      if (i.op === "load") {
        if (i.dst.ty !== "ptr") mask.set(i.dst.id, i.width === 8 ? width(i.dst) : (1n << BigInt(8 * i.width)) - 1n);
        defs.set(i.dst.id, i);
        continue;
      }
      if (i.op === "const") {
        if (i.dst.ty !== "ptr") mask.set(i.dst.id, maskOf({ imm: i.value }, i.dst.ty));
        continue;
      }
      if (i.op === "zext") {
        mask.set(i.dst.id, maskOf(i.a, "i32"));
        continue;
      }
      if (i.op !== "bin" || i.dst.ty === "ptr") continue;
      const ty = i.dst.ty;
      const all = width(i.dst);
      // Rewrites first (they only use masks of operands, known by now).
      if (i.kind === "or" && isImm(i.b) && (maskOf(i.a, ty) & maskOf(i.b, ty)) === 0n) {
        (i as { kind: string }).kind = "xor";
        changed = true;
      }
      if (i.kind === "xor" && isImm(i.b) && !isImm(i.a) && (uses.get(i.a.id) ?? 0) === 1) {
        const inner = defs.get(i.a.id);
        if (inner && inner.op === "bin" && inner.kind === "xor" && isImm(inner.b) && inner.dst.ty === ty) {
          const c = immOf(maskOf(inner.b, ty) ^ maskOf(i.b, ty), ty);
          if (fitsImm(c, ty)) {
            i.a = inner.a;
            i.b = { imm: c };
            uses.set(inner.dst.id, 0);
            if (!isImm(inner.a)) uses.set(inner.a.id, (uses.get(inner.a.id) ?? 0) + 1);
            changed = true;
          }
        }
      }
      const ma = maskOf(i.a, ty);
      const mb = maskOf(i.b, ty);
      let m = all;
      switch (i.kind) {
        case "and":
          m = ma & mb;
          break;
        case "or":
        case "xor":
          m = ma | mb;
          break;
        case "lshr":
          if (isImm(i.b)) m = ma >> (i.b.imm & (ty === "i32" ? 31n : 63n));
          break;
        case "shl":
          if (isImm(i.b)) m = (ma << (i.b.imm & (ty === "i32" ? 31n : 63n))) & all;
          break;
      }
      mask.set(i.dst.id, m);
      defs.set(i.dst.id, i);
    }
    // `and x, C` covering x's mask: a copy (done after the masks of this block are known).
    b.insts = b.insts.map((i): Inst => {
      if (i.op !== "bin" || i.kind !== "and" || i.dst.ty === "ptr" || !isImm(i.b) || isImm(i.a)) return i;
      const ty = i.dst.ty;
      if ((maskOf(i.a, ty) & ~maskOf(i.b, ty) & width(i.dst)) !== 0n) return i;
      changed = true;
      return { op: "copy", dst: i.dst, a: i.a };
    });
    for (const c of dom.children.get(bid) ?? []) stack.push(c);
  }
  return changed;
}
