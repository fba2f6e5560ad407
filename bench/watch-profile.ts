// Where a watch-mode rebuild's time goes, in process: the watcher's rebuild path (read the file,
// compile() with the incremental state, check the file still holds the text, write the object) run
// on alternating edits of bench/watch-time.ts's 200-line program, with each compile stage timed
// (compile.ts's `mark` option) and, with --cpu-prof, a CPU profile of the rebuilds summarised by
// where the time goes (TypeScript, our compiler by directory, Node, GC) and by the heaviest
// functions, self and inclusive.
//   node --import tsx bench/watch-profile.ts [--runs N] [--idle-gc] [--gap MS] [--count-fs] [--cpu-prof] [--focus FUNCTION] [--top N] [--dist]

import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import os from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import { join } from "node:path";
import type { IncrementalState } from "../compiler/compile.js";
import { SHAPES } from "./synthetic.js";

/**
 * --count-fs: count the synchronous fs calls of the timed rebuilds (TypeScript's compiler host goes
 * through node:fs's CommonJS object, wrapped here before TypeScript is loaded).
 */
const fsCalls = new Map<string, number>();
let countingFs = false;
if (process.argv.includes("--count-fs")) {
  const fs = (await import("node:fs")).default as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of ["statSync", "lstatSync", "readFileSync", "existsSync", "realpathSync", "readdirSync", "openSync", "accessSync"]) {
    const real = fs[name]!;
    fs[name] = Object.assign((...a: unknown[]) => {
      if (countingFs) fsCalls.set(`${name} ${String(a[0])}`, (fsCalls.get(`${name} ${String(a[0])}`) ?? 0) + 1);
      return real(...a);
    }, real);
  }
}

// --dist: the compiled dist/ (what `tsbpf build --watch` runs, with its line numbers in the profile).
const from = process.argv.includes("--dist") ? "../dist/compiler" : "../compiler";
const { compile } = (await import(`${from}/compile.js`)) as typeof import("../compiler/compile.js");
const { holds, overwrite } = (await import(`${from}/tools/build-watch.js`)) as typeof import("../compiler/tools/build-watch.js");

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg("--runs", 20);
const TOP = arg("--top", 25);
/** --gap MS: wait this long between timed rebuilds, as between saves (caches cool down meanwhile). */
const GAP = arg("--gap", 0);
const PROFILE = process.argv.includes("--cpu-prof");
/** --idle-gc: a young-generation collection after each rebuild, untimed, as the watcher does. */
const IDLE_GC = process.argv.includes("--idle-gc")
  ? (v8.setFlagsFromString("--expose-gc"), vm.runInNewContext("gc") as (o: { type: "minor" }) => void)
  : undefined;
/** --focus NAME: the profile summary counts only samples with a function of that name on the stack. */
const FOCUS = process.argv.includes("--focus") ? process.argv[process.argv.indexOf("--focus") + 1] : undefined;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const tmp = mkdtempSync(join(os.tmpdir(), "tsbpf-watch-profile-"));
const file = join(tmp, "watched.bpf.ts");
const out = join(tmp, "watched.o");
const source = (k: number) => SHAPES.programs(200).replace("let y: u32 = e.value ^", `let y: u32 = e.value + ${k} ^`);

/**
 * Nanoseconds this thread has run on a CPU (Linux schedstat): unlike wall time, not inflated by
 * waiting for a CPU on a loaded machine, and unlike process CPU time, without V8's helper threads.
 */
const threadNs = (): number => {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
  } catch {
    return Number.NaN;
  }
};

const state: IncrementalState = {};
/** One rebuild as build-watch.ts does it; stage times appended to `times`. */
function rebuild(k: number, times?: Map<string, number[]>): number {
  writeFileSync(file, source(k));
  const t0 = performance.now();
  let t = t0;
  const lap = (stage: string): void => {
    const now = performance.now();
    if (times) (times.get(stage) ?? times.set(stage, []).get(stage)!).push(now - t);
    t = now;
  };
  const text = readFileSync(file, "utf8");
  lap("read file");
  const r = compile(file, text, { incremental: state, mark: lap });
  if (!r.ok || !r.object) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  holds(file, text);
  lap("stat (holds)");
  overwrite(out, r.object);
  lap("write object");
  return performance.now() - t0;
}

rebuild(0);
// The watcher's warm-up: cold compiles of the same text.
for (let i = 0; i < 8; i++) compile(file, source(0));
for (let k = 1; k <= 10; k++) rebuild(k); // and a few rebuilds, so the incremental path is JIT-compiled too

const times = new Map<string, number[]>();
const total: number[] = [];
const cpu: number[] = [];
const onCpu: number[] = [];
countingFs = true;
for (let k = 0; k < RUNS; k++) {
  const c0 = process.cpuUsage();
  const n0 = threadNs();
  total.push(rebuild(k % 2 ? 11 : 12, times));
  onCpu.push((threadNs() - n0) / 1e6);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  IDLE_GC?.({ type: "minor" });
  if (GAP > 0) await new Promise((r) => setTimeout(r, GAP));
}
countingFs = false;
const last = state.last;
console.log(
  `${RUNS} rebuilds (${JSON.stringify(last)}), load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(", ")}`,
);
console.log(
  `total: median ${median(total).toFixed(2)} ms, min ${Math.min(...total).toFixed(2)}, max ${Math.max(...total).toFixed(2)}; CPU median ${median(cpu).toFixed(2)} ms; main thread on a CPU median ${median(onCpu).toFixed(2)} ms, min ${Math.min(...onCpu).toFixed(2)}`,
);
if (fsCalls.size) {
  console.log(`fs calls by TypeScript's host per rebuild (the watcher's own read, stat and write not included):`);
  for (const [call, n] of fsCalls) console.log(`  ${(n / RUNS).toFixed(1)}  ${call}`);
} else if (process.argv.includes("--count-fs")) console.log("fs calls by TypeScript's host per rebuild: none");
for (const [stage, xs] of times)
  console.log(
    `  ${stage.padEnd(22)} median ${median(xs).toFixed(2).padStart(6)} ms  min ${Math.min(...xs)
      .toFixed(2)
      .padStart(6)}`,
  );

if (PROFILE) {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 50 });
  await session.post("Profiler.start");
  const n = Math.max(RUNS, 200);
  for (let k = 0; k < n; k++) {
    rebuild(k % 2 ? 11 : 12);
    IDLE_GC?.({ type: "minor" }); // outside rebuild(): --focus rebuild leaves it out
  }
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  writeFileSync(join(os.tmpdir(), `watch-rebuild-${process.pid}.cpuprofile`), JSON.stringify(profile));
  summarise(profile as Profile, n);
}
rmSync(tmp, { recursive: true, force: true });

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function summarise(p: Profile, rebuilds: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const place = (n: Node): string => {
    const u = n.callFrame.url;
    if (n.callFrame.functionName === "(garbage collector)") return "GC";
    if (u.includes("typescript/lib")) return "typescript";
    const m = /wt-watch\/([^?]*)/.exec(u) ?? /\/(compiler\/[^?]*|common\/[^?]*)/.exec(u);
    if (m) return m[1]!.split("/").slice(0, -1).join("/") || m[1]!;
    if (u.startsWith("node:")) return "node";
    return n.callFrame.functionName.startsWith("(") ? n.callFrame.functionName : u || "(native)";
  };
  const self = new Map<string, number>();
  const where = new Map<string, number>();
  const incl = new Map<string, number>();
  let all = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i]! / 1000;
    if (FOCUS) {
      let x: number | undefined = id;
      while (x !== undefined && byId.get(x)!.callFrame.functionName !== FOCUS) x = parent.get(x);
      if (x === undefined) return;
    }
    all += dt;
    const n = byId.get(id)!;
    const name = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
    where.set(place(n), (where.get(place(n)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const f = byId.get(x)!;
      const key = `${f.callFrame.functionName || "(anon)"} ${f.callFrame.url.split("/").pop()}:${f.callFrame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + dt);
    }
  });
  const per = (ms: number) => `${(ms / rebuilds).toFixed(2).padStart(6)} ms/rebuild`;
  console.log(
    `\nCPU profile of ${rebuilds} rebuilds${FOCUS ? `, inside ${FOCUS}` : ""} (${(all / rebuilds).toFixed(2)} ms each), by place (self time):`,
  );
  for (const [k, v] of [...where].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${per(v)}  ${k}`);
  console.log(`\nheaviest functions, self:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${per(v)}  ${k}`);
  console.log(`\nheaviest functions, inclusive:`);
  for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, TOP * 2)) console.log(`  ${per(v)}  ${k}`);
}
