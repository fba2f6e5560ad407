// Field constants of the eBPF opcode byte (RFC 9669). The per-instruction table that drives the
// decoder and disassembler lives in table.ts; this file only names the bits.

export const CLASS = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
export const SRC = { K: 0x00, X: 0x08 } as const;
export const SIZE = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export const MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

export const ALU = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

export const JMP = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;

/** END with SRC.X means "to big-endian" (htobe), SRC.K "to little-endian". */
export const END_TO_BE = 0x08;

export const PSEUDO_CALL = 1;
export const PSEUDO_FUNC = 4;

export const sizeBytes = (size: number): 1 | 2 | 4 | 8 => (size === SIZE.B ? 1 : size === SIZE.H ? 2 : size === SIZE.W ? 4 : 8);
export const sizeCode = (bytes: number): number => (bytes === 1 ? SIZE.B : bytes === 2 ? SIZE.H : bytes === 4 ? SIZE.W : SIZE.DW);

export const LD_IMM64 = CLASS.LD | MODE.IMM | SIZE.DW; // 0x18
export const CALL = CLASS.JMP | JMP.CALL; // 0x85
export const EXIT = CLASS.JMP | JMP.EXIT; // 0x95
