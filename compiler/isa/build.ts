// Small constructors the back end uses to emit instructions, so opcode bit-twiddling lives in one
// place. Every builder returns a plain Insn with signed, normalised off/imm and unused fields zero.

import type { Insn } from "./insn.js";
import { ALU, CLASS, JMP, MODE, PSEUDO_CALL, PSEUDO_FUNC, SRC, sizeCode } from "./opcodes.js";

export type AluOp = "add" | "sub" | "mul" | "div" | "sdiv" | "or" | "and" | "lsh" | "rsh" | "arsh" | "mod" | "smod" | "xor" | "mov";
export type JmpOp = "jeq" | "jne" | "jgt" | "jge" | "jlt" | "jle" | "jsgt" | "jsge" | "jslt" | "jsle" | "jset";
export type Size = 1 | 2 | 4 | 8;
export type AtomicOp = "add" | "or" | "and" | "xor";

const ALU_CODE: Record<AluOp, [number, number]> = {
  add: [ALU.ADD, 0],
  sub: [ALU.SUB, 0],
  mul: [ALU.MUL, 0],
  div: [ALU.DIV, 0],
  sdiv: [ALU.DIV, 1],
  or: [ALU.OR, 0],
  and: [ALU.AND, 0],
  lsh: [ALU.LSH, 0],
  rsh: [ALU.RSH, 0],
  arsh: [ALU.ARSH, 0],
  mod: [ALU.MOD, 0],
  smod: [ALU.MOD, 1],
  xor: [ALU.XOR, 0],
  mov: [ALU.MOV, 0],
};
const JMP_CODE: Record<JmpOp, number> = {
  jeq: JMP.JEQ,
  jne: JMP.JNE,
  jgt: JMP.JGT,
  jge: JMP.JGE,
  jlt: JMP.JLT,
  jle: JMP.JLE,
  jsgt: JMP.JSGT,
  jsge: JMP.JSGE,
  jslt: JMP.JSLT,
  jsle: JMP.JSLE,
  jset: JMP.JSET,
};
const ATOMIC_CODE: Record<AtomicOp, number> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0 };
const BPF_FETCH = 0x01;

const s16 = (v: number): number => (v << 16) >> 16;
const s32 = (v: number): number => v | 0;

export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { opcode, dst, src, off: s16(off), imm: s32(imm) };
}

const aluK =
  (cls: number) =>
  (op: AluOp, dst: number, imm: number): Insn => {
    const [code, off] = ALU_CODE[op];
    return insn(code | SRC.K | cls, dst, 0, off, imm);
  };
const aluX =
  (cls: number) =>
  (op: AluOp, dst: number, src: number): Insn => {
    const [code, off] = ALU_CODE[op];
    return insn(code | SRC.X | cls, dst, src, off, 0);
  };

export const alu64K = aluK(CLASS.ALU64);
export const alu64X = aluX(CLASS.ALU64);
export const alu32K = aluK(CLASS.ALU);
export const alu32X = aluX(CLASS.ALU);
export const mov64K = (dst: number, imm: number): Insn => alu64K("mov", dst, imm);
export const mov64X = (dst: number, src: number): Insn => alu64X("mov", dst, src);
export const mov32K = (dst: number, imm: number): Insn => alu32K("mov", dst, imm);
export const mov32X = (dst: number, src: number): Insn => alu32X("mov", dst, src);
/** dst = (sN)src, sign-extended to 64 bits (v4). */
export const movsx64 = (dst: number, src: number, bits: 8 | 16 | 32): Insn => insn(ALU.MOV | SRC.X | CLASS.ALU64, dst, src, bits, 0);
/** wdst = (sN)wsrc, sign-extended to 32 bits, upper half zeroed (v4). */
export const movsx32 = (dst: number, src: number, bits: 8 | 16): Insn => insn(ALU.MOV | SRC.X | CLASS.ALU, dst, src, bits, 0);
export const neg64 = (dst: number): Insn => insn(ALU.NEG | CLASS.ALU64, dst);
export const neg32 = (dst: number): Insn => insn(ALU.NEG | CLASS.ALU, dst);

/** htobe (toBe) / htole conversion of the low `bits` of dst (d4/dc). */
export const endian = (toBe: boolean, bits: 16 | 32 | 64, dst: number): Insn =>
  insn(ALU.END | (toBe ? SRC.X : SRC.K) | CLASS.ALU, dst, 0, 0, bits);
/** Unconditional byte swap (d7, v4). */
export const bswap = (bits: 16 | 32 | 64, dst: number): Insn => insn(ALU.END | CLASS.ALU64, dst, 0, 0, bits);

export const ldx = (size: Size, dst: number, src: number, off: number): Insn => insn(MODE.MEM | sizeCode(size) | CLASS.LDX, dst, src, off);
/** Sign-extending load (v4); size 1, 2 or 4. */
export const ldxsx = (size: 1 | 2 | 4, dst: number, src: number, off: number): Insn =>
  insn(MODE.MEMSX | sizeCode(size) | CLASS.LDX, dst, src, off);
export const stx = (size: Size, dst: number, src: number, off: number): Insn => insn(MODE.MEM | sizeCode(size) | CLASS.STX, dst, src, off);
export const st = (size: Size, dst: number, off: number, imm: number): Insn => insn(MODE.MEM | sizeCode(size) | CLASS.ST, dst, 0, off, imm);

/** `lock *(uN *)(dst + off) op= src`, or with fetch: src receives the old value. Size 4 or 8. */
export const atomic = (op: AtomicOp, size: 4 | 8, dst: number, src: number, off: number, fetch = false): Insn =>
  insn(MODE.ATOMIC | sizeCode(size) | CLASS.STX, dst, src, off, ATOMIC_CODE[op] | (fetch ? BPF_FETCH : 0));
export const atomicAdd = (size: 4 | 8, dst: number, src: number, off: number): Insn => atomic("add", size, dst, src, off);
export const atomicXchg = (size: 4 | 8, dst: number, src: number, off: number): Insn =>
  insn(MODE.ATOMIC | sizeCode(size) | CLASS.STX, dst, src, off, 0xe1);
/** Compares memory with r0; r0 receives the old value. */
export const atomicCmpxchg = (size: 4 | 8, dst: number, src: number, off: number): Insn =>
  insn(MODE.ATOMIC | sizeCode(size) | CLASS.STX, dst, src, off, 0xf1);

export const jmpK = (op: JmpOp, dst: number, imm: number, off: number): Insn => insn(JMP_CODE[op] | SRC.K | CLASS.JMP, dst, 0, off, imm);
export const jmpX = (op: JmpOp, dst: number, src: number, off: number): Insn => insn(JMP_CODE[op] | SRC.X | CLASS.JMP, dst, src, off);
export const jmp32K = (op: JmpOp, dst: number, imm: number, off: number): Insn =>
  insn(JMP_CODE[op] | SRC.K | CLASS.JMP32, dst, 0, off, imm);
export const jmp32X = (op: JmpOp, dst: number, src: number, off: number): Insn => insn(JMP_CODE[op] | SRC.X | CLASS.JMP32, dst, src, off);
export const ja = (off: number): Insn => insn(JMP.JA | CLASS.JMP, 0, 0, off);
/** 32-bit-offset unconditional jump (v4). */
export const gotol = (imm: number): Insn => insn(JMP.JA | CLASS.JMP32, 0, 0, 0, imm);

export const call = (helperId: number): Insn => insn(JMP.CALL | CLASS.JMP, 0, 0, 0, helperId);
/** bpf-to-bpf call, resolved through an R_BPF_64_32 relocation against `symbol`. */
export const callPseudo = (symbol: string): Insn => ({
  ...insn(JMP.CALL | CLASS.JMP, 0, PSEUDO_CALL, 0, -1),
  reloc: { kind: "call", symbol },
});
/** Kernel function call by BTF id (src=2). */
export const callKfunc = (btfId: number): Insn => insn(JMP.CALL | CLASS.JMP, 0, 2, 0, btfId);
export const exit = (): Insn => insn(JMP.EXIT | CLASS.JMP);

const LDDW = MODE.IMM | 0x18 | CLASS.LD;
/** dst = 64-bit constant (two slots). */
export function ldImm64(dst: number, value: bigint | number): Insn {
  const v = BigInt.asIntN(64, BigInt(value));
  return { opcode: LDDW, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v };
}
/** dst = &map (or global-data section), patched by the loader via R_BPF_64_64 against `symbol`. */
export const ldMap = (dst: number, symbol: string): Insn => ({ ...ldImm64(dst, 0n), reloc: { kind: "map", symbol } });
/** dst = address of a subprogram (bpf_loop callbacks): src=4, R_BPF_64_64 against `symbol`. */
export const ldFunc = (dst: number, symbol: string): Insn => ({ ...ldImm64(dst, 0n), src: PSEUDO_FUNC, reloc: { kind: "func", symbol } });
