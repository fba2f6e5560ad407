// Why: the benchmark counts instructions the same way for both compilers, from the object file
// itself (a program's FUNC symbol size / 8), so this is a deliberately independent, minimal ELF64
// symbol-table reader rather than a reuse of the compiler's own ELF code under test.

export interface FuncSymbol {
  name: string;
  section: string;
  /** Size in bytes; BPF instructions are 8 bytes (a 64-bit immediate load takes two slots). */
  size: number;
}

const SHT_SYMTAB = 2;
const STT_FUNC = 2;
const SHF_EXECINSTR = 0x4;

function cString(bytes: Uint8Array, off: number): string {
  let end = off;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(off, end));
}

/** Function symbols defined in executable sections of a little-endian ELF64 object. */
export function funcSymbols(bytes: Uint8Array): FuncSymbol[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 64 || dv.getUint32(0, false) !== 0x7f454c46) throw new Error("not an ELF file");
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error("not a little-endian ELF64 file");
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);

  const sections = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return {
      nameOff: dv.getUint32(o, true),
      type: dv.getUint32(o + 4, true),
      flags: Number(dv.getBigUint64(o + 8, true)),
      offset: Number(dv.getBigUint64(o + 24, true)),
      size: Number(dv.getBigUint64(o + 32, true)),
      link: dv.getUint32(o + 40, true),
      entsize: Number(dv.getBigUint64(o + 56, true)),
    };
  });
  const shstr = sections[shstrndx];
  if (!shstr) throw new Error("missing section-name string table");
  const sectionName = (i: number): string => cString(bytes, shstr.offset + sections[i]!.nameOff);

  const out: FuncSymbol[] = [];
  for (const symtab of sections) {
    if (symtab.type !== SHT_SYMTAB) continue;
    const strtab = sections[symtab.link];
    if (!strtab) throw new Error("symbol table without a string table");
    const entsize = symtab.entsize || 24;
    for (let o = symtab.offset; o + entsize <= symtab.offset + symtab.size; o += entsize) {
      const info = dv.getUint8(o + 4);
      const shndx = dv.getUint16(o + 6, true);
      const target = sections[shndx];
      if ((info & 0xf) !== STT_FUNC || !target || (target.flags & SHF_EXECINSTR) === 0) continue;
      out.push({
        name: cString(bytes, strtab.offset + dv.getUint32(o, true)),
        section: sectionName(shndx),
        size: Number(dv.getBigUint64(o + 16, true)),
      });
    }
  }
  return out;
}
