// Pass: packet-rebase — read `data` afresh in nested loops that a failed packet check leaves.
//
// The verifier keeps what a bounds check proved (the packet is at least this long) on every packet
// pointer at a constant offset from `data` (they share one id, 0, however often `data` was read).
// cse and licm share one `data` register for the whole function, live through every loop, so in a
// loop that reads at offsets it moves and stops at a failed check (`const b = ctx.header<u8>(14 + i
// + j); if (b === null) break;`), each trip's check lengthens that register, and each exit leaves it
// at another length. Inside an enclosing loop that moves the reads on (a window sliding with its
// counter, a record's offset), those exits do not prune each other, and each walks the enclosing
// loop's later trips, which fork again at every byte past the length it knows. Measured on Linux
// 6.18: 24 x 24 overlapping windows processed 586,746 instructions, 28 x 28 were refused; 8 DNS
// labels of up to 63 bytes 751,236.
//
// Here such a loop, and the loops around it, read `data` from the context at their head (one
// instruction per trip), and the checks that leave them go through that value. The function's `data`
// register is then not used in the loop and not live through it, so what a check proves dies with
// the trip, the exits differ only in what the rest of the program does not read, and they prune
// (24 x 24 windows: 16,373; 8 DNS labels: 44,300). Nothing else changes: each of those checks guards
// the accesses of its own `ctx.header` read, which are rebased with it. Not helped here: a header
// pointer checked before the loops and read after them is live through them and still lengthened by
// every check (hoist-packet-loads and packet-check-order.ts deal with that).
//
// Runs after the last cse (which would merge the new read into the function's).
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural (no block is added).

import { computeDominators, type NaturalLoop as Loop, naturalLoops } from "../ir/dominators.js";
import { ctxParam, instDst, instUses, isImm, newValue, type Func, type Inst, type Value } from "../ir/ir.js";

export function packetRebase(f: Func): boolean {
  const ctx = ctxParam(f);
  if (!ctx) return false;
  const dom = computeDominators(f);
  const blocks = new Map(f.blocks.map((b) => [b.id, b] as const));
  const defs = new Map<number, Inst>();
  const defBlock = new Map<number, number>();
  for (const b of f.blocks)
    for (const i of b.insts) {
      const d = instDst(i);
      if (d) {
        defs.set(d.id, i);
        defBlock.set(d.id, b.id);
      }
    }
  // Natural loops, outermost first.
  const loops = naturalLoops(f, dom);
  loops.sort((a, b) => b.body.size - a.body.size);

  // Phis by value, and the header each sits in: what an offset moves with.
  const phiBlock = new Map<number, number>();
  for (const b of f.blocks) for (const p of b.phis) phiBlock.set(p.dst.id, b.id);
  /** The headers of the loops whose phis `v` is computed from (through arithmetic, not loads). */
  const movesWith = (v: Value): Set<number> => {
    const out = new Set<number>();
    const seen = new Set<number>();
    const work = [v.id];
    while (work.length > 0) {
      const id = work.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const pb = phiBlock.get(id);
      if (pb !== undefined) {
        out.add(pb);
        continue;
      }
      const d = defs.get(id);
      if (!d || d.op === "load" || d.op === "call" || d.op === "callfn" || d.op === "ctxptr") continue;
      for (const o of instUses(d)) if (!isImm(o)) work.push(o.id);
    }
    return out;
  };

  /**
   * The checks that leave `loop`: a compare of a pointer against a context pointer (data_end), one
   * side of which jumps out. Each pointer's chain of `ptradd`s starts, inside the loop, at a
   * `ptradd` of a `data` read outside it: those starts are what gets rebased, and with them the
   * check and the accesses it guards. Uses of `data` the checks do not reach (a header checked
   * before the loop and read in it) keep the old value and what was proved of it.
   */
  const startsOf = (loop: Loop): Inst[] => {
    const starts: Inst[] = [];
    for (const id of loop.body) {
      const t = blocks.get(id)!.term;
      if (t.op !== "cbr" || (loop.body.has(t.then) && loop.body.has(t.else))) continue;
      const ops = [t.a, t.b].filter((o): o is Value => !isImm(o));
      if (ops.length !== 2 || !ops.some((o) => defs.get(o.id)?.op === "ctxptr")) continue;
      for (const o of ops) {
        let d = defs.get(o.id);
        while (d?.op === "ptradd") {
          const base = defs.get(d.base.id);
          if (base?.op === "ctxptr") {
            if (base.ctx.id === ctx.id && !loop.body.has(defBlock.get(base.dst.id)!) && loop.body.has(defBlock.get(d.dst.id)!))
              starts.push(d);
            break;
          }
          d = base;
        }
      }
    }
    return starts;
  };
  const starts = new Map(loops.map((l) => [l, startsOf(l)] as const));
  // A loop inside another whose trips move its reads (a window sliding with the enclosing counter,
  // a record's offset): there the lengths its exits know multiply with the enclosing loop's trips.
  const slides = (loop: Loop): boolean => {
    const around = loops.filter((l) => l !== loop && l.body.has(loop.header)).map((l) => l.header);
    return starts.get(loop)!.some((d) => d.op === "ptradd" && !isImm(d.offset) && [...movesWith(d.offset)].some((h) => around.includes(h)));
  };
  const sliding = loops.filter(slides);
  // Those loops, and the loops around them (a record's header read, at the offset the inner loop's
  // exits move). Not the others (a loop on its own, nested loops each reading at offsets only its
  // own counter moves): there, reading `data` afresh changed the verifier's count for the worse more
  // often than for the better (fuzz:cost seed 20261284, 7,500 random programs: done in every loop,
  // 119 counts up, one by 38 times, 46 down; done as here, 7 up by at most 1.36 times, 1 down).
  const chosen = loops.filter((l) => sliding.some((s) => s === l || l.body.has(s.header)));

  let changed = false;
  for (const loop of chosen) {
    const header = blocks.get(loop.header)!;
    const fresh = new Map<number, Value>();
    for (const start of starts.get(loop)!) {
      if (start.op !== "ptradd") continue;
      const base = defs.get(start.base.id)!;
      if (base.op !== "ctxptr") continue;
      let v = fresh.get(base.dst.id);
      if (!v) {
        v = newValue(f, base.dst.ty);
        header.insts.unshift({ op: "ctxptr", dst: v, ctx: base.ctx, offset: base.offset });
        defs.set(v.id, header.insts[0]!);
        defBlock.set(v.id, header.id);
        fresh.set(base.dst.id, v);
      }
      start.base = v;
      changed = true;
    }
  }
  return changed;
}
