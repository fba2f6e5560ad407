// C-layout data types shared by the front end (struct layout, field access), the BTF writer and the
// runtime's value codecs. Layout is C's: natural alignment, declaration order, tail padding.

export type CType = CInt | CStruct | CArray | CPtr;

export interface CInt {
  kind: "int";
  /** tsbpf's name: u8 u16 u32 u64 i8 i16 i32 i64 bool. */
  name: IntName;
  size: 1 | 2 | 4 | 8;
  signed: boolean;
}

export interface CField {
  name: string;
  type: CType;
  /** Byte offset within the struct. */
  offset: number;
}

export interface CStruct {
  kind: "struct";
  name: string;
  fields: CField[];
  size: number;
  align: number;
}

export interface CArray {
  kind: "array";
  elem: CType;
  len: number;
}

export interface CPtr {
  kind: "ptr";
  /** null is void*. */
  to: CType | null;
}

export type IntName = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "bool";

export const INT_TYPES: Record<IntName, CInt> = {
  u8: { kind: "int", name: "u8", size: 1, signed: false },
  u16: { kind: "int", name: "u16", size: 2, signed: false },
  u32: { kind: "int", name: "u32", size: 4, signed: false },
  u64: { kind: "int", name: "u64", size: 8, signed: false },
  i8: { kind: "int", name: "i8", size: 1, signed: true },
  i16: { kind: "int", name: "i16", size: 2, signed: true },
  i32: { kind: "int", name: "i32", size: 4, signed: true },
  i64: { kind: "int", name: "i64", size: 8, signed: true },
  bool: { kind: "int", name: "bool", size: 1, signed: false },
};

/** The C spelling of each integer type, used for BTF INT names. */
export const C_INT_NAMES: Record<IntName, string> = {
  u8: "unsigned char",
  u16: "unsigned short",
  u32: "unsigned int",
  u64: "unsigned long long",
  i8: "signed char",
  i16: "short",
  i32: "int",
  i64: "long long",
  bool: "_Bool",
};

export function sizeOf(t: CType): number {
  switch (t.kind) {
    case "int":
      return t.size;
    case "struct":
      return t.size;
    case "array":
      return sizeOf(t.elem) * t.len;
    case "ptr":
      return 8;
  }
}

export function alignOf(t: CType): number {
  switch (t.kind) {
    case "int":
      return t.size;
    case "struct":
      return t.align;
    case "array":
      return alignOf(t.elem);
    case "ptr":
      return 8;
  }
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Lays out fields in declaration order the way a C compiler does for the BPF target. */
export function layoutStruct(name: string, fields: { name: string; type: CType }[]): CStruct {
  let offset = 0;
  let align = 1;
  const out: CField[] = [];
  for (const f of fields) {
    const a = alignOf(f.type);
    offset = alignUp(offset, a);
    out.push({ name: f.name, type: f.type, offset });
    offset += sizeOf(f.type);
    align = Math.max(align, a);
  }
  return { kind: "struct", name, fields: out, size: alignUp(Math.max(offset, 0), align), align };
}
