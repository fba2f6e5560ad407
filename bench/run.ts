// `npm run bench`: tsbpf against clang-19 -O2 (-mcpu=v3 and -mcpu=v4) on the programs of
// bench/catalogue.ts. For each program and each compiler it measures
//   - instruction slots in the object (the sizes of all its FUNC symbols / 8: the program and the
//     subprograms it calls, counted the same way for both compilers),
//   - instructions the kernel verifier processed when loading the object (verifier log, level 1|4),
//   - the verifier's stack depth (summed over the frames it reports),
//   (a file with several programs, such as a tail-call dispatcher and its handlers, is one row whose
//   numbers are the sums over its programs),
//   - whether the objects behave the same on a set of test packets (BPF_PROG_TEST_RUN: return value,
//     rewritten packet, skb->mark, map contents),
//   - run time: ns per packet under BPF_PROG_TEST_RUN with repeat, the objects interleaved in one run,
//   - compile time: tsbpf in-process compile(), median after one warm-up, plus a cold first call in a
//     fresh process; clang-19 median wall time (process start-up included, which is what a build pays).
// Prints markdown tables and writes them, with the environment, to bench/results.md.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { compile } from "../compiler/compile.js";
import { bpfAvailable, loadObject, VerifierError, type BpfObject } from "../runtime/index.js";
import { isLoadOnly, PROGRAMS, type BenchProgram } from "./catalogue.js";
import { funcSymbols } from "./elf.js";
import { observe, TIMING_PACKET, timeRun } from "./twins.js";
import { passEffectsTable } from "./pass-effects.js";
import { swapBench } from "./swap.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSBPF_RUNS = 9;
const CLANG_RUNS = 5;
const TIMING_ROUNDS = 5;
const TIMING_REPEAT = 100_000;
const CLANG = "clang-19";
const clangFlags = (cpu: string): string[] => ["-O2", "-g", "-target", "bpf", `-mcpu=${cpu}`, "-I/usr/include/x86_64-linux-gnu"];

/** The compilers compared, in column order. */
const SIDES = ["tsbpf", "tsbpf v4", "clang v3", "clang v4"] as const;
type SideName = (typeof SIDES)[number];

interface Side {
  bytes: Uint8Array | null;
  slots: number | null;
  processed: number | null;
  stack: number | null;
  observed: string | null;
  ns: number | null;
  error?: string;
}

interface Row {
  p: BenchProgram;
  /** The program test-run for ns/packet (the entry of a multi-program file). */
  program: string;
  /** Every program of the file, in the object's order (one for most files). */
  programs: string[];
  sides: Record<SideName, Side>;
  compileMs: number | null;
  coldMs: number | null;
  clangMs: number | null;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function sourceOf(p: BenchProgram): { path: string; text: string } {
  const path = join(p.dir, `${p.name}.bpf.ts`);
  return { path, text: readFileSync(join(ROOT, path), "utf8") };
}

/** Child mode: time one compile() in a process that has not compiled anything yet. */
function coldChild(name: string): void {
  const p = PROGRAMS.find((q) => q.name === name)!;
  const { path, text } = sourceOf(p);
  let ok = false;
  const ms = time(() => {
    ok = compile(path, text).ok;
  });
  process.stdout.write(JSON.stringify({ ok, ms }) + "\n");
}

function coldCompileMs(p: BenchProgram): number | null {
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--cold", p.name], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const r = JSON.parse(out.trim().split("\n").pop()!) as { ok: boolean; ms: number };
    return r.ok ? r.ms : null;
  } catch {
    return null;
  }
}

function toolVersion(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")[0]!
      .trim();
  } catch {
    return null;
  }
}

function libbpfVersion(): string {
  try {
    const out = execFileSync("ldconfig", ["-p"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const path = /libbpf\.so\.1 \([^)]*x86-64[^)]*\) => (\S+)/.exec(out)?.[1] ?? /libbpf\.so\.1 \([^)]*\) => (\S+)/.exec(out)?.[1];
    if (path)
      return realpathSync(path)
        .split("/")
        .pop()!
        .replace(/^libbpf\.so\./, "libbpf ");
  } catch {
    /* fall through */
  }
  return "libbpf.so.1 (version unknown)";
}

const emptySide = (error?: string): Side => ({ bytes: null, slots: null, processed: null, stack: null, observed: null, ns: null, error });

/** All FUNC symbols: the programs and any subprograms. */
function slotsOf(bytes: Uint8Array): number {
  return funcSymbols(bytes).reduce((n, s) => n + s.size / 8, 0);
}

/** "stack depth 8+16": the frames of the program and its subprograms, summed. */
function stackOf(log: string): number | null {
  const m = /stack depth ([\d+]+)/.exec(log);
  return m ? m[1]!.split("+").reduce((n, s) => n + Number(s), 0) : null;
}

/** Σ of a verifier number over `programs`; null when one of them lacks it. */
function sumOver(obj: BpfObject, programs: string[], read: (log: string) => number | null): number | null {
  let n = 0;
  for (const name of programs) {
    const v = read(obj.programs.get(name)?.verifierLog ?? "");
    if (v === null) return null;
    n += v;
  }
  return n;
}

const processedOf = (log: string): number | null => {
  const m = /processed (\d+) insns/.exec(log)?.[1];
  return m === undefined ? null : Number(m);
};

/**
 * Loads one object, reads the verifier's numbers (summed over `programs`: every program of the file),
 * sets maps up and observes its behaviour; the object stays open.
 */
function loadSide(side: Side, p: BenchProgram, programs: string[]): BpfObject | null {
  if (!side.bytes || !bpfAvailable().ok) return null;
  try {
    const obj = loadObject(side.bytes, { logLevel: 1 | 4, name: "bench" });
    const missing = programs.filter((n) => !obj.programs.has(n));
    if (missing.length) throw new Error(`no program ${missing.join(", ")} in the object`);
    side.processed = sumOver(obj, programs, processedOf);
    side.stack = sumOver(obj, programs, stackOf);
    if (!isLoadOnly(p.kind)) {
      p.setup?.(obj);
      side.observed = observe(obj);
    }
    return obj;
  } catch (e) {
    side.error = `load failed: ${e instanceof VerifierError ? e.message.split("\n")[0]! : (e as Error).message}`;
    return null;
  }
}

function tsbpfSide(p: BenchProgram, cpu: "v3" | "v4"): { program: string; programs: string[]; side: Side } {
  const { path, text } = sourceOf(p);
  const r = compile(path, text, { cpu });
  if (!r.ok || !r.object) {
    const why = r.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ");
    const name = p.entry ?? p.name.replace(/-/g, "_");
    return { program: name, programs: [name], side: emptySide(`compile failed: ${why}`) };
  }
  const programs = r.programs.map((q) => q.name);
  if (programs.length > 1 && (!p.entry || !programs.includes(p.entry)))
    throw new Error(`bench/catalogue.ts: ${p.name} has ${programs.length} programs (${programs.join(", ")}); give its \`entry\``);
  return { program: p.entry ?? programs[0]!, programs, side: { ...emptySide(), bytes: r.object, slots: slotsOf(r.object) } };
}

/** CO-RE twins include "vmlinux.h": bpftool writes it into `dir` once (libbpf-bootstrap's recipe). */
function vmlinuxHeader(dir: string): void {
  const file = join(dir, "vmlinux.h");
  if (existsSync(file)) return;
  writeFileSync(file, execFileSync("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"], { maxBuffer: 1 << 30 }));
}

function clangSide(p: BenchProgram, cpu: string, tmp: string): { side: Side; ms: number | null } {
  const src = join(ROOT, p.dir, `${p.name}.bpf.c`);
  const out = join(tmp, `${p.name}-${cpu}.o`);
  if (readFileSync(src, "utf8").includes('"vmlinux.h"')) vmlinuxHeader(tmp);
  const run = (): void =>
    void execFileSync(CLANG, [...clangFlags(cpu), `-I${tmp}`, "-c", src, "-o", out], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    run();
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim().split("\n")[0];
    return { side: emptySide(`clang failed: ${stderr ?? (e as Error).message}`), ms: null };
  }
  const times: number[] = [];
  if (cpu === "v4") for (let i = 0; i < CLANG_RUNS; i++) times.push(time(run));
  const bytes = new Uint8Array(readFileSync(out));
  return { side: { ...emptySide(), bytes, slots: slotsOf(bytes) }, ms: median(times) };
}

function measure(p: BenchProgram, tmp: string, haveClang: boolean): Row {
  const ours = tsbpfSide(p, "v3");
  const ours4 = tsbpfSide(p, "v4");
  const c3 = haveClang ? clangSide(p, "v3", tmp) : { side: emptySide(`${CLANG} not found`), ms: null };
  const c4 = haveClang ? clangSide(p, "v4", tmp) : { side: emptySide(`${CLANG} not found`), ms: null };
  const sides: Record<SideName, Side> = { tsbpf: ours.side, "tsbpf v4": ours4.side, "clang v3": c3.side, "clang v4": c4.side };

  // Compile time (tsbpf's default target).
  let compileMs: number | null = null;
  let coldMs: number | null = null;
  if (ours.side.bytes) {
    coldMs = coldCompileMs(p);
    const { path, text } = sourceOf(p);
    const times: number[] = [];
    for (let i = 0; i < TSBPF_RUNS; i++) times.push(time(() => void compile(path, text)));
    compileMs = median(times);
  }

  const objs = new Map<SideName, BpfObject>();
  try {
    for (const s of SIDES) {
      const obj = loadSide(sides[s], p, ours.programs);
      if (obj) objs.set(s, obj);
    }
    // Run time: the objects take turns, so drift in machine load hits them alike.
    if (!isLoadOnly(p.kind)) {
      const samples = new Map<SideName, number[]>();
      for (let round = 0; round < TIMING_ROUNDS; round++) {
        for (const [s, obj] of objs) {
          const ns = timeRun(obj, ours.program, p.timing ?? TIMING_PACKET, TIMING_REPEAT);
          if (ns !== null) samples.set(s, [...(samples.get(s) ?? []), ns]);
        }
      }
      for (const [s, xs] of samples) sides[s].ns = median(xs);
    }
  } finally {
    for (const obj of objs.values()) obj.close();
  }
  return { p, program: ours.program, programs: ours.programs, sides, compileMs, coldMs, clangMs: c4.ms };
}

const fmt = (n: number | null | undefined, digits = 0): string => (n === null || n === undefined ? "n/a" : n.toFixed(digits));
const ratio = (a: number | null, b: number | null): string => (a === null || b === null || b === 0 ? "n/a" : (a / b).toFixed(2));

function sameBehaviour(r: Row): string {
  if (isLoadOnly(r.p.kind)) return `n/a (${r.p.kind}: no test run)`;
  const obs = SIDES.map((s) => r.sides[s].observed);
  if (obs.some((o) => o === null)) return "n/a";
  return obs.every((o) => o === obs[0]) ? "yes" : "**NO**";
}

type Metric = "slots" | "processed" | "stack";

/** The row's name: the program, or for a file with several the entry and the others (numbers are sums). */
function rowLabel(r: Row): string {
  if (r.programs.length < 2) return r.program;
  const others = r.programs.filter((n) => n !== r.program);
  return `${r.program} + ${others.join(" + ")} (Σ of ${r.programs.length} programs)`;
}

/** Σ over programs where every side has the number (so totals compare like with like). */
function total(rows: Row[], m: Metric, side: SideName): number | null {
  const usable = rows.filter((r) => SIDES.every((s) => r.sides[s][m] !== null));
  return usable.length ? usable.reduce((n, r) => n + r.sides[side][m]!, 0) : null;
}

function sizeTable(rows: Row[]): string {
  const head = [
    "program",
    "kind",
    "slots tsbpf",
    "slots clang v3",
    "slots clang v4",
    "slots vs v4",
    "processed tsbpf",
    "processed clang v3",
    "processed clang v4",
    "processed vs v4",
    "stack tsbpf",
    "stack clang v3",
    "stack clang v4",
    "same behaviour",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`];
  const cells = (label: string, kind: string, get: (m: Metric, s: SideName) => number | null, same: string): string[] => [
    label,
    kind,
    fmt(get("slots", "tsbpf")),
    fmt(get("slots", "clang v3")),
    fmt(get("slots", "clang v4")),
    ratio(get("slots", "tsbpf"), get("slots", "clang v4")),
    fmt(get("processed", "tsbpf")),
    fmt(get("processed", "clang v3")),
    fmt(get("processed", "clang v4")),
    ratio(get("processed", "tsbpf"), get("processed", "clang v4")),
    fmt(get("stack", "tsbpf")),
    fmt(get("stack", "clang v3")),
    fmt(get("stack", "clang v4")),
    same,
  ];
  for (const r of rows) lines.push(`| ${cells(rowLabel(r), r.p.kind, (m, s) => r.sides[s][m], sameBehaviour(r)).join(" | ")} |`);
  lines.push(
    `| ${cells(
      "**total**",
      "",
      (m, s) => total(rows, m, s),
      `${rows.filter((r) => sameBehaviour(r) === "yes").length} of ${rows.filter((r) => !isLoadOnly(r.p.kind)).length} yes`,
    )
      .map((c, i) => (i >= 2 && i <= 12 && c !== "n/a" ? `**${c}**` : c))
      .join(" | ")} |`,
  );
  return lines.join("\n");
}

function totalsSummary(rows: Row[]): string {
  const out: string[] = [];
  for (const m of ["slots", "processed", "stack"] as const) {
    const t = Object.fromEntries(SIDES.map((s) => [s, total(rows, m, s)])) as Record<SideName, number | null>;
    out.push(
      `- Σ ${m}: tsbpf ${fmt(t.tsbpf)} (tsbpf --cpu=v4 ${fmt(t["tsbpf v4"])}), clang -mcpu=v3 ${fmt(t["clang v3"])}, clang -mcpu=v4 ${fmt(t["clang v4"])}; ` +
        `tsbpf/clang-v3 ${ratio(t.tsbpf, t["clang v3"])}x, tsbpf/clang-v4 ${ratio(t.tsbpf, t["clang v4"])}x, tsbpf --cpu=v4/clang-v4 ${ratio(t["tsbpf v4"], t["clang v4"])}x`,
    );
  }
  return out.join("\n");
}

function runTimeTable(rows: Row[]): string {
  const head = ["program", "kind", "ns/packet tsbpf", "ns/packet clang v3", "ns/packet clang v4", "tsbpf vs v4"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`];
  const timed = rows.filter((r) => !isLoadOnly(r.p.kind));
  for (const r of timed) {
    const s = r.sides;
    lines.push(
      `| ${[r.programs.length > 1 ? `${r.program} (entry, tail calls included)` : r.program, r.p.kind, fmt(s.tsbpf.ns), fmt(s["clang v3"].ns), fmt(s["clang v4"].ns), ratio(s.tsbpf.ns, s["clang v4"].ns)].join(" | ")} |`,
    );
  }
  const sum = (side: SideName): number | null => {
    const usable = timed.filter((r) => SIDES.every((x) => r.sides[x].ns !== null));
    return usable.length ? usable.reduce((n, r) => n + r.sides[side].ns!, 0) : null;
  };
  lines.push(
    `| **total** | | **${fmt(sum("tsbpf"))}** | **${fmt(sum("clang v3"))}** | **${fmt(sum("clang v4"))}** | **${ratio(sum("tsbpf"), sum("clang v4"))}** |`,
  );
  return lines.join("\n");
}

function compileTable(rows: Row[]): string {
  const head = ["program", "compile tsbpf median ms", "compile tsbpf cold ms", "clang -O2 -mcpu=v4 median ms"];
  const lines = [`| ${head.join(" | ")} |`, `|---|---:|---:|---:|`];
  for (const r of rows) lines.push(`| ${[rowLabel(r), fmt(r.compileMs, 1), fmt(r.coldMs, 1), fmt(r.clangMs, 1)].join(" | ")} |`);
  return lines.join("\n");
}

function main(): void {
  const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const clangVersion = toolVersion(CLANG, ["--version"]);
  const bpf = bpfAvailable();
  const tmp = mkdtempSync(join(os.tmpdir(), "tsbpf-bench-"));
  const rows: Row[] = [];
  const notes: string[] = [];
  const started = Date.now();
  const loadBefore = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  try {
    for (const p of PROGRAMS) {
      if (only.length && !only.includes(p.name)) continue;
      if (!existsSync(join(ROOT, p.dir, `${p.name}.bpf.c`))) notes.push(`${p.name}: no C twin`);
      process.stderr.write(`bench: ${p.name}\n`);
      const row = measure(p, tmp, clangVersion !== null);
      rows.push(row);
      for (const s of SIDES) if (row.sides[s].error) notes.push(`${p.name} (${s}): ${row.sides[s].error}`);
      const obs = SIDES.map((s) => row.sides[s].observed);
      if (obs.every((o) => o !== null) && obs.some((o) => o !== obs[0])) {
        notes.push(`${p.name}: the objects behave differently:\n${SIDES.map((s, i) => `${s}:\n${obs[i]}`).join("\n")}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!clangVersion) notes.push(`${CLANG} was not found; the clang columns are n/a.`);
  if (!bpf.ok) notes.push(`the kernel columns are n/a: ${bpf.reason}`);

  const size = sizeTable(rows);
  const totals = totalsSummary(rows);
  const runTime = runTimeTable(rows);
  const compileTimes = compileTable(rows);
  process.stdout.write(`${size}\n\n${totals}\n\n${runTime}\n\n${compileTimes}\n`);
  for (const n of notes) process.stdout.write(`\nnote: ${n}\n`);
  if (only.length) {
    process.stderr.write("bench: a subset was measured; bench/results.md left unchanged\n");
    return;
  }

  process.stderr.write("bench: pass effects\n");
  const effects = passEffectsTable();
  process.stdout.write(`\n${effects}\n`);

  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const commit = toolVersion("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]);
  const doc = [
    "# Benchmark: tsbpf vs clang-19 -O2 (-mcpu=v3 and -mcpu=v4)",
    "",
    "Generated by `npm run bench` (bench/run.ts); re-run it to refresh this file. The programs are listed in",
    "bench/catalogue.ts: the examples and bench/programs/<name>/, each a .bpf.ts with its C twin (.bpf.c).",
    "",
    "## Code size, verifier cost, stack, behaviour",
    "",
    size,
    "",
    totals,
    "",
    "## Run time (BPF_PROG_TEST_RUN)",
    "",
    runTime,
    "",
    "## What each optimisation pass buys",
    "",
    "Each row compiles every program with the default pipeline minus one pass (bench/pass-effects.ts); the",
    "savings are against the full pipeline. The verifier's count can move either way when a branch disappears:",
    "it stores states for pruning only every few jumps, so a shorter path can end up pruned later.",
    "",
    effects,
    "",
    "## Compile time",
    "",
    compileTimes,
    "",
    ...notes.map((n) => `Note: ${n}\n`),
    "Columns:",
    "",
    "- **slots**: the sizes of the object's FUNC symbols (the program and the subprograms it calls) / 8, counted",
    "  the same way for both compilers; a 64-bit immediate load (`r1 = map ll`) takes two slots. tsbpf builds",
    "  with its default target (`--cpu=v3`); the totals also give `--cpu=v4`.",
    "- **processed**: `processed N insns` from the kernel verifier's log when the object is loaded with",
    "  `loadObject(bytes, { logLevel: 1 | 4 })`: instructions the verifier walked over all paths.",
    "- **stack**: the verifier's `stack depth` in bytes (frames of subprograms added).",
    "- **vs v4**: tsbpf / clang -mcpu=v4. Totals are over the programs where every compiler has a number.",
    "- A file with several programs (the tail-call dispatcher and its handlers) is one row: its slots, processed",
    "  instructions and stack are the sums over its programs (each program is verified on its own), and its",
    "  ns/packet is the entry program's, the tail calls it makes included.",
    "- **same behaviour**: the four objects (tsbpf v3/v4, clang v3/v4) run (BPF_PROG_TEST_RUN) on the same",
    "  packets of bench/twins.ts (IPv4 TCP/UDP/ICMP with and without options, fragments, low TTL, an ICMP echo",
    "  request, IPv6, VLAN and QinQ, ARP, truncated and oversized packets), after the same map set-up",
    "  (bench/catalogue.ts); their return values, rewritten packets, skb->mark (TC) and the contents of every",
    "  array and hash map afterwards must be equal. Tracepoint programs cannot be test-run: they are only",
    "  loaded (verifier numbers).",
    `- **ns/packet**: the kernel's average duration of BPF_PROG_TEST_RUN with repeat ${TIMING_REPEAT} on the`,
    `  "${TIMING_PACKET}" packet (icmp-echo: "ipv4/icmp echo", payload-loop: "ipv4/udp:8080 payload 100"), median of`,
    `  ${TIMING_ROUNDS} rounds in which the objects take turns. A repeated run sees`,
    "  its own rewritten packet (icmp-echo turns the request into a reply on the first run). This machine is shared;",
    "  differences of a few ns are noise.",
    `- **compile tsbpf median**: in-process \`compile()\` of the .bpf.ts source to object bytes, median of ${TSBPF_RUNS} runs after one`,
    "  warm-up. **cold**: the first `compile()` call in a fresh Node process; Node start-up and module import are not",
    `  included. **clang median**: wall time of \`${CLANG} ${clangFlags("v4").join(" ")} -c\`, median of ${CLANG_RUNS} runs, process start-up included.`,
    "",
    "Environment:",
    "",
    `- date: ${new Date().toISOString()}`,
    `- kernel: Linux ${os.release()} (${os.arch()})`,
    `- CPU: ${os.cpus()[0]?.model ?? "unknown"} (${os.cpus().length} CPUs), load average before the run ${loadBefore}`,
    `- tsbpf ${pkg.version}${commit ? ` (commit ${commit})` : ""}, TypeScript ${ts.version}, Node ${process.version}`,
    `- ${clangVersion ?? `${CLANG}: not found`}`,
    `- runtime: ${libbpfVersion()}`,
    `- bench wall time: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    "",
  ].join("\n");
  writeFileSync(join(ROOT, "bench", "results.md"), doc);
  process.stderr.write(`bench: wrote bench/results.md in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (!only.length) swapBench(); // live replacement latency: bench/swap-results.md
}

if (process.argv[2] === "--cold") coldChild(process.argv[3]!);
else main();
