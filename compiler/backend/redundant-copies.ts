// Deletes a register copy `rA = rB` (after allocation) when rA already holds rB's value on every
// path: the allocator keeps a value live across calls in r6..r9 and copies it back to an argument
// register before each call, although the argument register may still hold it from the entry copy
// (`r6 = r1; ...; r1 = r6; call`). A forward dataflow of register pairs known equal (64-bit copies
// only; any other write to either register ends the pair, a call ends r0..r5's).
//
// The verifier sees the same thing: both registers were equal copies of one value (same pointer id
// or linked scalar), so the deleted copy changed nothing it tracks.

import type { MBlock, MFunc, MInst } from "./mir.js";
import { mblockSuccessors } from "./mir.js";

type Pairs = Set<number>;

const key = (a: number, b: number): number => (a < b ? a * 16 + b : b * 16 + a);

function transfer(state: Pairs, m: MInst): void {
  if (m.copy && m.insn.dst !== m.insn.src) {
    const a = m.insn.dst;
    const b = m.insn.src;
    if (state.has(key(a, b))) return;
    kill(state, a);
    // a now equals b and everything b equals.
    const partners: number[] = [];
    for (const k of state) {
      const x = Math.floor(k / 16);
      const y = k % 16;
      if (x === b) partners.push(y);
      else if (y === b) partners.push(x);
    }
    state.add(key(a, b));
    for (const p of partners) if (p !== a) state.add(key(a, p));
    return;
  }
  for (const d of m.defs) kill(state, d);
}

function kill(state: Pairs, r: number): void {
  for (const k of [...state]) if (Math.floor(k / 16) === r || k % 16 === r) state.delete(k);
}

/** Removes copies whose destination already equals their source; returns how many. */
export function removeRedundantCopies(mf: MFunc): number {
  const byId = new Map<number, MBlock>(mf.blocks.map((b) => [b.id, b]));
  const preds = new Map<number, number[]>(mf.blocks.map((b) => [b.id, []]));
  for (const b of mf.blocks) for (const s of mblockSuccessors(b)) preds.get(s)?.push(b.id);
  const entry = mf.blocks[0]?.id;
  // out[b] undefined = not reached yet (the top of the lattice: everything equal).
  const out = new Map<number, Pairs>();
  /** The pairs on entry to b; undefined while no path into it has been walked (the lattice's top). */
  const inOf = (b: MBlock): Pairs | undefined => {
    if (b.id === entry) return new Set();
    let acc: Pairs | undefined;
    for (const p of preds.get(b.id) ?? []) {
      const o = out.get(p);
      if (!o) continue;
      if (!acc) acc = new Set(o);
      else for (const k of acc) if (!o.has(k)) acc.delete(k);
    }
    return acc;
  };
  const work = mf.blocks.map((b) => b.id);
  const queued = new Set(work);
  // States only shrink from top, so this ends; the cap is a guard, not a limit ever reached.
  let budget = mf.blocks.length * 64 + 64;
  for (let head = 0; head < work.length; head++) {
    if (--budget < 0) return 0;
    const id = work[head]!;
    queued.delete(id);
    const b = byId.get(id)!;
    const state = inOf(b);
    if (!state) continue;
    for (const m of b.insns) transfer(state, m);
    const old = out.get(id);
    if (old && old.size === state.size && [...state].every((k) => old.has(k))) continue;
    out.set(id, state);
    for (const s of mblockSuccessors(b))
      if (!queued.has(s)) {
        queued.add(s);
        work.push(s);
      }
  }
  let removed = 0;
  for (const b of mf.blocks) {
    // A block no path reaches keeps its copies.
    const state = inOf(b) ?? new Set<number>();
    const kept: MInst[] = [];
    let orphanComment: string | undefined;
    for (const m of b.insns) {
      if (m.copy && m.insn.dst !== m.insn.src && state.has(key(m.insn.dst, m.insn.src))) {
        orphanComment ??= m.insn.comment;
        removed++;
        continue;
      }
      transfer(state, m);
      if (orphanComment !== undefined && m.insn.comment === undefined) m.insn.comment = orphanComment;
      orphanComment = undefined;
      kept.push(m);
    }
    b.insns = kept;
  }
  return removed;
}
