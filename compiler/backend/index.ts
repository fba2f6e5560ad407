// The back end: one IR function -> eBPF instructions, a line table and its stack size.
//
// Pipeline, in order:
//   out-of-ssa.ts  phis -> copies in predecessors (critical edges split)
//   isel.ts        IR -> MIR over virtual registers, fixed registers as copies
//   regalloc.ts    graph colouring over r0..r9, spilling to 8-byte stack slots
//   (check-alloc.ts, optional self-check of the allocation)
//   regalloc.ts    rewrite to physical registers, delete coalesced copies
//   redundant-copies.ts  delete copies whose destination already holds the value
//   spill-slots.ts spilled values with disjoint stack lifetimes share a slot
//   frame.ts       stack slots and spill slots below r10 (<= 512 bytes)
//   layout.ts      block order, branch offsets, line table

import type { Func } from "../ir/ir.js";
import type { Insn } from "../isa/insn.js";
import { checkAllocation } from "./check-alloc.js";
import { layoutFrame } from "./frame.js";
import { select } from "./isel.js";
import { type LineEntry, layout } from "./layout.js";
import { removeRedundantCopies } from "./redundant-copies.js";
import { allocateRegisters, rewriteRegisters } from "./regalloc.js";
import { shareSpillSlots } from "./spill-slots.js";
import { outOfSsa } from "./out-of-ssa.js";

export interface GenerateOptions {
  /** The function is a program entry: params[0] is the ctx pointer. */
  isProgram: boolean;
  /** Run the independent allocation checker and throw on any violation (tests, debugging). */
  checkAlloc?: boolean;
  /**
   * Instruction set level (§1.7 of the object-format notes). "v3" (the default, kernel 5.1+) uses
   * no v4 instruction: sign extension is a shift pair and signed division/modulo an unsigned
   * DIV/MOD with sign fix-ups. "v4" (kernel 6.6+) emits MOVSX and SDIV/SMOD.
   */
  cpu?: CpuVersion;
}

export type CpuVersion = "v3" | "v4";

export interface GeneratedCode {
  insns: Insn[];
  /** `insn` is an index into `insns`; one entry wherever the source location changes. */
  lines: LineEntry[];
  /** Bytes of stack used below r10 (multiple of 8, at most 512). */
  stackSize: number;
}

export function generate(f: Func, opts: GenerateOptions): GeneratedCode {
  const ssaFree = outOfSsa(f);
  const mf = select(ssaFree, { isProgram: opts.isProgram, cpu: opts.cpu ?? "v3" });
  const alloc = allocateRegisters(mf);
  if (opts.checkAlloc) {
    const problems = checkAllocation(alloc.mf, alloc.assign, { params: f.params.length });
    if (problems.length > 0) throw new Error(`internal: bad register allocation in ${f.name}:\n${problems.join("\n")}`);
  }
  rewriteRegisters(mf, alloc.assign);
  removeRedundantCopies(mf);
  shareSpillSlots(mf);
  const frame = layoutFrame(mf);
  const { insns, lines } = layout(mf);
  return { insns, lines, stackSize: frame.size };
}

export type { LineEntry } from "./layout.js";
