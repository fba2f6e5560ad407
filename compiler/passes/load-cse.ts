// Pass: load-cse — reuse loads along extended basic blocks.
//
// `ip.protocol === 17 ... ip.protocol === 6` reads the same packet byte twice; clang reads it once.
// A `load` with the same base value, offset, width and type as an earlier one is replaced by that
// one's value when the earlier load is in the same block, or in a chain of blocks each entered only
// from the one before (the dominator-tree walk passes a block's available loads to a child only
// when the child's single predecessor is that block), and no store, helper call, bpf-to-bpf call
// or atomic lies in between: any of those forgets every earlier load (a helper may write map
// values, the packet or the stack). Context loads are cse.ts's business (the ctx is read-only).
//
// Runs late, after tail-merge: merging identical tails first keeps blocks identical that reusing a
// load from a predecessor would make different.
//
// Needs: valid SSA. Produces: valid SSA, fewer loads. Invalidates: nothing structural.

import { computeDominators } from "../ir/dominators.js";
import { isImm, mapAllOperands, predecessors, type Func, type Inst, type Value } from "../ir/ir.js";

/** Instructions that may change memory: they end the availability of every earlier load. */
function writesMemory(i: Inst): boolean {
  return i.op === "store" || i.op === "call" || i.op === "callfn" || i.op === "atomic" || i.op === "atomic_add";
}

export function loadCse(f: Func): boolean {
  if (f.blocks.length === 0) return false;
  const dom = computeDominators(f);
  const preds = predecessors(f);
  const ctx = f.params[0];
  const blocks = new Map(f.blocks.map((b) => [b.id, b]));
  const replaced = new Map<number, Value>();
  const id = (v: Value): number => (replaced.get(v.id) ?? v).id;

  const visit = (bid: number, inherited: Map<string, Value>): void => {
    const b = blocks.get(bid)!;
    const loads = (preds.get(bid) ?? []).length === 1 ? new Map(inherited) : new Map<string, Value>();
    b.insts = b.insts.filter((i) => {
      if (writesMemory(i)) {
        loads.clear();
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
      return true;
    });
    for (const c of dom.children.get(bid) ?? []) visit(c, loads);
  };
  visit(f.blocks[0].id, new Map());
  if (replaced.size === 0) return false;
  mapAllOperands(f, (o) => (isImm(o) ? o : (replaced.get(o.id) ?? o)));
  return true;
}
