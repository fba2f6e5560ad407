// `tsbpf inspect <file.o>`: what an eBPF object contains, without loading it: sections, programs
// with instruction counts, BTF-defined maps with key/value types and sizes, the license, and the
// BTF types printed as C declarations. Works on tsbpf's and clang's objects alike.

import { readFileSync } from "node:fs";
import { type Btf, BtfError, parseBtf } from "../../common/btf-reader.js";
import { MAP_KINDS } from "../../common/map-kinds.js";
import { layoutFromBtf, tsTypeOf } from "../../runtime/codec.js";
import { decodeAt } from "../isa/decode.js";
import { readElf, SHF, SHT, STB, STT, type ElfFile } from "../../common/read-elf.js";

export const EM_BPF = 247;

/** BPF_MAP_TYPE_* names by number. */
export const MAP_TYPE_NAMES: readonly string[] = MAP_KINDS.map((k) => k.name);

const SECTION_TYPES: Record<number, string> = { 0: "NULL", 1: "PROGBITS", 2: "SYMTAB", 3: "STRTAB", 4: "RELA", 8: "NOBITS", 9: "REL" };

export interface InspectedProgram {
  name: string;
  section: string;
  /** Instructions (an ld_imm64 counts once). */
  insns: number;
  /** 8-byte instruction slots. */
  slots: number;
  /** A bpf-to-bpf callee in .text rather than an entry point. */
  subprogram: boolean;
}

export interface InspectedMap {
  name: string;
  type: number;
  typeName: string;
  keySize: number;
  valueSize: number;
  /** C spelling of the key/value types ("" when only sizes are declared). */
  keyType: string;
  valueType: string;
  /** The user-space (TypedMap) shapes. */
  keyTs: string;
  valueTs: string;
  maxEntries: number;
  flags: number;
}

export interface ObjectInfo {
  sections: { index: number; name: string; type: string; size: number; flags: string }[];
  programs: InspectedProgram[];
  maps: InspectedMap[];
  license?: string;
  btf: Btf | null;
}

/** Everything `tsbpf inspect` prints, as data. Throws on a corrupt ELF (readElf's message) or BTF. */
export function inspectObject(bytes: Uint8Array): ObjectInfo {
  const elf = readElf(bytes);
  if (elf.machine !== EM_BPF) throw new Error(`not an eBPF object (ELF machine ${elf.machine}, expected ${EM_BPF})`);
  const btfSec = elf.sectionByName(".BTF");
  const btf = btfSec ? parseBtf(btfSec.data) : null;
  const licenseSec = elf.sectionByName("license");
  const license = licenseSec ? new TextDecoder().decode(licenseSec.data).replace(/\0.*$/s, "") : undefined;
  return {
    sections: elf.sections
      .filter((s) => s.index !== 0)
      .map((s) => ({
        index: s.index,
        name: s.name,
        type: SECTION_TYPES[s.type] ?? `0x${s.type.toString(16)}`,
        size: s.size,
        flags: flagText(s.flags),
      })),
    programs: programsOf(elf),
    maps: btf ? mapsOf(btf) : [],
    license,
    btf,
  };
}

function flagText(f: number): string {
  return (f & SHF.WRITE ? "W" : "") + (f & SHF.ALLOC ? "A" : "") + (f & SHF.EXECINSTR ? "X" : "") + (f & SHF.INFO_LINK ? "I" : "");
}

function programsOf(elf: ElfFile): InspectedProgram[] {
  const out: InspectedProgram[] = [];
  for (const sec of elf.sections) {
    if (sec.type !== SHT.PROGBITS || !(sec.flags & SHF.EXECINSTR) || sec.size === 0) continue;
    const funcs = elf.symbols.filter((s) => s.shndx === sec.index && s.type === STT.FUNC).sort((a, b) => a.value - b.value);
    const entries = funcs.length ? funcs : [{ name: sec.name, value: 0, size: sec.size, bind: STB.GLOBAL }];
    entries.forEach((f, i) => {
      const end = f.size > 0 ? f.value + f.size : (entries[i + 1]?.value ?? sec.size);
      let insns = 0;
      for (let p = f.value; p < end && p < sec.data.length; ) {
        p += decodeAt(sec.data, p).size;
        insns++;
      }
      out.push({ name: f.name, section: sec.name, insns, slots: Math.floor((end - f.value) / 8), subprogram: sec.name === ".text" });
    });
  }
  return out;
}

function mapsOf(btf: Btf): InspectedMap[] {
  return btf.mapDefs().map((m) => {
    const ts = (id: number, size: number) => (id ? tsTypeOf(layoutFromBtf(btf, id)) : size ? "Uint8Array" : "");
    return {
      name: m.name,
      type: m.type,
      typeName: MAP_TYPE_NAMES[m.type] ?? `type ${m.type}`,
      keySize: m.keySize,
      valueSize: m.valueSize,
      keyType: m.keyType ? btf.typeName(m.keyType) : "",
      valueType: m.valueType ? btf.typeName(m.valueType) : "",
      keyTs: ts(m.keyType, m.keySize),
      valueTs: ts(m.valueType, m.valueSize),
      maxEntries: m.maxEntries,
      flags: m.flags,
    };
  });
}

/** The BTF as C declarations: typedefs, structs, unions, enums, functions, variables and sections. */
export function formatBtfTypes(btf: Btf): string {
  const lines: string[] = [];
  const mapStructs = new Set<number>();
  const maps = btf.find("DATASEC", ".maps");
  if (maps?.kind === "DATASEC") {
    for (const v of maps.vars) {
      const variable = btf.get(v.type);
      if (variable.kind === "VAR") mapStructs.add(variable.type);
    }
  }
  for (const t of btf.types) {
    if (t.id === 0) continue;
    let text: string | null = null;
    switch (t.kind) {
      case "STRUCT":
      case "UNION":
        if (mapStructs.has(t.id)) continue; // printed with the .maps section below
        text = btf.format(t.id);
        break;
      case "TYPEDEF":
      case "ENUM":
      case "ENUM64":
      case "FUNC":
      case "FWD":
        text = btf.format(t.id);
        break;
      case "DATASEC":
        text =
          t.name === ".maps"
            ? t.vars
                .map((v) => {
                  const variable = btf.get(v.type);
                  if (variable.kind !== "VAR") return btf.format(v.type);
                  const body = btf
                    .format(variable.type)
                    .replace(/\t\/\* size \d+ \*\/$/, "")
                    .replace(/;$/, "");
                  return `${body} ${variable.name} SEC(".maps");`;
                })
                .join("\n")
            : btf.format(t.id);
        break;
      default:
        continue;
    }
    lines.push(`/* [${t.id}] */ ${text}`);
  }
  return lines.join("\n");
}

/** The full `tsbpf inspect` text. */
export function formatInspection(info: ObjectInfo, fileName?: string): string {
  const out: string[] = [];
  if (fileName !== undefined) out.push(`${fileName}: eBPF relocatable object`, "");
  out.push("Sections:");
  const w = Math.max(4, ...info.sections.map((s) => s.name.length));
  out.push(`  ${"[Nr]".padEnd(5)} ${"Name".padEnd(w)}  ${"Type".padEnd(8)}  ${"Size".padStart(6)}  Flags`);
  for (const s of info.sections) {
    out.push(`  ${`[${s.index}]`.padEnd(5)} ${s.name.padEnd(w)}  ${s.type.padEnd(8)}  ${String(s.size).padStart(6)}  ${s.flags}`);
  }
  out.push("", `Programs (${info.programs.length}):`);
  for (const p of info.programs) {
    const slots = p.slots !== p.insns ? ` (${p.slots} slots)` : "";
    out.push(`  ${p.name}  section ${p.section}${p.subprogram ? " (subprogram)" : ""}  ${p.insns} instructions${slots}`);
  }
  out.push("", `Maps (${info.maps.length}):`);
  for (const m of info.maps) {
    const kv = (type: string, size: number) => (type ? `${type} (${size} bytes)` : `${size} bytes`);
    const shape = m.keySize || m.valueSize ? `  key ${kv(m.keyType, m.keySize)}  value ${kv(m.valueType, m.valueSize)}` : "";
    out.push(`  ${m.name}  ${m.typeName}${shape}  max_entries ${m.maxEntries}${m.flags ? `  flags 0x${m.flags.toString(16)}` : ""}`);
    if (m.keyTs || m.valueTs) out.push(`      user space: key ${m.keyTs || "-"}, value ${m.valueTs || "-"}`);
  }
  if (info.license !== undefined) out.push("", `License: ${info.license}`);
  out.push("");
  if (info.btf) {
    out.push(`BTF (${info.btf.types.length - 1} types):`);
    const text = formatBtfTypes(info.btf);
    if (text) out.push(text);
  } else {
    out.push("BTF: none");
  }
  return out.join("\n") + "\n";
}

const INSPECT_USAGE = "usage: tsbpf inspect <file.o>";

/**
 * `tsbpf inspect <file.o>`. Exit codes: 0 printed; 1 the file is missing, unreadable, not an ELF
 * eBPF object or has corrupt BTF (one `error: <file>: <reason>` line on stderr); 2 bad usage.
 */
export function inspectCommand(args: string[]): number {
  if (args.length !== 1 || args[0]!.startsWith("-")) {
    process.stderr.write(`${INSPECT_USAGE}\n`);
    return 2;
  }
  const file = args[0]!;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (e as Error).message;
    process.stderr.write(`error: cannot read ${file}: ${why}\n`);
    return 1;
  }
  let info: ObjectInfo;
  try {
    info = inspectObject(bytes);
  } catch (e) {
    // Our own checks say what is wrong; anything else thrown while reading means bytes out of place.
    const msg = (e as Error).message;
    const known = e instanceof BtfError || /^not (a readable ELF|an eBPF)/.test(msg);
    process.stderr.write(`error: ${file}: ${known ? msg : `corrupt object (${msg})`}\n`);
    return 1;
  }
  process.stdout.write(formatInspection(info, file));
  return 0;
}
