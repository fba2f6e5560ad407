// Pass: narrow-store — a store of w bytes ignores every bit above them, so a truncation or mask
// that only clears those bits is not needed on the value stored: `store.2 p, 0, trunc.16 x` stores
// x. In BPF a 16-bit truncation is two instructions (`w0 = w0; w0 &= 0xffff`), and checksum and
// header rewrites end in one each time. The truncation stays for its other uses (dce drops it when
// it has none).
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural.

import { isImm, isValue, type Func, type Inst, type Operand } from "../ir/ir.js";

export function narrowStore(f: Func): boolean {
  const defs = new Map<number, Inst>();
  for (const b of f.blocks) for (const i of b.insts) if ("dst" in i && i.dst) defs.set(i.dst.id, i);
  let changed = false;
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if (i.op !== "store" || i.width === 8) continue;
      const bits = BigInt(8 * i.width);
      for (let v = unmasked(i.value, bits, defs); v; v = unmasked(i.value, bits, defs)) {
        i.value = v;
        changed = true;
      }
    }
  }
  return changed;
}

/** x when `o` is `trunc x` or `and x, m` that keeps at least the low `bits` bits of x. */
function unmasked(o: Operand, bits: bigint, defs: Map<number, Inst>): Operand | undefined {
  if (!isValue(o)) return undefined;
  const d = defs.get(o.id);
  if (!d) return undefined;
  if (d.op === "trunc" && BigInt(d.to) >= bits) return d.a;
  if (d.op === "bin" && d.kind === "and") {
    const low = (1n << bits) - 1n;
    for (const [x, m] of [[d.a, d.b], [d.b, d.a]] as const) if (isImm(m) && (m.imm & low) === low) return x;
  }
  return undefined;
}
