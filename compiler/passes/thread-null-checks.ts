// Jump threading of branches on a phi whose incoming values decide the branch.
//
// The front end builds `ctx.header<T>(off)` and friends as `ok ? p : null` — a phi of the pointer
// and 0 — and the user then tests that value against null. Routing each predecessor straight to the
// side it is known to take removes the phi, the test and (after simplify-cfg) the empty blocks,
// leaving the single data_end compare clang would emit.
//
// Applies to a block B with only phis and a `cbr` comparing one of its phis with a constant, when
// every predecessor's incoming value decides the branch (a constant, or a pointer known non-null
// against 0), and every use of B's phis outside B lies in a block dominated by one of B's
// successors that has B as its only predecessor. A successor with other predecessors (typically a
// shared `return PASS` block, as in `if (eth === null || eth.h_proto !== ...) return PASS`) is
// allowed when nothing under it uses B's phis; its own phis take, from each predecessor now routed
// to it, what they took from B (B's phi values seen from that predecessor), and no predecessor
// may already reach it directly when it has phis. Then each predecessor jumps to its side
// directly, and each single-predecessor successor gets phis over the predecessors now routed to it
// (trivial ones are removed by const-fold).
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: CFG, dominators.

import { computeDominators } from "../ir/dominators.js";
import {
  definitions,
  instUses,
  isImm,
  mapInstOperands,
  mapTermOperands,
  removeUnreachableBlocks,
  termUses,
  type Block,
  type CondOp,
  type Func,
  type Inst,
  type Operand,
  type Ty,
  type Value,
} from "../ir/ir.js";
import { evalCond } from "./const-fold.js";

export function threadNullChecks(f: Func): boolean {
  let changed = false;
  for (let again = true; again; ) {
    again = false;
    const defs = definitions(f);
    for (const b of f.blocks) {
      if (tryThread(f, b, defs)) {
        changed = again = true;
        break; // the CFG changed: recompute everything
      }
    }
  }
  return changed;
}

function tryThread(f: Func, b: Block, defs: Map<number, Inst>): boolean {
  const t = b.term;
  if (t.op !== "cbr" || b.insts.length > 0 || b.phis.length === 0 || !isImm(t.b) || b.id === f.blocks[0].id) return false;
  const tested = b.phis.find((p) => p.dst.id === t.a.id);
  if (!tested) return false;
  // Cheap test first: dominators cost O(blocks), and a chain of ifs has a candidate per block.
  const c = t.b.imm;
  const ty = tested.dst.ty;
  if (tested.incoming.some((i) => decide(t.cond, t.width, i.value, c, defs, ty) === undefined)) return false;
  const dom = computeDominators(f);
  const preds = dom.preds.get(b.id) ?? [];
  if (preds.length === 0 || !dom.isReachable(b.id)) return false;
  const succs = t.then === t.else ? [t.then] : [t.then, t.else];
  if (succs.length !== 2 || succs.includes(b.id)) return false;
  /** Successors reached from elsewhere too: they get no phis for B's values. */
  const shared = new Set(succs.filter((s) => (dom.preds.get(s) ?? []).length !== 1));

  const route = new Map<number, number>();
  for (const p of preds) {
    if (p === b.id) return false;
    const inc = tested.incoming.find((i) => i.block === p);
    if (!inc) return false;
    const d = decide(t.cond, t.width, inc.value, t.b.imm, defs, ty);
    if (d === undefined) return false;
    route.set(p, d ? t.then : t.else);
  }

  // Every use of B's phis outside B must sit under one successor (phi values flowing out of B are
  // rewritten per predecessor below).
  const phiIds = new Set(b.phis.map((p) => p.dst.id));
  const useBlocks: { block: number; succ: number }[] = [];
  for (const blk of f.blocks) {
    if (blk.id === b.id) continue;
    const uses: Operand[] = [
      ...blk.insts.flatMap(instUses),
      ...termUses(blk.term),
      ...blk.phis.flatMap((p) => p.incoming.filter((i) => i.block !== b.id).map((i) => i.value)),
    ];
    if (!uses.some((u) => !isImm(u) && phiIds.has(u.id))) continue;
    const s = succs.find((x) => dom.dominates(x, blk.id));
    if (s === undefined || shared.has(s)) return false;
    useBlocks.push({ block: blk.id, succ: s });
  }
  // A shared successor's phis: a predecessor routed to it must not reach it already.
  for (const s of shared) {
    const sb = f.blocks.find((x) => x.id === s)!;
    if (sb.phis.length === 0) continue;
    for (const [p, to] of route) if (to === s && (dom.preds.get(s) ?? []).includes(p)) return false;
  }

  // Rewrite: predecessors jump straight to their side.
  for (const [p, s] of route) {
    const pb = f.blocks.find((x) => x.id === p)!;
    retarget(pb, b.id, s);
  }
  // Each successor's own phis take, along each routed edge, what they took from B.
  const seenFrom = (p: number, v: Operand): Operand => {
    if (isImm(v)) return v;
    const phi = b.phis.find((x) => x.dst.id === v.id);
    return phi ? phi.incoming.find((i) => i.block === p)!.value : v;
  };
  for (const s of succs) {
    const sb = f.blocks.find((x) => x.id === s)!;
    const routed = preds.filter((p) => route.get(p) === s);
    for (const phi of sb.phis) {
      const fromB = phi.incoming.find((i) => i.block === b.id);
      phi.incoming = phi.incoming.filter((i) => i.block !== b.id);
      if (fromB) for (const p of routed) phi.incoming.push({ block: p, value: seenFrom(p, fromB.value) });
    }
  }
  // Each single-predecessor successor gets phis standing for B's phis along the routed edges.
  const replace = new Map<number, Map<number, Value>>(); // succ -> old phi id -> new value
  for (const s of succs) {
    if (shared.has(s)) continue;
    const sb = f.blocks.find((x) => x.id === s)!;
    const routed = preds.filter((p) => route.get(p) === s);
    const m = new Map<number, Value>();
    for (const phi of b.phis) {
      const dst: Value = { id: f.nextId++, ty: phi.dst.ty };
      sb.phis.push({ dst, incoming: routed.map((p) => ({ block: p, value: phi.incoming.find((i) => i.block === p)!.value })) });
      m.set(phi.dst.id, dst);
    }
    replace.set(s, m);
  }
  for (const { block, succ } of useBlocks) {
    const blk = f.blocks.find((x) => x.id === block)!;
    rewriteUses(blk, replace.get(succ)!);
  }
  f.blocks = f.blocks.filter((x) => x.id !== b.id);
  // A successor no predecessor was routed to is now unreachable (with phis of no incomings).
  removeUnreachableBlocks(f);
  return true;
}

function retarget(pb: Block, from: number, to: number): void {
  const t = pb.term;
  if (t.op === "br" && t.target === from) t.target = to;
  if (t.op === "cbr") {
    if (t.then === from) t.then = to;
    if (t.else === from) t.else = to;
  }
}

function rewriteUses(blk: Block, m: Map<number, Value>): void {
  const sub = (o: Operand): Operand => (!isImm(o) && m.has(o.id) ? m.get(o.id)! : o);
  for (const p of blk.phis) for (const i of p.incoming) i.value = sub(i.value);
  for (const i of blk.insts) mapInstOperands(i, sub);
  mapTermOperands(blk.term, sub);
}

function nonNull(v: Value, defs: Map<number, Inst>, depth = 0): boolean {
  const d = defs.get(v.id);
  if (!d || depth > 8) return false;
  if (d.op === "stackaddr" || d.op === "mapaddr" || d.op === "ctxptr" || d.op === "globaladdr" || d.op === "funcaddr") return true;
  if (d.op === "ptradd") return nonNull(d.base, defs, depth + 1);
  return false;
}

function decide(cond: CondOp, width: 32 | 64, v: Operand, c: bigint, defs: Map<number, Inst>, ty: Ty): boolean | undefined {
  // An i32 value is its 32 bits zero-extended, also in a 64-bit compare (the random-function
  // property: `phi i32 [-651172963]` tested with `sgt.64 .., 65535` was threaded as false).
  if (isImm(v)) return evalCond(cond, width, ty === "i32" ? BigInt.asUintN(32, v.imm) : v.imm, c);
  if (c === 0n && (cond === "eq" || cond === "ne") && nonNull(v, defs)) return cond === "ne";
  return undefined;
}
