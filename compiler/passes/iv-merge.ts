// Pass: iv-merge — one register for induction variables that always hold the same value.
//
// `for (let i = 0; i < 64; i++) { ...; n++; }` keeps i and n in step: both start at 0 and both
// grow by 1 per iteration, so n is i. Two phis of one block are congruent when, from every
// predecessor, they receive the same operand, or values computed by the same operation from the
// two phis themselves (or from equal operands): `add %i, 1` and `add %n, 1`. By induction over the
// iterations they are then equal, and the second phi is replaced by the first. In a bounded loop
// that removes one instruction per iteration — verifier cost the loop pays at every iteration.
//
// Needs: valid SSA. Produces: valid SSA (the dropped phi's update becomes dead; dce removes it, cse
// merges a duplicate). Invalidates: nothing structural.

import { isImm, replaceUses, type Func, type Inst, type Operand, type Phi } from "../ir/ir.js";

export function ivMerge(f: Func): boolean {
  const defs = new Map<number, Inst>();
  for (const b of f.blocks) for (const i of b.insts) if ("dst" in i && i.dst) defs.set(i.dst.id, i);
  let changed = false;
  for (const b of f.blocks) {
    for (let again = true; again; ) {
      again = false;
      outer: for (let x = 0; x < b.phis.length; x++) {
        for (let y = x + 1; y < b.phis.length; y++) {
          const p = b.phis[x]!;
          const q = b.phis[y]!;
          if (p.dst.ty !== q.dst.ty || !congruent(p, q, defs)) continue;
          b.phis.splice(y, 1);
          replaceUses(f, q.dst.id, p.dst);
          changed = again = true;
          break outer;
        }
      }
    }
  }
  return changed;
}

function congruent(p: Phi, q: Phi, defs: Map<number, Inst>): boolean {
  if (p.incoming.length !== q.incoming.length) return false;
  /** Equal under the hypothesis p == q. */
  const eq = (a: Operand, b: Operand): boolean => {
    if (isImm(a) || isImm(b)) return isImm(a) && isImm(b) && a.imm === b.imm;
    return a.id === b.id || (a.id === p.dst.id && b.id === q.dst.id);
  };
  for (const inc of p.incoming) {
    const other = q.incoming.find((i) => i.block === inc.block);
    if (!other) return false;
    const a = inc.value;
    const b = other.value;
    if (eq(a, b)) continue;
    if (isImm(a) || isImm(b)) return false;
    const da = defs.get(a.id);
    const db = defs.get(b.id);
    if (!da || !db || da.op !== "bin" || db.op !== "bin" || da.kind !== db.kind || da.dst.ty !== db.dst.ty) return false;
    if (!eq(da.a, db.a) || !eq(da.b, db.b)) return false;
  }
  return true;
}
