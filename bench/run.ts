// `npm run bench`: tsbpf against clang-19 -O2 on the examples. For each example it measures
//   - instructions in the object (the program's FUNC symbol size / 8, for both compilers alike),
//   - instructions the kernel verifier processed when loading the object (verifier log, level 1|4),
//   - the verifier's stack depth,
//   - compile time: tsbpf in-process compile(), median of RUNS after one warm-up, plus a cold
//     first call in a fresh process; clang-19 median wall time of RUNS invocations (process
//     start-up included, which is what a build pays),
//   - whether both objects behave the same on a set of test packets (BPF_PROG_TEST_RUN).
// Prints a markdown table and writes it, with the environment, to bench/results.md.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { compile } from "../compiler/compile.js";
import { bpfAvailable, loadObject, VerifierError } from "../runtime/index.js";
import { funcSymbols } from "./elf.js";
import { observe } from "./twins.js";
import { swapBench } from "./swap.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLES = ["xdp-pass", "xdp-counter", "socket-filter-tcp", "firewall", "exec-tracer", "unlink-watch"];
const TSBPF_RUNS = 25;
const CLANG_RUNS = 9;
const CLANG = "clang-19";
const CLANG_FLAGS = ["-O2", "-g", "-target", "bpf", "-mcpu=v3", "-I/usr/include/x86_64-linux-gnu"];

interface Side {
  insns: number | null;
  processed: number | null;
  stack: number | null;
  medianMs: number | null;
  observed: string | null;
  error?: string;
}

interface Row {
  example: string;
  program: string;
  ours: Side & { coldMs: number | null };
  clang: Side | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function sourceOf(example: string): { path: string; text: string } {
  const path = join("examples", example, `${example}.bpf.ts`);
  return { path, text: readFileSync(join(ROOT, path), "utf8") };
}

/** Child mode: time one compile() in a process that has not compiled anything yet. */
function coldChild(example: string): void {
  const { path, text } = sourceOf(example);
  let ok = false;
  const ms = time(() => {
    ok = compile(path, text).ok;
  });
  process.stdout.write(JSON.stringify({ ok, ms }) + "\n");
}

function coldCompileMs(example: string): number | null {
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--cold", example], {
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
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0]!.trim();
  } catch {
    return null;
  }
}

function libbpfVersion(): string {
  try {
    const out = execFileSync("ldconfig", ["-p"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const path = /libbpf\.so\.1 \([^)]*x86-64[^)]*\) => (\S+)/.exec(out)?.[1] ?? /libbpf\.so\.1 \([^)]*\) => (\S+)/.exec(out)?.[1];
    if (path) return realpathSync(path).split("/").pop()!.replace(/^libbpf\.so\./, "libbpf ");
  } catch {
    /* fall through */
  }
  return "libbpf.so.1 (version unknown)";
}

/** Verifier numbers and behaviour of one object; null fields when the kernel is unavailable. */
function kernelSide(bytes: Uint8Array, program: string): Pick<Side, "processed" | "stack" | "observed" | "error"> {
  if (!bpfAvailable().ok) return { processed: null, stack: null, observed: null };
  try {
    const obj = loadObject(bytes, { logLevel: 1 | 4 });
    try {
      const log = obj.programs.get(program)?.verifierLog ?? "";
      const processed = /processed (\d+) insns/.exec(log)?.[1];
      const stack = /stack depth (\d+)/.exec(log)?.[1];
      return {
        processed: processed === undefined ? null : Number(processed),
        stack: stack === undefined ? null : Number(stack),
        observed: observe(obj),
      };
    } finally {
      obj.close();
    }
  } catch (e) {
    const msg = e instanceof VerifierError ? e.message.split("\n")[0]! : (e as Error).message;
    return { processed: null, stack: null, observed: null, error: `load failed: ${msg}` };
  }
}

function insnsOf(bytes: Uint8Array, program: string): number | null {
  const sym = funcSymbols(bytes).find((s) => s.name === program);
  return sym ? sym.size / 8 : null;
}

function measureOurs(example: string): { program: string; bytes: Uint8Array | null; side: Row["ours"] } {
  const { path, text } = sourceOf(example);
  const coldMs = coldCompileMs(example);
  const first = compile(path, text); // warm-up
  if (!first.ok || !first.object) {
    const why = first.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ");
    const side = { insns: null, processed: null, stack: null, medianMs: null, coldMs, observed: null, error: `compile failed: ${why}` };
    return { program: example.replace(/-/g, "_"), bytes: null, side };
  }
  const times: number[] = [];
  for (let i = 0; i < TSBPF_RUNS; i++) times.push(time(() => void compile(path, text)));
  const program = first.programs[0]!.name;
  const bytes = first.object;
  return {
    program,
    bytes,
    side: { insns: insnsOf(bytes, program), medianMs: median(times), coldMs, ...kernelSide(bytes, program) },
  };
}

function vmlinuxHeader(dir: string): void {
  const file = join(dir, "vmlinux.h");
  try {
    readFileSync(file);
  } catch {
    const header = execFileSync("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"], { maxBuffer: 1 << 30 });
    writeFileSync(file, header);
  }
}

function measureClang(example: string, program: string, tmp: string): Side {
  const src = join(ROOT, "examples", example, `${example}.bpf.c`);
  const out = join(tmp, `${example}.o`);
  // CO-RE twins include "vmlinux.h": bpftool writes it into tmp once (libbpf-bootstrap's recipe).
  if (readFileSync(src, "utf8").includes('"vmlinux.h"')) vmlinuxHeader(tmp);
  const run = (): void => void execFileSync(CLANG, [...CLANG_FLAGS, `-I${tmp}`, "-c", src, "-o", out], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    run(); // warm-up (and the object we measure)
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim().split("\n")[0];
    return { insns: null, processed: null, stack: null, medianMs: null, observed: null, error: `clang failed: ${stderr ?? (e as Error).message}` };
  }
  const times: number[] = [];
  for (let i = 0; i < CLANG_RUNS; i++) times.push(time(run));
  const bytes = new Uint8Array(readFileSync(out));
  return { insns: insnsOf(bytes, program), medianMs: median(times), ...kernelSide(bytes, program) };
}

const fmt = (n: number | null | undefined, digits = 0): string => (n === null || n === undefined ? "n/a" : n.toFixed(digits));

function table(rows: Row[], haveClang: boolean): string {
  const head = haveClang
    ? ["example", "program", "insns tsbpf", "insns clang", "processed tsbpf", "processed clang", "stack tsbpf", "stack clang",
       "compile tsbpf median ms", "compile tsbpf cold ms", "clang -O2 median ms", "same behaviour"]
    : ["example", "program", "insns tsbpf", "processed tsbpf", "stack tsbpf", "compile tsbpf median ms", "compile tsbpf cold ms"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((h, i) => (i < 2 ? "---" : "---:")).join("|")}|`];
  for (const r of rows) {
    const o = r.ours;
    const c = r.clang;
    const cells = haveClang && c
      ? [r.example, r.program, fmt(o.insns), fmt(c.insns), fmt(o.processed), fmt(c.processed), fmt(o.stack), fmt(c.stack),
         fmt(o.medianMs, 1), fmt(o.coldMs, 1), fmt(c.medianMs, 1),
         o.observed === null || c.observed === null ? "n/a" : o.observed === c.observed ? "yes" : "**NO**"]
      : [r.example, r.program, fmt(o.insns), fmt(o.processed), fmt(o.stack), fmt(o.medianMs, 1), fmt(o.coldMs, 1)];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

function main(): void {
  const clangVersion = toolVersion(CLANG, ["--version"]);
  const bpf = bpfAvailable();
  const tmp = mkdtempSync(join(os.tmpdir(), "tsbpf-bench-"));
  const rows: Row[] = [];
  const notes: string[] = [];
  const started = Date.now();
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(" ");
  try {
    for (const example of EXAMPLES) {
      process.stderr.write(`bench: ${example}\n`);
      const ours = measureOurs(example);
      const clang = clangVersion ? measureClang(example, ours.program, tmp) : null;
      rows.push({ example, program: ours.program, ours: ours.side, clang });
      if (ours.side.error) notes.push(`${example} (tsbpf): ${ours.side.error}`);
      if (clang?.error) notes.push(`${example} (clang): ${clang.error}`);
      if (ours.side.observed !== null && clang?.observed != null && ours.side.observed !== clang.observed) {
        notes.push(`${example}: the objects behave differently:\ntsbpf:\n${ours.side.observed}\nclang:\n${clang.observed}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!clangVersion) notes.push(`${CLANG} was not found; only tsbpf's numbers are shown.`);
  if (!bpf.ok) notes.push(`the kernel columns are n/a: ${bpf.reason}`);

  const md = table(rows, clangVersion !== null);
  process.stdout.write(`${md}\n`);
  for (const n of notes) process.stdout.write(`\nnote: ${n}\n`);

  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const commit = toolVersion("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]);
  const doc = [
    "# Benchmark: tsbpf vs clang-19 -O2",
    "",
    "Generated by `npm run bench` (bench/run.ts); re-run it to refresh this file.",
    "",
    md,
    "",
    ...notes.map((n) => `Note: ${n}\n`),
    "Columns:",
    "",
    "- **insns**: the program's size in the object file (its FUNC symbol size / 8), counted the same way for both",
    "  compilers; a 64-bit immediate load (`r1 = map ll`) takes two slots.",
    "- **processed**: `processed N insns` from the kernel verifier's log when the object is loaded with",
    "  `loadObject(bytes, { logLevel: 1 | 4 })`: instructions the verifier walked over all paths.",
    "- **stack**: the verifier's `stack depth` in bytes.",
    `- **compile tsbpf median**: in-process \`compile()\` of the .bpf.ts source to object bytes, median of ${TSBPF_RUNS} runs after one`,
    "  warm-up. **cold**: the first `compile()` call in a fresh Node process (loads TypeScript's lib files, JIT",
    "  cold); Node start-up and module import are not included.",
    `- **clang -O2 median**: wall time of \`${CLANG} ${CLANG_FLAGS.join(" ")} -c\` on the C twin`,
    `  (examples/<name>/<name>.bpf.c), median of ${CLANG_RUNS} runs after one warm-up, process start-up included.`,
    "- **same behaviour**: both objects run (BPF_PROG_TEST_RUN) on the same IPv4 TCP/UDP/ICMP, IPv6, ARP and",
    "  truncated packets give the same return values, and their array maps end up with the same contents",
    "  (the kernel refuses to test-run a socket filter on the truncated IPv4 packet; that refusal is compared too).",
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
  swapBench(); // live replacement latency: bench/swap-results.md
}

if (process.argv[2] === "--cold") coldChild(process.argv[3]!);
else main();
