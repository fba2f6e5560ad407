// Pass: spill slot sharing (stack colouring).
//
// Needs:       an MFunc after register allocation whose spill loads/stores carry FrameRefs of kind
//              "spill" (one index per spilled register, as regalloc.ts hands them out).
// Produces:    renumbered spill indices so that spilled values whose stack lifetimes never overlap
//              share an 8-byte slot, and `mf.spillSlots` lowered to the number of slots used. A
//              slot's lifetime runs from a store to the loads that can see it, computed by the same
//              backward dataflow as register liveness, with stores as definitions and loads as uses.
// Invalidates: nothing else (registers and code are untouched).

import { type MFunc, type MInst, mblockSuccessors } from "./mir.js";

const spillIndex = (m: MInst): number | undefined => (m.frame?.kind === "spill" ? m.frame.index : undefined);
/** Spill stores are STX (class 3); everything else referencing a spill slot reads it. */
const isStore = (m: MInst): boolean => (m.insn.opcode & 0x07) === 0x03;

export function shareSpillSlots(mf: MFunc): void {
  if (mf.spillSlots <= 1) return;
  // Liveness of spill slots.
  const liveIn = new Map<number, Set<number>>(mf.blocks.map((b) => [b.id, new Set()]));
  const byId = new Map(mf.blocks.map((b) => [b.id, b]));
  const liveOut = (id: number): Set<number> => {
    const out = new Set<number>();
    for (const s of mblockSuccessors(byId.get(id)!)) for (const x of liveIn.get(s)!) out.add(x);
    return out;
  };
  const stepBack = (live: Set<number>, m: MInst): void => {
    const s = spillIndex(m);
    if (s === undefined) return;
    if (isStore(m)) live.delete(s);
    else live.add(s);
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = mf.blocks.length - 1; i >= 0; i--) {
      const b = mf.blocks[i];
      const live = liveOut(b.id);
      for (let k = b.insns.length - 1; k >= 0; k--) stepBack(live, b.insns[k]);
      const old = liveIn.get(b.id)!;
      if (live.size !== old.size) {
        liveIn.set(b.id, live);
        changed = true;
      }
    }
  }

  // Interference: a store to s while t is live (t != s) means s and t need different slots.
  const adj: Set<number>[] = Array.from({ length: mf.spillSlots }, () => new Set());
  for (const b of mf.blocks) {
    const live = liveOut(b.id);
    for (let k = b.insns.length - 1; k >= 0; k--) {
      const m = b.insns[k];
      const s = spillIndex(m);
      if (s !== undefined && isStore(m)) {
        for (const t of live) {
          if (t !== s) {
            adj[s].add(t);
            adj[t].add(s);
          }
        }
      }
      stepBack(live, m);
    }
  }

  // Greedy colouring in index order.
  const slot: number[] = [];
  let used = 0;
  for (let s = 0; s < mf.spillSlots; s++) {
    const taken = new Set<number>();
    for (const t of adj[s]) if (slot[t] !== undefined) taken.add(slot[t]);
    let c = 0;
    while (taken.has(c)) c++;
    slot[s] = c;
    used = Math.max(used, c + 1);
  }
  for (const b of mf.blocks) {
    for (const m of b.insns) {
      if (m.frame?.kind === "spill") m.frame = { ...m.frame, index: slot[m.frame.index] };
    }
  }
  mf.spillSlots = used;
}
