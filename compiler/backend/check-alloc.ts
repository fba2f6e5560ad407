// Checker: validates a register allocation independently of the allocator.
//
// Needs:       the allocator's output before rewriting (MFunc in virtual registers, spill code
//              inserted) and the vreg -> physical register assignment.
// Produces:    a list of violations (empty when the allocation is sound). Shares no analysis code
//              with regalloc.ts: it has its own liveness and a forward "what does each register
//              hold" simulation. Checked:
//                1. no physical register holds two values live at the same time (a definition never
//                   lands on a register whose current value is still needed, unless it copies it);
//                2. every value live across a helper call is in r6..r9 (spilled values are no longer
//                   registers at all: only their short reload temps are);
//                3. every read finds its value in its register: nothing reads r1..r5 after a call
//                   before redefining them, nothing reads a register never written;
//                4. r10 is never written, and every virtual register has a register in r0..r9.
// Invalidates: nothing.

import { CLASS } from "../isa/opcodes.js";
import { FP, type MFunc, type MInst, isVirtual, mblockSuccessors, regName } from "./mir.js";

/** Token for "holds some defined value" in a physical register that no virtual register names. */
const RAW = -1;

export function checkAllocation(mf: MFunc, assign: Map<number, number>, entry: { params: number }): string[] {
  const problems: string[] = [];
  const phys = (r: number): number => (isVirtual(r) ? (assign.get(r) ?? -1) : r);
  const where = (b: number, i: number, m: MInst): string => `b${b}#${i} (${describe(m)})`;

  // 4. Every register mentioned has a valid home, r10 is never a destination.
  for (const b of mf.blocks) {
    b.insns.forEach((m, i) => {
      for (const r of [...m.defs, ...m.uses]) {
        if (isVirtual(r)) {
          const p = assign.get(r);
          if (p === undefined || p < 0 || p > 9) problems.push(`${where(b.id, i, m)}: ${regName(r)} has no register`);
        }
      }
      if (m.defs.some((d) => phys(d) === FP) || (writesDst(m) && phys(m.insn.dst) === FP)) {
        problems.push(`${where(b.id, i, m)}: writes r10`);
      }
    });
  }
  if (problems.length > 0) return problems;

  // Liveness of virtual and physical registers, computed here from scratch.
  const byId = new Map(mf.blocks.map((b) => [b.id, b]));
  const liveIn = new Map<number, Set<number>>(mf.blocks.map((b) => [b.id, new Set()]));
  const liveOutOf = (bid: number): Set<number> => {
    const out = new Set<number>();
    for (const s of mblockSuccessors(byId.get(bid)!)) for (const r of liveIn.get(s)!) out.add(r);
    return out;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of mf.blocks) {
      const live = liveOutOf(b.id);
      for (let i = b.insns.length - 1; i >= 0; i--) step(live, b.insns[i]);
      const old = liveIn.get(b.id)!;
      if (live.size !== old.size || [...live].some((r) => !old.has(r))) {
        liveIn.set(b.id, live);
        changed = true;
      }
    }
  }

  // 1 and 2: walk each block backwards with the live set.
  for (const b of mf.blocks) {
    const live = liveOutOf(b.id);
    for (let i = b.insns.length - 1; i >= 0; i--) {
      const m = b.insns[i];
      const copySrc = m.copy ? m.uses[0] : undefined;
      for (const d of m.defs) {
        for (const l of live) {
          if (l === d || l === copySrc || l === FP) continue;
          if (phys(l) === phys(d) && !(m.call && !isVirtual(l))) {
            problems.push(`${where(b.id, i, m)}: defining ${regName(d)} in r${phys(d)} overwrites live ${regName(l)}`);
          }
        }
      }
      if (m.call) {
        for (const l of live) {
          if (isVirtual(l) && !m.defs.includes(l) && phys(l) <= 5) {
            problems.push(`${where(b.id, i, m)}: ${regName(l)} is live across the call in r${phys(l)}`);
          }
        }
      }
      step(live, m);
    }
  }

  // 3: forward simulation of which values each register holds, meeting by intersection.
  type State = Set<number>[];
  const entryState: State = Array.from({ length: 10 }, (_, r) => new Set(r >= 1 && r <= entry.params ? [RAW] : []));
  const stateIn = new Map<number, State>([[mf.blocks[0].id, entryState]]);
  const meet = (a: State, b: State): State => a.map((s, r) => new Set([...s].filter((x) => b[r].has(x))));
  const same = (a: State, b: State): boolean => a.every((s, r) => s.size === b[r].size && [...s].every((x) => b[r].has(x)));
  const report = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of mf.blocks) {
      const sin = stateIn.get(b.id);
      if (!sin) continue;
      const st = sin.map((s) => new Set(s));
      b.insns.forEach((m, i) => {
        for (const u of m.uses) {
          if (u === FP) continue;
          const p = phys(u);
          const ok = isVirtual(u) ? st[p].has(u) : st[p].size > 0;
          if (!ok) report.add(`${where(b.id, i, m)}: reads ${regName(u)} but r${p} does not hold it`);
        }
        if (m.call) {
          for (let r = 0; r <= 5; r++) st[r] = new Set();
          st[0].add(RAW);
        }
        const src = m.copy ? st[phys(m.uses[0])] : undefined;
        for (const d of m.defs) {
          if (m.call && !isVirtual(d)) continue;
          const held = new Set(src ?? []);
          held.add(isVirtual(d) ? d : RAW);
          if (isVirtual(d)) for (const s of st) s.delete(d);
          st[phys(d)] = held;
        }
      });
      for (const s of mblockSuccessors(b)) {
        const old = stateIn.get(s);
        const next = old ? meet(old, st) : st.map((x) => new Set(x));
        if (!old || !same(old, next)) {
          stateIn.set(s, next);
          changed = true;
        }
      }
    }
  }
  problems.push(...report);
  return problems;
}

function step(live: Set<number>, m: MInst): void {
  for (const d of m.defs) live.delete(d);
  for (const u of m.uses) if (u !== FP) live.add(u);
}

function writesDst(m: MInst): boolean {
  const cls = m.insn.opcode & 0x07;
  return cls === CLASS.ALU || cls === CLASS.ALU64 || cls === CLASS.LDX || cls === CLASS.LD;
}

function describe(m: MInst): string {
  return `op 0x${m.insn.opcode.toString(16)} ${regName(m.insn.dst)}, ${regName(m.insn.src)}`;
}
