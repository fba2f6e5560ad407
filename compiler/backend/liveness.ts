// Analysis: register liveness over MIR.
//
// Needs:       an MFunc whose MInsts list every read and written register in uses/defs.
// Produces:    live-in and live-out sets (physical and virtual registers, r10 excluded) per block.
// Invalidates: nothing. Any change to instructions makes the result stale.

import { FP, type MFunc, mblockSuccessors } from "./mir.js";

export interface Liveness {
  liveIn: Map<number, Set<number>>;
  liveOut: Map<number, Set<number>>;
}

export function liveness(mf: MFunc): Liveness {
  const gen = new Map<number, Set<number>>();
  const kill = new Map<number, Set<number>>();
  for (const b of mf.blocks) {
    const g = new Set<number>();
    const k = new Set<number>();
    for (const m of b.insns) {
      for (const u of m.uses) if (u !== FP && !k.has(u)) g.add(u);
      for (const d of m.defs) k.add(d);
    }
    gen.set(b.id, g);
    kill.set(b.id, k);
  }
  const liveIn = new Map<number, Set<number>>();
  const liveOut = new Map<number, Set<number>>();
  for (const b of mf.blocks) {
    liveIn.set(b.id, new Set(gen.get(b.id)));
    liveOut.set(b.id, new Set());
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = mf.blocks.length - 1; i >= 0; i--) {
      const b = mf.blocks[i];
      const out = liveOut.get(b.id)!;
      for (const s of mblockSuccessors(b)) {
        for (const r of liveIn.get(s) ?? []) {
          if (!out.has(r)) {
            out.add(r);
            changed = true;
          }
        }
      }
      const inn = liveIn.get(b.id)!;
      const k = kill.get(b.id)!;
      for (const r of out) {
        if (!k.has(r) && !inn.has(r)) {
          inn.add(r);
          changed = true;
        }
      }
    }
  }
  return { liveIn, liveOut };
}
