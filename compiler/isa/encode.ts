// Insn[] -> bytes (little-endian, 8 bytes a slot; ld_imm64 takes two).

import { insnSlots, type Insn } from "./insn.js";
import { LD_IMM64 } from "./opcodes.js";

export function encode(insns: Insn[]): Uint8Array {
  const slots = insns.reduce((n, i) => n + insnSlots(i), 0);
  const out = new Uint8Array(slots * 8);
  const view = new DataView(out.buffer);
  let p = 0;
  for (const i of insns) {
    view.setUint8(p, i.opcode);
    view.setUint8(p + 1, ((i.src & 0xf) << 4) | (i.dst & 0xf));
    view.setInt16(p + 2, i.off, true);
    if (i.opcode === LD_IMM64) {
      const v = BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm));
      view.setUint32(p + 4, Number(v & 0xffffffffn), true);
      view.setUint32(p + 12, Number(v >> 32n), true);
      p += 16;
    } else {
      view.setInt32(p + 4, i.imm, true);
      p += 8;
    }
  }
  return out;
}
