// The list of generated fixtures (file name -> source), shared by fixture-gen.ts (which writes
// them) and the kernel fixture test (which checks the files on disk are current).

import { arithSource } from "./fixture-arith.js";
import { ALL_TYPES } from "./fixture-ref.js";
import { TABLES, tableSource } from "./fixture-tables.js";

export function generatedFixtures(): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of ALL_TYPES) out.set(`arith-${t.name}.bpf.ts`, arithSource(t));
  for (const f of TABLES) out.set(f.file, tableSource(f));
  return out;
}
