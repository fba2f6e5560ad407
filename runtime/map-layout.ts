// Why: a pinned map may only be handed to a new program version when both read its bytes the same
// way. Sizes alone are not enough (swapping two u32 fields keeps the size), so besides type, key
// and value size, max_entries and flags this compares the BTF layouts of key and value field by
// field and names the first difference, so the refusal says exactly what changed.

import type { Btf, BtfType } from "../common/btf-reader.js";

/** What is compared for one map: the kernel's view of a pinned map or a new object's definition. */
export interface MapShape {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** BTF holding the key/value types (null or id 0: no BTF, sizes only). */
  btf: Btf | null;
  keyTypeId: number;
  valueTypeId: number;
}

/** The first difference between a pinned map and the new definition, or null when they match. */
export function mapShapeDiff(pinned: MapShape, fresh: MapShape): string | null {
  const plain: [string, keyof MapShape][] = [
    ["map type", "type"],
    ["key size", "keySize"],
    ["value size", "valueSize"],
    ["max_entries", "maxEntries"],
    ["map flags", "flags"],
  ];
  for (const [label, k] of plain) {
    if (pinned[k] !== fresh[k]) return `${label}: ${String(pinned[k])} in the pinned map, ${String(fresh[k])} in the new object`;
  }
  for (const [label, a, b] of [
    ["key", pinned.keyTypeId, fresh.keyTypeId],
    ["value", pinned.valueTypeId, fresh.valueTypeId],
  ] as const) {
    if (!pinned.btf || !fresh.btf || a === 0 || b === 0) continue;
    const d = typeDiff(pinned.btf, a, fresh.btf, b, label, 0);
    if (d) return d;
  }
  return null;
}

function describe(btf: Btf, t: BtfType): string {
  switch (t.kind) {
    case "INT":
      return t.bool ? "bool" : `${t.signed ? "i" : "u"}${t.size * 8}`;
    case "STRUCT":
    case "UNION":
      return `${t.kind.toLowerCase()} ${t.name || "(anonymous)"} (${t.size} bytes)`;
    case "ARRAY":
      return `${btf.typeName(t.elem)}[${t.len}]`;
    default:
      return `${t.kind.toLowerCase()}${"size" in t ? ` (${t.size} bytes)` : ""}`;
  }
}

function typeDiff(ab: Btf, aId: number, bb: Btf, bId: number, path: string, depth: number): string | null {
  if (depth > 16) return null;
  const a = ab.resolve(aId);
  const b = bb.resolve(bId);
  const differ = (what: string) => `${path}${what}: ${describe(ab, a)} in the pinned map, ${describe(bb, b)} in the new object`;
  if (a.kind !== b.kind) return differ("");
  switch (a.kind) {
    case "INT": {
      const bi = b as typeof a;
      return a.size !== bi.size || a.signed !== bi.signed || a.bool !== bi.bool ? differ("") : null;
    }
    case "ENUM":
    case "ENUM64":
    case "FLOAT":
      return a.size !== (b as typeof a).size ? differ("") : null;
    case "PTR":
      return null;
    case "ARRAY": {
      const bArr = b as typeof a;
      if (a.len !== bArr.len) return differ(" length");
      return typeDiff(ab, a.elem, bb, bArr.elem, `${path}[]`, depth + 1);
    }
    case "STRUCT":
    case "UNION": {
      const bs = b as typeof a;
      if (a.size !== bs.size) return differ(" size");
      const n = Math.max(a.members.length, bs.members.length);
      for (let i = 0; i < n; i++) {
        const ma = a.members[i];
        const mb = bs.members[i];
        if (!ma) return `${path} field '${mb!.name}' is new (not in the pinned map)`;
        if (!mb) return `${path} field '${ma.name}' is gone in the new object`;
        const at = `${path} field '${ma.name}'`;
        if (ma.name !== mb.name) return `${path} field ${i + 1}: '${ma.name}' in the pinned map, '${mb.name}' in the new object`;
        if (ma.bitOffset !== mb.bitOffset || ma.bitSize !== mb.bitSize) {
          return `${at}: at byte ${ma.bitOffset / 8} in the pinned map, byte ${mb.bitOffset / 8} in the new object`;
        }
        const d = typeDiff(ab, ma.type, bb, mb.type, at, depth + 1);
        if (d) return d;
      }
      return null;
    }
    case "DATASEC": {
      const bs = b as typeof a;
      if (a.size !== bs.size) return differ(" size");
      const name = (btf: Btf, id: number) => btf.get(id).name;
      const n = Math.max(a.vars.length, bs.vars.length);
      for (let i = 0; i < n; i++) {
        const va = a.vars[i];
        const vb = bs.vars[i];
        if (!va) return `${path} variable '${name(bb, vb!.type)}' is new (not in the pinned map)`;
        if (!vb) return `${path} variable '${name(ab, va.type)}' is gone in the new object`;
        const na = name(ab, va.type);
        const at = `${path} variable '${na}'`;
        if (na !== name(bb, vb.type))
          return `${path} variable ${i + 1}: '${na}' in the pinned map, '${name(bb, vb.type)}' in the new object`;
        if (va.offset !== vb.offset || va.size !== vb.size)
          return `${at}: ${va.size} bytes at ${va.offset} in the pinned map, ${vb.size} at ${vb.offset} in the new object`;
        const ta = ab.get(va.type);
        const tb = bb.get(vb.type);
        if (ta.kind === "VAR" && tb.kind === "VAR") {
          const d = typeDiff(ab, ta.type, bb, tb.type, at, depth + 1);
          if (d) return d;
        }
      }
      return null;
    }
    default:
      return null;
  }
}
