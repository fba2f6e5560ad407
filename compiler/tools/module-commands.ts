// `tsbpf unload DIR` (detach a live module and remove its pins) and `tsbpf ls` (the live modules
// `tsbpf load` created, with what the kernel says about them now).

import { listModuleRecords, moduleStatus, unloadModule } from "../../runtime/live-module.js";
import type { CliIo } from "./load-command.js";

const defaultIo: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

export const UNLOAD_USAGE = `usage:
  tsbpf unload <DIR>     detach the programs of the module pinned in DIR and remove its pins`;
export const LS_USAGE = `usage:
  tsbpf ls [--json]      list the modules loaded with tsbpf load (program ids, attach points, maps, tags)`;

export function unloadCommand(args: string[], io: CliIo = defaultIo): number {
  if (args.length !== 1 || args[0]!.startsWith("-")) {
    io.stderr(`${UNLOAD_USAGE}\n`);
    return 2;
  }
  try {
    const r = unloadModule(args[0]!);
    for (const p of r.programs) io.stdout(`detached ${p}\n`);
    if (r.maps.length) io.stdout(`unpinned maps: ${r.maps.join(", ")}\n`);
    io.stdout(`unloaded ${args[0]}\n`);
    return 0;
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n`);
    return 1;
  }
}

export function lsCommand(args: string[], io: CliIo = defaultIo): number {
  const json = args.includes("--json");
  if (args.some((a) => a !== "--json")) {
    io.stderr(`${LS_USAGE}\n`);
    return 2;
  }
  const all = listModuleRecords().map(moduleStatus);
  if (json) {
    io.stdout(JSON.stringify(all, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
    return 0;
  }
  if (all.length === 0) io.stdout("no live modules (tsbpf load creates them)\n");
  for (const m of all) {
    const r = m.record;
    io.stdout(`${r.pinDir}${m.present ? "" : "  (pin directory missing: stale record)"}\n`);
    io.stdout(
      `  source ${r.source}, generation ${r.generation}, loaded ${r.loadedAt}${r.replacedAt ? `, replaced ${r.replacedAt}` : ""}\n`,
    );
    for (const p of m.programs) {
      const state =
        p.progId === null
          ? "NOT ATTACHED"
          : `prog id ${p.progId}, tag ${p.tag}${p.linkId !== null ? `, link id ${p.linkId}` : ""}, loaded ${p.loadedAt?.toISOString()}`;
      io.stdout(`  program ${p.name} on ${p.spec}: ${state}\n`);
    }
    for (const mp of m.maps)
      io.stdout(`  map ${mp.name}: ${mp.id === null ? "NOT PINNED" : `id ${mp.id}, type ${mp.type}, max_entries ${mp.entries}`}\n`);
  }
  return 0;
}
