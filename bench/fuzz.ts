// Differential fuzzing of the compiler against the reference evaluator (test/support/diff-*.ts):
// random well-typed programs are compiled in batches, run in the kernel and compared with the
// reference on random packets. On a failure fast-check shrinks the batch to one minimal program.
//
//   npm run fuzz -- [--runs 5000] [--batch 25] [--seed N] [--inputs 4] [--no-side-effects] [--no-calls]
//                   [--no-packet-loops] [--no-struct-copies] [--no-switches] [--no-while] [--no-labels] [--no-atomics]
//                   [--no-byte-order] [--no-bpf-loop]
//                   [--tracing N]
//                   [--expr-depth 3] [--stmt-depth 2] [--stmts 8] [--no-shrink] [--print N] [--strict]
//                   [--show-refusals 3] [--show-warned 0]
//
// --runs counts programs. Reproduce a failure with the printed seed (and the same options). Seeds
// quoted before switches, while loops, labels, atomics, byte-order functions and loop() joined the
// generator (December 2026) give the same programs as then with --no-switches --no-while
// --no-labels --no-atomics --no-byte-order --no-bpf-loop.
// --tracing N (default runs/5): N more programs compiled as tracepoint, raw_tp and tp_btf programs
// reading their context, loaded but not run (the kernel cannot test-run those kinds).
// A program the verifier refuses for its size counts as a failure unless the compiler warned of
// its cost (TSBPF30xx); the run goes on and fails at the end, after the report.
// --print N prints N generated programs for the seed and exits (no kernel needed).
// --strict also fails on known, already-reported compiler bugs instead of compiling around them
// (see HarnessOptions.strict in test/support/diff-harness.ts).

import fc from "fast-check";
import { caseArb, laterShapes, printProgram, programArb, TRACING_KINDS, type GenOptions } from "../test/support/diff-gen.js";
import {
  costWarned,
  type Failure,
  tscRejected,
  formatFailures,
  formatShapes,
  loadTracingBatch,
  newStats,
  newTracingStats,
  runBatch,
} from "../test/support/diff-harness.js";
import { bpfAvailable } from "../runtime/index.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const num = (name: string, dflt: number): number => {
  const v = arg(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`--${name} wants an integer, got ${v}`);
  return n;
};

const runs = num("runs", 1000);
const batch = num("batch", 25);
const seed = num("seed", (Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
const inputs = num("inputs", 4);
const opts: GenOptions = {
  exprDepth: num("expr-depth", 3),
  stmtDepth: num("stmt-depth", 2),
  maxStmts: num("stmts", 8),
  sideEffects: !flag("no-side-effects"),
  calls: !flag("no-calls"),
  packetLoops: !flag("no-packet-loops"),
  structCopies: !flag("no-struct-copies"),
  ...laterShapes((f) => process.argv.includes(f)),
};
const print = arg("print");

if (print !== undefined) {
  const progs = fc.sample(caseArb(opts, inputs), { numRuns: Number(print), seed }).map((c) => c.prog);
  console.log(printProgram(progs));
  process.exit(0);
}

const avail = bpfAvailable();
if (!avail.ok) {
  console.error(`fuzz needs a working bpf(): ${avail.reason}`);
  process.exit(2);
}

console.log(`fuzz: ${runs} programs in batches of ${batch}, ${inputs} packets each, seed ${seed}, options ${JSON.stringify(opts)}`);
const stats = newStats();
const strict = flag("strict");
const showRefusals = num("show-refusals", 3); // how many cost refusals to print in full
const showWarned = num("show-warned", 0); // how many programs that loaded after a cost warning to print
const t0 = performance.now();
let lastReport = t0;
let shrinking = false;
let tscRejects = 0;
let costRefusals = 0;
let costWarnedCount = 0;
let steps = 0;

const prop = fc.property(fc.array(caseArb(opts, inputs), { minLength: 1, maxLength: batch, size: "max" }), (cases) => {
  if (shrinking) steps++;
  else if (stats.programs >= runs) return; // enough programs: let the remaining runs pass idle
  let failures = runBatch(cases, stats, { strict });
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    const phase = shrinking ? `shrinking (${steps} steps)` : "searching";
    console.log(
      `  ${phase}: ${stats.programs} programs, ${stats.runs} runs, ${stats.compiles} compiles, ${((now - t0) / 1000).toFixed(0)} s`,
    );
  }
  // The verifier giving up on a program's size (a verifier-cost estimate that was too low) is a
  // bug of its own kind: count it, keep the first few, and go on comparing the other programs.
  if (!shrinking) {
    for (const f of failures.filter((x) => x.kind === "cost")) {
      costRefusals++;
      const warned = costWarned(f.detail);
      if (warned) costWarnedCount++;
      // The first few refusals with no warning are shown whatever --show-refusals says: they fail the run.
      if (costRefusals <= showRefusals || (!warned && costRefusals - costWarnedCount <= 3))
        console.log(`verifier refused a program for its cost (${costRefusals}):\n${formatFailures([f])}\n`);
    }
    failures = failures.filter((x) => x.kind !== "cost");
  }
  // A batch tsc itself rejects (the generator produced code tsc's narrowing refuses, e.g. a
  // comparison with a local an earlier one narrowed to a literal) is not a compiler bug: count it,
  // and compare nothing for it. After the cost refusals are set aside: a batch with both was taken
  // for a failure and shrunk to the tsc rejection (seed 20261227 --expr-depth 5).
  if (!shrinking && failures.length && failures.every(tscRejected)) {
    tscRejects++;
    return;
  }
  // While shrinking, only the kinds of failure that started it count: a smaller batch that tsc
  // rejects or the verifier refuses for its size is not the bug (seed 20261322 shrank a failure into
  // a program tsc's narrowing rejects, and lost it).
  if (shrinking) failures = failures.filter((x) => x.kind !== "cost" && !tscRejected(x));
  if (failures.length) {
    if (!shrinking) console.log(`found a failure after ${stats.programs} programs; shrinking...`);
    shrinking = true;
    throw new Error(formatFailures(failures.slice(0, 1)));
  }
});

// Batches hold 1..batch programs (shrinking needs the lower bound); run until `runs` programs ran.
const result = fc.check(prop, { numRuns: runs, seed, endOnFailure: flag("no-shrink") });
const secs = ((performance.now() - t0) / 1000).toFixed(1);
if (result.failed) {
  console.log(
    `\nFAILED (seed ${seed}, ${stats.programs} programs, ${stats.runs} runs, ${secs} s; counterexample shrunk ${result.numShrinks} times)`,
  );
  const err = result.errorInstance as Error | undefined;
  console.log(err?.message ?? String(result.errorInstance));
  console.log(`\nreproduce: npm run fuzz -- --seed ${seed} --runs ${runs} --batch ${batch}`);
  process.exit(1);
}
console.log(
  `ok: ${stats.programs} programs, ${stats.runs} runs, ${stats.compiles} compiles (${stats.knownBugs} around known bugs), ${tscRejects} batches tsc rejected, 0 mismatches, ${secs} s, seed ${seed}`,
);
console.log(`  verifier refusals for cost: ${costRefusals} (${costWarnedCount} after a compiler warning)`);
console.log(`  programs per shape: ${formatShapes(stats.shapes)}`);
console.log(`  runs per event: ${formatShapes(stats.events)}`);
console.log(`  warnings on programs that loaded: ${formatShapes(stats.warnings) || "none"}`);
for (const w of stats.warnedPrograms.slice(0, showWarned)) console.log(`\nloaded after ${w.code}:\n${w.source}`);

// Tracing kinds (tracepoint, raw_tp, tp_btf) cannot be test-run: the same generator's programs, with
// every Input read taken from the context, must compile and load. A refusal is a bug like a mismatch.
const tracing = num("tracing", Math.ceil(runs / 5));
if (tracing > 0) {
  const t1 = performance.now();
  const tstats = newTracingStats();
  const progs = fc.sample(programArb({ ...opts, tracing: true }), { numRuns: tracing, seed });
  const tfails: Failure[] = [];
  for (let i = 0; i < progs.length; i += batch) {
    const kind = TRACING_KINDS[(i / batch) % TRACING_KINDS.length]!;
    tfails.push(...loadTracingBatch(progs.slice(i, i + batch), kind, tstats, i));
  }
  const byKind = (k: string) => tfails.filter((f) => f.kind === k).length;
  // A refusal for size after the compiler's cost warning is what the warning said would happen.
  // The detail starts with the kind ("tracepoint: compiler warned: ..."): seed 20261350's warned
  // refusal was counted as one with no warning.
  const warned = tfails.filter((f) => f.kind === "cost" && costWarned(f.detail));
  // A program tsc itself rejects (the generator's comparison of literals with no overlap) is not a
  // compiler bug, as in the batches above (seed 20261351's case 1843 failed the run).
  const tsc = tfails.filter(tscRejected);
  const hard = tfails.filter((f) => !warned.includes(f) && !tsc.includes(f));
  const tsecs = ((performance.now() - t1) / 1000).toFixed(1);
  console.log(
    `tracing (load-only): ${progs.length} programs, loaded ${formatShapes(tstats.loaded)}; ` +
      `compile failures ${byKind("compile")} (${tsc.length} tsc rejected), verifier rejections ${byKind("load")}, refusals for cost ${byKind("cost")} ` +
      `(${warned.length} after a compiler warning); ${tstats.compiles} compiles, ${tsecs} s`,
  );
  for (const f of warned.slice(0, showRefusals)) console.log(`verifier refused a program for its cost:\n${formatFailures([f])}\n`);
  for (const f of hard.slice(0, 3)) console.log(formatFailures([f]));
  if (hard.length) process.exit(1);
}
// A refusal for size with no warning is an accepted program the verifier rejects: the run fails,
// after the report.
if (costRefusals > costWarnedCount) {
  console.log(`FAILED: ${costRefusals - costWarnedCount} programs refused for their cost without a compiler warning (seed ${seed})`);
  process.exit(1);
}
