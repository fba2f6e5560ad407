// Hostile-input fuzzing of the compiler (issue 10): grammar programs mixing supported and unsupported
// TypeScript, mutations of every example and fixture, size attacks and arbitrary bytes
// (test/support/hostile-gen.ts). Property: an object or diagnostics with file, position and code,
// within --max-ms, never an internal error. Every input that compiles is loaded into the kernel when
// bpf() works ("if it compiles, it verifies"); a rejection is written to --out for minimising.
//
//   npm run fuzz:hostile -- [--runs 100000] [--seed N] [--max-ms 20000] [--out .tmp/hostile] [--no-load]
//   (Ctrl-C stops early and prints the totals so far)

import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { COST_WARNING_CODES } from "../compiler/diagnostics-table.js";
import { bpfAvailable, loadObject, VerifierError } from "../runtime/index.js";
import { checkInput, hostileArb, seedSources } from "../test/support/hostile-gen.js";

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg("runs") ?? 10_000);
const seed = Number(arg("seed") ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
const maxMs = Number(arg("max-ms") ?? 20_000);
const out = arg("out") ?? ".tmp/hostile";
const load = !process.argv.includes("--no-load") && bpfAvailable().ok;

fs.mkdirSync(out, { recursive: true });
const seeds = seedSources();
console.log(`fuzz:hostile: ${runs} inputs, seed ${seed}, ${seeds.length} seed files, kernel loads ${load ? "on" : "off"}`);

const stats = {
  inputs: 0,
  objects: 0,
  diagnostics: 0,
  crashes: 0,
  slow: 0,
  loaded: 0,
  rejected: 0,
  warnedRejected: 0,
  loadErrors: 0,
  unloadable: 0,
  slowestMs: 0,
  byKind: {} as Record<string, number>,
};
const t0 = performance.now();
let last = t0;
const save = (what: string, text: string, detail: string) => {
  const f = path.join(out, `${what}-${seed}-${stats.inputs}.bpf.ts`);
  fs.writeFileSync(f, text);
  fs.writeFileSync(`${f}.txt`, detail);
  console.log(`  ${what}: ${f}: ${detail.split("\n")[0].slice(0, 200)}`);
};

// Ctrl-C (or SIGTERM) ends a long run early with the totals so far.
let stop = false;
process.on("SIGINT", () => (stop = true));
process.on("SIGTERM", () => (stop = true));

// Inputs are drawn in chunks (seed, seed+1, ...): 100,000 size attacks at once would not fit in memory,
// and the pause between chunks lets a signal in.
const arb = hostileArb(seeds);
const chunks = function* () {
  for (let chunk = 0; stats.inputs < runs && !stop; chunk++) {
    yield* fc.sample(arb, { numRuns: Math.min(500, runs - stats.inputs), seed: seed + chunk });
  }
};
let sinceYield = 0;
for (const input of chunks()) {
  if (stop) break;
  if (++sinceYield >= 50) {
    sinceYield = 0;
    await new Promise((r) => setImmediate(r));
  }
  stats.inputs++;
  stats.byKind[input.kind] = (stats.byKind[input.kind] ?? 0) + 1;
  const v = checkInput("/tmp/hostile.bpf.ts", input.text);
  stats.slowestMs = Math.max(stats.slowestMs, v.ms);
  if (v.problem) {
    stats.crashes++;
    save("crash", input.text, v.problem);
  } else if (v.ms > maxMs) {
    stats.slow++;
    save("slow", input.text, `${v.ms.toFixed(0)} ms`);
  }
  if (v.result?.ok && v.result.object) {
    stats.objects++;
    if (load) {
      try {
        loadObject(v.result.object).close();
        stats.loaded++;
      } catch (e) {
        // fentry/fexit/LSM loads are refused with EPERM on kernels without trampolines: not a bug.
        if (/EPERM/.test((e as Error).message)) stats.unloadable++;
        else if (e instanceof VerifierError && v.result.diagnostics.some((d) => COST_WARNING_CODES.has(d.code))) {
          // The compiler said so (a cost warning): "never rejected without saying so" holds.
          stats.warnedRejected++;
          save("warned-rejected", input.text, `${e.message}\n\n${e.log.slice(-4000)}`);
        } else if (e instanceof VerifierError) {
          stats.rejected++;
          save("rejected", input.text, `${e.message}\n\n${e.log.slice(-4000)}`);
        } else {
          stats.loadErrors++;
          save("load-error", input.text, (e as Error).message);
        }
      }
    }
  } else if (v.result) stats.diagnostics++;
  const now = performance.now();
  if (now - last > 30_000) {
    last = now;
    console.log(
      `  ${stats.inputs} inputs, ${(stats.inputs / ((now - t0) / 1000)).toFixed(1)}/s, ${stats.crashes} crashes, ${stats.rejected} rejections`,
    );
  }
}
const secs = (performance.now() - t0) / 1000;
console.log(
  `inputs ${stats.inputs} (${Object.entries(stats.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ")}), ${(stats.inputs / secs).toFixed(1)} inputs/s, ${secs.toFixed(0)} s\n` +
    `objects ${stats.objects} (loaded ${stats.loaded}, verifier rejections ${stats.rejected} (and ${stats.warnedRejected} after a cost warning), EPERM (program kinds this kernel refuses) ${stats.unloadable}, other load errors ${stats.loadErrors}), diagnostics ${stats.diagnostics}\n` +
    `crashes ${stats.crashes}, over ${maxMs} ms ${stats.slow}, slowest ${stats.slowestMs.toFixed(0)} ms, seed ${seed}`,
);
process.exit(stats.crashes + stats.rejected + stats.loadErrors + stats.slow > 0 ? 1 : 0);
