// bytes -> Insn[] (little-endian). Every instruction is validated against the form table so a
// malformed program fails loudly at a known byte offset instead of confusing later stages.

import type { Insn } from "./insn.js";
import { LD_IMM64 } from "./opcodes.js";
import { explainMismatch, matchForm } from "./table.js";

export type DecodeResult = { insn: Insn; size: 8 | 16 } | { error: string; size: 8 };

/** Decode the instruction at `byteOffset` without throwing (the object disassembler needs this). */
export function decodeAt(bytes: Uint8Array, byteOffset: number): DecodeResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const p = byteOffset;
  if (p + 8 > bytes.length) return { error: `truncated instruction (${bytes.length - p} bytes left)`, size: 8 };
  const opcode = view.getUint8(p);
  const regs = view.getUint8(p + 1);
  const insn: Insn = { opcode, dst: regs & 0xf, src: regs >> 4, off: view.getInt16(p + 2, true), imm: view.getInt32(p + 4, true) };
  if (!matchForm(insn)) return { error: explainMismatch(insn), size: 8 };
  if (opcode !== LD_IMM64) return { insn, size: 8 };
  if (p + 16 > bytes.length) return { error: "ld_imm64 is missing its second slot", size: 8 };
  if (view.getUint8(p + 8) !== 0 || view.getUint8(p + 9) !== 0 || view.getInt16(p + 10, true) !== 0) {
    return { error: "ld_imm64 second slot must have opcode, registers and offset all zero", size: 8 };
  }
  const lo = BigInt(view.getUint32(p + 4, true));
  const hi = BigInt(view.getUint32(p + 12, true));
  insn.imm64 = BigInt.asIntN(64, (hi << 32n) | lo);
  return { insn, size: 16 };
}

/** Decode a whole instruction stream; throws naming the byte offset of the first bad encoding. */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % 8 !== 0) throw new Error(`eBPF code length ${bytes.length} is not a multiple of 8`);
  const out: Insn[] = [];
  for (let p = 0; p < bytes.length; ) {
    const r = decodeAt(bytes, p);
    if ("error" in r) {
      throw new Error(`invalid eBPF instruction at byte offset ${p} (0x${p.toString(16)}, insn ${p / 8}): ${r.error}`);
    }
    out.push(r.insn);
    p += r.size;
  }
  return out;
}
