// Builds a .BTF blob: a deduplicated string table and a list of type records, serialised behind the
// 24-byte header. Identical records get one id. Also maps tsbpf's C-layout CTypes to BTF the way a C
// compiler would describe them (u32 -> TYPEDEF "u32" -> INT "unsigned int").

import { C_INT_NAMES, type CType } from "../../common/ctypes.js";

export const BTF_MAGIC = 0xeb9f;

export const BTF_KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  DECL_TAG: 17,
} as const;

export const BTF_INT_ENC = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;
export const BTF_LINKAGE = { STATIC: 0, GLOBAL: 1 } as const;

export interface BtfMember {
  name: string;
  type: number;
  /** Bit offset within the struct. */
  bitOffset: number;
}

export interface BtfDatasecVar {
  type: number;
  offset: number;
  size: number;
}

const C_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class BtfBuilder {
  private readonly strParts: Uint8Array[] = [new Uint8Array(1)];
  private readonly strIndex = new Map<string, number>([["", 0]]);
  private strSize = 1;
  private readonly records: Uint32Array[] = [];
  private readonly recordIndex = new Map<string, number>();
  private readonly ctypeIds = new Map<CType, number>();

  /** Offset of `s` in the string section, adding it once. */
  str(s: string): number {
    const hit = this.strIndex.get(s);
    if (hit !== undefined) return hit;
    if (s.includes("\0")) throw new Error("BTF strings cannot contain NUL");
    const b = new TextEncoder().encode(s + "\0");
    const off = this.strSize;
    if (off > 0xffffff) throw new Error("BTF string section too large");
    this.strParts.push(b);
    this.strSize += b.length;
    this.strIndex.set(s, off);
    return off;
  }

  /** Number of types added so far (the last id). */
  get typeCount(): number {
    return this.records.length;
  }

  private add(words: number[]): number {
    const key = words.join(",");
    const hit = this.recordIndex.get(key);
    if (hit !== undefined) return hit;
    this.records.push(Uint32Array.from(words.map((w) => w >>> 0)));
    const id = this.records.length;
    if (id > 0xfffff) throw new Error("too many BTF types");
    this.recordIndex.set(key, id);
    return id;
  }

  private static info(kind: number, vlen = 0, kflag = 0): number {
    if (vlen > 0xffff) throw new Error("BTF vlen too large");
    return ((kflag << 31) | (kind << 24) | vlen) >>> 0;
  }

  addInt(name: string, size: number, encoding: number, bits = size * 8): number {
    return this.add([this.str(name), BtfBuilder.info(BTF_KIND.INT), size, (encoding << 24) | bits]);
  }

  addPtr(to: number): number {
    return this.add([0, BtfBuilder.info(BTF_KIND.PTR), to]);
  }

  addArray(elem: number, index: number, nelems: number): number {
    return this.add([0, BtfBuilder.info(BTF_KIND.ARRAY), 0, elem, index, nelems]);
  }

  /** The 4-byte index type clang uses for every array. */
  arrayIndexType(): number {
    return this.addInt("__ARRAY_SIZE_TYPE__", 4, 0, 32);
  }

  addStruct(name: string, size: number, members: BtfMember[]): number {
    const words = [this.str(name), BtfBuilder.info(BTF_KIND.STRUCT, members.length), size];
    for (const m of members) words.push(this.str(m.name), m.type, m.bitOffset);
    return this.add(words);
  }

  /** A struct or union whose members may be bitfields (kflag set: bit size in the offset's top byte). */
  addComposite(kind: "struct" | "union", name: string, size: number, members: (BtfMember & { bitSize?: number })[]): number {
    const kflag = members.some((m) => m.bitSize) ? 1 : 0;
    const words = [this.str(name), BtfBuilder.info(kind === "struct" ? BTF_KIND.STRUCT : BTF_KIND.UNION, members.length, kflag), size];
    for (const m of members) words.push(this.str(m.name), m.type, kflag ? ((m.bitSize ?? 0) << 24) | m.bitOffset : m.bitOffset);
    return this.add(words);
  }

  addEnum(name: string, size: number, signed: boolean, values: { name: string; value: bigint }[]): number {
    const words = [this.str(name), BtfBuilder.info(BTF_KIND.ENUM, values.length, signed ? 1 : 0), size];
    for (const v of values) words.push(this.str(v.name), Number(BigInt.asUintN(32, v.value)));
    return this.add(words);
  }

  addTypedef(name: string, type: number): number {
    return this.add([this.str(name), BtfBuilder.info(BTF_KIND.TYPEDEF), type]);
  }

  addFuncProto(ret: number, params: { name: string; type: number }[]): number {
    const words = [0, BtfBuilder.info(BTF_KIND.FUNC_PROTO, params.length), ret];
    for (const p of params) words.push(this.str(p.name), p.type);
    return this.add(words);
  }

  addFunc(name: string, proto: number, linkage: number): number {
    return this.add([this.str(name), BtfBuilder.info(BTF_KIND.FUNC, linkage), proto]);
  }

  /** A BTF_KIND_DECL_TAG on `type` (component -1: the type itself, else a member or parameter index). */
  addDeclTag(name: string, type: number, component: number): number {
    return this.add([this.str(name), BtfBuilder.info(BTF_KIND.DECL_TAG), type, component >>> 0]);
  }

  addVar(name: string, type: number, linkage: number): number {
    return this.add([this.str(name), BtfBuilder.info(BTF_KIND.VAR), type, linkage]);
  }

  addDatasec(name: string, size: number, vars: BtfDatasecVar[]): number {
    const sorted = [...vars].sort((a, b) => a.offset - b.offset);
    const words = [this.str(name), BtfBuilder.info(BTF_KIND.DATASEC, sorted.length), size];
    for (const v of sorted) words.push(v.type, v.offset, v.size);
    return this.add(words);
  }

  /** BTF id describing `t`; 0 for a null (void) type. */
  addCType(t: CType | null): number {
    if (t === null) return 0;
    const cached = this.ctypeIds.get(t);
    if (cached !== undefined) return cached;
    let id: number;
    switch (t.kind) {
      case "int": {
        const enc = t.name === "bool" ? BTF_INT_ENC.BOOL : t.signed ? BTF_INT_ENC.SIGNED : 0;
        id = this.addTypedef(t.name, this.addInt(C_INT_NAMES[t.name], t.size, enc));
        break;
      }
      case "ptr":
        id = this.addPtr(this.addCType(t.to));
        break;
      case "array":
        id = this.addArray(this.addCType(t.elem), this.arrayIndexType(), t.len);
        break;
      case "struct": {
        const members = t.fields.map((f) => ({ name: f.name, type: this.addCType(f.type), bitOffset: f.offset * 8 }));
        id = this.addStruct(C_IDENT.test(t.name) ? t.name : "", t.size, members);
        break;
      }
    }
    this.ctypeIds.set(t, id);
    return id;
  }

  /** Header + type section + string section. */
  serialize(): Uint8Array {
    const typeLen = this.records.reduce((n, r) => n + r.length * 4, 0);
    const out = new Uint8Array(24 + typeLen + this.strSize);
    const v = new DataView(out.buffer);
    v.setUint16(0, BTF_MAGIC, true);
    v.setUint8(2, 1);
    v.setUint8(3, 0);
    v.setUint32(4, 24, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true);
    v.setUint32(20, this.strSize, true);
    let p = 24;
    for (const r of this.records) {
      for (const w of r) {
        v.setUint32(p, w, true);
        p += 4;
      }
    }
    for (const s of this.strParts) {
      out.set(s, p);
      p += s.length;
    }
    return out;
  }
}
