// What a .bpf.ts file declares at module level, for tools that do not need code: the skeleton
// generator reads map names with their key/value CTypes and program names from here. It runs the
// same tsc program and module scan as compile() (stages 1-3) and stops there.

import type { CType } from "../../common/ctypes.js";
import { isPerCpuMap } from "../../common/map-kinds.js";
import type { Diagnostic } from "../diagnostic.js";
import { scanModule } from "../frontend/module-scan.js";
import { Bail, Reporter } from "../frontend/reporter.js";
import { createProgram, fromTsDiagnostic } from "../frontend/ts-adapter.js";
import { TypeMapper } from "../frontend/types.js";

export interface ModuleMap {
  name: string;
  /** BPF_MAP_TYPE_*. */
  type: number;
  key: CType;
  value: CType;
  maxEntries: number;
  flags: number;
  /** Per-CPU maps return one value per possible CPU. */
  perCpu: boolean;
}

export interface ModuleProgram {
  name: string;
  /** libbpf section, e.g. "xdp". */
  section: string;
  /** stdlib wrapper, e.g. "xdp". */
  wrapper: string;
}

export interface ModuleDescription {
  ok: boolean;
  diagnostics: Diagnostic[];
  maps: ModuleMap[];
  programs: ModuleProgram[];
  license?: string;
}

/** Maps and programs declared by the .bpf.ts source `text` (named `fileName`). */
export function describeModule(fileName: string, text: string): ModuleDescription {
  const fail = (diagnostics: Diagnostic[]): ModuleDescription => ({ ok: false, diagnostics, maps: [], programs: [] });
  const program = createProgram(fileName, text);
  const base = fileName.split(/[\\/]/).pop()!;
  const sf = program.getSourceFiles().find((f) => !f.isDeclarationFile && f.fileName.endsWith(base));
  if (!sf) return fail([]);
  const tsDiags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  if (tsDiags.length) return fail(tsDiags.map((d) => fromTsDiagnostic(d)));
  const reporter = new Reporter(sf);
  const checker = program.getTypeChecker();
  let mod: ReturnType<typeof scanModule>;
  try {
    mod = scanModule(sf, checker, new TypeMapper(checker), reporter);
  } catch (e) {
    if (e instanceof Bail) return fail(reporter.diagnostics);
    throw e;
  }
  if (reporter.hasErrors) return fail(reporter.diagnostics);
  return {
    ok: true,
    diagnostics: reporter.diagnostics,
    maps: [...mod.maps.values()].map((m) => ({
      name: m.def.name,
      type: m.def.type,
      key: m.key,
      value: m.value,
      maxEntries: m.def.maxEntries,
      flags: m.def.flags ?? 0,
      perCpu: isPerCpuMap(m.def.type),
    })),
    programs: mod.programs.map((p) => ({ name: p.name, section: p.section, wrapper: p.kind.wrapper })),
    license: mod.license,
  };
}
