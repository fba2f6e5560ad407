// Why: map keys and values cross the syscall boundary as C-layout bytes, but user
// space wants the shapes the .bpf.ts interfaces declare. A Codec turns one BTF
// type (or one compiler CType) into encode/decode functions:
//
//   integers up to 32 bits  -> number        64-bit integers   -> bigint
//   bool (_Bool)            -> boolean       enums             -> number (ENUM64: bigint)
//   structs / unions        -> objects       fixed arrays      -> arrays
//   u8 / char arrays        -> Uint8Array    i8 arrays         -> Int8Array
//   pointers                -> bigint        floats            -> number
//
// Byte arrays also accept a string on encode (UTF-8, zero-padded) and decode as
// strings (up to the first NUL) when `byteStrings: "string"` is asked for.
// Encoding is strict: wrong types, out-of-range integers, missing or unknown
// struct fields are errors that name the offending path; padding is zeroed.

import type { CType } from "../common/ctypes.js";
import type { Btf } from "../common/btf-reader.js";

export interface CodecOptions {
  /** How 1-byte-element arrays decode: "bytes" (default; Uint8Array/Int8Array) or "string" (C string). */
  byteStrings?: "bytes" | "string";
}

export interface Codec<T = unknown> {
  /** Encoded size in bytes. */
  readonly size: number;
  /** The decoded values' TypeScript type, e.g. `{ packets: bigint; bytes: bigint }`. */
  readonly tsType: string;
  /** C-layout bytes of `value` (a fresh buffer of `size` bytes). */
  encode(value: T): Uint8Array;
  /** Write `value` at `offset` of `out` (which must have room for `size` bytes). */
  encodeInto(value: T, out: Uint8Array, offset?: number): void;
  /** The value stored at `offset` of `bytes`. */
  decode(bytes: Uint8Array, offset?: number): T;
}

/** The layout tree every codec walks. */
export type Layout =
  | { k: "int"; name: string; size: number; signed: boolean; bool: boolean }
  | { k: "float"; name: string; size: number }
  | { k: "enum"; name: string; size: number; signed: boolean }
  | { k: "ptr"; name: string }
  | { k: "raw"; name: string; size: number }
  | { k: "array"; name: string; len: number; elem: Layout; bytes?: "u8" | "i8" | "char" }
  | { k: "struct"; name: string; size: number; union: boolean; fields: LayoutField[] };

export interface LayoutField {
  name: string;
  /** Offset in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield width in bits; 0 for an ordinary member. */
  bitSize: number;
  layout: Layout;
}

/** A codec for the BTF type `typeId` of `btf`. */
export function btfCodec<T = unknown>(btf: Btf, typeId: number, opts: CodecOptions = {}): Codec<T> {
  return makeCodec<T>(layoutFromBtf(btf, typeId), opts);
}

/** A codec for a compiler CType (same shapes as the BTF the compiler writes for it). */
export function ctypeCodec<T = unknown>(type: CType, opts: CodecOptions = {}): Codec<T> {
  return makeCodec<T>(layoutFromCType(type), opts);
}

/** A codec passing `size` bytes through unchanged (maps without BTF types). */
export function rawCodec(size: number): Codec<Uint8Array> {
  return makeCodec<Uint8Array>({ k: "raw", name: `${size} bytes`, size }, {});
}

export function makeCodec<T>(layout: Layout, opts: CodecOptions): Codec<T> {
  const size = layoutSize(layout);
  const strings = opts.byteStrings === "string";
  let tsType: string | undefined;
  return {
    size,
    get tsType(): string {
      return (tsType ??= tsTypeOf(layout, strings));
    },
    encode(value: T): Uint8Array {
      const out = new Uint8Array(size);
      encodeAt(layout, value, view(out), out, 0, "value");
      return out;
    },
    encodeInto(value: T, out: Uint8Array, offset = 0): void {
      if (offset < 0 || offset + size > out.length) throw new RangeError(`no room for ${size} bytes at offset ${offset}`);
      out.fill(0, offset, offset + size);
      encodeAt(layout, value, view(out), out, offset, "value");
    },
    decode(bytes: Uint8Array, offset = 0): T {
      if (offset < 0 || offset + size > bytes.length) {
        throw new RangeError(`need ${size} bytes at offset ${offset}, have ${bytes.length - offset}`);
      }
      return decodeAt(layout, view(bytes), bytes, offset, strings) as T;
    },
  };
}

// ---- layouts ------------------------------------------------------------------------------------

export function layoutFromBtf(btf: Btf, typeId: number, depth = 0): Layout {
  if (depth > 64) throw new Error(`BTF type ${typeId} nests too deeply`);
  if (typeId === 0) return { k: "raw", name: "void", size: 0 };
  // Keep the outermost typedef's name for messages (u64, not "unsigned long long").
  const named = btf.get(typeId);
  const t = btf.resolve(typeId);
  const name = named.kind === "TYPEDEF" ? named.name : btf.typeName(typeId);
  switch (t.kind) {
    case "INT":
      if (t.bits !== t.size * 8 || t.bitOffset !== 0 || ![1, 2, 4, 8].includes(t.size)) {
        return { k: "raw", name, size: t.size };
      }
      return { k: "int", name, size: t.size, signed: t.signed, bool: t.bool };
    case "ENUM":
    case "ENUM64":
      return { k: "enum", name, size: t.size, signed: t.signed };
    case "FLOAT":
      return t.size === 4 || t.size === 8 ? { k: "float", name, size: t.size } : { k: "raw", name, size: t.size };
    case "PTR":
      return { k: "ptr", name };
    case "ARRAY": {
      const elem = layoutFromBtf(btf, t.elem, depth + 1);
      const e = btf.resolve(t.elem);
      let bytes: "u8" | "i8" | "char" | undefined;
      if (elem.k === "int" && elem.size === 1 && !elem.bool && e.kind === "INT") {
        bytes = e.char || e.name === "char" ? "char" : elem.signed ? "i8" : "u8";
      }
      return { k: "array", name, len: t.len, elem, bytes };
    }
    case "STRUCT":
    case "UNION":
      return {
        k: "struct",
        name,
        size: t.size,
        union: t.kind === "UNION",
        fields: t.members.map((m) => ({
          name: m.name,
          bitOffset: m.bitOffset,
          bitSize: m.bitSize,
          layout: layoutFromBtf(btf, m.type, depth + 1),
        })),
      };
    case "DATASEC":
      return {
        k: "struct",
        name,
        size: t.size,
        union: false,
        fields: t.vars.map((v) => {
          const variable = btf.get(v.type);
          const vname = variable.kind === "VAR" ? variable.name : `var${v.type}`;
          return { name: vname, bitOffset: v.offset * 8, bitSize: 0, layout: layoutFromBtf(btf, v.type, depth + 1) };
        }),
      };
    case "VAR":
      return layoutFromBtf(btf, t.type, depth + 1);
    default:
      return { k: "raw", name, size: btf.sizeOf(typeId) };
  }
}

export function layoutFromCType(t: CType): Layout {
  switch (t.kind) {
    case "int":
      return { k: "int", name: t.name, size: t.size, signed: t.signed, bool: t.name === "bool" };
    case "ptr":
      return { k: "ptr", name: "pointer" };
    case "array": {
      const elem = layoutFromCType(t.elem);
      const bytes = t.elem.kind === "int" && t.elem.size === 1 && t.elem.name !== "bool" ? (t.elem.signed ? "i8" : "u8") : undefined;
      return { k: "array", name: "array", len: t.len, elem, bytes };
    }
    case "struct":
      return {
        k: "struct",
        name: t.name || "struct",
        size: t.size,
        union: false,
        fields: t.fields.map((f) => ({ name: f.name, bitOffset: f.offset * 8, bitSize: 0, layout: layoutFromCType(f.type) })),
      };
  }
}

export function layoutSize(l: Layout): number {
  switch (l.k) {
    case "int":
    case "float":
    case "enum":
    case "raw":
    case "struct":
      return l.size;
    case "ptr":
      return 8;
    case "array":
      return l.len * layoutSize(l.elem);
  }
}

/** The TypeScript type decoded values of `l` have. */
export function tsTypeOf(l: Layout, strings = false): string {
  switch (l.k) {
    case "int":
      return l.bool ? "boolean" : l.size === 8 ? "bigint" : "number";
    case "float":
      return "number";
    case "enum":
      return l.size === 8 ? "bigint" : "number";
    case "ptr":
      return "bigint";
    case "raw":
      return "Uint8Array";
    case "array":
      if (l.bytes) return strings ? "string" : l.bytes === "i8" ? "Int8Array" : "Uint8Array";
      return `${wrapArrayElem(tsTypeOf(l.elem, strings))}[]`;
    case "struct":
      return `{ ${structMembers(l, strings).join("; ")} }`;
  }
}

/** `name: type` members; an anonymous struct/union member's fields are read and written inline. */
function structMembers(l: Extract<Layout, { k: "struct" }>, strings: boolean): string[] {
  return l.fields.flatMap((f) => {
    if (f.name === "" && f.layout.k === "struct") return structMembers(f.layout, strings);
    const t = f.bitSize ? (layoutSize(f.layout) === 8 ? "bigint" : "number") : tsTypeOf(f.layout, strings);
    return [`${propName(f.name)}${l.union ? "?" : ""}: ${t}`];
  });
}

const wrapArrayElem = (s: string) => (/^[\w.]+(\[\])*$/.test(s) ? s : `(${s})`);
const propName = (n: string) => (/^[A-Za-z_$][\w$]*$/.test(n) ? n : JSON.stringify(n));

// ---- encode / decode ----------------------------------------------------------------------------

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Uint8Array) return `a Uint8Array of ${v.length}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + "…" : v)}`;
  return `${typeof v} ${String(v)}${typeof v === "bigint" ? "n" : ""}`;
}

function toBigInt(v: unknown, l: { name: string; size: number; signed: boolean }, path: string): bigint {
  let b: bigint;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number" && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === "boolean") b = v ? 1n : 0n;
  else throw new TypeError(`${path}: expected an integer for ${l.name}, got ${describeValue(v)}`);
  const bits = BigInt(l.size * 8);
  const min = l.signed ? -(1n << (bits - 1n)) : 0n;
  const max = l.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (b < min || b > max) throw new RangeError(`${path}: ${b} is out of range for ${l.name} (${min}..${max})`);
  return b;
}

function encodeAt(l: Layout, v: unknown, dv: DataView, bytes: Uint8Array, off: number, path: string): void {
  switch (l.k) {
    case "int": {
      if (l.bool && typeof v !== "boolean" && v !== 0 && v !== 1) {
        throw new TypeError(`${path}: expected a boolean for ${l.name}, got ${describeValue(v)}`);
      }
      writeInt(dv, off, l.size, toBigInt(v, l, path));
      return;
    }
    case "enum":
      writeInt(dv, off, l.size, toBigInt(v, l, path));
      return;
    case "ptr":
      writeInt(dv, off, 8, toBigInt(v, { name: "pointer", size: 8, signed: false }, path));
      return;
    case "float":
      if (typeof v !== "number") throw new TypeError(`${path}: expected a number for ${l.name}, got ${describeValue(v)}`);
      if (l.size === 4) dv.setFloat32(off, v, true);
      else dv.setFloat64(off, v, true);
      return;
    case "raw":
      if (!(v instanceof Uint8Array) || v.length !== l.size) {
        throw new TypeError(`${path}: expected a Uint8Array of ${l.size} bytes, got ${describeValue(v)}`);
      }
      bytes.set(v, off);
      return;
    case "array":
      return encodeArray(l, v, dv, bytes, off, path);
    case "struct":
      return encodeStruct(l, v, dv, bytes, off, path);
  }
}

function encodeArray(l: Extract<Layout, { k: "array" }>, v: unknown, dv: DataView, bytes: Uint8Array, off: number, path: string): void {
  if (l.bytes) {
    if (typeof v === "string") {
      const enc = new TextEncoder().encode(v);
      if (enc.length > l.len) throw new RangeError(`${path}: string of ${enc.length} UTF-8 bytes does not fit ${l.len}`);
      bytes.set(enc, off);
      bytes.fill(0, off + enc.length, off + l.len);
      return;
    }
    if (v instanceof Uint8Array || v instanceof Int8Array) {
      if (v.length !== l.len) throw new RangeError(`${path}: expected ${l.len} bytes, got ${v.length}`);
      bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.length), off);
      return;
    }
  }
  if (!Array.isArray(v)) {
    const want = l.bytes ? `a ${l.bytes === "i8" ? "Int8Array" : "Uint8Array"}, string or array` : "an array";
    throw new TypeError(`${path}: expected ${want} of ${l.len}, got ${describeValue(v)}`);
  }
  if (v.length !== l.len) throw new RangeError(`${path}: expected ${l.len} elements, got ${v.length}`);
  const stride = layoutSize(l.elem);
  for (let i = 0; i < l.len; i++) encodeAt(l.elem, v[i], dv, bytes, off + i * stride, `${path}[${i}]`);
}

function encodeStruct(l: Extract<Layout, { k: "struct" }>, v: unknown, dv: DataView, bytes: Uint8Array, off: number, path: string): void {
  if (typeof v !== "object" || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw new TypeError(`${path}: expected an object for ${l.name}, got ${describeValue(v)}`);
  }
  const obj = v as Record<string, unknown>;
  const known = new Set<string>();
  const collect = (s: Extract<Layout, { k: "struct" }>): void => {
    for (const f of s.fields) {
      if (f.name === "" && f.layout.k === "struct") collect(f.layout);
      else known.add(f.name);
    }
  };
  collect(l);
  for (const k of Object.keys(obj)) {
    if (!known.has(k) && obj[k] !== undefined) throw new TypeError(`${path}: ${l.name} has no field '${k}'`);
  }
  encodeFields(l, obj, dv, bytes, off, path, l.union);
}

/** Members of `l` from `obj`; anonymous struct/union members read their fields from `obj` itself. */
function encodeFields(
  l: Extract<Layout, { k: "struct" }>,
  obj: Record<string, unknown>,
  dv: DataView,
  bytes: Uint8Array,
  off: number,
  path: string,
  partial: boolean,
): void {
  for (const f of l.fields) {
    if (f.name === "" && f.layout.k === "struct" && f.bitOffset % 8 === 0) {
      encodeFields(f.layout, obj, dv, bytes, off + f.bitOffset / 8, path, partial || f.layout.union);
      continue;
    }
    const fv = obj[f.name];
    const fpath = `${path}.${f.name}`;
    if (fv === undefined) {
      if (partial || f.name === "") continue;
      throw new TypeError(`${fpath}: missing field of ${l.name}`);
    }
    if (f.bitSize || f.bitOffset % 8) {
      writeBits(bytes, off, f, fv, fpath);
    } else {
      encodeAt(f.layout, fv, dv, bytes, off + f.bitOffset / 8, fpath);
    }
  }
}

function writeInt(dv: DataView, off: number, size: number, b: bigint): void {
  switch (size) {
    case 1:
      dv.setUint8(off, Number(BigInt.asUintN(8, b)));
      break;
    case 2:
      dv.setUint16(off, Number(BigInt.asUintN(16, b)), true);
      break;
    case 4:
      dv.setUint32(off, Number(BigInt.asUintN(32, b)), true);
      break;
    case 8:
      dv.setBigUint64(off, BigInt.asUintN(64, b), true);
      break;
    default:
      throw new RangeError(`cannot encode a ${size}-byte integer`);
  }
}

function bitfieldInt(f: LayoutField): { name: string; size: number; signed: boolean; width: number } {
  const l = f.layout;
  const signed = (l.k === "int" || l.k === "enum") && l.signed;
  const size = layoutSize(l);
  const width = f.bitSize || size * 8;
  return { name: `${l.name}:${width}`, size, signed, width };
}

function writeBits(bytes: Uint8Array, base: number, f: LayoutField, v: unknown, path: string): void {
  const { name, signed, width } = bitfieldInt(f);
  const b = toBigInt(v, { name, size: 8, signed }, path);
  const lim = signed ? 1n << BigInt(width - 1) : 1n << BigInt(width);
  if (signed ? b < -lim || b >= lim : b >= lim) throw new RangeError(`${path}: ${b} does not fit ${name}`);
  const u = BigInt.asUintN(width, b);
  for (let i = 0; i < width; i++) {
    const bit = f.bitOffset + i;
    const at = base + (bit >> 3);
    const mask = 1 << (bit & 7);
    if ((u >> BigInt(i)) & 1n) bytes[at] = bytes[at]! | mask;
    else bytes[at] = bytes[at]! & ~mask;
  }
}

function readBits(bytes: Uint8Array, base: number, f: LayoutField): number | bigint {
  const { size, signed, width } = bitfieldInt(f);
  let u = 0n;
  for (let i = 0; i < width; i++) {
    const bit = f.bitOffset + i;
    if (bytes[base + (bit >> 3)]! & (1 << (bit & 7))) u |= 1n << BigInt(i);
  }
  const b = signed ? BigInt.asIntN(width, u) : u;
  return size === 8 ? b : Number(b);
}

function decodeAt(l: Layout, dv: DataView, bytes: Uint8Array, off: number, strings: boolean): unknown {
  switch (l.k) {
    case "int": {
      if (l.bool) return readInt(dv, off, l.size, false) !== 0;
      return readInt(dv, off, l.size, l.signed);
    }
    case "enum":
      return readInt(dv, off, l.size, l.signed);
    case "ptr":
      return dv.getBigUint64(off, true);
    case "float":
      return l.size === 4 ? dv.getFloat32(off, true) : dv.getFloat64(off, true);
    case "raw":
      return bytes.slice(off, off + l.size);
    case "array": {
      if (l.bytes) {
        const raw = bytes.slice(off, off + l.len);
        if (strings) {
          const nul = raw.indexOf(0);
          return new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul));
        }
        return l.bytes === "i8" ? new Int8Array(raw.buffer, raw.byteOffset, raw.length) : raw;
      }
      const stride = layoutSize(l.elem);
      const out: unknown[] = new Array(l.len);
      for (let i = 0; i < l.len; i++) out[i] = decodeAt(l.elem, dv, bytes, off + i * stride, strings);
      return out;
    }
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of l.fields) {
        const v = f.bitSize || f.bitOffset % 8 ? readBits(bytes, off, f) : decodeAt(f.layout, dv, bytes, off + f.bitOffset / 8, strings);
        if (f.name === "" && typeof v === "object" && v !== null && !ArrayBuffer.isView(v)) Object.assign(out, v);
        else out[f.name] = v;
      }
      return out;
    }
  }
}

function readInt(dv: DataView, off: number, size: number, signed: boolean): number | bigint {
  switch (size) {
    case 1:
      return signed ? dv.getInt8(off) : dv.getUint8(off);
    case 2:
      return signed ? dv.getInt16(off, true) : dv.getUint16(off, true);
    case 4:
      return signed ? dv.getInt32(off, true) : dv.getUint32(off, true);
    case 8:
      return signed ? dv.getBigInt64(off, true) : dv.getBigUint64(off, true);
    default:
      throw new RangeError(`cannot decode a ${size}-byte integer`);
  }
}
