// Tiny instruction builders private to the back end, made directly from the opcode bit constants.
// Register fields may hold virtual registers (>= VBASE, see mir.ts) until allocation rewrites them.

import type { Insn, InsnReloc } from "../isa/insn.js";
import { ALU, CALL, CLASS, END_TO_BE, EXIT, JMP, LD_IMM64, MODE, SRC, sizeCode } from "../isa/opcodes.js";

export type AluOp = (typeof ALU)[keyof typeof ALU];
export type JmpOp = (typeof JMP)[keyof typeof JMP];

export function mk(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { opcode, dst, src, off, imm };
}

export const aluX = (is64: boolean, op: number, dst: number, src: number, off = 0): Insn =>
  mk((is64 ? CLASS.ALU64 : CLASS.ALU) | op | SRC.X, dst, src, off, 0);
export const aluK = (is64: boolean, op: number, dst: number, imm: number, off = 0): Insn =>
  mk((is64 ? CLASS.ALU64 : CLASS.ALU) | op | SRC.K, dst, 0, off, imm);

/** 64-bit register copy. */
export const mov64 = (dst: number, src: number): Insn => aluX(true, ALU.MOV, dst, src);
/** 32-bit register copy: keeps the low half and zeroes the upper half. */
export const mov32 = (dst: number, src: number): Insn => aluX(false, ALU.MOV, dst, src);
/** Sign-extending move (cpu v4): the low `bits` bits of src into a 64-bit (or 32-bit) dst. */
export const movsx = (is64: boolean, dst: number, src: number, bits: 8 | 16 | 32): Insn => aluX(is64, ALU.MOV, dst, src, bits);
export const neg = (is64: boolean, dst: number): Insn => aluK(is64, ALU.NEG, dst, 0);
/** Host (little-endian) to big-endian conversion of the low `bits` bits, zero-extending. */
export const toBe = (dst: number, bits: 16 | 32 | 64): Insn => mk(CLASS.ALU | ALU.END | END_TO_BE, dst, 0, 0, bits);

export const ldx = (width: number, dst: number, src: number, off: number): Insn =>
  mk(CLASS.LDX | MODE.MEM | sizeCode(width), dst, src, off, 0);
export const stx = (width: number, dst: number, src: number, off: number): Insn =>
  mk(CLASS.STX | MODE.MEM | sizeCode(width), dst, src, off, 0);
export const st = (width: number, dst: number, off: number, imm: number): Insn =>
  mk(CLASS.ST | MODE.MEM | sizeCode(width), dst, 0, off, imm);
/** Atomic `*(dst + off) += src` (imm 0 = BPF_ADD without fetch). */
export const atomicAdd = (width: 4 | 8, dst: number, src: number, off: number): Insn =>
  mk(CLASS.STX | MODE.ATOMIC | sizeCode(width), dst, src, off, 0);

export function ldImm64(dst: number, value: bigint, reloc?: InsnReloc): Insn {
  const i = mk(LD_IMM64, dst, 0, 0, 0);
  i.imm64 = BigInt.asIntN(64, value);
  i.imm = Number(BigInt.asIntN(32, value));
  if (reloc) i.reloc = reloc;
  return i;
}

export const jmpX = (is64: boolean, op: number, dst: number, src: number, off = 0): Insn =>
  mk((is64 ? CLASS.JMP : CLASS.JMP32) | op | SRC.X, dst, src, off, 0);
export const jmpK = (is64: boolean, op: number, dst: number, imm: number, off = 0): Insn =>
  mk((is64 ? CLASS.JMP : CLASS.JMP32) | op | SRC.K, dst, 0, off, imm);
export const ja = (off = 0): Insn => mk(CLASS.JMP | JMP.JA, 0, 0, off, 0);
export const callHelper = (id: number): Insn => mk(CALL, 0, 0, 0, id);
export const exit = (): Insn => mk(EXIT);

export const isJa = (i: Insn): boolean => i.opcode === (CLASS.JMP | JMP.JA);
export const isExit = (i: Insn): boolean => i.opcode === EXIT;
export const isCondJump = (i: Insn): boolean => {
  const cls = i.opcode & 0x07;
  const op = i.opcode & 0xf0;
  return (cls === CLASS.JMP || cls === CLASS.JMP32) && op !== JMP.JA && op !== JMP.CALL && op !== JMP.EXIT;
};

/** The condition that holds exactly when `op` does not, or undefined (JSET has none). */
export function invertJmpOp(op: number): number | undefined {
  switch (op) {
    case JMP.JEQ:
      return JMP.JNE;
    case JMP.JNE:
      return JMP.JEQ;
    case JMP.JGT:
      return JMP.JLE;
    case JMP.JLE:
      return JMP.JGT;
    case JMP.JGE:
      return JMP.JLT;
    case JMP.JLT:
      return JMP.JGE;
    case JMP.JSGT:
      return JMP.JSLE;
    case JMP.JSLE:
      return JMP.JSGT;
    case JMP.JSGE:
      return JMP.JSLT;
    case JMP.JSLT:
      return JMP.JSGE;
    default:
      return undefined;
  }
}

export const S32_MIN = -(2n ** 31n);
export const S32_MAX = 2n ** 31n - 1n;
/** Whether a 64-bit value (taken modulo 2^64, as signed) is what a sign-extended s32 imm gives. */
export const fitsS32 = (v: bigint): boolean => {
  const s = BigInt.asIntN(64, v);
  return s >= S32_MIN && s <= S32_MAX;
};
export const fitsS16 = (n: number): boolean => Number.isInteger(n) && n >= -32768 && n <= 32767;
/** The s32 imm field for a 32-bit operation: any 32-bit pattern. */
export const imm32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
