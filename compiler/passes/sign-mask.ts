// Pass: sign-mask — an `and`, an `or` or a narrowing of a value that is -1 or 0 (an arithmetic
// shift that leaves only the sign: `(x >> 31) & 31` on an i32, `u8(b >> 16)` on an i8) becomes a
// multiply by the sign as 0 or 1.
//
// The verifier forks its state at an `and` or `or` of a value it knows is -1 or 0 (Linux 6.18's
// stable updates, "bpf: Recognize special arithmetic shift in the verifier": maybe_fork_scalars),
// one state going on with 0 and one with -1. Where the result feeds a packet offset inside a loop,
// the forked states carry different packet ranges and never merge: a 64-trip loop reading
// `ctx.header<u8>(8 + k + m)` with `m = u32((q.a >> 31) & 31)` processed 280,033 instructions, and
// one program of the differential fuzzer (seed 20261346, `(f(s, p.i8b >> 16) & 31) + 46 + k`) was
// refused. `v & y` is `(X >>> (w - 1)) * y` for v = X >> s (v is -1 exactly when X is negative);
// a narrowing to k bits is the multiply by 2^k - 1; `v | y` is `y - b * (y + 1)` with b that 0/1.
// The multiply's range is the product's ([0, y] for a constant y), with no fork. The same count of
// instructions for an `and` or a narrowing (lshr, mul for ashr, and; the ashr goes when unused).
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural. Runs after the last
// const-fold and bit-fold, which could turn the multiply back into a mask.

import { definitions, imm, isImm, isValue, newValue, type Func, type Inst, type Operand, type Ty, type Value } from "../ir/ir.js";

const widthOf = (ty: Ty): number => (ty === "i32" ? 32 : 64);

export function signMask(f: Func): boolean {
  const defs = definitions(f);
  /** For a value that is -1 or 0, the value whose sign it is (the shift's operand). */
  const signOf = (o: Operand): Value | undefined => {
    if (!isValue(o) || o.ty === "ptr") return undefined;
    const d = defs.get(o.id);
    if (d?.op !== "bin" || d.kind !== "ashr" || !isValue(d.a) || !isImm(d.b) || d.a.ty !== o.ty) return undefined;
    const w = widthOf(o.ty);
    const s = Number(d.b.imm);
    const x = defs.get(d.a.id);
    // The bits that can differ from the sign: a sign extension from k bits holds k.
    const k = x?.op === "sext" ? x.from : w;
    return s >= k - 1 && s < w ? d.a : undefined;
  };
  let changed = false;
  for (const blk of f.blocks) {
    for (let at = 0; at < blk.insts.length; at++) {
      const i = blk.insts[at]!;
      let x: Value | undefined;
      let other: Operand | undefined;
      if (i.op === "bin" && (i.kind === "and" || i.kind === "or")) {
        x = signOf(i.a);
        other = i.b;
        if (!x) {
          x = signOf(i.b);
          other = i.a;
        }
      } else if (i.op === "trunc" && i.to < 32) {
        x = signOf(i.a);
        other = imm((1n << BigInt(i.to)) - 1n);
      }
      if (!x || other === undefined || !("dst" in i)) continue;
      const dst = i.dst as Value;
      const added: Inst[] = [];
      const push = (ty: Ty, make: (d: Value) => Inst): Value => {
        const d = newValue(f, ty);
        added.push(make(d));
        return d;
      };
      let b = push(x.ty, (d) => ({ op: "bin", kind: "lshr", dst: d, a: x, b: imm(widthOf(x.ty) - 1) }));
      if (b.ty !== dst.ty) {
        const src = b;
        b = push(dst.ty, (d) => (dst.ty === "i32" ? { op: "trunc", dst: d, a: src, to: 32 } : { op: "zext", dst: d, a: src }));
      }
      let replacement: Inst;
      if (i.op === "bin" && i.kind === "or") {
        const y = other;
        const y1 = isImm(y)
          ? imm(BigInt.asUintN(widthOf(dst.ty), y.imm + 1n))
          : push(dst.ty, (d) => ({ op: "bin", kind: "add", dst: d, a: y, b: imm(1) }));
        const t = push(dst.ty, (d) => ({ op: "bin", kind: "mul", dst: d, a: b, b: y1 }));
        const yv = isImm(y) ? push(dst.ty, (d) => ({ op: "const", dst: d, value: y.imm })) : y;
        replacement = { op: "bin", kind: "sub", dst, a: yv, b: t };
      } else replacement = { op: "bin", kind: "mul", dst, a: b, b: other };
      const loc = f.locs?.get(i);
      if (loc) for (const n of [...added, replacement]) f.locs!.set(n, loc);
      blk.insts.splice(at, 1, ...added, replacement);
      defs.set(dst.id, replacement);
      at += added.length;
      changed = true;
    }
  }
  return changed;
}
