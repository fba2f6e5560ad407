// `tsbpf load`: compile (for a .bpf.ts), load, attach and pin a live module that keeps running
// after this process exits; run again on the same --pin directory it replaces the programs in
// place (atomically, keeping the maps) — see runtime/live-module.ts for what happens and when it
// refuses.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compile } from "../compile.js";
import { formatDiagnostic } from "../format-diagnostic.js";
import { deployModule, type DeployReport, type ModuleAttach } from "../../runtime/live-module.js";
import type { MapMigration } from "../../runtime/pinned.js";
import { VerifierError } from "../../runtime/object.js";

export const LOAD_USAGE = `usage:
  tsbpf load <file.bpf.ts|file.o> --attach [PROG=]SPEC... --pin DIR [--allow-gap] [--migrate MODULE]

Loads the object, attaches its programs and pins links (DIR/links/PROG), programs (DIR/progs/PROG)
and maps (DIR/maps/MAP) in bpffs, then exits leaving the module running. Run again with the same
DIR and a new version to replace the programs in place, keeping every map whose layout is
unchanged. SPEC: xdp:IFNAME[:generic|driver|auto], tc:IFNAME:ingress|egress (cls_bpf),
tcx:IFNAME:ingress|egress (a TC link, Linux 6.6+), cgroup:PATH,
tp:CATEGORY/NAME, raw_tp:NAME.
  --allow-gap     where the hook cannot swap programs atomically (tracepoints, raw tracepoints),
                  detach and re-attach instead (a moment without the program)
  --migrate FILE  an ES module exporting, per changed map, \`export function MAP(from, to)\` that
                  copies the old map's entries into the new one (typed maps)`;

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIo: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

class UsageError extends Error {}

interface LoadArgs {
  input: string;
  attach: ModuleAttach[];
  pinDir: string;
  allowGap: boolean;
  migrate: string | null;
}

/** `[PROG=]SPEC` (a '=' before any ':' names the program). */
export function parseAttach(v: string): ModuleAttach {
  const eq = v.indexOf("=");
  return eq > 0 && !v.slice(0, eq).includes(":") ? { program: v.slice(0, eq), spec: v.slice(eq + 1) } : { spec: v };
}

function parseArgs(args: string[]): LoadArgs {
  let input: string | undefined;
  let pinDir: string | undefined;
  let migrate: string | null = null;
  let allowGap = false;
  const attach: ModuleAttach[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--attach") attach.push(parseAttach(value()));
    else if (a === "--pin") pinDir = value();
    else if (a === "--migrate") migrate = value();
    else if (a === "--allow-gap") allowGap = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (input === undefined) input = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (input === undefined) throw new UsageError("missing input file");
  if (pinDir === undefined) throw new UsageError("missing --pin DIR");
  if (attach.length === 0) throw new UsageError("missing --attach SPEC");
  return { input, attach, pinDir, allowGap, migrate };
}

/** The object bytes for `input` (compiled when it is TypeScript), or null after printing diagnostics. */
export function objectFor(input: string, err: (s: string) => void): Uint8Array | string | null {
  if (!/\.ts$/.test(input)) return input;
  const text = readFileSync(input, "utf8");
  const r = compile(input, text);
  for (const d of r.diagnostics) err(formatDiagnostic(d, text, false) + "\n");
  if (!r.ok || !r.object) {
    const n = r.diagnostics.filter((d) => d.severity !== "warning").length;
    err(`${n} error${n === 1 ? "" : "s"}; nothing loaded\n`);
    return null;
  }
  return r.object;
}

/** The last "; source @ file:line" the verifier printed before rejecting (tsbpf objects carry line info). */
export function verifierSourceLine(log: string): string | null {
  const lines = log.split("\n").filter((l) => /^; .* @ .+:\d+$/.test(l));
  const last = lines[lines.length - 1];
  if (!last) return null;
  const m = /^; (.*) @ (.+:\d+)$/.exec(last)!;
  return `${m[2]}: ${m[1]!.trim()}`;
}

/** One line per thing done, for load and run --watch. */
export function describeDeploy(r: DeployReport, out: (s: string) => void): void {
  for (const p of r.programs) {
    const id = p.progId !== undefined ? ` (prog id ${p.progId})` : "";
    switch (p.action) {
      case "attached":
        out(`attached ${p.program} to ${p.spec}${id}\n`);
        break;
      case "replaced":
        out(`replaced ${p.program} on ${p.spec} atomically in ${p.micros!.toFixed(0)} µs${id}\n`);
        break;
      case "reattached":
        out(`re-attached ${p.program} on ${p.spec} (detach + attach: the hook had no program for a moment)${id}\n`);
        break;
      case "detached":
        out(`detached ${p.program} from ${p.spec} (not in the new version)\n`);
        break;
    }
  }
  const maps: string[] = [
    ...r.plan.reused.map((m) => `${m} (reused, entries kept)`),
    ...r.plan.fresh.map((m) => `${m} (new)`),
    ...r.plan.migrated.map((m) => `${m.name} (migrated: ${m.difference})`),
    ...r.removedMaps.map((m) => `${m} (unpinned: not in the new version)`),
  ];
  if (maps.length) out(`maps: ${maps.join(", ")}\n`);
}

/** Report a failed load: verifier rejections name the TypeScript line the kernel stopped at. */
export function describeLoadError(e: unknown, err: (s: string) => void): void {
  if (e instanceof VerifierError) {
    const at = verifierSourceLine(e.log);
    err(`error: ${e.message}\n${at ? `  at ${at}\n` : ""}`);
    return;
  }
  const x = e as NodeJS.ErrnoException;
  err(x.code === "ENOENT" && x.path ? `error: cannot read ${x.path}: no such file\n` : `error: ${x.message}\n`);
}

async function loadMigrations(file: string): Promise<Record<string, MapMigration>> {
  const mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const src = (mod.default && typeof mod.default === "object" ? mod.default : mod) as Record<string, unknown>;
  const out: Record<string, MapMigration> = {};
  for (const [k, v] of Object.entries(src)) if (typeof v === "function") out[k] = v as MapMigration;
  if (Object.keys(out).length === 0) throw new Error(`${file} exports no migration functions (export function MAPNAME(from, to) { ... })`);
  return out;
}

/** `tsbpf load ...`; resolves to the exit code (0 done, 1 refused or failed, 2 usage). */
export async function loadCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  let a: LoadArgs;
  try {
    a = parseArgs(args);
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n${LOAD_USAGE}\n`);
    return 2;
  }
  try {
    const migrate = a.migrate ? await loadMigrations(a.migrate) : undefined;
    const src = objectFor(a.input, io.stderr);
    if (src === null) return 1;
    const r = deployModule(src, {
      pinDir: a.pinDir,
      attach: a.attach,
      allowGap: a.allowGap,
      migrate,
      source: resolve(a.input),
      objectName: a.input.replace(/^.*\//, "").replace(/(\.bpf)?\.(o|ts)$/, ""),
    });
    describeDeploy(r, io.stdout);
    io.stdout(`${r.record.generation === 1 ? "loaded" : `replaced (generation ${r.record.generation})`}: pinned in ${r.record.pinDir}\n`);
    return 0;
  } catch (e) {
    describeLoadError(e, io.stderr);
    return 1;
  }
}
