// Disassembles every executable section of a BPF ELF object in `llvm-objdump -dr` layout, so
// `tsbpf disasm file.o` output can be diffed against LLVM's and read without LLVM installed.

import { decodeAt } from "../isa/decode.js";
import { formatInsn, hexBytes, pcColumn, relocLine, type FormatOptions } from "../isa/disasm.js";
import { readElf, SHF, SHT, STT, type ElfFile, type ElfSection } from "../../common/read-elf.js";
import { parseBtf, type Btf } from "../../common/btf-reader.js";
import { formatCoreRecord, readCoreRecords, type CoreRecord } from "./read-core-relos.js";

export interface DisasmObjectOptions {
  /** When given, start with llvm-objdump's `<file>:\tfile format elf64-bpf` header. */
  fileName?: string;
  /** Print relocation lines like `llvm-objdump -dr` (default true). */
  relocs?: boolean;
  /** Spell 32-bit loads/stores with wN registers, like `llvm-objdump --mcpu=v3` (default false). */
  alu32?: boolean;
  /** Print the raw instruction bytes (default true). */
  bytes?: boolean;
}

interface Label {
  addr: number;
  name: string;
}

const EM_BPF = 247;

/** Function/other symbols of a section sorted by address; a section-named label at 0 if none is. */
function sectionLabels(elf: ElfFile, sec: ElfSection): Label[] {
  const labels = elf.symbols
    .filter((s) => s.shndx === sec.index && s.index !== 0 && s.type !== STT.SECTION && s.type !== STT.FILE)
    .map((s) => ({ addr: s.value, name: s.name }))
    .sort((a, b) => a.addr - b.addr);
  if (!labels.some((l) => l.addr === 0)) labels.unshift({ addr: 0, name: sec.name });
  return labels;
}

/** `<name>` or `<name+0x18>` for a byte address, from the nearest label at or before it. */
function targetLabel(labels: readonly Label[], addr: number): string | undefined {
  if (addr < 0) return undefined;
  let best: Label | undefined;
  for (const l of labels) if (l.addr <= addr) best = l;
  if (!best) return undefined;
  return best.addr === addr ? best.name : `${best.name}+0x${(addr - best.addr).toString(16)}`;
}

function disassembleSection(
  elf: ElfFile,
  sec: ElfSection,
  opts: DisasmObjectOptions,
  core: { btf: Btf; records: CoreRecord[] } | null,
): string {
  const labels = sectionLabels(elf, sec);
  const relocs = (opts.relocs ?? true) ? (elf.relocations.get(sec.index) ?? []) : [];
  const fmt: FormatOptions = { alu32: opts.alu32, label: (pc) => targetLabel(labels, pc * 8) };
  let out = `\nDisassembly of section ${sec.name}:\n`;
  let li = 0;
  for (let p = 0; p < sec.data.length; ) {
    while (li < labels.length && (labels[li]?.addr ?? 0) <= p) {
      const l = labels[li++] as Label;
      // A label inside an instruction (e.g. the second ld_imm64 slot) is not printed.
      if (l.addr === p) out += `\n${l.addr.toString(16).padStart(16, "0")} <${l.name}>:\n`;
    }
    const r = decodeAt(sec.data, p);
    const size = Math.min(r.size, sec.data.length - p);
    const text = "insn" in r ? formatInsn(r.insn, p / 8, fmt) : "<unknown>";
    const raw = opts.bytes === false ? "" : `${hexBytes(sec.data.subarray(p, p + size))}\t`;
    out += `${pcColumn(Math.floor(p / 8))}${raw}${text}\n`;
    for (const rel of relocs) {
      if (rel.offset >= p && rel.offset < p + size) {
        out += `${relocLine(rel.offset, rel.type, rel.symbol ? elf.symbolName(rel.symbol) : `#${rel.symIndex}`)}\n`;
      }
    }
    for (const c of core?.records ?? []) {
      if (c.section === sec.name && c.insnOff === p) out += `\t\t${p.toString(16).padStart(16, "0")}:  ${formatCoreRecord(core!.btf, c)}\n`;
    }
    p += size;
  }
  return out;
}

/** Text of every non-empty executable section, in section-header order. */
export function disassembleObject(bytes: Uint8Array, opts: DisasmObjectOptions = {}): string {
  const elf = readElf(bytes);
  // An x86 executable decodes as garbage BPF: refuse anything that is not EM_BPF.
  if (elf.machine !== EM_BPF) throw new Error(`not an eBPF object (ELF machine ${elf.machine}, expected ${EM_BPF})`);
  let out = opts.fileName !== undefined ? `\n${opts.fileName}:\tfile format elf64-bpf\n` : "";
  const core = (opts.relocs ?? true) ? coreRecords(elf) : null;
  for (const sec of elf.sections) {
    if (sec.type !== SHT.PROGBITS || !(sec.flags & SHF.EXECINSTR) || sec.size === 0) continue;
    out += disassembleSection(elf, sec, opts, core);
  }
  return out;
}

/** CO-RE records (.BTF.ext) with the object's BTF to name them; null when there are none. */
function coreRecords(elf: ElfFile): { btf: Btf; records: CoreRecord[] } | null {
  const ext = elf.sectionByName(".BTF.ext");
  const btfSec = elf.sectionByName(".BTF");
  if (!ext || !btfSec) return null;
  try {
    const records = readCoreRecords(ext.data, btfSec.data);
    return records.length ? { btf: parseBtf(btfSec.data), records } : null;
  } catch {
    return null; // a malformed .BTF.ext does not stop the listing
  }
}
