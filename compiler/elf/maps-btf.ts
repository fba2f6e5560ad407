// BTF-defined maps: the `.maps` section libbpf reads map definitions from. Each map is an anonymous
// STRUCT of PTR members (`__uint` attributes as PTR -> ARRAY[int, N], `__type` as PTR -> T), a VAR with
// global linkage, and one entry in the `.maps` DATASEC. The section data itself is all zeros. A program
// array with static slots ends in a zero-length `values` array of pointers to `int (void *)` and its
// definition grows by one pointer per slot up to the highest one; each filled slot gets a `.rel.maps`
// relocation against the program's symbol (clang's layout for `.values = { [i] = &prog }`).

import type { MapDef } from "../object/model.js";
import { BTF_INT_ENC, BTF_LINKAGE, type BtfBuilder, type BtfMember } from "./btf-builder.js";

export interface MapsLayout {
  /** Zero-filled `.maps` section contents (empty when there are no maps). */
  data: Uint8Array;
  /** One entry per map: where its definition lives in `.maps`. */
  symbols: { name: string; offset: number; size: number }[];
  /** Pointer slots in `.maps` that libbpf fills with program or map fds (R_BPF_64_ABS64 relocations). */
  slotRelocs: { offset: number; target: string; kind: "program" | "map" }[];
}

/** Adds the `.maps` types and DATASEC to `btf` and lays out the section. */
export function addMapsBtf(btf: BtfBuilder, maps: MapDef[]): MapsLayout {
  if (maps.length === 0) return { data: new Uint8Array(0), symbols: [], slotRelocs: [] };
  const seen = new Set<string>();
  const intType = btf.addInt("int", 4, BTF_INT_ENC.SIGNED, 32);
  const uintAttr = (n: number) => btf.addPtr(btf.addArray(intType, btf.arrayIndexType(), n >>> 0));

  const symbols: MapsLayout["symbols"] = [];
  const slotRelocs: MapsLayout["slotRelocs"] = [];
  const vars: { type: number; offset: number; size: number }[] = [];
  /** The definition's members; a `values` member (zero-sized) comes last. */
  const defMembers = (m: MapDef): { name: string; type: number }[] => {
    const members: { name: string; type: number }[] = [{ name: "type", type: uintAttr(m.type) }];
    if (m.key) members.push({ name: "key", type: btf.addPtr(btf.addCType(m.key)) });
    if (m.value) members.push({ name: "value", type: btf.addPtr(btf.addCType(m.value)) });
    members.push({ name: "max_entries", type: uintAttr(m.maxEntries) });
    if (m.flags) members.push({ name: "map_flags", type: uintAttr(m.flags) });
    if (m.pinning) members.push({ name: "pinning", type: uintAttr(m.pinning) });
    if (m.mapExtra) members.push({ name: "map_extra", type: uintAttr(m.mapExtra) });
    if (m.keySize !== undefined) members.push({ name: "key_size", type: uintAttr(m.keySize) });
    // libbpf sets value_size 4 itself when there is a `values` member.
    if (m.valueSize !== undefined && !m.progSlots && !m.innerMap) members.push({ name: "value_size", type: uintAttr(m.valueSize) });
    if (m.progSlots) {
      const proto = btf.addFuncProto(intType, [{ name: "", type: btf.addPtr(0) }]);
      members.push({ name: "values", type: btf.addArray(btf.addPtr(proto), btf.arrayIndexType(), 0) });
    } else if (m.innerMap) {
      // A map of maps: `values` points to the inner map's definition, libbpf's template for it.
      const inner = defMembers(m.innerMap);
      const innerStruct = btf.addStruct(
        "",
        inner.length * 8,
        inner.map((mm, i) => ({ ...mm, bitOffset: i * 64 })),
      );
      members.push({ name: "values", type: btf.addArray(btf.addPtr(innerStruct), btf.arrayIndexType(), 0) });
    }
    return members;
  };
  let offset = 0;
  for (const m of maps) {
    if (seen.has(m.name)) throw new Error(`duplicate map name '${m.name}'`);
    seen.add(m.name);
    const members = defMembers(m);
    const slotList = [
      ...(m.progSlots ?? []).map((s) => ({ index: s.index, target: s.program })),
      ...(m.mapSlots ?? []).map((s) => ({ index: s.index, target: s.map })),
    ];
    const slots = slotList.reduce((n, s) => Math.max(n, s.index + 1), 0);
    const structSize = (members.length - (m.progSlots || m.innerMap ? 1 : 0)) * 8; // `values` is zero-sized
    const size = structSize + slots * 8;
    for (const s of slotList)
      slotRelocs.push({ offset: offset + structSize + s.index * 8, target: s.target, kind: m.progSlots ? "program" : "map" });
    const btfMembers: BtfMember[] = members.map((mm, i) => ({ ...mm, bitOffset: i * 64 }));
    const struct = btf.addStruct("", structSize, btfMembers);
    const v = btf.addVar(m.name, struct, BTF_LINKAGE.GLOBAL);
    vars.push({ type: v, offset, size });
    symbols.push({ name: m.name, offset, size });
    offset += size;
  }
  btf.addDatasec(".maps", offset, vars);
  return { data: new Uint8Array(offset), symbols, slotRelocs };
}
