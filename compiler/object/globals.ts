// Layout of global variables in their data sections, shared by the object writer (section bytes,
// symbols, BTF DATASEC) and by anything that needs the same offsets (tests, interpreters).
// Variables keep the model's order within a section, each at the next offset aligned to its C
// alignment; a section's size is the end of its last variable (no tail padding, as clang does).

import { alignOf, sizeOf } from "../../common/ctypes.js";
import type { GlobalSection, GlobalVar } from "./model.js";

export const GLOBAL_SECTIONS: readonly GlobalSection[] = [".rodata", ".data", ".bss"];

export interface PlacedGlobal {
  v: GlobalVar;
  offset: number;
  size: number;
}

export interface GlobalSectionLayout {
  name: GlobalSection;
  /** Contents (zeros for .bss, whose ELF section is NOBITS). */
  data: Uint8Array;
  align: number;
  vars: PlacedGlobal[];
}

/** Sections in .rodata, .data, .bss order; only the non-empty ones. Throws on malformed input. */
export function layoutGlobals(globals: readonly GlobalVar[]): GlobalSectionLayout[] {
  const out: GlobalSectionLayout[] = [];
  const seen = new Set<string>();
  for (const sec of GLOBAL_SECTIONS) {
    const vars: PlacedGlobal[] = [];
    let end = 0;
    let align = 1;
    for (const v of globals) {
      if (v.section !== sec) continue;
      if (seen.has(v.name)) throw new Error(`duplicate global '${v.name}'`);
      seen.add(v.name);
      const size = sizeOf(v.type);
      const a = alignOf(v.type);
      if (size <= 0) throw new Error(`global '${v.name}' has size ${size}`);
      if (v.init && v.init.length !== size) throw new Error(`global '${v.name}': initialiser has ${v.init.length} bytes, the type ${size}`);
      if (sec === ".bss" && v.init?.some((b) => b !== 0)) throw new Error(`global '${v.name}' in .bss cannot have a nonzero initialiser`);
      const offset = Math.ceil(end / a) * a;
      vars.push({ v, offset, size });
      end = offset + size;
      align = Math.max(align, a);
    }
    for (const v of globals) {
      if (!GLOBAL_SECTIONS.includes(v.section)) throw new Error(`global '${v.name}' is in unknown section '${v.section}'`);
    }
    if (vars.length === 0) continue;
    const data = new Uint8Array(end);
    for (const p of vars) if (p.v.init) data.set(p.v.init, p.offset);
    out.push({ name: sec, data, align, vars });
  }
  return out;
}
