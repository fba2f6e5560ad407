// A small reader for ELF64 little-endian relocatable objects (what clang and tsbpf emit for BPF):
// sections, symbols and relocations. Enough for the disassembler and for tests that inspect our
// own output; it is not a general ELF library.

export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4, INFO_LINK: 0x40 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** File contents (empty for NOBITS). A view into the input, not a copy. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  visibility: number;
  shndx: number;
}

export interface ElfReloc {
  /** Byte offset inside the target section. */
  offset: number;
  type: number;
  symIndex: number;
  symbol: ElfSymbol | undefined;
  /** Only for RELA sections. */
  addend?: bigint;
}

export interface ElfFile {
  type: number;
  machine: number;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocations keyed by the index of the section they patch (REL and RELA sections). */
  relocations: Map<number, ElfReloc[]>;
  sectionByName(name: string): ElfSection | undefined;
  /** A symbol's display name: its own, or the section's name for an STT_SECTION symbol. */
  symbolName(sym: ElfSymbol): string;
}

const cstr = (bytes: Uint8Array, off: number): string => {
  let end = off;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(off, end));
};

export function readElf(bytes: Uint8Array): ElfFile {
  const fail = (msg: string): never => {
    throw new Error(`not a readable ELF64 LE object: ${msg}`);
  };
  if (bytes.length < 64) fail(`only ${bytes.length} bytes`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail("bad magic");
  if (bytes[4] !== 2) fail("not ELFCLASS64");
  if (bytes[5] !== 1) fail("not little-endian");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (p: number): number => Number(v.getBigUint64(p, true));
  const type = v.getUint16(16, true);
  const machine = v.getUint16(18, true);
  const shoff = u64(40);
  const shentsize = v.getUint16(58, true);
  const shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  if (shnum > 0 && shentsize !== 64) fail(`e_shentsize ${shentsize}`);
  if (shoff + shnum * 64 > bytes.length) fail("section header table out of bounds");

  const sections: ElfSection[] = [];
  const nameOffs: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * 64;
    const secType = v.getUint32(h + 4, true);
    const offset = u64(h + 24);
    const size = u64(h + 32);
    if (secType !== SHT.NOBITS && secType !== SHT.NULL && offset + size > bytes.length) fail(`section ${i} out of bounds`);
    nameOffs.push(v.getUint32(h, true));
    sections.push({
      index: i,
      name: "",
      type: secType,
      flags: u64(h + 8),
      offset,
      size,
      link: v.getUint32(h + 40, true),
      info: v.getUint32(h + 44, true),
      addralign: u64(h + 48),
      entsize: u64(h + 56),
      data: secType === SHT.NOBITS || secType === SHT.NULL ? new Uint8Array(0) : bytes.subarray(offset, offset + size),
    });
  }
  const shstr = sections[shstrndx]?.data ?? new Uint8Array(0);
  sections.forEach((s, i) => (s.name = cstr(shstr, nameOffs[i] ?? 0)));

  const symbols: ElfSymbol[] = [];
  const symtab = sections.find((s) => s.type === SHT.SYMTAB);
  if (symtab) {
    const strs = sections[symtab.link]?.data ?? new Uint8Array(0);
    for (let p = 0; p + 24 <= symtab.data.length; p += 24) {
      const b = symtab.offset + p;
      const info = v.getUint8(b + 4);
      symbols.push({
        index: p / 24,
        name: cstr(strs, v.getUint32(b, true)),
        bind: info >> 4,
        type: info & 0xf,
        visibility: v.getUint8(b + 5) & 3,
        shndx: v.getUint16(b + 6, true),
        value: u64(b + 8),
        size: u64(b + 16),
      });
    }
  }

  const relocations = new Map<number, ElfReloc[]>();
  for (const s of sections) {
    if (s.type !== SHT.REL && s.type !== SHT.RELA) continue;
    const ent = s.type === SHT.REL ? 16 : 24;
    const list = relocations.get(s.info) ?? [];
    for (let p = 0; p + ent <= s.data.length; p += ent) {
      const b = s.offset + p;
      const rinfo = v.getBigUint64(b + 8, true);
      const symIndex = Number(rinfo >> 32n);
      const r: ElfReloc = { offset: u64(b), type: Number(rinfo & 0xffffffffn), symIndex, symbol: symbols[symIndex] };
      if (s.type === SHT.RELA) r.addend = v.getBigInt64(b + 16, true);
      list.push(r);
    }
    relocations.set(s.info, list);
  }

  return {
    type,
    machine,
    sections,
    symbols,
    relocations,
    sectionByName: (name) => sections.find((s) => s.name === name),
    symbolName: (sym) => (sym.type === STT.SECTION ? (sections[sym.shndx]?.name ?? "") : sym.name),
  };
}
