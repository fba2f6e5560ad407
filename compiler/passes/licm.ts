// Pass: licm — loop-invariant code motion for bounded loops.
//
// The verifier walks a bounded loop once per iteration, so an instruction in the body costs
// iterations × 1 of verifier budget (and of run time). Reading `data` and `data_end` from the
// context at every iteration is the common case: a per-byte packet loop asks for them each time.
// This pass moves pure instructions whose operands are all defined outside the loop into the loop's
// preheader: context-field loads and `ctxptr`, and arithmetic (`bin`, `zext`, `trunc`, `ptradd`, ...)
// on such values. Constants stay where they are (they become immediates anyway), and so does
// `ptradd`: a packet pointer moved by an offset is only valid after the checks that bound the offset.
// For the same reason the arithmetic an offset is computed from stays too (offsetInputs): the
// verifier bounds an offset by the comparisons it sees on the registers it is computed from, so
// `idx * 4` computed before the loop is not bounded by an `if (idx < 3)` (or a range-fold that
// relied on one) inside it (the differential fuzzer's tracing seed 20261206: `arr[u8(x) & 7]` under
// `x === 0` lost its mask to range-fold, then licm hoisted `u8(x) * 4` above the test, and the
// kernel refused the variable stack offset).
//
// A context read stays in a loop that may change what it reads (a store to the field: ctx-clobbers.ts).
//
// Only loops without helper or bpf-to-bpf calls are touched: a value hoisted out of such a loop
// would have to survive the call in r6–r9 or on the stack, which costs more than it saves. A loop is
// the natural loop of a back edge (latch -> header, the header dominating the latch); it needs a
// single preheader outside the loop ending in `br header`, where the hoisted code goes.
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural (no block is added).

import { computeDominators, naturalLoops } from "../ir/dominators.js";
import { ctxParam, instDst, instUses, isImm, type Block, type Func, type Inst } from "../ir/ir.js";
import { CtxClobbers, ctxReadOf } from "./ctx-clobbers.js";

export function licm(f: Func): boolean {
  const dom = computeDominators(f);
  const blocks = new Map(f.blocks.map((b) => [b.id, b] as const));
  const ctx = ctxParam(f);
  const clobbers = CtxClobbers.of(f);
  const feeds = offsetInputs(f);
  let changed = false;

  // Natural loops, innermost (smallest) first so an inner loop's invariants can move on outwards.
  const loops = naturalLoops(f, dom);
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
        if (!movable(i, ctx?.id) || feeds.has(instDst(i)!.id)) return true;
        const read = clobbers && ctxReadOf(i, f);
        if (read && clobbers.within(read, loop.body)) return true;
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

/** Values a pointer offset is computed from: ptradd offsets and, through arithmetic, their inputs. */
function offsetInputs(f: Func): Set<number> {
  const defs = new Map<number, Inst>();
  for (const b of f.blocks) for (const i of b.insts) if (instDst(i)) defs.set(instDst(i)!.id, i);
  const feeds = new Set<number>();
  const work: number[] = [];
  for (const b of f.blocks) for (const i of b.insts) if (i.op === "ptradd" && !isImm(i.offset)) work.push(i.offset.id);
  while (work.length > 0) {
    const id = work.pop()!;
    const d = defs.get(id);
    // A loaded value may move: the comparisons in the loop then test the register it stays in.
    if (feeds.has(id) || !d || d.op === "load" || d.op === "ctxptr" || d.op === "call" || d.op === "callfn") continue;
    feeds.add(id);
    for (const o of instUses(d)) if (!isImm(o)) work.push(o.id);
  }
  return feeds;
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
