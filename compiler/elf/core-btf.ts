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
          t.members.map((m) => ({ name: m.name, type: add(m.type), bitOffset: m.bitOffset, bitSize: m.bitSize })),
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
    access: r.relo.access,
    kind: r.relo.kind,
  }));
}
