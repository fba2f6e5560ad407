// MIR: the back end's machine-level form, shared by isel, regalloc, frame and layout.
//
// Each MInst wraps one eBPF `Insn` whose register fields may name virtual registers (numbers >=
// VBASE) until register allocation rewrites them; registers 0..10 are physical. `defs`/`uses` list
// every register the instruction writes/reads (r10 is never listed: it is not allocatable and always
// valid). Blocks keep their IR ids; a block ends either in `exit`, in a conditional jump (`target`
// is then the taken block) followed by an implicit jump to `fall`, or just in an implicit jump to
// `fall`. Layout turns the implicit jumps into `ja` only where needed.

import type { Insn } from "../isa/insn.js";
import type { SourceLoc, StackSlot } from "../ir/ir.js";

export const VBASE = 16;
export const FP = 10;
/** Allocatable physical registers. */
export const NUM_REGS = 10;
/** Registers a helper call overwrites (r0 receives the result). */
export const CALL_CLOBBERS = [0, 1, 2, 3, 4, 5] as const;
export const isVirtual = (r: number): boolean => r >= VBASE;

/**
 * A stack offset to fill in once the frame is laid out: `insn[field] = -(offset of the object) + add`
 * (`add`, default 0: a byte offset into a slot accessed from r10 directly).
 */
export type FrameRef =
  | { kind: "slot"; slot: number; field: "off" | "imm"; add?: number }
  | { kind: "spill"; index: number; field: "off" | "imm" };

export interface MInst {
  insn: Insn;
  defs: number[];
  uses: number[];
  /** A plain 64-bit register move `dst = src`: the allocator may coalesce it away. */
  copy?: boolean;
  /** A helper or bpf-to-bpf call: r0..r5 are in defs (the callee's r6..r9 are its own). */
  call?: boolean;
  /** Conditional jump: the block taken when the condition holds. */
  target?: number;
  frame?: FrameRef;
  loc?: SourceLoc;
}

export interface MBlock {
  id: number;
  insns: MInst[];
  /** The block control reaches when the block does not exit or take its conditional jump. */
  fall?: number;
  /** Location of the IR terminator, for jumps layout adds. */
  termLoc?: SourceLoc;
  /** The successor the verifier must walk first (a packet check's failing side, packet-check-order.ts): the fall-through. */
  walkFirst?: number;
}

export interface MFunc {
  name: string;
  blocks: MBlock[];
  slots: StackSlot[];
  /** Next unused virtual register number. */
  nextVreg: number;
  /** Number of 8-byte spill slots allocated so far. */
  spillSlots: number;
  /** Virtual registers made by spilling: tiny live ranges the allocator must never spill again. */
  noSpill: Set<number>;
}

export function newVreg(mf: MFunc): number {
  return mf.nextVreg++;
}

export function mblockSuccessors(b: MBlock): number[] {
  const out: number[] = [];
  const last = b.insns[b.insns.length - 1];
  if (last?.target !== undefined) out.push(last.target);
  if (b.fall !== undefined && !out.includes(b.fall)) out.push(b.fall);
  return out;
}

export const regName = (r: number): string => (isVirtual(r) ? `v${r - VBASE}` : `r${r}`);
