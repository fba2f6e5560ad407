// Pass: loop-preheader — give every loop one block to enter it from.
//
// licm and loop-sr put what they hoist or initialise into the loop's preheader: the one block outside
// the loop that jumps to its header. A loop entered from several places has none: a loop right after
// another one is entered both when the first loop ends and when it is left by a `break`. This pass
// adds one: the outside predecessors jump to a new block that jumps to the header, and the header's
// phis take their outside values from it (through a new phi when the predecessors disagree). The new
// block costs nothing once laid out (it falls through into the header, and its phis become the copies
// the predecessors had before).
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: the CFG (one block per such loop).

import { computeDominators } from "../ir/dominators.js";
import { isImm, newValue, type Block, type Func, type Operand, type Phi } from "../ir/ir.js";

export function loopPreheader(f: Func): boolean {
  const dom = computeDominators(f);
  let nextBlock = Math.max(...f.blocks.map((b) => b.id)) + 1;
  let changed = false;
  const added: Block[] = [];
  for (const h of f.blocks) {
    if (!dom.isReachable(h.id) || h.id === f.blocks[0]!.id) continue;
    const preds = dom.preds.get(h.id) ?? [];
    const latches = preds.filter((p) => dom.dominates(h.id, p));
    const outside = preds.filter((p) => !dom.dominates(h.id, p) && dom.isReachable(p));
    if (latches.length === 0 || outside.length < 2) continue;
    const pre: Block = { id: nextBlock++, phis: [], insts: [], term: { op: "br", target: h.id }, loc: h.loc };
    for (const phi of h.phis) {
      const from = phi.incoming.filter((x) => outside.includes(x.block));
      const first = from[0]!.value;
      const same = from.every((x) => sameOperand(x.value, first));
      let v: Operand = first;
      if (!same) {
        const np: Phi = { dst: newValue(f, phi.dst.ty), incoming: from.map((x) => ({ block: x.block, value: x.value })) };
        pre.phis.push(np);
        v = np.dst;
      }
      phi.incoming = [...phi.incoming.filter((x) => !outside.includes(x.block)), { block: pre.id, value: v }];
    }
    for (const id of outside) {
      const b = f.blocks.find((x) => x.id === id)!;
      const t = b.term;
      if (t.op === "br" && t.target === h.id) t.target = pre.id;
      else if (t.op === "cbr") {
        if (t.then === h.id) t.then = pre.id;
        if (t.else === h.id) t.else = pre.id;
      }
    }
    added.push(pre);
    changed = true;
  }
  // Each new block goes right before its header, where layout will let it fall through.
  for (const pre of added) {
    const target = (pre.term as { target: number }).target;
    f.blocks.splice(
      f.blocks.findIndex((b) => b.id === target),
      0,
      pre,
    );
  }
  return changed;
}

function sameOperand(a: Operand, b: Operand): boolean {
  if (isImm(a) || isImm(b)) return isImm(a) && isImm(b) && a.imm === b.imm;
  return a.id === b.id;
}
