// ObjectModel -> ELF relocatable bytes that libbpf 1.x loads: one executable section per program
// section name (programs sharing a name share the section), `.text` for subprograms, `.rodata`
// (PROGBITS, A), `.data` (PROGBITS, WA) and `.bss` (NOBITS, WA) for globals, `license`, `.maps`,
// `.BTF` (FUNCs, map types, global VARs and DATASECs) and `.BTF.ext` (func_info, line_info), plus
// symbols (GLOBAL STT_OBJECT per map and per global variable) and REL relocations derived from
// `Insn.reloc` (a "map" reloc may name a map or a global variable).

import type { Insn } from "../isa/insn.js";
import { encode } from "../isa/encode.js";
import { CALL, LD_IMM64, PSEUDO_CALL, PSEUDO_FUNC } from "../isa/opcodes.js";
import type { ObjectModel, ProgramCode } from "../object/model.js";
import { BTF_LINKAGE, BtfBuilder } from "./btf-builder.js";
import { buildBtfExt, type ExtFunction } from "./btf-ext.js";
import { ElfBuilder, SHF, SHT, STB, STT, STV, type SymbolRef } from "./elf-writer.js";
import { addMapsBtf } from "./maps-btf.js";
import { layoutGlobals } from "../object/globals.js";
import { addCoreRelos, type PlacedCoreRelo } from "./core-btf.js";

export const R_BPF_64_64 = 1;
/** Data relocation: a 64-bit absolute address (program-array slots in `.maps`). */
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_32 = 10;

const TEXT = ".text";
const CODE_FLAGS = SHF.ALLOC | SHF.EXECINSTR;

interface PlacedFunction {
  code: ProgramCode;
  section: string;
  byteOffset: number;
  byteSize: number;
  isProgram: boolean;
}

interface PendingReloc {
  section: string;
  offset: number;
  kind: "map" | "call" | "func";
  symbol: string;
}

export function writeObject(model: ObjectModel): Uint8Array {
  checkNames(model);

  // Group functions by ELF section, keeping the order in which sections first appear.
  const sections = new Map<string, { fn: ProgramCode; isProgram: boolean }[]>();
  const addTo = (sec: string, fn: ProgramCode, isProgram: boolean) => {
    let list = sections.get(sec);
    if (!list) sections.set(sec, (list = []));
    list.push({ fn, isProgram });
  };
  for (const s of model.subprograms) addTo(TEXT, s, false);
  for (const p of model.programs) {
    if (!p.section || p.section === TEXT || p.section.startsWith(".")) {
      throw new Error(`program '${p.name}' needs a program section name, not '${p.section}'`);
    }
    addTo(p.section, p, true);
  }

  // Encode each section, placing functions back to back and collecting relocations.
  const placed: PlacedFunction[] = [];
  const relocs: PendingReloc[] = [];
  const coreRelos: PlacedCoreRelo[] = [];
  const sectionBytes = new Map<string, Uint8Array>();
  for (const [sec, fns] of sections) {
    const parts: Uint8Array[] = [];
    let pos = 0;
    for (const { fn, isProgram } of fns) {
      if (fn.insns.length === 0) throw new Error(`function '${fn.name}' has no instructions`);
      const insns = fn.insns.map((i) => fixupInsn(i, fn.name));
      let at = pos;
      for (const i of insns) {
        if (i.reloc?.kind === "core") coreRelos.push({ section: sec, byteOffset: at, relo: i.reloc.relo });
        else if (i.reloc) relocs.push({ section: sec, offset: at, kind: i.reloc.kind, symbol: i.reloc.symbol });
        at += i.opcode === LD_IMM64 ? 16 : 8;
      }
      const bytes = encode(insns);
      parts.push(bytes);
      placed.push({ code: fn, section: sec, byteOffset: pos, byteSize: bytes.length, isProgram });
      pos += bytes.length;
    }
    sectionBytes.set(sec, concat(parts, pos));
  }

  // BTF: map definitions, one FUNC per function, then func_info/line_info (which add strings).
  const btf = new BtfBuilder();
  const maps = addMapsBtf(btf, model.maps);
  // Global data: a VAR (linkage 1) per variable and a DATASEC per section, final sizes and offsets.
  const globalSecs = layoutGlobals(model.globals ?? []);
  for (const gs of globalSecs) {
    const vars = gs.vars.map((p) => ({
      type: btf.addVar(p.v.name, btf.addCType(p.v.type), p.v.static ? BTF_LINKAGE.STATIC : BTF_LINKAGE.GLOBAL),
      offset: p.offset,
      size: p.size,
    }));
    btf.addDatasec(gs.name, gs.data.length, vars);
  }
  const ext: ExtFunction[] = placed.map((p) => ({
    section: p.section,
    byteOffset: p.byteOffset,
    funcTypeId: addFuncBtf(btf, p.code, p.isProgram),
    insns: p.code.insns,
    lines: p.code.lines,
  }));
  const core = addCoreRelos(btf, coreRelos);
  const btfExt = placed.length ? buildBtfExt(btf, ext, model.sourcePath, model.sourceLines, model.sources, core) : null;
  const btfBytes = btf.serialize();

  // ELF sections.
  const elf = new ElfBuilder();
  const sectionIndex = new Map<string, number>();
  for (const [sec, data] of sectionBytes) {
    sectionIndex.set(sec, elf.addSection({ name: sec, type: SHT.PROGBITS, flags: CODE_FLAGS, data, align: 8 }));
  }
  const globalIndex = new Map<string, number>();
  for (const gs of globalSecs) {
    const flags = gs.name === ".rodata" ? SHF.ALLOC : SHF.ALLOC | SHF.WRITE;
    const type = gs.name === ".bss" ? SHT.NOBITS : SHT.PROGBITS;
    globalIndex.set(gs.name, elf.addSection({ name: gs.name, type, flags, data: gs.data, align: gs.align }));
  }
  const license = new TextEncoder().encode(model.license + "\0");
  elf.addSection({ name: "license", type: SHT.PROGBITS, flags: SHF.WRITE | SHF.ALLOC, data: license, align: 1 });
  const mapsIndex = maps.symbols.length
    ? elf.addSection({ name: ".maps", type: SHT.PROGBITS, flags: SHF.WRITE | SHF.ALLOC, data: maps.data, align: 8 })
    : 0;
  elf.addSection({ name: ".BTF", type: SHT.PROGBITS, flags: 0, data: btfBytes, align: 4 });
  if (btfExt) elf.addSection({ name: ".BTF.ext", type: SHT.PROGBITS, flags: 0, data: btfExt, align: 4 });

  // Symbols: programs are GLOBAL FUNCs; subprograms GLOBAL+HIDDEN FUNCs (static for the verifier,
  // yet usable as function-pointer targets); maps GLOBAL OBJECTs in .maps.
  const funcSyms = new Map<string, { ref: SymbolRef; isProgram: boolean }>();
  for (const p of placed) {
    const ref = elf.addSymbol({
      name: p.code.name,
      bind: STB.GLOBAL,
      type: STT.FUNC,
      shndx: sectionIndex.get(p.section)!,
      value: p.byteOffset,
      size: p.byteSize,
      // libbpf turns a hidden global function static; a `@global` subprogram must stay visible.
      visibility: p.isProgram || p.code.global ? STV.DEFAULT : STV.HIDDEN,
    });
    funcSyms.set(p.code.name, { ref, isProgram: p.isProgram });
  }
  const mapSyms = new Map<string, SymbolRef>();
  for (const m of maps.symbols) {
    mapSyms.set(
      m.name,
      elf.addSymbol({ name: m.name, bind: STB.GLOBAL, type: STT.OBJECT, shndx: mapsIndex, value: m.offset, size: m.size }),
    );
  }

  for (const gs of globalSecs) {
    for (const p of gs.vars) {
      const shndx = globalIndex.get(gs.name)!;
      const bind = p.v.static ? STB.LOCAL : STB.GLOBAL;
      mapSyms.set(p.v.name, elf.addSymbol({ name: p.v.name, bind, type: STT.OBJECT, shndx, value: p.offset, size: p.size }));
    }
  }

  for (const s of maps.slotRelocs) {
    if (s.kind === "map") {
      const m = mapSyms.get(s.target);
      if (!m) throw new Error(`map-of-maps slot names '${s.target}', which is not a map`);
      elf.addRelocation(mapsIndex, { offset: s.offset, symbol: m, type: R_BPF_64_ABS64 });
      continue;
    }
    const f = funcSyms.get(s.target);
    if (!f?.isProgram) throw new Error(`program array slot names '${s.target}', which is not a program`);
    elf.addRelocation(mapsIndex, { offset: s.offset, symbol: f.ref, type: R_BPF_64_ABS64 });
  }

  for (const r of relocs) {
    const target = sectionIndex.get(r.section)!;
    if (r.kind === "map") {
      const sym = mapSyms.get(r.symbol);
      if (!sym) throw new Error(`relocation against unknown map '${r.symbol}' (no map or global variable has that name)`);
      elf.addRelocation(target, { offset: r.offset, symbol: sym, type: R_BPF_64_64 });
    } else {
      const f = funcSyms.get(r.symbol);
      if (!f || f.isProgram) throw new Error(`${r.kind} relocation against '${r.symbol}', which is not a subprogram`);
      elf.addRelocation(target, { offset: r.offset, symbol: f.ref, type: r.kind === "call" ? R_BPF_64_32 : R_BPF_64_64 });
    }
  }
  return elf.build();
}

/** The object-file form of a relocated instruction: addends and pseudo sources as libbpf expects. */
function fixupInsn(i: Insn, fnName: string): Insn {
  if (!i.reloc) return i;
  switch (i.reloc.kind) {
    case "call":
      if (i.opcode !== CALL) throw new Error(`${fnName}: call relocation on a non-call instruction`);
      return { ...i, src: PSEUDO_CALL, dst: 0, off: 0, imm: -1 };
    case "map":
      if (i.opcode !== LD_IMM64) throw new Error(`${fnName}: map relocation on a non-ld_imm64 instruction`);
      return { ...i, src: 0 };
    case "func":
      if (i.opcode !== LD_IMM64) throw new Error(`${fnName}: func relocation on a non-ld_imm64 instruction`);
      return { ...i, src: PSEUDO_FUNC, imm: 0, imm64: 0n };
    case "core":
      return i; // the compiled value stays in place; libbpf patches it (.BTF.ext core_relo)
  }
}

/**
 * FUNC + FUNC_PROTO. Programs take `void *ctx` and are global; subprograms are static unless marked
 * global, whose pointer parameters to memory (not the context) are tagged `arg:nonnull`.
 */
function addFuncBtf(btf: BtfBuilder, fn: ProgramCode, isProgram: boolean): number {
  const ret = btf.addCType(fn.ret);
  const params = isProgram
    ? [{ name: "ctx", type: btf.addPtr(0) }]
    : fn.params.map((p, i) => ({ name: p.name || `arg${i}`, type: btf.addCType(p.type) }));
  const proto = btf.addFuncProto(ret, params);
  const id = btf.addFunc(fn.name, proto, isProgram || fn.global ? BTF_LINKAGE.GLOBAL : BTF_LINKAGE.STATIC);
  if (!isProgram && fn.global) {
    fn.params.forEach((p, i) => {
      if (p.nonnull) btf.addDeclTag("arg:nonnull", id, i);
    });
  }
  return id;
}

function checkNames(model: ObjectModel): void {
  const seen = new Set<string>();
  for (const n of [...model.programs, ...model.subprograms, ...model.maps, ...(model.globals ?? [])].map((x) => x.name)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new Error(`'${n}' is not a valid symbol name`);
    if (seen.has(n)) throw new Error(`duplicate symbol '${n}'`);
    seen.add(n);
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let p = 0;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
