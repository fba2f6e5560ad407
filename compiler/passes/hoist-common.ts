// Pass: hoist-common — compute once, above the branches, what several branches compute alike.
//
// `if (tcp) { hdr at 14 + ihl * 4 } else if (udp) { hdr at 14 + ihl * 4 }` computes `ihl * 4` and
// `data + ihl * 4` in both arms; cse only merges a computation with one that dominates it. clang
// hoists them above the protocol test. A pure instruction (arithmetic, ptradd, width changes) that
// occurs with the same operation and operands in two or more blocks none of which dominates another
// moves to the end of their nearest common dominator D (before its terminator), when its operands
// are available there, and the others use it. Only when no helper or bpf-to-bpf call lies between D
// and an occurrence along the dominator chain (a value made live across a call needs a callee-saved
// register or a spill), and when D is not inside a loop the occurrences are not in (ensured by
// requiring D's terminator to be a cbr whose targets lead to the occurrences, i.e. D dominates them
// and every block from D down to them is acyclic here: blocks in loops are left alone). Repeated
// until nothing moves, so `data + ihl * 4` follows `ihl * 4`. Nothing that uses a value D's branch
// compares moves above that branch (the verifier's narrowed range of the value would not reach it).
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural.

import { computeDominators, type DomTree, loopBlocks } from "../ir/dominators.js";
import { type Block, type Func, type Inst, instDst, instUses, isImm, mapAllOperands, type Value } from "../ir/ir.js";

const MAX_ROUNDS = 8;

const pure = (i: Inst): boolean =>
  i.op === "bin" || i.op === "ptradd" || i.op === "zext" || i.op === "sext" || i.op === "trunc" || i.op === "bswap" || i.op === "neg";

export function hoistCommon(f: Func): boolean {
  let changed = false;
  for (let n = 0; n < MAX_ROUNDS && round(f); n++) changed = true;
  return changed;
}

function round(f: Func): boolean {
  if (f.blocks.length < 3) return false;
  const dom = computeDominators(f);
  const inLoop = loopBlocks(f, dom);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const defBlock = new Map<number, number>();
  for (const b of f.blocks) {
    for (const p of b.phis) defBlock.set(p.dst.id, b.id);
    for (const i of b.insts) {
      const d = instDst(i);
      if (d) defBlock.set(d.id, b.id);
    }
  }
  const hasCall = (b: Block, upTo = b.insts.length): boolean => {
    for (let k = 0; k < upTo; k++) {
      const op = b.insts[k]!.op;
      if (op === "call" || op === "callfn") return true;
    }
    return false;
  };
  // Occurrences by key, in dominator preorder.
  const groups = new Map<string, { block: Block; inst: Inst; index: number }[]>();
  for (const bid of dom.preorder()) {
    if (inLoop.has(bid)) continue;
    const b = byId.get(bid)!;
    b.insts.forEach((i, index) => {
      if (!pure(i)) return;
      const key = keyOf(i);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push({ block: b, inst: i, index });
    });
  }
  for (const occ of groups.values()) {
    if (occ.length < 2) continue;
    // Two occurrences, neither dominating the other (cse handles those).
    for (let x = 0; x < occ.length; x++) {
      for (let y = x + 1; y < occ.length; y++) {
        const a = occ[x]!;
        const c = occ[y]!;
        if (dom.dominates(a.block.id, c.block.id) || dom.dominates(c.block.id, a.block.id)) continue;
        const d = nearestCommon(dom, a.block.id, c.block.id);
        const db = byId.get(d)!;
        if (inLoop.has(d) || db.term.op !== "cbr") continue;
        // Operands available at the end of D.
        const ok = instUses(a.inst).every((o) => isImm(o) || defBlock.get(o.id) === undefined || dom.dominates(defBlock.get(o.id)!, d));
        if (!ok) continue;
        // Not above the test of one of its operands: below it the verifier knows the operand's
        // narrowed range, above it not, and it does not carry the range through a `mul` or a
        // `zext` it has already done (`arr[i]` past a bounds test of i: "invalid unbounded
        // variable-offset read from stack").
        // Every branch from D down to either occurrence counts, not only D's.
        const testsOperand = (o: { block: Block }): boolean => {
          for (let b = dom.idom.get(o.block.id); b !== undefined; b = dom.idom.get(b)) {
            const t = byId.get(b)!.term;
            const tested = t.op === "cbr" ? [t.a, t.b].filter((x) => !isImm(x)).map((x) => (x as Value).id) : [];
            if (instUses(a.inst).some((x) => !isImm(x) && tested.includes(x.id))) return true;
            if (b === d) break;
          }
          return false;
        };
        if (testsOperand(a) || testsOperand(c)) continue;
        // No call between D and either occurrence.
        const callBetween = (o: { block: Block; index: number }): boolean => {
          if (hasCall(o.block, o.index)) return true;
          for (let b = dom.idom.get(o.block.id); b !== undefined && b !== d; b = dom.idom.get(b)) if (hasCall(byId.get(b)!)) return true;
          return false;
        };
        if (callBetween(a) || callBetween(c)) continue;
        // Move a's instruction to the end of D; c (and any other occurrence D dominates) uses it.
        const keep = instDst(a.inst)!;
        a.block.insts = a.block.insts.filter((i) => i !== a.inst);
        db.insts.push(a.inst);
        const gone = new Map<number, Value>();
        for (const o of occ) {
          // An occurrence in D itself stays (the moved one is defined at D's end, after its uses);
          // so do those below a branch that tested an operand (cse left them apart for that).
          if (o === a || o.block.id === d || !dom.dominates(d, o.block.id) || callBetween(o) || testsOperand(o)) continue;
          o.block.insts = o.block.insts.filter((i) => i !== o.inst);
          gone.set(instDst(o.inst)!.id, keep);
        }
        mapAllOperands(f, (o) => (isImm(o) ? o : (gone.get(o.id) ?? o)));
        return true;
      }
    }
  }
  return false;
}

function keyOf(i: Inst): string {
  const d = instDst(i)!;
  const ops = instUses(i)
    .map((o) => (isImm(o) ? `#${o.imm}` : `%${o.id}`))
    .join(",");
  const attrs = i.op === "bin" ? i.kind : i.op === "sext" ? i.from : i.op === "trunc" ? i.to : i.op === "bswap" ? i.bits : "";
  return `${i.op} ${attrs} ${d.ty} ${ops}`;
}

function nearestCommon(dom: DomTree, a: number, b: number): number {
  let x = a;
  while (!dom.dominates(x, b)) x = dom.idom.get(x)!;
  return x;
}
