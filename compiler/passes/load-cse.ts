// Pass: load-cse — reuse loads along extended basic blocks.
//
// `ip.protocol === 17 ... ip.protocol === 6` reads the same packet byte twice; clang reads it once.
// A `load` with the same base value, offset, width and type as an earlier one is replaced by that
// one's value when the earlier load is in the same block, or in a chain of blocks each entered only
// from the one before (the dominator-tree walk passes a block's available loads to a child only
// when the child's single predecessor is that block), and no helper call or bpf-to-bpf call lies in
// between (a helper may write map values, the packet or the stack: every earlier load is forgotten),
// nor a store or atomic that may overlap it: one through the same base value at disjoint bytes
// (`eth.d0 = eth.s0` before `icmp.type_code` is read again) keeps the load. Context loads are cse.ts's business (it knows what may change the context: ctx-clobbers.ts).
//
// Runs late, after tail-merge: merging identical tails first keeps blocks identical that reusing a
// load from a predecessor would make different.
//
// Needs: valid SSA. Produces: valid SSA, fewer loads. Invalidates: nothing structural.

import { computeDominators } from "../ir/dominators.js";
import { ctxParam, isImm, mapAllOperands, predecessors, type Func, type Inst, type Value } from "../ir/ir.js";

/** Instructions that may change memory: they end the availability of every earlier load. */
function writesMemory(i: Inst): boolean {
  return i.op === "store" || i.op === "call" || i.op === "callfn" || i.op === "atomic" || i.op === "atomic_add";
}

interface Range {
  base: number;
  offset: number;
  width: number;
}

/** The bytes a plain store or atomic writes (base value, offset, width); undefined for calls. */
function storedRange(i: Inst): { base: Value; offset: number; width: number } | undefined {
  if (i.op === "store" || i.op === "atomic" || i.op === "atomic_add") return { base: i.base, offset: i.offset, width: i.width };
  return undefined;
}

export function loadCse(f: Func): boolean {
  if (f.blocks.length === 0) return false;
  const dom = computeDominators(f);
  const preds = predecessors(f);
  const ctx = ctxParam(f);
  const blocks = new Map(f.blocks.map((b) => [b.id, b]));
  const replaced = new Map<number, Value>();
  const id = (v: Value): number => (replaced.get(v.id) ?? v).id;

  const visit = (bid: number, inherited: Map<string, Value>, inheritedKeys: Map<string, Range>): void => {
    const b = blocks.get(bid)!;
    const single = (preds.get(bid) ?? []).length === 1;
    const loads = single ? new Map(inherited) : new Map<string, Value>();
    const keys = single ? new Map(inheritedKeys) : new Map<string, Range>();
    b.insts = b.insts.filter((i) => {
      if (writesMemory(i)) {
        const w = storedRange(i);
        if (!w) loads.clear();
        // A store through a base forgets the loads it may overlap: every load through another base
        // (which may point into the same bytes), and those through the same base whose bytes meet it.
        else
          for (const [k, at] of keys)
            if (at.base !== id(w.base) || (at.offset < w.offset + w.width && w.offset < at.offset + at.width))
              loads.delete(k), keys.delete(k);
        return true;
      }
      if (i.op !== "load" || (ctx && i.base.id === ctx.id)) return true;
      const k = `${id(i.base)} ${i.offset} ${i.width} ${i.dst.ty}${i.core ? ` core ${i.core.access}` : ""}`;
      const prev = loads.get(k);
      if (prev) {
        replaced.set(i.dst.id, prev);
        return false;
      }
      loads.set(k, i.dst);
      keys.set(k, { base: id(i.base), offset: i.offset, width: i.width });
      return true;
    });
    const children = dom.children.get(bid) ?? [];
    for (let k = children.length - 1; k >= 0; k--) work.push([children[k]!, loads, keys]);
  };
  // Pre-order over the dominator tree with an explicit stack: a long program's tree is deep.
  const work: [number, Map<string, Value>, Map<string, Range>][] = [[f.blocks[0].id, new Map(), new Map()]];
  for (let w = work.pop(); w; w = work.pop()) visit(...w);
  if (replaced.size === 0) return false;
  mapAllOperands(f, (o) => (isImm(o) ? o : (replaced.get(o.id) ?? o)));
  return true;
}
