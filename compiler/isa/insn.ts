// One eBPF machine instruction, as the back end produces it and the encoder/decoder/disassembler
// consume it. Field meanings follow the kernel's `struct bpf_insn`; `ld_imm64` is one Insn that
// encodes to two 8-byte slots (imm64 holds the full constant).

import type { CoreRelo } from "../object/core-relo.js";

export interface Insn {
  /** The full first byte: operation | source | class. */
  opcode: number;
  dst: number; // 0..10
  src: number; // 0..10, or a pseudo source for call / ld_imm64
  off: number; // signed 16-bit
  imm: number; // signed 32-bit
  /** Only for ld_imm64 (opcode 0x18): the full 64-bit immediate. `imm` is ignored then. */
  imm64?: bigint;
  /** A symbol the linker/loader must patch into this instruction. */
  reloc?: InsnReloc;
  /** Why the back end emitted this instruction (source text or IR), shown by --dump and disasm -S. */
  comment?: string;
}

export type InsnReloc =
  /** ld_imm64 of a map or global-data address: R_BPF_64_64 against `symbol`. */
  | { kind: "map"; symbol: string }
  /** bpf-to-bpf call: R_BPF_64_32 against the callee's FUNC symbol, imm = -1. */
  | { kind: "call"; symbol: string }
  /** ld_imm64 src=4 function address (bpf_loop callbacks): R_BPF_64_64 against a global FUNC. */
  | { kind: "func"; symbol: string }
  /** A CO-RE relocation (.BTF.ext core_relo) on an ALU immediate or a load/store offset. */
  | { kind: "core"; relo: CoreRelo };

/** Number of 8-byte slots an instruction occupies. */
export const insnSlots = (i: Insn): number => (i.opcode === 0x18 ? 2 : 1);
