// What each optimisation pass buys on the benchmark programs: part of `npm run bench`, or alone with
// `node --import tsx bench/pass-effects.ts`. For each pass of PASSES it compiles every
// program of bench/catalogue.ts with the default pipeline minus that pass and reports Σ slots and
// Σ verifier-processed instructions beside the full pipeline (kernel numbers need bpf()).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../compiler/compile.js";
import { defaultPipeline, type Pass } from "../compiler/passes/index.js";
import { bpfAvailable, loadObject } from "../runtime/index.js";
import { PROGRAMS } from "./catalogue.js";
import { funcSymbols } from "./elf.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The passes measured (each occurrence in the pipeline is removed). */
export const PASSES = [
  "range-fold",
  "licm",
  "addr-fold",
  "narrow-store",
  "iv-merge",
  "dead-stack-store",
  "suffix-merge",
  "eq-prop",
  "same-stack-store",
  "fill-in-place",
  "bit-fold",
  "hoist-common",
  "loop-sr",
];

interface Totals {
  slots: number;
  processed: number | null;
  perProgram: Map<string, { slots: number; processed: number | null }>;
}

function measure(): Totals {
  const perProgram = new Map<string, { slots: number; processed: number | null }>();
  let slots = 0;
  let processed: number | null = bpfAvailable().ok ? 0 : null;
  for (const p of PROGRAMS) {
    const path = join(p.dir, `${p.name}.bpf.ts`);
    const r = compile(path, readFileSync(join(ROOT, path), "utf8"));
    if (!r.ok || !r.object) throw new Error(`${p.name}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    const s = funcSymbols(r.object).reduce((n, f) => n + f.size / 8, 0);
    let pr: number | null = null;
    // Programs this kernel refuses to load (fexit: EPERM) are counted in slots only.
    if (processed !== null && !p.refusedHere) {
      using obj = loadObject(r.object, { logLevel: 1 | 4, name: "bench" });
      const log = [...obj.programs.values()][0]!.verifierLog;
      pr = Number(/processed (\d+) insns/.exec(log)?.[1] ?? NaN);
      processed += pr;
    }
    slots += s;
    perProgram.set(p.name, { slots: s, processed: pr });
  }
  return { slots, processed, perProgram };
}

/** Runs `fn` with `name` taken out of the default pipeline (restored afterwards). */
function without<T>(name: string, fn: () => T): T {
  const pipeline = defaultPipeline as Pass[];
  const saved = [...pipeline];
  pipeline.splice(0, pipeline.length, ...saved.filter((p) => p.name !== name));
  try {
    return fn();
  } finally {
    pipeline.splice(0, pipeline.length, ...saved);
  }
}

export function passEffectsTable(): string {
  const full = measure();
  const fmt = (n: number | null): string => (n === null ? "n/a" : String(n));
  const lines = [
    "| pass removed | Σ slots | Σ processed | slots the pass saves | processed the pass saves | programs it changes |",
    "|---|---:|---:|---:|---:|---|",
    `| (none: full pipeline) | ${full.slots} | ${fmt(full.processed)} | | | |`,
  ];
  for (const name of PASSES) {
    process.stderr.write(`pass-effects: without ${name}\n`);
    const t = without(name, measure);
    const changed = [...t.perProgram]
      .filter(([n, v]) => {
        const f = full.perProgram.get(n)!;
        return v.slots !== f.slots || v.processed !== f.processed;
      })
      .map(([n, v]) => {
        const f = full.perProgram.get(n)!;
        return `${n} ${v.slots}→${f.slots} / ${fmt(v.processed)}→${fmt(f.processed)}`;
      });
    const dp = t.processed === null || full.processed === null ? null : t.processed - full.processed;
    lines.push(`| ${name} | ${t.slots} | ${fmt(t.processed)} | ${t.slots - full.slots} | ${fmt(dp)} | ${changed.join("; ") || "—"} |`);
  }
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.stdout.write(passEffectsTable() + "\n");
