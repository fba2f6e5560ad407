// Pass: simplify-cfg — control-flow cleanup.
//
// Needs: valid SSA. Produces, repeated to a fixed point: no unreachable blocks; no `cbr` whose two
// targets are the same block (it becomes `br`); no block S with a single predecessor P whose sole
// successor is S (S is merged into P; S's phis become uses of their single incoming value, or a
// `const`/`copy` for an immediate); no empty non-entry block that only does `br T` (its predecessors
// jump straight to T, and T's phis take the value that came through the empty block; a predecessor
// that already reaches T with a different phi value keeps its path). Block ids of survivors are kept.
// Invalidates: the dominator tree and predecessor lists.

import {
  type Block,
  type Func,
  type Inst,
  type Operand,
  type Terminator,
  isImm,
  type Value,
  mapAllOperands,
  predecessors,
  removeUnreachableBlocks,
  successors,
} from "../ir/ir.js";

function retarget(t: Terminator, from: number, to: number): Terminator {
  if (t.op === "br" && t.target === from) t.target = to;
  if (t.op === "cbr") {
    if (t.then === from) t.then = to;
    if (t.else === from) t.else = to;
  }
  return t;
}

function sameOperand(a: Operand, b: Operand): boolean {
  if (isImm(a) || isImm(b)) return isImm(a) && isImm(b) && a.imm === b.imm;
  return a.id === b.id;
}

/** cbr x, y -> T, T  becomes  br T. */
function collapseCbr(f: Func, b: Block): boolean {
  const t = b.term;
  if (t.op !== "cbr" || t.then !== t.else) return false;
  const br: Terminator = { op: "br", target: t.then };
  const loc = f.locs?.get(t);
  if (loc) f.locs!.set(br, loc);
  b.term = br;
  return true;
}

/**
 * Every merge in one sweep (a merge never makes another block mergeable or unmergeable: it moves S's
 * terminator into P, and S's successors keep their predecessor count), so this is the fixed point
 * that merging one block at a time reaches, in one pass over the function instead of one per merge.
 * Phi values are substituted once at the end for the same reason.
 */
function mergeAll(f: Func): boolean {
  const preds = predecessors(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const subst = new Map<number, Value>();
  const resolve = (o: Operand): Operand => {
    if (isImm(o)) return o;
    let v: Value = o;
    for (let next = subst.get(v.id); next !== undefined; next = subst.get(v.id)) v = next;
    return v;
  };
  const gone = new Set<Block>();
  for (const s of f.blocks.slice(1)) {
    const ps = preds.get(s.id)!;
    if (ps.length !== 1 || ps[0] === s.id) continue;
    const p = byId.get(ps[0]!)!;
    if (p.term.op !== "br") continue;
    // Phis of s have one incoming (from p).
    const front: Inst[] = [];
    for (const phi of s.phis) {
      const found = phi.incoming.find((i) => i.block === p.id)?.value;
      if (found === undefined) continue; // invalid input; leave the value undefined for the checker
      const v = resolve(found);
      if (!isImm(v)) subst.set(phi.dst.id, v);
      else if (phi.dst.ty === "ptr") front.push({ op: "copy", dst: phi.dst, a: v });
      else {
        const value = phi.dst.ty === "i32" ? BigInt.asUintN(32, v.imm) : BigInt.asIntN(64, v.imm);
        front.push({ op: "const", dst: phi.dst, value });
      }
    }
    for (const i of front) p.insts.push(i);
    for (const i of s.insts) p.insts.push(i); // not push(...): blocks can be longer than an argument list
    p.term = s.term;
    for (const succ of successors(s.term)) {
      for (const phi of byId.get(succ)?.phis ?? []) for (const inc of phi.incoming) if (inc.block === s.id) inc.block = p.id;
      const sp = preds.get(succ);
      if (sp) for (let k = 0; k < sp.length; k++) if (sp[k] === s.id) sp[k] = p.id;
    }
    // Later blocks whose single predecessor was s now have p.
    byId.set(s.id, p);
    gone.add(s);
  }
  if (gone.size === 0) return false;
  f.blocks = f.blocks.filter((b) => !gone.has(b));
  if (subst.size > 0) mapAllOperands(f, resolve);
  return true;
}

function threadOne(f: Func): boolean {
  const preds = predecessors(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  for (const b of f.blocks.slice(1)) {
    if (b.phis.length > 0 || b.insts.length > 0 || b.term.op !== "br") continue;
    const tId = b.term.target;
    const t = byId.get(tId);
    if (!t || tId === b.id) continue;
    const fromB = (phi: Block["phis"][number]) => phi.incoming.find((i) => i.block === b.id)?.value;
    if (t.phis.some((phi) => fromB(phi) === undefined)) continue; // invalid input
    let moved = false;
    for (const pId of preds.get(b.id)!) {
      const p = byId.get(pId)!;
      const pReachesT = successors(p.term).includes(tId);
      if (pReachesT) {
        const agree = t.phis.every((phi) => {
          const fromP = phi.incoming.find((i) => i.block === pId)?.value;
          return fromP !== undefined && sameOperand(fromP, fromB(phi)!);
        });
        if (!agree) continue;
      } else {
        for (const phi of t.phis) phi.incoming.push({ block: pId, value: fromB(phi)! });
      }
      retarget(p.term, b.id, tId);
      collapseCbr(f, p);
      moved = true;
    }
    if (!moved) continue;
    const stillUsed = f.blocks.some((x) => successors(x.term).includes(b.id));
    if (!stillUsed) {
      f.blocks = f.blocks.filter((x) => x !== b);
      for (const phi of t.phis) phi.incoming = phi.incoming.filter((i) => i.block !== b.id);
    }
    return true;
  }
  return false;
}

export function simplifyCfg(f: Func): boolean {
  let changed = false;
  for (;;) {
    let step = removeUnreachableBlocks(f);
    for (const b of f.blocks) if (collapseCbr(f, b)) step = true;
    if (mergeAll(f)) step = true;
    else if (threadOne(f)) step = true;
    if (!step) return changed;
    changed = true;
  }
}
