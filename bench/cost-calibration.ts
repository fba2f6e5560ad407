// How well the verifier-cost estimate (compiler/frontend/verifier-cost.ts) tracks the kernel, on the
// differential fuzzer's programs: each program is compiled on its own and loaded, and its estimate
// is set beside the verifier's processed count. Prints the refusals (warned or not: an unwarned one
// is a bug of issue 10's kind), the cost warnings on programs that loaded (false alarms), and the
// spread of processed / estimate. A program is named by its seed and index: --show N prints the
// unwarned refusals in full and lists the N worst underestimates; --print I prints program I.
// Exit status 1 when a program was refused for its cost with no warning.
//
//   npm run fuzz:cost -- [--seed N] [--runs 2000] [--show 3] [--out file.jsonl] [--print I] [--no-switches] [--no-while] [--no-labels] [--no-atomics]
//                       [--no-byte-order] [--no-bpf-loop]

import { appendFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { compile } from "../compiler/compile.js";
import { COST_WARNING_CODES } from "../compiler/diagnostics-table.js";
import { bpfAvailable } from "../runtime/index.js";
import { verdict } from "./load-verdict.js";
import { caseArb, laterShapes, printProgram, type GenOptions } from "../test/support/diff-gen.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string, dflt: number): number => (arg(name) === undefined ? dflt : Number(arg(name)));

const seed = num("seed", (Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
const runs = num("runs", 2000);
const show = num("show", 3);
const out = arg("out");
// The fuzzer's default generator options (bench/fuzz.ts), so a seed means the same programs there.
// Seeds quoted before switches, while loops, labels, atomics, byte-order functions and loop() joined
// the generator give the same programs with --no-switches --no-while --no-labels --no-atomics
// --no-byte-order --no-bpf-loop.
const opts: GenOptions = {
  exprDepth: 3,
  stmtDepth: 2,
  maxStmts: 8,
  sideEffects: true,
  calls: true,
  packetLoops: true,
  structCopies: true,
  ...laterShapes((f) => process.argv.includes(f)),
};

const print = arg("print");
if (print !== undefined) {
  const progs = fc.sample(caseArb(opts, 4), { numRuns: Math.max(runs, Number(print) + 1), seed }).map((c) => c.prog);
  console.log(printProgram([progs[Number(print)]!]));
  process.exit(0);
}

const avail = bpfAvailable();
if (!avail.ok) {
  console.error(`fuzz:cost needs a working bpf(): ${avail.reason}`);
  process.exit(2);
}

interface Row {
  i: number;
  estimate: number;
  codes: string[];
  /** Processed count, or undefined when refused for its cost. */
  processed?: number;
  refused?: string;
}

console.log(`fuzz:cost: ${runs} programs, seed ${seed}`);
const t0 = performance.now();
const progs = fc.sample(caseArb(opts, 4), { numRuns: runs, seed }).map((c) => c.prog);
if (out) writeFileSync(out, "");
const rows: Row[] = [];
const sources = new Map<number, string>();
let compileErrors = 0;
let costErrors = 0;
const otherLoadErrors: string[] = [];
for (let i = 0; i < progs.length; i++) {
  const src = printProgram([progs[i]!]);
  const r = compile("diff.bpf.ts", src);
  const codes = r.diagnostics.map((d) => d.code);
  if (!r.ok || !r.object) {
    if (codes.some((c) => COST_WARNING_CODES.has(c))) costErrors++;
    else {
      compileErrors++;
      console.log(`  #${i} did not compile: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}`);
    }
    continue;
  }
  const v = verdict(r.object);
  if ("error" in v) {
    otherLoadErrors.push(`#${i}: ${v.error}`);
    continue;
  }
  const row: Row = { i, estimate: r.programs[0]?.verifierSteps ?? 0, codes, ...v };
  rows.push(row);
  if ("refused" in v || row.codes.length > 0) sources.set(i, src);
  if (out) appendFileSync(out, `${JSON.stringify(row)}\n`);
  if ((i + 1) % 500 === 0) console.log(`  ${i + 1} programs, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

const warned = (r: Row) => r.codes.some((c) => COST_WARNING_CODES.has(c));
const refused = rows.filter((r) => r.refused !== undefined);
const unwarned = refused.filter((r) => !warned(r));
const loaded = rows.filter((r) => r.processed !== undefined);
const falseAlarms = loaded.filter(warned);
const ratios = loaded.filter((r) => r.estimate > 0).map((r) => ({ r, x: r.processed! / r.estimate }));
ratios.sort((a, b) => a.x - b.x);
const q = (p: number) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))]?.x ?? Number.NaN;
const byCode = new Map<string, number>();
for (const r of falseAlarms) for (const c of r.codes.filter((c) => COST_WARNING_CODES.has(c))) byCode.set(c, (byCode.get(c) ?? 0) + 1);

console.log(
  `programs ${progs.length}: loaded ${loaded.length}, refused for their cost ${refused.length} (${refused.length - unwarned.length} after a warning, ${unwarned.length} with none), compile-time cost errors ${costErrors}, other compile errors ${compileErrors}, other load errors ${otherLoadErrors.length}; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
console.log(
  `cost warnings on programs that loaded: ${falseAlarms.length}${byCode.size ? ` (${[...byCode].map(([c, n]) => `${c} ${n}`).join(", ")})` : ""}`,
);
console.log(
  `processed / estimate on programs that loaded: median ${q(0.5).toFixed(2)}, 90% ${q(0.9).toFixed(2)}, 99% ${q(0.99).toFixed(2)}, 99.9% ${q(0.999).toFixed(2)}, max ${ratios.at(-1)?.x.toFixed(2)}`,
);
for (const e of otherLoadErrors.slice(0, 5)) console.log(`load error ${e}`);
for (const r of refused) console.log(`refused #${r.i}: estimate ${r.estimate}, ${warned(r) ? r.codes.join(",") : "NO WARNING"}`);
const worst = show > 0 ? ratios.slice(-show).reverse() : [];
for (const { r, x } of worst) console.log(`underestimate #${r.i}: estimate ${r.estimate}, processed ${r.processed} (${x.toFixed(1)}x)`);
for (const r of unwarned.slice(0, show)) console.log(`\n--- #${r.i} (refused with no warning):\n${sources.get(r.i)}`);
process.exitCode = unwarned.length > 0 ? 1 : 0;
