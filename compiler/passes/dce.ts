// Pass: dce — dead code elimination.
//
// Needs: valid SSA. Produces: no unreachable blocks (their successors' phis lose the incomings from
// them); no instruction without side effects (see `hasSideEffects`) whose result is not
// transitively needed by a side effect or a terminator; no such dead phis (dead cycles through
// phis go too). Invalidates: the dominator tree when blocks were removed.

import { type Func, type Operand, hasSideEffects, instDst, instUses, isImm, removeUnreachableBlocks, termUses } from "../ir/ir.js";

export function dce(f: Func): boolean {
  let changed = removeUnreachableBlocks(f);

  // Where each value is defined: its operands, to mark them live in turn.
  const usesOf = new Map<number, Operand[]>();
  for (const b of f.blocks) {
    for (const p of b.phis)
      usesOf.set(
        p.dst.id,
        p.incoming.map((i) => i.value),
      );
    for (const i of b.insts) {
      const d = instDst(i);
      if (d) usesOf.set(d.id, instUses(i));
    }
  }

  const live = new Set<number>();
  const work: Operand[] = [];
  for (const b of f.blocks) {
    for (const i of b.insts) if (hasSideEffects(i)) work.push(...instUses(i));
    work.push(...termUses(b.term));
  }
  while (work.length > 0) {
    const o = work.pop()!;
    if (isImm(o) || live.has(o.id)) continue;
    live.add(o.id);
    const us = usesOf.get(o.id);
    if (us) work.push(...us);
  }

  for (const b of f.blocks) {
    const phis = b.phis.filter((p) => live.has(p.dst.id));
    const insts = b.insts.filter((i) => {
      if (hasSideEffects(i)) return true;
      const d = instDst(i);
      return d === undefined || live.has(d.id);
    });
    if (phis.length !== b.phis.length || insts.length !== b.insts.length) {
      changed = true;
      b.phis = phis;
      b.insts = insts;
    }
  }
  return changed;
}
