// Pass: same-stack-store — drop a stack store that writes what the slot already holds.
//
// Lookup-or-init stores the key for `lookup(id)` and again for `update(id, ...)`; the lookup only
// reads its key, so the second store writes the bytes that are already there (clang stores once).
// Walking blocks in dominator order, and carrying what is known into a block only from its single
// predecessor, the pass records for each store through a stack slot's address (plus a constant) the
// bytes it wrote and the operand written. A store of the same operand, at the same offset and width,
// to bytes still known to hold it is removed.
//
// What forgets: a store or atomic through the slot at other bytes that overlap (or at a varying
// offset: the whole slot); a store, atomic or bpf-to-bpf call through anything else, and a helper
// call, forget every slot whose address escapes (is used other than as the base of a memory access,
// of a ptradd, or as a helper argument); a helper given a pointer into a slot forgets that slot,
// unless it only reads its pointer arguments (map lookup/update/delete/push, perf and ring buffer
// output).
//
// Needs: valid SSA. Produces: valid SSA, fewer stores. Invalidates: nothing structural.

import { computeDominators } from "../ir/dominators.js";
import { HELPER } from "../frontend/helper-ids.js";
import { type Func, type Inst, isImm, isValue, type Operand, predecessors } from "../ir/ir.js";

/** Helpers whose pointer arguments are only read. */
const READS_ONLY = new Set<number>([
  HELPER.map_lookup_elem,
  HELPER.map_update_elem,
  HELPER.map_delete_elem,
  HELPER.perf_event_output,
  HELPER.map_push_elem,
  HELPER.ringbuf_output,
]);

interface Place {
  slot: number;
  off: number | undefined;
}

interface Known {
  slot: number;
  off: number;
  width: number;
  value: string;
}

const opKey = (o: Operand): string => (isImm(o) ? `#${o.imm}` : `%${o.id}`);

export function sameStackStore(f: Func): boolean {
  if (f.blocks.length === 0) return false;
  const places = new Map<number, Place>();
  // Blocks in dominator order: a value's definition comes before its uses.
  const dom = computeDominators(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const order: number[] = [];
  for (const stack = [f.blocks[0]!.id]; stack.length > 0; ) {
    const bid = stack.pop()!;
    order.push(bid);
    for (const c of dom.children.get(bid) ?? []) stack.push(c);
  }
  for (const bid of order)
    for (const i of byId.get(bid)!.insts) {
      if (i.op === "stackaddr") places.set(i.dst.id, { slot: i.slot, off: 0 });
      else if (i.op === "ptradd" && places.has(i.base.id)) {
        const p = places.get(i.base.id)!;
        places.set(i.dst.id, { slot: p.slot, off: isImm(i.offset) && p.off !== undefined ? p.off + Number(i.offset.imm) : undefined });
      }
    }
  const placeOf = (o: Operand): Place | undefined => (isValue(o) ? places.get(o.id) : undefined);
  const escaped = new Set<number>();
  const markEscaped = (o: Operand): void => {
    const p = placeOf(o);
    if (p) escaped.add(p.slot);
  };
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) markEscaped(inc.value);
    for (const i of b.insts) {
      if (i.op === "store") markEscaped(i.value);
      else if (i.op === "atomic" || i.op === "atomic_add") {
        markEscaped(i.value);
        if (i.op === "atomic" && i.expected) markEscaped(i.expected);
      } else if (i.op === "callfn" || i.op === "bin" || i.op === "copy" || i.op === "neg") {
        for (const o of i.op === "callfn" ? i.args : i.op === "bin" ? [i.a, i.b] : [i.a]) markEscaped(o);
      } else if (i.op === "ptradd" && !isImm(i.offset)) markEscaped(i.offset);
    }
    if (b.term.op === "ret") markEscaped(b.term.value);
  }
  const preds = predecessors(f);
  const heirs = new Map<number, number>(); // block -> successors that have it as their only predecessor
  for (const [, p] of preds) if (p.length === 1) heirs.set(p[0]!, (heirs.get(p[0]!) ?? 0) + 1);
  // slot -> offset -> what a store left there (stores are at most 8 bytes wide).
  type Contents = Map<number, Map<number, Known>>;
  const knownAt = new Map<number, Contents>();
  const clone = (c: Contents | undefined): Contents => new Map([...(c ?? [])].map(([k, m]) => [k, new Map(m)] as const));
  let changed = false;
  for (const bid of order) {
    const b = byId.get(bid)!;
    const p = preds.get(bid) ?? [];
    // The last block to inherit a predecessor's contents takes them over; earlier ones copy.
    let known: Contents = new Map();
    if (p.length === 1) {
      const left = (heirs.get(p[0]!) ?? 1) - 1;
      heirs.set(p[0]!, left);
      known = left > 0 ? clone(knownAt.get(p[0]!)) : (knownAt.get(p[0]!) ?? new Map());
    }
    const forgetSlot = (slot: number): void => void known.delete(slot);
    const forgetEscaped = (): void => {
      for (const slot of known.keys()) if (escaped.has(slot)) known.delete(slot);
    };
    const write = (base: Operand, off: number, width: number): Place | undefined => {
      const pl = placeOf(base);
      if (!pl) {
        forgetEscaped();
        return undefined;
      }
      if (pl.off === undefined) {
        forgetSlot(pl.slot);
        return undefined;
      }
      const at = pl.off + off;
      const m = known.get(pl.slot);
      if (m)
        for (let o = at - 7; o < at + width; o++) {
          const k = m.get(o);
          if (k && k.off + k.width > at && at + width > k.off) m.delete(o);
        }
      return { slot: pl.slot, off: at };
    };
    b.insts = b.insts.filter((i: Inst) => {
      if (i.op === "store") {
        const pl = placeOf(i.base);
        if (pl && pl.off !== undefined) {
          const at = pl.off + i.offset;
          const v = opKey(i.value);
          const k = known.get(pl.slot)?.get(at);
          if (k && k.width === i.width && k.value === v) {
            changed = true;
            return false;
          }
        }
        const w = write(i.base, i.offset, i.width);
        if (w) {
          if (!known.has(w.slot)) known.set(w.slot, new Map());
          known.get(w.slot)!.set(w.off!, { slot: w.slot, off: w.off!, width: i.width, value: opKey(i.value) });
        }
      } else if (i.op === "atomic" || i.op === "atomic_add") {
        write(i.base, i.offset, i.width);
      } else if (i.op === "callfn") {
        known.clear();
      } else if (i.op === "call") {
        forgetEscaped();
        if (!READS_ONLY.has(i.helper))
          for (const a of i.args) {
            const pl = placeOf(a);
            if (pl) forgetSlot(pl.slot);
          }
      }
      return true;
    });
    knownAt.set(bid, known);
  }
  return changed;
}
