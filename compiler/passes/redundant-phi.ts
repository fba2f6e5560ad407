// Pass: redundant-phi — remove phis that only ever pass one value around.
//
// A variable a loop never assigns still gets a phi at the loop's header from the SSA builder, fed
// back through a copy on the back edge: `%h = phi [pre: %v], [latch: %c]` with `%c = copy %h`. Such a
// phi is `%v` (Braun et al.: a phi whose operands are itself and one other value is that value). Left
// in place it costs a register copy per iteration, and the copies keep a block with a null check's
// phi from being threaded (thread-null-checks wants the phi and the branch alone). Copies are looked
// through; the replacement value dominates the phi, so every use. Repeats until nothing changes (one
// removal can make another phi redundant). The copies left without uses go at the next dce.
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural.

import { isValue, mapAllOperands, type Func, type Operand, type Value } from "../ir/ir.js";

export function redundantPhi(f: Func): boolean {
  let changed = false;
  // Each sweep decides every phi against the replacements so far, then rewrites all uses once
  // (linear per sweep; a removal can make another phi redundant, hence the sweeps).
  for (let again = true; again; ) {
    again = false;
    const copies = new Map<number, Operand>();
    for (const b of f.blocks) for (const i of b.insts) if (i.op === "copy") copies.set(i.dst.id, i.a);
    const replaced = new Map<number, Value>();
    const through = (o: Operand): Operand => {
      for (let k = 0; k < 64 && isValue(o); k++) {
        const next = replaced.get(o.id) ?? copies.get(o.id);
        if (next === undefined) break;
        o = next;
      }
      return o;
    };
    for (const b of f.blocks) {
      b.phis = b.phis.filter((phi) => {
        let only: Value | undefined;
        for (const inc of phi.incoming) {
          const v = through(inc.value);
          if (!isValue(v)) return true;
          if (v.id === phi.dst.id) continue;
          if (only && only.id !== v.id) return true;
          only = v;
        }
        if (!only || only.ty !== phi.dst.ty) return true;
        const target = through(only);
        if (isValue(target) && target.id === phi.dst.id) return true; // phis feeding only each other
        replaced.set(phi.dst.id, only);
        return false;
      });
    }
    if (replaced.size === 0) break;
    const resolve = (v: Value): Value => {
      let r = v;
      for (let k = 0; k < 64 && replaced.has(r.id); k++) r = replaced.get(r.id)!;
      return r;
    };
    mapAllOperands(f, (o) => (isValue(o) && replaced.has(o.id) ? resolve(o) : o));
    changed = again = true;
  }
  return changed;
}
