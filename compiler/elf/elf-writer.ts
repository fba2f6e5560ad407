// Generic ELF64 little-endian relocatable (ET_REL) builder. The BPF object writer describes sections,
// symbols and relocations; this file owns the byte layout: one shared .strtab (section and symbol
// names), one .symtab with locals before globals, and REL sections named ".rel<target>".

export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOBITS: 8, REL: 9 } as const;
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4, INFO_LINK: 0x40 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STV = { DEFAULT: 0, HIDDEN: 2 } as const;

export const EM_BPF = 247;
const ET_REL = 1;
const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

export interface SectionSpec {
  name: string;
  type: number;
  flags: number;
  data: Uint8Array;
  align: number;
  entsize?: number;
  link?: number;
  info?: number;
}

export interface SymbolSpec {
  name: string;
  bind: number;
  type: number;
  /** Section index the symbol lives in (0 = undefined). */
  shndx: number;
  value: number;
  size: number;
  /** st_other: visibility. */
  visibility?: number;
}

/** Opaque handle to a symbol; its final index is only known when the file is built. */
export interface SymbolRef {
  readonly spec: SymbolSpec;
}

export interface Relocation {
  offset: number;
  symbol: SymbolRef;
  type: number;
}

/** Accumulates section and string bytes; `addSection` returns the final section index. */
export class ElfBuilder {
  private readonly sections: SectionSpec[] = [];
  private readonly symbols: SymbolRef[] = [];
  private readonly relocs = new Map<number, Relocation[]>();

  constructor(private readonly machine = EM_BPF) {}

  addSection(spec: SectionSpec): number {
    this.sections.push(spec);
    return this.sections.length; // index 0 is the null section
  }

  addSymbol(spec: SymbolSpec): SymbolRef {
    const ref: SymbolRef = { spec };
    this.symbols.push(ref);
    return ref;
  }

  /** Records a relocation in `.rel<name of target section>`. */
  addRelocation(targetSection: number, rel: Relocation): void {
    if (targetSection < 1 || targetSection > this.sections.length) throw new Error(`bad relocation target section ${targetSection}`);
    let list = this.relocs.get(targetSection);
    if (!list) this.relocs.set(targetSection, (list = []));
    list.push(rel);
  }

  build(): Uint8Array {
    const strtab = new StringTable();
    const all: SectionSpec[] = [...this.sections];
    const userCount = all.length;
    // Final symbol order: null, locals, globals (stable within each group).
    const locals = this.symbols.filter((s) => s.spec.bind === STB.LOCAL);
    const globals = this.symbols.filter((s) => s.spec.bind !== STB.LOCAL);
    const ordered = [...locals, ...globals];
    const symIndex = new Map<SymbolRef, number>(ordered.map((s, i) => [s, i + 1]));

    const relTargets = [...this.relocs.keys()].sort((a, b) => a - b);
    const symtabIndex = userCount + relTargets.length + 1;
    const strtabIndex = symtabIndex + 1;

    for (const target of relTargets) {
      const rels = [...this.relocs.get(target)!].sort((a, b) => a.offset - b.offset);
      const data = new Uint8Array(rels.length * REL_SIZE);
      const v = new DataView(data.buffer);
      rels.forEach((r, i) => {
        const idx = symIndex.get(r.symbol);
        if (idx === undefined) throw new Error(`relocation against unknown symbol ${r.symbol.spec.name}`);
        v.setBigUint64(i * REL_SIZE, BigInt(r.offset), true);
        v.setBigUint64(i * REL_SIZE + 8, (BigInt(idx) << 32n) | BigInt(r.type), true);
      });
      all.push({
        name: `.rel${this.sections[target - 1].name}`,
        type: SHT.REL,
        flags: SHF.INFO_LINK,
        data,
        align: 8,
        entsize: REL_SIZE,
        link: symtabIndex,
        info: target,
      });
    }

    const symData = new Uint8Array((ordered.length + 1) * SYM_SIZE);
    const sv = new DataView(symData.buffer);
    ordered.forEach((ref, i) => {
      const s = ref.spec;
      const p = (i + 1) * SYM_SIZE;
      sv.setUint32(p, s.name ? strtab.add(s.name) : 0, true);
      sv.setUint8(p + 4, ((s.bind & 0xf) << 4) | (s.type & 0xf));
      sv.setUint8(p + 5, s.visibility ?? STV.DEFAULT);
      sv.setUint16(p + 6, s.shndx, true);
      sv.setBigUint64(p + 8, BigInt(s.value), true);
      sv.setBigUint64(p + 16, BigInt(s.size), true);
    });
    all.push({
      name: ".symtab",
      type: SHT.SYMTAB,
      flags: 0,
      data: symData,
      align: 8,
      entsize: SYM_SIZE,
      link: strtabIndex,
      info: locals.length + 1,
    });

    const nameOffs = all.map((s) => strtab.add(s.name));
    const strtabName = strtab.add(".strtab");
    const strData = strtab.bytes();
    all.push({ name: ".strtab", type: SHT.STRTAB, flags: 0, data: strData, align: 1 });
    nameOffs.push(strtabName);

    // Lay out: header, section contents (each aligned), then the section header table.
    let pos = EHDR_SIZE;
    const offsets: number[] = [];
    for (const s of all) {
      pos = alignUp(pos, Math.max(1, s.align));
      offsets.push(pos);
      if (s.type !== SHT.NOBITS) pos += s.data.length;
    }
    const shoff = alignUp(pos, 8);
    const shnum = all.length + 1;
    const out = new Uint8Array(shoff + shnum * SHDR_SIZE);
    const v = new DataView(out.buffer);

    out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
    v.setUint16(16, ET_REL, true);
    v.setUint16(18, this.machine, true);
    v.setUint32(20, 1, true);
    v.setBigUint64(40, BigInt(shoff), true);
    v.setUint16(52, EHDR_SIZE, true);
    v.setUint16(58, SHDR_SIZE, true);
    v.setUint16(60, shnum, true);
    v.setUint16(62, strtabIndex, true);

    all.forEach((s, i) => {
      if (s.type !== SHT.NOBITS) out.set(s.data, offsets[i]);
      const h = shoff + (i + 1) * SHDR_SIZE;
      v.setUint32(h, nameOffs[i], true);
      v.setUint32(h + 4, s.type, true);
      v.setBigUint64(h + 8, BigInt(s.flags), true);
      v.setBigUint64(h + 24, BigInt(offsets[i]), true);
      v.setBigUint64(h + 32, BigInt(s.data.length), true);
      v.setUint32(h + 40, s.link ?? 0, true);
      v.setUint32(h + 44, s.info ?? 0, true);
      v.setBigUint64(h + 48, BigInt(s.align), true);
      v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), true);
    });
    return out;
  }
}

/** NUL-first string table with deduplication. */
class StringTable {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private readonly index = new Map<string, number>([["", 0]]);
  private size = 1;

  add(s: string): number {
    const hit = this.index.get(s);
    if (hit !== undefined) return hit;
    const b = new TextEncoder().encode(s + "\0");
    const off = this.size;
    this.parts.push(b);
    this.size += b.length;
    this.index.set(s, off);
    return off;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let p = 0;
    for (const b of this.parts) {
      out.set(b, p);
      p += b.length;
    }
    return out;
  }
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;
