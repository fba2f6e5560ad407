// Pass: narrow-store — a store of w bytes ignores every bit above them, so a truncation or mask
// that only clears those bits is not needed on the value stored: `store.2 p, 0, trunc.16 x` stores
// x. The same holds through arithmetic whose low bits depend only on the operands' low bits (add,
// sub, mul, and, or, xor, neg, shl by a constant): in a checksum fold stored to a 16-bit field,
// `(s & 0xffff) + (s >> 16)` needs no `& 0xffff`. Each value gets the number of low bits its users
// demand (a phi, compare, call, return, load address, right shift ... demands all of them); a mask or
// truncation that keeps at least the demanded bits is replaced by its operand. In BPF a 16-bit
// truncation is two instructions (`w0 = w0; w0 &= 0xffff`).
//
// Needs: valid SSA. Produces: valid SSA (masks left without users go at the next dce). Invalidates:
// nothing structural.

import { instDst, instUses, isImm, isValue, mapAllOperands, termUses, type Func, type Inst, type Operand, type Value } from "../ir/ir.js";

/** Users whose result's low bits depend only on the same low bits of these operands. */
const LOW_BITS_OPS = new Set(["add", "sub", "mul", "and", "or", "xor"]);

export function narrowStore(f: Func): boolean {
  const widthOf = (v: Value): number => (v.ty === "i32" ? 32 : 64);
  const demanded = new Map<number, number>();
  const demand = (o: Operand, bits: number): void => {
    if (!isValue(o) || o.ty === "ptr") return;
    demanded.set(o.id, Math.max(demanded.get(o.id) ?? 0, Math.min(bits, widthOf(o))));
  };
  const all = (o: Operand): void => {
    if (isValue(o)) demand(o, 64);
  };
  // Users come after definitions in dominator order, except through phis (which demand all bits),
  // so one backward sweep over the blocks in reverse layout order is not enough in general: iterate.
  const insts: Inst[] = [];
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) all(inc.value);
    for (const o of termUses(b.term)) all(o);
    for (const i of b.insts) insts.push(i); // not push(...): a block may hold more values than a call takes arguments
  }
  for (let again = true; again; ) {
    again = false;
    const before = JSON.stringify([...demanded]);
    for (let n = insts.length - 1; n >= 0; n--) {
      const i = insts[n]!;
      const d = instDst(i);
      const mine = d ? (demanded.get(d.id) ?? 0) : 0;
      if (i.op === "store") {
        all(i.base);
        demand(i.value, 8 * i.width);
      } else if (i.op === "bin" && LOW_BITS_OPS.has(i.kind)) {
        demand(i.a, mine);
        demand(i.b, mine);
      } else if (i.op === "bin" && i.kind === "shl" && isImm(i.b)) {
        // The count is taken modulo the width, as the back end emits it (`x << 161` on an i32
        // shifts by 1; masking by 63 read it as 33 and let `trunc.8` go: seed 20261226).
        demand(i.a, Math.max(0, mine - Number(i.b.imm & (i.dst.ty === "i32" ? 31n : 63n))));
      } else if (i.op === "neg" || i.op === "copy") {
        demand(i.a, mine);
      } else if (i.op === "trunc") {
        demand(i.a, Math.min(mine, i.to));
      } else {
        for (const o of instUses(i)) all(o);
      }
    }
    again = JSON.stringify([...demanded]) !== before;
  }

  // A stored value needs only the stored bytes, whatever its type: `store.4 p, 0, trunc.32 x` stores
  // the i64 x directly even when the truncation has other users.
  const defs = new Map<number, Inst>();
  for (const i of insts) {
    const d = instDst(i);
    if (d) defs.set(d.id, i);
  }
  let changed = false;
  for (const i of insts) {
    if (i.op !== "store" || i.width === 8) continue;
    for (let def = isValue(i.value) ? defs.get(i.value.id) : undefined; def; def = isValue(i.value) ? defs.get(i.value.id) : undefined) {
      const x = unmasked(def, 8 * i.width);
      if (!x) break;
      i.value = x;
      changed = true;
    }
  }

  const replaced = new Map<number, Operand>();
  for (const i of insts) {
    const d = instDst(i);
    if (!d || d.ty === "ptr") continue;
    const bits = demanded.get(d.id) ?? 0;
    const x = unmasked(i, bits);
    if (x && isValue(x) && x.ty === d.ty) replaced.set(d.id, x);
  }
  if (replaced.size === 0) return changed;
  const resolve = (o: Operand): Operand => {
    let cur = o;
    while (isValue(cur) && replaced.has(cur.id)) cur = replaced.get(cur.id)!;
    return cur;
  };
  mapAllOperands(f, (o) => resolve(o));
  return true;
}

/** x when `i` is `trunc x` or `and x, m` that keeps at least the low `bits` bits of x. */
function unmasked(i: Inst, bits: number): Operand | undefined {
  if (bits <= 0 || bits > 64) return undefined;
  if (i.op === "trunc" && i.to >= bits) return i.a;
  if (i.op === "bin" && i.kind === "and") {
    const low = (1n << BigInt(bits)) - 1n;
    for (const [x, m] of [
      [i.a, i.b],
      [i.b, i.a],
    ] as const)
      if (isImm(m) && (BigInt.asUintN(64, m.imm) & low) === low) return x;
  }
  return undefined;
}
