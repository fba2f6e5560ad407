// Why: typed maps, skeleton checks and `tsbpf inspect` all need to know what a
// map's keys and values look like, and the object's .BTF says exactly that. This
// is a small, pure reader of the BTF wire format (kinds 1-19), plus helpers that
// find BTF-defined maps and print types the way C would declare them.

import { readElf } from "./read-elf.js";

/** The BTF kinds by name (BTF_KIND_*). */
export const BTF_KINDS = [
  "UNKN",
  "INT",
  "PTR",
  "ARRAY",
  "STRUCT",
  "UNION",
  "ENUM",
  "FWD",
  "TYPEDEF",
  "VOLATILE",
  "CONST",
  "RESTRICT",
  "FUNC",
  "FUNC_PROTO",
  "VAR",
  "DATASEC",
  "FLOAT",
  "DECL_TAG",
  "TYPE_TAG",
  "ENUM64",
] as const;
export type BtfKind = (typeof BTF_KINDS)[number];

/** Thrown for .BTF bytes that do not follow the format. */
export class BtfError extends Error {
  constructor(message: string) {
    super(`invalid BTF: ${message}`);
    this.name = "BtfError";
  }
}

export interface BtfMemberInfo {
  name: string;
  type: number;
  /** Offset of the member in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield width (0: not a bitfield); only with kflag set. */
  bitSize: number;
}

export type BtfType =
  | { id: number; kind: "UNKN"; name: "" }
  | { id: number; kind: "INT"; name: string; size: number; signed: boolean; char: boolean; bool: boolean; bits: number; bitOffset: number }
  | { id: number; kind: "PTR" | "TYPEDEF" | "VOLATILE" | "CONST" | "RESTRICT" | "TYPE_TAG"; name: string; type: number }
  | { id: number; kind: "ARRAY"; name: string; elem: number; index: number; len: number }
  | { id: number; kind: "STRUCT" | "UNION"; name: string; size: number; members: BtfMemberInfo[] }
  | { id: number; kind: "ENUM"; name: string; size: number; signed: boolean; values: { name: string; value: number }[] }
  | { id: number; kind: "ENUM64"; name: string; size: number; signed: boolean; values: { name: string; value: bigint }[] }
  | { id: number; kind: "FWD"; name: string; union: boolean }
  | { id: number; kind: "FUNC"; name: string; type: number; linkage: number }
  | { id: number; kind: "FUNC_PROTO"; name: string; ret: number; params: { name: string; type: number }[] }
  | { id: number; kind: "VAR"; name: string; type: number; linkage: number }
  | { id: number; kind: "DATASEC"; name: string; size: number; vars: { type: number; offset: number; size: number }[] }
  | { id: number; kind: "FLOAT"; name: string; size: number }
  | { id: number; kind: "DECL_TAG"; name: string; type: number; componentIdx: number };

/** A BTF-defined map as described in the `.maps` DATASEC. */
export interface BtfMapDef {
  name: string;
  /** BPF_MAP_TYPE_* (0 if absent). */
  type: number;
  /** Type ids of key and value, 0 when only sizes are given. */
  keyType: number;
  valueType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

const MODIFIERS = new Set<BtfKind>(["TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "TYPE_TAG"]);

export class Btf {
  /** Index = type id; entry 0 is void. */
  readonly types: readonly BtfType[];

  constructor(types: BtfType[]) {
    this.types = types;
  }

  get(id: number): BtfType {
    const t = this.types[id];
    if (!t) throw new BtfError(`type id ${id} out of range (0..${this.types.length - 1})`);
    return t;
  }

  /** Skip typedefs and qualifiers. */
  resolve(id: number): BtfType {
    let t = this.get(id);
    for (let hops = 0; MODIFIERS.has(t.kind); hops++) {
      if (hops > 64) throw new BtfError(`type loop at id ${id}`);
      t = this.get((t as { type: number }).type);
    }
    return t;
  }

  /** Size in bytes of a type (void and functions: 0). */
  sizeOf(id: number): number {
    const t = this.resolve(id);
    switch (t.kind) {
      case "INT":
      case "STRUCT":
      case "UNION":
      case "ENUM":
      case "ENUM64":
      case "DATASEC":
      case "FLOAT":
        return t.size;
      case "PTR":
        return 8;
      case "ARRAY":
        return t.len * this.sizeOf(t.elem);
      case "VAR":
        return this.sizeOf(t.type);
      default:
        return 0;
    }
  }

  /** First type with this kind and name. */
  find(kind: BtfKind, name: string): BtfType | undefined {
    return this.types.find((t) => t.kind === kind && t.name === name);
  }

  /** Map definitions from the `.maps` DATASEC (clang's and tsbpf's layout). */
  mapDefs(): BtfMapDef[] {
    const sec = this.find("DATASEC", ".maps");
    if (sec?.kind !== "DATASEC") return [];
    const out: BtfMapDef[] = [];
    for (const v of sec.vars) {
      const variable = this.get(v.type);
      if (variable.kind !== "VAR") continue;
      const def = this.resolve(variable.type);
      if (def.kind !== "STRUCT") continue;
      const m: BtfMapDef = { name: variable.name, type: 0, keyType: 0, valueType: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
      for (const mem of def.members) {
        const p = this.resolve(mem.type);
        // `__array(values, ...)`: program and map-in-map arrays hold 4-byte fds (libbpf sets value_size 4).
        if (mem.name === "values") m.valueSize = 4;
        if (p.kind !== "PTR") continue;
        const target = this.get(p.type);
        // `__uint(name, N)` is `int (*name)[N]`.
        const uint = target.kind === "ARRAY" ? target.len : 0;
        switch (mem.name) {
          case "type":
            m.type = uint;
            break;
          case "max_entries":
            m.maxEntries = uint;
            break;
          case "map_flags":
            m.flags = uint;
            break;
          case "key_size":
            m.keySize = uint;
            break;
          case "value_size":
            m.valueSize = uint;
            break;
          case "key":
            m.keyType = p.type;
            m.keySize = this.sizeOf(p.type);
            break;
          case "value":
            m.valueType = p.type;
            m.valueSize = this.sizeOf(p.type);
            break;
        }
      }
      out.push(m);
    }
    return out;
  }

  /** How C names the type in a declaration (`struct Counter`, `u32`, `u8 [6]`, `void *`). */
  typeName(id: number): string {
    return declare(this, id, "").trim();
  }

  /** A C-like declaration of the type with id `id` (struct bodies expanded one level). */
  format(id: number): string {
    const t = this.get(id);
    switch (t.kind) {
      case "STRUCT":
      case "UNION": {
        const kw = t.kind === "STRUCT" ? "struct" : "union";
        const lines = t.members.map((m) => {
          const bits = m.bitSize ? ` : ${m.bitSize}` : "";
          return `\t${declare(this, m.type, m.name)}${bits};\t/* offset ${m.bitOffset % 8 === 0 ? m.bitOffset / 8 : `${m.bitOffset} bits`} */`;
        });
        return `${kw}${t.name ? ` ${t.name}` : ""} {\n${lines.join("\n")}${lines.length ? "\n" : ""}};\t/* size ${t.size} */`;
      }
      case "ENUM":
      case "ENUM64":
        return `enum${t.name ? ` ${t.name}` : ""} {\n${t.values.map((v) => `\t${v.name} = ${v.value},`).join("\n")}\n};`;
      case "TYPEDEF":
        return `typedef ${declare(this, t.type, t.name)};`;
      case "FUNC": {
        const proto = this.get(t.type);
        const linkage = ["static ", "", "extern "][t.linkage] ?? "";
        return proto.kind === "FUNC_PROTO"
          ? `${linkage}${declare(this, proto.ret, `${t.name}(${params(this, proto.params)})`)};`
          : `/* func ${t.name} */`;
      }
      case "VAR":
        return `${t.linkage === 0 ? "static " : ""}${declare(this, t.type, t.name)};`;
      case "DATASEC":
        return `SEC("${t.name}") {\n${t.vars
          .map((v) => `\t${this.format(v.type).replace(/;$/, "")};\t/* offset ${v.offset}, size ${v.size} */`)
          .join("\n")}\n};\t/* size ${t.size} */`;
      case "INT":
        return `/* ${t.name}: ${t.size * 8 === t.bits ? "" : `${t.bits}-bit `}${t.bool ? "bool" : t.signed ? "signed" : "unsigned"} integer, ${t.size} byte${t.size === 1 ? "" : "s"} */`;
      case "FWD":
        return `${t.union ? "union" : "struct"} ${t.name};`;
      case "FLOAT":
        return `/* ${t.name}: ${t.size}-byte float */`;
      default:
        return `/* ${t.kind.toLowerCase()} ${this.typeName(id)} */`;
    }
  }
}

function params(btf: Btf, ps: { name: string; type: number }[]): string {
  if (ps.length === 0) return "void";
  return ps.map((p) => (p.type === 0 ? "..." : declare(btf, p.type, p.name).trim())).join(", ");
}

/** C declarator syntax: the type `id` wrapped around `inner` (a name or a nested declarator). */
function declare(btf: Btf, id: number, inner: string, depth = 0): string {
  if (depth > 32) return `/* ... */ ${inner}`;
  const sp = (s: string) => (s ? ` ${s}` : "");
  if (id === 0) return `void${sp(inner)}`;
  const t = btf.get(id);
  switch (t.kind) {
    case "INT":
    case "FLOAT":
    case "TYPEDEF":
      return `${t.name}${sp(inner)}`;
    case "STRUCT":
    case "UNION":
      return `${t.kind === "STRUCT" ? "struct" : "union"} ${t.name || "{...}"}${sp(inner)}`;
    case "ENUM":
    case "ENUM64":
      return `enum ${t.name || "{...}"}${sp(inner)}`;
    case "FWD":
      return `${t.union ? "union" : "struct"} ${t.name}${sp(inner)}`;
    case "PTR": {
      const target = btf.get(t.type);
      const wrapped = target.kind === "ARRAY" || target.kind === "FUNC_PROTO" ? `(*${inner})` : `*${inner}`;
      return declare(btf, t.type, wrapped, depth + 1);
    }
    case "ARRAY":
      return declare(btf, t.elem, `${inner}[${t.len}]`, depth + 1);
    case "CONST":
    case "VOLATILE":
    case "RESTRICT":
      return `${t.kind.toLowerCase()} ${declare(btf, t.type, inner, depth + 1)}`;
    case "TYPE_TAG":
      return declare(btf, t.type, inner, depth + 1);
    case "FUNC_PROTO":
      return declare(btf, t.ret, `${inner}(${params(btf, t.params)})`, depth + 1);
    case "FUNC":
    case "VAR":
      return declare(btf, t.type, inner || t.name, depth + 1);
    case "DATASEC":
      return `SEC("${t.name}")${sp(inner)}`;
    default:
      return `void${sp(inner)}`;
  }
}

/** Parse a .BTF section (little-endian, as every BPF target object is). */
export function parseBtf(bytes: Uint8Array): Btf {
  if (bytes.length < 24) throw new BtfError(`only ${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint16(0, true);
  if (magic === 0x9feb) throw new BtfError("big-endian BTF is not supported");
  if (magic !== 0xeb9f) throw new BtfError(`bad magic 0x${magic.toString(16)}`);
  if (v.getUint8(2) !== 1) throw new BtfError(`unsupported version ${v.getUint8(2)}`);
  const hdrLen = v.getUint32(4, true);
  const typeOff = v.getUint32(8, true);
  const typeLen = v.getUint32(12, true);
  const strOff = v.getUint32(16, true);
  const strLen = v.getUint32(20, true);
  if (hdrLen < 24) throw new BtfError(`header length ${hdrLen}`);
  const typesStart = hdrLen + typeOff;
  const strStart = hdrLen + strOff;
  if (typesStart + typeLen > bytes.length || strStart + strLen > bytes.length) {
    throw new BtfError(`sections run past the end (${bytes.length} bytes)`);
  }
  if (typeLen % 4 !== 0) throw new BtfError(`type section length ${typeLen} is not a multiple of 4`);
  const strings = bytes.subarray(strStart, strStart + strLen);
  const decoder = new TextDecoder();
  const str = (off: number): string => {
    if (off >= strings.length) throw new BtfError(`string offset ${off} out of range`);
    let end = off;
    while (end < strings.length && strings[end] !== 0) end++;
    return decoder.decode(strings.subarray(off, end));
  };

  const types: BtfType[] = [{ id: 0, kind: "UNKN", name: "" }];
  let p = typesStart;
  const end = typesStart + typeLen;
  const word = (): number => {
    if (p + 4 > end) throw new BtfError(`type ${types.length} is truncated`);
    const w = v.getUint32(p, true);
    p += 4;
    return w;
  };
  while (p < end) {
    const id = types.length;
    const name = str(word());
    const info = word();
    const kindNo = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const sizeOrType = word();
    const kind = BTF_KINDS[kindNo];
    if (!kind || kind === "UNKN") throw new BtfError(`type ${id} has unknown kind ${kindNo}`);
    switch (kind) {
      case "INT": {
        const e = word();
        const enc = (e >>> 24) & 0xf;
        types.push({
          id,
          kind,
          name,
          size: sizeOrType,
          signed: (enc & 1) !== 0,
          char: (enc & 2) !== 0,
          bool: (enc & 4) !== 0,
          bits: e & 0xff,
          bitOffset: (e >>> 16) & 0xff,
        });
        break;
      }
      case "PTR":
      case "TYPEDEF":
      case "VOLATILE":
      case "CONST":
      case "RESTRICT":
      case "TYPE_TAG":
        types.push({ id, kind, name, type: sizeOrType });
        break;
      case "ARRAY": {
        const elem = word();
        const index = word();
        const len = word();
        types.push({ id, kind, name, elem, index, len });
        break;
      }
      case "STRUCT":
      case "UNION": {
        const members: BtfMemberInfo[] = [];
        for (let i = 0; i < vlen; i++) {
          const mname = str(word());
          const type = word();
          const off = word();
          members.push(
            kflag
              ? { name: mname, type, bitOffset: off & 0xffffff, bitSize: off >>> 24 }
              : { name: mname, type, bitOffset: off, bitSize: 0 },
          );
        }
        types.push({ id, kind, name, size: sizeOrType, members });
        break;
      }
      case "ENUM": {
        const values: { name: string; value: number }[] = [];
        for (let i = 0; i < vlen; i++) {
          const vname = str(word());
          const raw = word();
          values.push({ name: vname, value: kflag ? raw | 0 : raw });
        }
        types.push({ id, kind, name, size: sizeOrType, signed: kflag, values });
        break;
      }
      case "ENUM64": {
        const values: { name: string; value: bigint }[] = [];
        for (let i = 0; i < vlen; i++) {
          const vname = str(word());
          const lo = BigInt(word());
          const hi = BigInt(word());
          const u = (hi << 32n) | lo;
          values.push({ name: vname, value: kflag ? BigInt.asIntN(64, u) : u });
        }
        types.push({ id, kind, name, size: sizeOrType, signed: kflag, values });
        break;
      }
      case "FWD":
        types.push({ id, kind, name, union: kflag });
        break;
      case "FUNC":
        types.push({ id, kind, name, type: sizeOrType, linkage: vlen });
        break;
      case "FUNC_PROTO": {
        const ps: { name: string; type: number }[] = [];
        for (let i = 0; i < vlen; i++) ps.push({ name: str(word()), type: word() });
        types.push({ id, kind, name, ret: sizeOrType, params: ps });
        break;
      }
      case "VAR":
        types.push({ id, kind, name, type: sizeOrType, linkage: word() });
        break;
      case "DATASEC": {
        const vars: { type: number; offset: number; size: number }[] = [];
        for (let i = 0; i < vlen; i++) vars.push({ type: word(), offset: word(), size: word() });
        types.push({ id, kind, name, size: sizeOrType, vars });
        break;
      }
      case "FLOAT":
        types.push({ id, kind, name, size: sizeOrType });
        break;
      case "DECL_TAG":
        types.push({ id, kind, name, type: sizeOrType, componentIdx: word() | 0 });
        break;
    }
  }
  const btf = new Btf(types);
  // References must point at existing types, so later walks cannot run off the table.
  const check = (from: number, to: number) => {
    if (to >= types.length) throw new BtfError(`type ${from} refers to missing type ${to}`);
  };
  for (const t of types) {
    switch (t.kind) {
      case "ARRAY":
        check(t.id, t.elem);
        check(t.id, t.index);
        break;
      case "STRUCT":
      case "UNION":
        for (const m of t.members) check(t.id, m.type);
        break;
      case "FUNC_PROTO":
        check(t.id, t.ret);
        for (const q of t.params) check(t.id, q.type);
        break;
      case "DATASEC":
        for (const q of t.vars) check(t.id, q.type);
        break;
      case "UNKN":
      case "INT":
      case "ENUM":
      case "ENUM64":
      case "FWD":
      case "FLOAT":
        break;
      default:
        check(t.id, t.type);
    }
  }
  return btf;
}

/** The .BTF of an ELF object's bytes, or null when it has none. Throws on a corrupt ELF or BTF. */
export function readObjectBtf(elfBytes: Uint8Array): Btf | null {
  const sec = readElf(elfBytes).sectionByName(".BTF");
  return sec ? parseBtf(sec.data) : null;
}
