// .BTF.ext: func_info (one record per function start) and line_info (source line text and position)
// grouped per ELF code section, with BYTE offsets from the section start. Strings (section names,
// file name, line text) go into the .BTF string table, so call this before serialising the BTF.

import { insnSlots, type Insn } from "../isa/insn.js";
import { BTF_MAGIC, type BtfBuilder } from "./btf-builder.js";

export interface ExtFunction {
  /** ELF section holding the function. */
  section: string;
  /** Byte offset of the function's first instruction within its section. */
  byteOffset: number;
  /** BTF FUNC id. */
  funcTypeId: number;
  insns: Insn[];
  /** Instruction index (not slot) -> 1-based line and column. */
  lines: { insn: number; line: number; col: number; file?: string }[];
}

const HDR_LEN = 32;
const FUNC_REC = 8;
const LINE_REC = 16;

type Block = { section: string; records: number[][] };

/** A CO-RE record: instruction byte offset in `section`, local BTF type id, access string, kind. */
export interface ExtCoreRelo {
  section: string;
  byteOffset: number;
  typeId: number;
  access: string;
  kind: number;
}

const CORE_REC = 16;

export function buildBtfExt(
  btf: BtfBuilder,
  fns: ExtFunction[],
  sourcePath: string,
  sourceLines: string[],
  sources: Record<string, { path: string; lines: string[] }> = {},
  core: ExtCoreRelo[] = [],
): Uint8Array {
  const funcBlocks = new Map<string, number[][]>();
  const lineBlocks = new Map<string, number[][]>();
  const fileOff = btf.str(sourcePath);
  const push = (m: Map<string, number[][]>, sec: string, rec: number[]) => {
    let list = m.get(sec);
    if (!list) m.set(sec, (list = []));
    list.push(rec);
  };

  for (const fn of fns) {
    push(funcBlocks, fn.section, [fn.byteOffset, fn.funcTypeId]);
    // Byte offset of each instruction start; an instruction index never lands on slot 2 of ld_imm64.
    const starts: number[] = [];
    let pos = fn.byteOffset;
    for (const i of fn.insns) {
      starts.push(pos);
      pos += insnSlots(i) * 8;
    }
    const lines = fn.lines
      .filter((l) => Number.isInteger(l.insn) && l.insn >= 0 && l.insn < fn.insns.length)
      .sort((a, b) => a.insn - b.insn);
    const chosen: { insn: number; line: number; col: number; file?: string }[] = [];
    for (const l of lines) {
      if (chosen.length && chosen[chosen.length - 1].insn === l.insn) continue;
      chosen.push(l);
    }
    // The kernel wants a line record at every function start.
    if (fn.insns.length && (chosen.length === 0 || chosen[0].insn !== 0)) {
      const first = chosen[0];
      chosen.unshift({ insn: 0, line: first?.line ?? 0, col: first?.col ?? 0, file: first?.file });
    }
    for (const l of chosen) {
      // Code from an imported module names its own file and line text.
      const other = l.file !== undefined ? sources[l.file] : undefined;
      const text = l.line >= 1 ? ((other?.lines ?? sourceLines)[l.line - 1] ?? "") : "";
      const lineCol = ((Math.max(0, l.line) << 10) | (Math.max(0, l.col) & 0x3ff)) >>> 0;
      push(lineBlocks, fn.section, [starts[l.insn], other ? btf.str(other.path) : fileOff, btf.str(text), lineCol]);
    }
  }

  const toBlocks = (m: Map<string, number[][]>): Block[] =>
    [...m].map(([section, records]) => ({ section, records: [...records].sort((a, b) => a[0] - b[0]) }));
  const func = encodeSubsection(btf, FUNC_REC, toBlocks(funcBlocks));
  const line = encodeSubsection(btf, LINE_REC, toBlocks(lineBlocks));
  // struct bpf_core_relo { insn_off, type_id, access_str_off, kind }, grouped per section like the others.
  const coreBlocks = new Map<string, number[][]>();
  for (const c of core) push(coreBlocks, c.section, [c.byteOffset, c.typeId, btf.str(c.access), c.kind]);
  const coreSub = encodeSubsection(btf, CORE_REC, toBlocks(coreBlocks));

  const out = new Uint8Array(HDR_LEN + func.length + line.length + coreSub.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, true);
  v.setUint8(2, 1);
  v.setUint8(3, 0);
  v.setUint32(4, HDR_LEN, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, func.length, true);
  v.setUint32(16, func.length, true);
  v.setUint32(20, line.length, true);
  // The fixed header is 24 bytes; like LLVM we include the optional core_relo off/len -> 32.
  v.setUint32(24, func.length + line.length, true);
  v.setUint32(28, coreSub.length, true);
  out.set(func, HDR_LEN);
  out.set(line, HDR_LEN + func.length);
  out.set(coreSub, HDR_LEN + func.length + line.length);
  return out;
}

/** rec_size, then per section: name offset, count, records. Empty when there are no records. */
function encodeSubsection(btf: BtfBuilder, recSize: number, blocks: Block[]): Uint8Array {
  const nonEmpty = blocks.filter((b) => b.records.length > 0);
  if (nonEmpty.length === 0) return new Uint8Array(0);
  const words: number[] = [recSize];
  for (const b of nonEmpty) {
    words.push(btf.str(b.section), b.records.length);
    for (const r of b.records) words.push(...r);
  }
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return out;
}
