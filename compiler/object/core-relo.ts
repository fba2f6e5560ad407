// CO-RE relocations as the compiler hands them to the object writer: a local description of the
// kernel type a field access was compiled against (only the members the program touched, at the
// offsets of the vmlinux.d.ts it was compiled with) and the access, in libbpf's bpf_core_relo terms.
// libbpf matches the local type by name against the running kernel's BTF and patches the
// instruction (an ALU immediate, a load's offset) with the kernel's value.

/** enum bpf_core_relo_kind (include/uapi/linux/bpf.h). */
export const CORE_KIND = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** A local (program-side) BTF type. Composite members grow as the program reads more fields. */
export type KType =
  | { kind: "struct" | "union"; name: string; size: number; members: KMember[] }
  | { kind: "enum"; name: string; size: number; signed: boolean; values: { name: string; value: bigint }[] }
  | { kind: "int"; size: number; signed: boolean }
  | { kind: "ptr" }
  | { kind: "array"; elem: KType; len: number };

export interface KMember {
  /** "" for an anonymous struct/union member. */
  name: string;
  type: KType;
  bitOffset: number;
  /** Bitfield width, 0 for a whole field. */
  bitSize: number;
}

export interface CoreRelo {
  kind: number;
  /** The type the access starts from (a struct/union, or the enum/type of a type-based relocation). */
  type: KType;
  /** libbpf's access string: "0:3:1" (field: array index then member indices), "2" (enum value index), "0" (type). */
  access: string;
}
