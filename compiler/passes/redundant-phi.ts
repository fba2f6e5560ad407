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

import { isValue, replaceUses, type Func, type Operand, type Value } from "../ir/ir.js";

export function redundantPhi(f: Func): boolean {
  let changed = false;
  for (let again = true; again; ) {
    again = false;
    const copies = new Map<number, Operand>();
    for (const b of f.blocks) for (const i of b.insts) if (i.op === "copy") copies.set(i.dst.id, i.a);
    const through = (o: Operand): Operand => {
      for (let k = 0; k < 64 && isValue(o) && copies.has(o.id); k++) o = copies.get(o.id)!;
      return o;
    };
    for (const b of f.blocks) {
      for (const phi of b.phis) {
        let only: Value | undefined;
        let ok = true;
        for (const inc of phi.incoming) {
          const v = through(inc.value);
          if (!isValue(v)) {
            ok = false;
            break;
          }
          if (v.id === phi.dst.id) continue;
          if (only && only.id !== v.id) {
            ok = false;
            break;
          }
          only = v;
        }
        if (!ok || !only || only.ty !== phi.dst.ty) continue;
        b.phis = b.phis.filter((p) => p !== phi);
        replaceUses(f, phi.dst.id, only);
        changed = again = true;
        break;
      }
      if (again) break;
    }
  }
  return changed;
}
