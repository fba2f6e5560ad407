// BTF-defined maps: the `.maps` section libbpf reads map definitions from. Each map is an anonymous
// STRUCT of PTR members (`__uint` attributes as PTR -> ARRAY[int, N], `__type` as PTR -> T), a VAR with
// global linkage, and one entry in the `.maps` DATASEC. The section data itself is all zeros.

import type { MapDef } from "../object/model.js";
import { BTF_INT_ENC, BTF_LINKAGE, type BtfBuilder, type BtfMember } from "./btf-builder.js";

export interface MapsLayout {
  /** Zero-filled `.maps` section contents (empty when there are no maps). */
  data: Uint8Array;
  /** One entry per map: where its definition lives in `.maps`. */
  symbols: { name: string; offset: number; size: number }[];
}

/** Adds the `.maps` types and DATASEC to `btf` and lays out the section. */
export function addMapsBtf(btf: BtfBuilder, maps: MapDef[]): MapsLayout {
  if (maps.length === 0) return { data: new Uint8Array(0), symbols: [] };
  const seen = new Set<string>();
  const intType = btf.addInt("int", 4, BTF_INT_ENC.SIGNED, 32);
  const uintAttr = (n: number) => btf.addPtr(btf.addArray(intType, btf.arrayIndexType(), n >>> 0));

  const symbols: MapsLayout["symbols"] = [];
  const vars: { type: number; offset: number; size: number }[] = [];
  let offset = 0;
  for (const m of maps) {
    if (seen.has(m.name)) throw new Error(`duplicate map name '${m.name}'`);
    seen.add(m.name);
    const members: { name: string; type: number }[] = [{ name: "type", type: uintAttr(m.type) }];
    if (m.key) members.push({ name: "key", type: btf.addPtr(btf.addCType(m.key)) });
    if (m.value) members.push({ name: "value", type: btf.addPtr(btf.addCType(m.value)) });
    members.push({ name: "max_entries", type: uintAttr(m.maxEntries) });
    if (m.flags) members.push({ name: "map_flags", type: uintAttr(m.flags) });
    const size = members.length * 8;
    const btfMembers: BtfMember[] = members.map((mm, i) => ({ ...mm, bitOffset: i * 64 }));
    const struct = btf.addStruct("", size, btfMembers);
    const v = btf.addVar(m.name, struct, BTF_LINKAGE.GLOBAL);
    vars.push({ type: v, offset, size });
    symbols.push({ name: m.name, offset, size });
    offset += size;
  }
  btf.addDatasec(".maps", offset, vars);
  return { data: new Uint8Array(offset), symbols };
}
