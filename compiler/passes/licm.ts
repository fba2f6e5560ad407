// Pass: licm — loop-invariant code motion for bounded loops.
//
// The verifier walks a bounded loop once per iteration, so an instruction in the body costs
// iterations × 1 of verifier budget (and of run time). Reading `data` and `data_end` from the
// context at every iteration is the common case: a per-byte packet loop asks for them each time.
// This pass moves pure instructions whose operands are all defined outside the loop into the loop's
// preheader: context-field loads and `ctxptr`, and arithmetic (`bin`, `zext`, `trunc`, `ptradd`, ...)
// on such values. Constants stay where they are (they become immediates anyway), and so does
// `ptradd`: a packet pointer moved by an offset is only valid after the checks that bound the offset.
//
// Only loops without helper or bpf-to-bpf calls are touched: a value hoisted out of such a loop
// would have to survive the call in r6–r9 or on the stack, which costs more than it saves. A loop is
// the natural loop of a back edge (latch -> header, the header dominating the latch); it needs a
// single preheader outside the loop ending in `br header`, where the hoisted code goes.
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural (no block is added).

import { computeDominators } from "../ir/dominators.js";
import { instDst, instUses, isImm, successors, type Block, type Func, type Inst } from "../ir/ir.js";

export function licm(f: Func): boolean {
  const dom = computeDominators(f);
  const blocks = new Map(f.blocks.map((b) => [b.id, b] as const));
  const ctx = f.params[0];
  let changed = false;

  // Natural loops, innermost (smallest) first so an inner loop's invariants can move on outwards.
  const loops: { header: number; body: Set<number> }[] = [];
  for (const b of f.blocks) {
    if (!dom.isReachable(b.id)) continue;
    for (const h of successors(b.term)) {
      if (!dom.dominates(h, b.id)) continue;
      const body = new Set<number>([h]);
      const work = [b.id];
      while (work.length > 0) {
        const x = work.pop()!;
        if (body.has(x)) continue;
        body.add(x);
        for (const p of dom.preds.get(x) ?? []) if (dom.isReachable(p)) work.push(p);
      }
      const same = loops.find((l) => l.header === h);
      if (same) for (const x of body) same.body.add(x);
      else loops.push({ header: h, body });
    }
  }
  loops.sort((a, b) => a.body.size - b.body.size);

  for (const loop of loops) {
    const outside = (dom.preds.get(loop.header) ?? []).filter((p) => !loop.body.has(p));
    if (outside.length !== 1) continue;
    const pre = blocks.get(outside[0]!)!;
    if (pre.term.op !== "br") continue;
    const bodyBlocks = [...loop.body].map((id) => blocks.get(id)!);
    if (bodyBlocks.some((b) => b.insts.some((i) => i.op === "call" || i.op === "callfn"))) continue;

    // Values defined inside the loop (phis and instructions); hoisting removes them from this set.
    const inside = new Set<number>();
    for (const b of bodyBlocks) {
      for (const p of b.phis) inside.add(p.dst.id);
      for (const i of b.insts) {
        const d = instDst(i);
        if (d) inside.add(d.id);
      }
    }
    // Walk the body in dominator order so an instruction's operands are decided before it.
    const order = dom.preorder().filter((id) => loop.body.has(id));
    const hoisted: Inst[] = [];
    for (const id of order) {
      const b: Block = blocks.get(id)!;
      b.insts = b.insts.filter((i) => {
        if (!movable(i, ctx?.id)) return true;
        if (instUses(i).some((o) => !isImm(o) && inside.has(o.id))) return true;
        hoisted.push(i);
        inside.delete(instDst(i)!.id);
        return false;
      });
    }
    if (hoisted.length > 0) {
      pre.insts.push(...hoisted);
      changed = true;
    }
  }
  return changed;
}

/** Pure and worth moving: context reads and arithmetic (not constants or addresses of maps/slots). */
function movable(i: Inst, ctxId: number | undefined): boolean {
  switch (i.op) {
    case "ctxptr":
    case "bin":
    case "neg":
    case "zext":
    case "sext":
    case "trunc":
    case "bswap":
      return true;
    case "load":
      return ctxId !== undefined && i.base.id === ctxId && i.dst.ty !== "ptr";
    default:
      return false;
  }
}
