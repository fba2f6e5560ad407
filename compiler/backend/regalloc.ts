// Pass: register allocation (graph colouring with spilling, Chaitin/Briggs style).
//
// Needs:       an MFunc from isel.ts: virtual registers plus fixed physical registers (r1..r5 for
//              params and helper arguments, r0 for results); helper calls list r0..r5 as defs.
// Produces:    an assignment of every virtual register to one of r0..r9. Values live across a call
//              interfere with the call's clobbers r0..r5, so they land in r6..r9 or get spilled.
//              When colouring fails, the chosen registers are spilled: constants and stack
//              addresses are rematerialised before each use; others each get an 8-byte slot
//              (a FrameRef of kind "spill"; STX DW after each definition, LDX DW before each use, in
//              fresh short-lived registers that are never spilled again) and allocation restarts.
//              Moves are coalesced conservatively before colouring (Briggs' test between virtual
//              registers, George's test into the fixed r0..r5), then by biased colouring (a register
//              prefers the colour of the registers it is copied to/from, and otherwise avoids the
//              fixed registers its uncoloured neighbours are copied to/from, e.g. r0 for a call
//              result); `rewriteRegisters` then deletes copies that became `mov rX, rX`.
// Invalidates: liveness (spill code is inserted into the MFunc).

import type { Liveness } from "./liveness.js";
import { liveness } from "./liveness.js";
import * as E from "./emit-helpers.js";
import { ALU, CLASS, LD_IMM64, SRC } from "../isa/opcodes.js";
import { FP, type MFunc, type MInst, NUM_REGS, isVirtual, newVreg } from "./mir.js";

export interface Allocation {
  /** The function with spill code inserted, still in virtual registers. */
  mf: MFunc;
  /** Virtual register -> physical register. */
  assign: Map<number, number>;
  /** Colouring rounds it took (1 when nothing was spilled). */
  rounds: number;
}

const MAX_ROUNDS = 64;

export function allocateRegisters(mf: MFunc): Allocation {
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const g = buildGraph(mf, liveness(mf));
    const remat = rematerialisable(mf);
    const { assign, spilled } = colour(g, mf.noSpill, remat);
    if (spilled.length === 0) return { mf, assign, rounds: round };
    insertSpillCode(mf, new Set(spilled), remat);
  }
  throw new Error(`internal: register allocation of ${mf.name} did not converge`);
}

/** Replace virtual registers with their physical registers and drop copies that became no-ops. */
export function rewriteRegisters(mf: MFunc, assign: Map<number, number>): void {
  const phys = (r: number): number => {
    if (!isVirtual(r)) return r;
    const p = assign.get(r);
    if (p === undefined) throw new Error(`internal: v${r} has no register`);
    return p;
  };
  for (const b of mf.blocks) {
    const kept: MInst[] = [];
    let orphanComment: string | undefined;
    for (const m of b.insns) {
      m.insn.dst = phys(m.insn.dst);
      m.insn.src = phys(m.insn.src);
      m.defs = m.defs.map(phys);
      m.uses = m.uses.map(phys);
      if (m.copy && m.insn.dst === m.insn.src) {
        // Keep what the deleted copy explained on the next instruction.
        orphanComment ??= m.insn.comment;
        continue;
      }
      if (orphanComment !== undefined && m.insn.comment === undefined) m.insn.comment = orphanComment;
      orphanComment = undefined;
      kept.push(m);
    }
    b.insns = kept;
  }
}

interface Graph {
  adj: Map<number, Set<number>>;
  /** Move partners of each register, for biased colouring. */
  moves: Map<number, Set<number>>;
  /** Occurrences (uses + defs) of each virtual register. */
  weight: Map<number, number>;
  vregs: number[];
}

function buildGraph(mf: MFunc, live: Liveness): Graph {
  const adj = new Map<number, Set<number>>();
  const moves = new Map<number, Set<number>>();
  const weight = new Map<number, number>();
  const node = (r: number): Set<number> => {
    let s = adj.get(r);
    if (!s) adj.set(r, (s = new Set()));
    return s;
  };
  const edge = (a: number, b: number): void => {
    if (a === b || a === FP || b === FP) return;
    if (!isVirtual(a) && !isVirtual(b)) return;
    node(a).add(b);
    node(b).add(a);
  };
  for (const b of mf.blocks) {
    const now = new Set(live.liveOut.get(b.id));
    for (let i = b.insns.length - 1; i >= 0; i--) {
      const m = b.insns[i];
      for (const r of [...m.defs, ...m.uses]) {
        if (r === FP) continue;
        node(r);
        if (isVirtual(r)) weight.set(r, (weight.get(r) ?? 0) + 1);
      }
      const copySrc = m.copy ? m.uses[0] : undefined;
      if (m.copy) {
        const [d, s] = [m.defs[0], m.uses[0]];
        if (!moves.has(d)) moves.set(d, new Set());
        if (!moves.has(s)) moves.set(s, new Set());
        moves.get(d)!.add(s);
        moves.get(s)!.add(d);
      }
      for (const d of m.defs) for (const l of now) if (l !== copySrc) edge(d, l);
      for (const d of m.defs) now.delete(d);
      for (const u of m.uses) if (u !== FP) now.add(u);
    }
  }
  const vregs = [...adj.keys()].filter(isVirtual).sort((a, b) => a - b);
  return { adj, moves, weight, vregs };
}

/**
 * Conservative coalescing: merge the two sides of a copy into one node when they do not interfere
 * and the merge cannot make the graph harder to colour. Two virtual registers merge under Briggs'
 * test (the merged node has fewer than K neighbours of significant degree); a virtual register
 * merges into a physical one (a fixed argument/result register) under George's test (each of its
 * neighbours already interferes with that register or has insignificant degree). Returns the
 * representative of every node; `adj`, `moves` and `weight` are rewritten over representatives.
 */
function coalesce(g: Graph, noSpill: Set<number>): Map<number, number> {
  const rep = new Map<number, number>();
  const find = (r: number): number => {
    let x = r;
    while (rep.has(x)) x = rep.get(x)!;
    // Path compression: later finds of r are one step.
    for (let y = r; y !== x; ) {
      const next = rep.get(y)!;
      rep.set(y, x);
      y = next;
    }
    return x;
  };
  const adjOf = (r: number): Set<number> => g.adj.get(r) ?? new Set();
  const significant = (n: number): boolean => !isVirtual(n) || adjOf(n).size >= NUM_REGS;
  // The significant neighbours of every node, kept exact through the merges below. The tests then
  // look at these (Briggs: at most 2K of them) instead of scanning all neighbours: a long-lived
  // value has thousands, mostly insignificant, and scanning them made coalescing quadratic.
  const sigNb = new Map<number, Set<number>>();
  const sigOf = (n: number): Set<number> => {
    let s = sigNb.get(n);
    if (!s) sigNb.set(n, (s = new Set()));
    return s;
  };
  for (const [n, nb] of g.adj) {
    const s = sigOf(n);
    for (const m of nb) if (significant(m)) s.add(m);
  }
  /** n's significance changed: its neighbours' sets follow. */
  const flip = (n: number): void => {
    const sig = significant(n);
    for (const m of adjOf(n)) {
      if (sig) sigOf(m).add(n);
      else sigNb.get(m)?.delete(n);
    }
  };
  /** Briggs' test: fewer than K significant neighbours of a and b together. */
  const briggs = (a: number, b: number): boolean => {
    const sa = sigOf(a);
    let k = sa.size;
    if (k >= NUM_REGS) return false;
    for (const n of sigOf(b)) if (!sa.has(n) && ++k >= NUM_REGS) return false;
    return true;
  };
  const pairs: [number, number][] = [];
  for (const [d, ss] of g.moves) for (const s of ss) if (d < s) pairs.push([d, s]);
  // Fixed-register copies first (they remove a move and pin a value where it is needed), then the
  // rest in register order for determinism.
  pairs.sort(
    (x, y) => Number(isVirtual(x[0]) && isVirtual(x[1])) - Number(isVirtual(y[0]) && isVirtual(y[1])) || x[0] - y[0] || x[1] - y[1],
  );
  const merge = (into: number, from: number): void => {
    const around = [...adjOf(from)];
    const wasSig = around.map(significant);
    const intoWasSig = significant(into);
    rep.set(from, into);
    const into_ = adjOf(into);
    for (const n of adjOf(from)) {
      const na = adjOf(n);
      na.delete(from);
      if (!isVirtual(n) && !isVirtual(into)) continue; // physical pairs need no edge
      na.add(into);
      into_.add(n);
    }
    g.adj.set(into, into_);
    g.adj.delete(from);
    g.weight.set(into, (g.weight.get(into) ?? 0) + (g.weight.get(from) ?? 0));
    // The significant-neighbour sets: `from` is gone, its edges moved to `into`, and the degree of
    // `into` and of from's neighbours changed (which may flip their significance).
    for (const n of around) sigNb.get(n)?.delete(from);
    sigNb.delete(from);
    const intoSig = significant(into);
    const intoSet = sigOf(into);
    for (const n of around) {
      if (!isVirtual(n) && !isVirtual(into)) continue;
      if (intoSig) sigOf(n).add(into);
      if (significant(n)) intoSet.add(n);
      else intoSet.delete(n);
    }
    around.forEach((n, i) => {
      if (wasSig[i] !== significant(n)) flip(n);
    });
    if (intoWasSig !== intoSig) flip(into);
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const [x, y] of pairs) {
      let a = find(x);
      let b = find(y);
      if (a === b || adjOf(a).has(b)) continue;
      if (!isVirtual(a) && !isVirtual(b)) continue;
      if (!isVirtual(b)) [a, b] = [b, a];
      if (!isVirtual(a)) {
        // George: b's neighbours all interfere with a already, or are easy to colour.
        const pa = adjOf(a);
        let ok = true;
        for (const t of sigOf(b)) {
          if (isVirtual(t) && !pa.has(t)) {
            ok = false;
            break;
          }
        }
        if (!ok) continue;
        merge(a, b);
      } else {
        // Spill temps must stay tiny: never merge one with a value that may be spilled.
        if (noSpill.has(a) !== noSpill.has(b)) continue;
        // Briggs: fewer than K significant neighbours after merging.
        if (!briggs(a, b)) continue;
        merge(a, b);
      }
      changed = true;
    }
  }
  // Moves over representatives, for biased colouring of what could not be merged.
  const moves = new Map<number, Set<number>>();
  for (const [x, y] of pairs) {
    const a = find(x);
    const b = find(y);
    if (a === b) continue;
    if (!moves.has(a)) moves.set(a, new Set());
    if (!moves.has(b)) moves.set(b, new Set());
    moves.get(a)!.add(b);
    moves.get(b)!.add(a);
  }
  g.moves = moves;
  const out = new Map<number, number>();
  for (const v of g.vregs) out.set(v, find(v));
  return out;
}

/**
 * Virtual registers whose value a short instruction sequence without register inputs recomputes:
 * constants (`mov`, `ld_imm64`, including map and function addresses) and stack addresses
 * (`mov v, r10; add v, -off`). Spilling one of these rematerialises it before each use instead
 * of storing and reloading it, so long-lived addresses CSE shared across calls (a map, a key slot)
 * give their callee-saved register to values that cannot be recomputed.
 */
function rematerialisable(mf: MFunc): Map<number, MInst[]> {
  const defs = new Map<number, MInst[]>();
  for (const b of mf.blocks) {
    for (const m of b.insns) {
      for (const d of m.defs) {
        if (!isVirtual(d)) continue;
        if (!defs.has(d)) defs.set(d, []);
        defs.get(d)!.push(m);
      }
    }
  }
  const out = new Map<number, MInst[]>();
  for (const [v, ds] of defs) {
    if (ds.some((m) => m.call || m.copy || m.defs.length !== 1)) continue;
    const [a, b] = ds;
    const isConst = (m: MInst): boolean =>
      m.uses.length === 0 &&
      !m.frame &&
      (m.insn.opcode === LD_IMM64 || m.insn.opcode === (CLASS.ALU64 | ALU.MOV | SRC.K) || m.insn.opcode === (CLASS.ALU | ALU.MOV | SRC.K));
    if (ds.length === 1 && isConst(a!)) out.set(v, ds);
    else if (
      ds.length === 2 &&
      a!.insn.opcode === (CLASS.ALU64 | ALU.MOV | SRC.X) &&
      a!.insn.src === FP &&
      a!.uses.length === 0 &&
      b!.insn.opcode === (CLASS.ALU64 | ALU.ADD | SRC.K) &&
      b!.frame?.kind === "slot" &&
      b!.uses.length === 1 &&
      b!.uses[0] === v &&
      sameBlockAdjacent(mf, a!, b!)
    )
      out.set(v, ds);
  }
  return out;
}

function sameBlockAdjacent(mf: MFunc, a: MInst, b: MInst): boolean {
  for (const blk of mf.blocks) {
    const i = blk.insns.indexOf(a);
    if (i >= 0) return blk.insns[i + 1] === b;
  }
  return false;
}

function colour(g: Graph, noSpill: Set<number>, remat: Map<number, MInst[]>): { assign: Map<number, number>; spilled: number[] } {
  const repOf = coalesce(g, noSpill);
  const nodes = [...new Set(g.vregs.map((v) => repOf.get(v)!))].filter(isVirtual);
  const members = new Map<number, number[]>();
  for (const v of g.vregs) {
    const r = repOf.get(v)!;
    if (!members.has(r)) members.set(r, []);
    members.get(r)!.push(v);
  }

  // Simplify: remove registers of degree < K; when none is left, remove the cheapest spill
  // candidate optimistically (it may still find a colour in select).
  const remaining = new Set(nodes);
  const degree = new Map<number, number>();
  for (const v of nodes) degree.set(v, g.adj.get(v)!.size);
  const stack: number[] = [];
  const remove = (v: number): void => {
    remaining.delete(v);
    stack.push(v);
    for (const n of g.adj.get(v)!) if (remaining.has(n)) degree.set(n, degree.get(n)! - 1);
  };
  while (remaining.size > 0) {
    let pick: number | undefined;
    for (const v of remaining) {
      if (degree.get(v)! < NUM_REGS) {
        pick = v;
        break;
      }
    }
    if (pick === undefined) {
      let best = Infinity;
      for (const v of remaining) {
        // Spilling costs a store per definition and a load per use (weight); rematerialising, the
        // defining sequence per use (no store), and it frees the register everywhere in between:
        // counted at half price (measured on the fixtures: fewer instructions overall, none worse).
        const seq = members.get(v)!.length === 1 ? remat.get(v)?.length : undefined;
        const w = g.weight.get(v)!;
        const price = seq === undefined ? w : 0.5 * Math.min(w, (w - seq) * seq);
        const cost = noSpill.has(v) ? Infinity : price / (degree.get(v)! + 1);
        if (pick === undefined || cost < best) {
          best = cost;
          pick = v;
        }
      }
    }
    remove(pick!);
  }

  // Select: pop and give each register a colour no neighbour has, preferring move partners'.
  // Without a partner's colour to take, avoid the fixed registers that uncoloured neighbours are
  // copied to/from (e.g. leave r0 to the call result a neighbour is copied out of).
  const colours = new Map<number, number>();
  const spilledNodes: number[] = [];
  const colourOf = (r: number): number | undefined => (isVirtual(r) ? colours.get(r) : r);
  while (stack.length > 0) {
    const v = stack.pop()!;
    const taken = new Set<number>();
    for (const n of g.adj.get(v)!) {
      const c = colourOf(n);
      if (c !== undefined) taken.add(c);
    }
    let chosen: number | undefined;
    for (const p of g.moves.get(v) ?? []) {
      const c = colourOf(p);
      if (c !== undefined && c < NUM_REGS && !taken.has(c)) {
        chosen = c;
        break;
      }
    }
    if (chosen === undefined) {
      // A move partner not coloured yet: take a colour it could take too (free of its neighbours'
      // colours and fixed registers), so that it can follow and the copy disappears — a loop
      // variable updated in the body and live across calls after the loop would otherwise get a
      // caller-saved register for the update and a copy into its own register at every iteration.
      for (const p of g.moves.get(v) ?? []) {
        if (colourOf(p) !== undefined || !isVirtual(p)) continue;
        const blocked = new Set(taken);
        for (const n of g.adj.get(p) ?? []) {
          const c = colourOf(n);
          if (c !== undefined) blocked.add(c);
        }
        for (let c = 0; c < NUM_REGS && chosen === undefined; c++) if (!blocked.has(c)) chosen = c;
        if (chosen !== undefined) break;
      }
    }
    if (chosen === undefined) {
      const wanted = new Set<number>();
      for (const n of g.adj.get(v)!) {
        if (colourOf(n) !== undefined) continue;
        for (const p of g.moves.get(n) ?? []) {
          const c = colourOf(p);
          if (c !== undefined) wanted.add(c);
        }
      }
      for (const avoid of [true, false]) {
        for (let c = 0; c < NUM_REGS && chosen === undefined; c++) {
          if (!taken.has(c) && !(avoid && wanted.has(c))) chosen = c;
        }
        if (chosen !== undefined) break;
      }
    }
    if (chosen === undefined) {
      if (noSpill.has(v)) throw new Error(`internal: no register for spill temp v${v}`);
      spilledNodes.push(v);
    } else {
      colours.set(v, chosen);
    }
  }
  const assign = new Map<number, number>();
  const spilled: number[] = [];
  for (const v of g.vregs) {
    const r = repOf.get(v)!;
    if (!isVirtual(r)) assign.set(v, r);
    else if (colours.has(r)) assign.set(v, colours.get(r)!);
    else spilled.push(v);
  }
  return { assign, spilled };
}

/** Recompute a rematerialisable register before each use (its definition goes away). */
function rematerialise(mf: MFunc, v: number, defs: MInst[]): void {
  const gone = new Set(defs);
  for (const b of mf.blocks) {
    const out: MInst[] = [];
    for (const m of b.insns) {
      if (gone.has(m)) continue;
      if (m.uses.includes(v)) {
        const t = newVreg(mf);
        mf.noSpill.add(t);
        for (const d of defs) {
          const insn = { ...d.insn, dst: t };
          if (d.insn.reloc) insn.reloc = { ...d.insn.reloc };
          delete insn.comment;
          out.push({
            ...d,
            insn,
            defs: [t],
            uses: d.uses.map((r) => (r === v ? t : r)),
            frame: d.frame ? { ...d.frame } : undefined,
            loc: m.loc,
          });
        }
        if (m.insn.dst === v) m.insn.dst = t;
        if (m.insn.src === v) m.insn.src = t;
        m.uses = m.uses.map((r) => (r === v ? t : r));
      }
      out.push(m);
    }
    b.insns = out;
  }
}

/** Rewrite every occurrence of a spilled register through its stack slot (or recompute it). */
function insertSpillCode(mf: MFunc, spilled: Set<number>, remat: Map<number, MInst[]>): void {
  for (const v of [...spilled]) {
    const defs = remat.get(v);
    if (!defs) continue;
    rematerialise(mf, v, defs);
    spilled.delete(v);
  }
  const slotOf = new Map<number, number>();
  for (const v of spilled) slotOf.set(v, mf.spillSlots++);
  const load = (dst: number, v: number): MInst => ({
    insn: E.ldx(8, dst, FP, 0),
    defs: [dst],
    uses: [],
    frame: { kind: "spill", index: slotOf.get(v)!, field: "off" },
  });
  const store = (src: number, v: number): MInst => ({
    insn: E.stx(8, FP, src, 0),
    defs: [],
    uses: [src],
    frame: { kind: "spill", index: slotOf.get(v)!, field: "off" },
  });

  for (const b of mf.blocks) {
    const out: MInst[] = [];
    for (const m of b.insns) {
      const touched = [...new Set([...m.defs, ...m.uses])].filter((r) => spilled.has(r));
      if (touched.length === 0) {
        out.push(m);
        continue;
      }
      const keep = { loc: m.loc };
      if (m.copy && touched.length === 1) {
        // A copy with one spilled side becomes a single load or store.
        const [d, s] = [m.defs[0], m.uses[0]];
        const replacement = spilled.has(d) ? store(s, d) : load(d, s);
        if (m.insn.comment) replacement.insn.comment = m.insn.comment;
        out.push({ ...replacement, ...keep });
        continue;
      }
      const before: MInst[] = [];
      const after: MInst[] = [];
      for (const v of touched) {
        const t = newVreg(mf);
        mf.noSpill.add(t);
        if (m.insn.dst === v) m.insn.dst = t;
        if (m.insn.src === v) m.insn.src = t;
        const isUse = m.uses.includes(v);
        const isDef = m.defs.includes(v);
        m.uses = m.uses.map((r) => (r === v ? t : r));
        m.defs = m.defs.map((r) => (r === v ? t : r));
        if (isUse) before.push({ ...load(t, v), ...keep });
        if (isDef) after.push({ ...store(t, v), ...keep });
      }
      if (before.length > 0 && m.insn.comment) {
        before[0].insn.comment = m.insn.comment;
        delete m.insn.comment;
      }
      out.push(...before, m, ...after);
    }
    b.insns = out;
  }
}
