// The local BTF types CO-RE relocations refer to. Each struct the program read fields of is written
// once, with only those members at the offsets it was compiled with (libbpf matches members by name,
// so the rest of the kernel's struct is not needed); pointer members point to void, which libbpf's
// field compatibility check accepts for any kernel pointer.

import type { CoreRelo, KType } from "../object/core-relo.js";
import type { BtfBuilder } from "./btf-builder.js";
import type { ExtCoreRelo } from "./btf-ext.js";

export interface PlacedCoreRelo {
  section: string;
  byteOffset: number;
  relo: CoreRelo;
}

const C_INT: Record<string, string> = {
  "1s": "signed char",
  "1u": "unsigned char",
  "2s": "short",
  "2u": "unsigned short",
  "4s": "int",
  "4u": "unsigned int",
  "8s": "long long",
  "8u": "unsigned long long",
};

export function addCoreRelos(btf: BtfBuilder, relos: PlacedCoreRelo[]): ExtCoreRelo[] {
  const ids = new Map<KType, number>();
  const add = (t: KType): number => {
    const hit = ids.get(t);
    if (hit !== undefined) return hit;
    let id: number;
    switch (t.kind) {
      case "int":
        id = btf.addInt(C_INT[`${t.size}${t.signed ? "s" : "u"}`] ?? "unsigned char", t.size, t.signed ? 1 : 0);
        break;
      case "ptr":
        id = btf.addPtr(0);
        break;
      case "array":
        id = btf.addArray(add(t.elem), btf.arrayIndexType(), t.len);
        break;
      case "enum":
        id = btf.addEnum(t.name, t.size, t.signed, t.values);
        break;
      case "struct":
      case "union":
        id = btf.addComposite(
          t.kind,
          t.name,
          t.size,
          byOffset(t).map((i) => {
            const m = t.members[i]!;
            return { name: m.name, type: add(m.type), bitOffset: m.bitOffset, bitSize: m.bitSize };
          }),
        );
        break;
    }
    ids.set(t, id);
    return id;
  };
  return relos.map((r) => ({
    section: r.section,
    byteOffset: r.byteOffset,
    typeId: add(r.relo.type),
    access: r.relo.kind <= LAST_FIELD_KIND ? fieldAccess(r.relo.type, r.relo.access) : r.relo.access,
    kind: r.relo.kind,
  }));
}

/** Field relocations (FIELD_BYTE_OFFSET .. FIELD_RSHIFT_U64) carry member indices in their access strings. */
const LAST_FIELD_KIND = 5;

/**
 * A struct's members in the order BTF needs (the kernel refuses a struct whose members' offsets go
 * down: "Invalid member bits_offset"); the program added them in the order it first read them.
 */
function byOffset(t: Extract<KType, { kind: "struct" | "union" }>): number[] {
  const idx = t.members.map((_, i) => i);
  return t.kind === "union" ? idx : idx.sort((a, b) => t.members[a]!.bitOffset - t.members[b]!.bitOffset || a - b);
}

/** A field access string with each member index renumbered to the member's place in byOffset order. */
function fieldAccess(root: KType, access: string): string {
  const parts = access.split(":").map(Number);
  let t = root;
  for (let i = 1; i < parts.length; i++) {
    if (t.kind === "struct" || t.kind === "union") {
      const m = t.members[parts[i]!]!;
      parts[i] = byOffset(t).indexOf(parts[i]!);
      t = m.type;
    } else if (t.kind === "array") t = t.elem;
  }
  return parts.join(":");
}
