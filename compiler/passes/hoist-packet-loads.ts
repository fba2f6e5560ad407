// Pass: hoist-packet-loads — read a header's fields before a packet loop, not after it.
//
// A loop that reads further into the packet on each trip and leaves at a failed check leaves one exit
// per trip, each knowing another packet length; the verifier proves that length for every pointer at
// a constant offset from the same `data`, a header pointer checked before the loop included (they
// share one id). While such a pointer is live after the loop (`eth.proto` read after it), the exits
// differ in it and do not all prune. The back end walks the exits shortest first, so the later ones
// are covered (packet-check-order.ts), unless they also differ in a value compared afterwards that
// grows with the trips (the best window: `if (s >= best) best = s`): then they differ both ways and
// each walks the rest of the program. Measured on Linux 6.18: the best of 12 windows of 8 bytes, then
// a header field: 552,297 processed; 12 x 12 and 16 x 6 refused. Read before the loops, the field is
// a plain value and the header pointer dies before them: 16 x 16 then process 19,986.
//
// Here the loads from such a pointer after the loop move to the loop's preheader, when that is all the
// pointer is used for after the loop, the check that proved them dominates the preheader, and nothing
// in the function writes the packet (no store through a packet pointer, no call given one or the
// context but the helpers that only read it): the value read is then the same.
//
// Needs: valid SSA, preheaders (loop-preheader). Produces: valid SSA. Invalidates: nothing structural.

import { computeDominators, naturalLoops } from "../ir/dominators.js";
import { ctxParam, definitions, type Func, type Inst, instUses, isImm, successors, termUses, type Value } from "../ir/ir.js";
import { isContextPointer, mayPointIntoPacket, packetBase, packetCheck } from "../ir/packet-checks.js";

/** At most this many loads move per loop: each is a value live through it, where one pointer was. */
export const MAX_HOISTED = 4;

export function hoistPacketLoads(f: Func): boolean {
  const ctx = ctxParam(f);
  if (!ctx) return false;
  const defs = definitions(f);
  if (writesPacket(f, ctx, mayPointIntoPacket(f, defs))) return false;
  // One loop at a time: moving loads may add a block, and the analyses are recomputed.
  let changed = false;
  for (let round = 0; round < 64 && hoistOnce(f); round++) changed = true;
  return changed;
}

/** Moves the loads after one loop; false when no loop has any to move. */
function hoistOnce(f: Func): boolean {
  const defs = definitions(f);
  const dom = computeDominators(f);
  const blocks = new Map(f.blocks.map((b) => [b.id, b] as const));
  const defBlock = new Map<number, number>();
  for (const b of f.blocks) for (const i of b.insts) if (i.op === "ctxptr") defBlock.set(i.dst.id, b.id);
  const loops = naturalLoops(f, dom);
  const checks = f.blocks.flatMap((b) => {
    const c = packetCheck(b.term, defs);
    return c ? [{ block: b.id, ...c }] : [];
  });

  // The bytes from each context pointer value proved before `at`: a strict check (`p > end` fails)
  // whose passing side is entered only from it and dominates `at`.
  const provedAt = (at: number): Map<number, number> => {
    const out = new Map<number, number>();
    for (const c of checks) {
      // The passing edge dominates `at`: its block does, and is entered otherwise only by back edges.
      const entered = (dom.preds.get(c.pass) ?? []).every((p) => p === c.block || dom.dominates(c.pass, p));
      if (!c.strict || !entered || !dom.dominates(c.pass, at)) continue;
      const p = packetBase(c.ptr, defs);
      if (p) out.set(p.base.id, Math.max(out.get(p.base.id) ?? 0, p.offset));
    }
    return out;
  };

  for (const loop of loops) {
    if (loops.some((l) => l !== loop && l.body.has(loop.header))) continue; // outermost loops only
    const exits = checks.filter((c) => loop.body.has(c.block) && loops.some((l) => l.body.has(c.block) && !l.body.has(c.fail)));
    if (exits.length === 0) continue;
    const outside = (dom.preds.get(loop.header) ?? []).filter((p) => !loop.body.has(p));
    if (outside.length !== 1) continue;
    // The loads go on the edge into the loop: at the end of the block before it, or in a block of their
    // own when that block branches (its branch may be the very check that proved them).
    const from = blocks.get(outside[0]!)!;
    const proved = provedAt(from.id);
    const own = checks.find((c) => c.block === from.id && c.pass === loop.header && c.strict);
    const ownBase = own && packetBase(own.ptr, defs);
    if (ownBase) proved.set(ownBase.base.id, Math.max(proved.get(ownBase.base.id) ?? 0, ownBase.offset));
    const after = reachableFrom(
      f,
      exits.map((c) => c.fail),
    );
    // Uses of each context pointer in what the exits reach; loads the preheader can take are kept aside.
    const plans = new Map<number, { ok: boolean; loads: { inst: Extract<Inst, { op: "load" }>; block: number; offset: number }[] }>();
    for (const id of after) {
      const b = blocks.get(id)!;
      const uses: { o: Value; inst?: Inst }[] = [];
      for (const p of b.phis) for (const x of p.incoming) if (!isImm(x.value)) uses.push({ o: x.value });
      for (const i of b.insts) for (const o of instUses(i)) if (!isImm(o)) uses.push({ o, inst: i });
      for (const o of termUses(b.term)) if (!isImm(o)) uses.push({ o });
      for (const { o, inst } of uses) {
        if (!isContextPointer(o, defs) || checks.some((c) => c.end.id === o.id)) continue;
        const base = packetBase(o, defs);
        const key = base ? base.base.id : o.id;
        const plan = plans.get(key) ?? { ok: true, loads: [] };
        plans.set(key, plan);
        // A constant `ptradd` on the way to a load is looked through (packetBase); a load is kept.
        if (inst?.op === "ptradd" && isImm(inst.offset) && inst.base.id === o.id) continue;
        if (inst?.op !== "load" || inst.core || !base || loop.body.has(id) || !dom.dominates(loop.header, id)) {
          plan.ok = false;
          continue;
        }
        const offset = base.offset + inst.offset;
        const defAt = defBlock.get(base.base.id);
        if (
          defAt === undefined ||
          !dom.dominates(defAt, from.id) ||
          offset < 0 ||
          offset + inst.width > (proved.get(base.base.id) ?? 0) ||
          offset > 0x7fff
        ) {
          plan.ok = false;
          continue;
        }
        plan.loads.push({ inst, block: id, offset });
      }
    }
    const moving = [...plans.entries()].filter(([, p]) => p.ok && p.loads.length > 0);
    if (moving.length === 0 || moving.reduce((n, [, p]) => n + p.loads.length, 0) > MAX_HOISTED) continue;
    let pre = from;
    if (from.term.op !== "br") {
      pre = { id: Math.max(...f.blocks.map((b) => b.id)) + 1, phis: [], insts: [], term: { op: "br", target: loop.header }, loc: from.loc };
      f.blocks.push(pre);
      blocks.set(pre.id, pre);
      if (from.term.op === "cbr") {
        if (from.term.then === loop.header) from.term.then = pre.id;
        if (from.term.else === loop.header) from.term.else = pre.id;
      }
      for (const p of blocks.get(loop.header)!.phis) for (const x of p.incoming) if (x.block === from.id) x.block = pre.id;
    }
    for (const [baseId, plan] of moving) {
      const base = (defs.get(baseId) as Extract<Inst, { op: "ctxptr" }>).dst;
      for (const { inst, block, offset } of plan.loads) {
        const from = blocks.get(block)!;
        from.insts.splice(from.insts.indexOf(inst), 1);
        inst.base = base;
        inst.offset = offset;
        pre.insts.push(inst);
      }
    }
    return true;
  }
  return false;
}

/** Blocks reachable from `starts` (themselves included). */
function reachableFrom(f: Func, starts: number[]): Set<number> {
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const seen = new Set<number>();
  const work = [...starts];
  while (work.length > 0) {
    const id = work.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const s of successors(byId.get(id)!.term)) work.push(s);
  }
  return seen;
}

/**
 * Does anything in `f` write the packet: a store or atomic through a pointer that may point into it
 * (a header pointer joined with null by a phi too: fuzz seed 20261320 read a field before a loop
 * that wrote it through such a pointer), or a call given one or the context? Helpers that change the packet take the context, and ones that read into
 * memory take the pointer; a `@noinline` function given the context may write through it.
 */
function writesPacket(f: Func, ctx: Value, isPtr: (o: Value) => boolean): boolean {
  for (const b of f.blocks)
    for (const i of b.insts) {
      if ((i.op === "store" || i.op === "atomic_add" || i.op === "atomic") && isPtr(i.base)) return true;
      if ((i.op === "call" || i.op === "callfn") && i.args.some((a) => !isImm(a) && (a.id === ctx.id || isPtr(a)))) return true;
    }
  return false;
}
