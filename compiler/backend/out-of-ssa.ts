// Pass: out of SSA.
//
// Needs:       a well-formed SSA Func (phis name each predecessor once).
// Produces:    a new Func (the input is not mutated) with no phis and no unreachable blocks. Every
//              phi became `copy` instructions at the end of each predecessor, ordered so that the
//              parallel-copy semantics of phis hold (copy cycles are broken with a fresh temp).
//              Critical edges into blocks with phis are split with new blocks that end in `br`,
//              except out of blocks in no cycle, whose copies for one such edge go before the branch.
//              `cbr` with identical targets becomes `br`. `locs` is carried over to the new objects.
// Invalidates: SSA form (phi destinations now have one definition per predecessor), predecessor maps.

import {
  type Block,
  type Func,
  type Inst,
  type Operand,
  type SourceLoc,
  type Terminator,
  type Value,
  isValue,
  newValue,
  successors,
} from "../ir/ir.js";

export function outOfSsa(input: Func): Func {
  const oldLocs = input.locs;
  const locs = new WeakMap<Inst | Terminator, SourceLoc>();
  const keepLoc = (from: Inst | Terminator, to: Inst | Terminator = from): void => {
    const l = oldLocs?.get(from);
    if (l) locs.set(to, l);
  };

  // Clone the blocks so the caller's Func survives; instructions are immutable and shared.
  const reachable = reachableBlocks(input);
  const blocks: Block[] = [];
  for (const b of input.blocks) {
    if (!reachable.has(b.id)) continue;
    let term = b.term;
    if (term.op === "cbr" && term.then === term.else) {
      const br: Terminator = { op: "br", target: term.then };
      keepLoc(term, br);
      term = br;
    } else {
      keepLoc(term);
    }
    for (const i of b.insts) keepLoc(i);
    blocks.push({
      id: b.id,
      loc: b.loc,
      insts: [...b.insts],
      term: { ...term },
      phis: b.phis.map((p) => ({
        dst: p.dst,
        incoming: p.incoming.filter((inc) => reachable.has(inc.block)).map((inc) => ({ ...inc })),
      })),
    });
    // The shallow term copy is a new object: give it the original's location.
    const l = locs.get(term);
    if (l) locs.set(blocks[blocks.length - 1].term, l);
  }
  const f: Func = { ...input, blocks, locs };

  splitCriticalEdges(f);

  const byId = new Map(f.blocks.map((b) => [b.id, b]));
  // Predecessors in block order, found once (a scan of every block per phi block was quadratic).
  const predsOf = new Map<number, Set<number>>();
  for (const p of f.blocks)
    for (const s of successors(p.term)) {
      let set = predsOf.get(s);
      if (!set) predsOf.set(s, (set = new Set()));
      set.add(p.id);
    }
  for (const b of f.blocks) {
    if (b.phis.length === 0) continue;
    const preds = predsOf.get(b.id) ?? new Set<number>();
    for (const predId of preds) {
      const copies: ParallelCopy[] = [];
      for (const phi of b.phis) {
        const inc = phi.incoming.find((x) => x.block === predId);
        if (!inc) throw new Error(`internal: phi v${phi.dst.id} in b${b.id} has no value for b${predId}`);
        copies.push({ dst: phi.dst, src: inc.value });
      }
      const pred = byId.get(predId)!;
      pred.insts.push(...sequentialize(copies, (ty) => newValue(f, ty)));
    }
    b.phis = [];
  }
  return f;
}

function reachableBlocks(f: Func): Set<number> {
  const seen = new Set<number>();
  const byId = new Map(f.blocks.map((b) => [b.id, b]));
  const stack = [f.blocks[0].id];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const b = byId.get(id);
    if (!b) throw new Error(`internal: no block b${id} in ${f.name}`);
    for (const s of successors(b.term)) stack.push(s);
  }
  return seen;
}

/**
 * Split every edge P->S where P has two successors and S has phis and several predecessors —
 * except when P is in no cycle: then S's phi copies go at the end of P, before its branch, and run
 * on both of P's paths. That is safe because a phi's value is only used where S dominates, so on the
 * path that does not go to S it is rewritten at S before any use; and it saves the jump the split
 * block would cost (`x = 0; if (c) goto S; x = 1; ...` instead of a block with `x = 0; goto S`).
 */
function splitCriticalEdges(f: Func): void {
  const predCount = new Map<number, number>();
  for (const b of f.blocks) for (const s of successors(b.term)) predCount.set(s, (predCount.get(s) ?? 0) + 1);
  const byId = new Map(f.blocks.map((b) => [b.id, b]));
  let nextId = Math.max(...f.blocks.map((b) => b.id)) + 1;
  const out: Block[] = [];
  const inCycle = blocksInCycles(f);
  for (const p of f.blocks) {
    out.push(p);
    const t = p.term;
    if (t.op !== "cbr") continue;
    let hoisted = false;
    for (const side of ["then", "else"] as const) {
      const s = byId.get(t[side])!;
      if (s.phis.length === 0 || (predCount.get(s.id) ?? 0) < 2) continue;
      // (The other side may already be a new split block, without phis.)
      const other = byId.get(t[side === "then" ? "else" : "then"]);
      if (!hoisted && !inCycle.has(p.id) && !inCycle.has(s.id) && (other?.phis.length ?? 0) === 0) {
        hoisted = true; // one side only: the other side's copies would land before the branch too
        continue;
      }
      const mid: Block = { id: nextId++, phis: [], insts: [], term: { op: "br", target: s.id }, loc: s.loc };
      t[side] = mid.id;
      for (const phi of s.phis) for (const inc of phi.incoming) if (inc.block === p.id) inc.block = mid.id;
      out.push(mid);
    }
  }
  f.blocks = out;
}

/**
 * Blocks on some cycle of the CFG (a block that can reach itself): the blocks of strongly connected
 * components with more than one block, and blocks that jump to themselves. Tarjan's algorithm with an
 * explicit stack, linear in the CFG (a search from every block was quadratic in a function's size).
 */
function blocksInCycles(f: Func): Set<number> {
  const byId = new Map(f.blocks.map((b) => [b.id, b]));
  const succ = (id: number): number[] => {
    const b = byId.get(id);
    return b ? successors(b.term).filter((s) => byId.has(s)) : [];
  };
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const result = new Set<number>();
  let next = 0;
  for (const root of f.blocks) {
    if (index.has(root.id)) continue;
    // Each frame: a block and the position in its successor list.
    const frames: { id: number; succs: number[]; i: number }[] = [];
    const enter = (id: number): void => {
      index.set(id, next);
      low.set(id, next++);
      stack.push(id);
      onStack.add(id);
      frames.push({ id, succs: succ(id), i: 0 });
    };
    enter(root.id);
    while (frames.length > 0) {
      const fr = frames[frames.length - 1]!;
      if (fr.i < fr.succs.length) {
        const s = fr.succs[fr.i++]!;
        if (s === fr.id) result.add(s);
        if (!index.has(s)) enter(s);
        else if (onStack.has(s)) low.set(fr.id, Math.min(low.get(fr.id)!, index.get(s)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(fr.id)!));
      if (low.get(fr.id) !== index.get(fr.id)) continue;
      const scc: number[] = [];
      for (let x = stack.pop()!; ; x = stack.pop()!) {
        onStack.delete(x);
        scc.push(x);
        if (x === fr.id) break;
      }
      if (scc.length > 1) for (const x of scc) result.add(x);
    }
  }
  return result;
}

export interface ParallelCopy {
  dst: Value;
  src: Operand;
}

/**
 * Order a set of simultaneous copies (distinct destinations) into sequential `copy` instructions.
 * A copy is safe to emit once no pending copy still reads its destination; when only cycles remain,
 * one destination is saved into a temp and the readers of it are redirected to the temp.
 */
export function sequentialize(copies: ParallelCopy[], temp: (ty: Value["ty"]) => Value): Inst[] {
  const pending = copies.filter((c) => !(isValue(c.src) && c.src.id === c.dst.id)).map((c) => ({ ...c }));
  const out: Inst[] = [];
  const readers = (id: number): number => pending.filter((c) => isValue(c.src) && c.src.id === id).length;
  while (pending.length > 0) {
    const ready = pending.findIndex((c) => readers(c.dst.id) === 0);
    if (ready >= 0) {
      const [c] = pending.splice(ready, 1);
      out.push({ op: "copy", dst: c.dst, a: c.src });
      continue;
    }
    // Only cycles left: every destination is still read. Save one and redirect its readers.
    const victim = pending[0].dst;
    const tmp = temp(victim.ty);
    out.push({ op: "copy", dst: tmp, a: victim });
    for (const c of pending) if (isValue(c.src) && c.src.id === victim.id) c.src = tmp;
  }
  return out;
}
