// `npm run bench:compile`: how long tsbpf takes to compile, written to bench/compile-time.md.
//   1. Cold start, as whole processes, paired in one run (round-robin, so load on the machine hits
//      all alike): `tsbpf build` of examples/firewall through bin/tsbpf (the start-up snapshot, when
//      `npm run prepare` built one), through bin/tsbpf.js (plain Node), and clang-19 -O2 on its C twin.
//      Median wall time, and median CPU time (user + system, from GNU time) when /usr/bin/time exists.
//      Floors beside them: Node alone, Node from an empty snapshot, and Node from a snapshot holding
//      only TypeScript (what a build through the TypeScript compiler API costs before any work).
//   2. Scaling: in-process compile() of synthetic programs (bench/synthetic.ts) of 500 to 10,000
//      lines in three shapes, after a warm-up compile: ms and ms per 1,000 lines (wall and CPU).
//   3. Watch: `tsbpf build --watch` rebuild time of a 200-line program after an edit, as it reports.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { compile } from "../compiler/compile.js";
import { V8_FLAGS } from "../compiler/tools/v8-flags.js";
import { SHAPES, type Shape } from "./synthetic.js";
import { measureWatch } from "./watch-time.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const COLD_RUNS = Number(process.env.COLD_RUNS ?? 15);
const SIZES = [500, 1000, 2000, 5000, 10000];
const GNU_TIME = "/usr/bin/time";

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (x: number | null | undefined, digits = 0): string => (x === null || x === undefined ? "–" : x.toFixed(digits));

interface Sample {
  wallMs: number;
  cpuMs: number | null;
}

/** One process run: wall time around spawnSync; CPU time of the child from GNU time. */
function runOnce(cmd: string, args: string[], tmp: string, env: NodeJS.ProcessEnv = process.env): Sample {
  const timeFile = join(tmp, "time.txt");
  const useTime = existsSync(GNU_TIME);
  const [c, a] = useTime ? [GNU_TIME, ["-f", "%U %S", "-o", timeFile, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { cwd: join(ROOT, "examples", "firewall"), stdio: ["ignore", "ignore", "pipe"], env });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  let cpuMs: number | null = null;
  if (useTime) {
    const [u, s] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    cpuMs = (u! + s!) * 1000;
  }
  return { wallMs, cpuMs };
}

interface ColdRow {
  what: string;
  samples: Sample[];
}

function coldStart(tmp: string): ColdRow[] {
  const out = join(tmp, "fw.o");
  // Only when bin/tsbpf really starts from the snapshot (it falls back silently when it is stale).
  const probe = spawnSync(join(ROOT, "bin", "tsbpf"), ["build", "firewall.bpf.ts", "-o", out], {
    cwd: join(ROOT, "examples", "firewall"),
    encoding: "utf8",
    env: { ...process.env, TSBPF_DEBUG: "1" },
  });
  const snapshot = probe.status === 0 && probe.stderr.includes("started from the start-up snapshot");
  if (!snapshot) process.stderr.write("no usable start-up snapshot (run npm run build:snapshot); measuring without it\n");
  const rows: { what: string; cmd: string; args: string[]; env?: NodeJS.ProcessEnv }[] = [
    ...(snapshot
      ? [
          {
            what: "tsbpf build (bin/tsbpf, start-up snapshot)",
            cmd: join(ROOT, "bin", "tsbpf"),
            args: ["build", "firewall.bpf.ts", "-o", out],
          },
          // What the launcher did before it dropped NODE_EXTRA_CA_CERTS (when it is set here).
          ...(process.env.NODE_EXTRA_CA_CERTS
            ? [
                {
                  what: "tsbpf build from the snapshot, NODE_EXTRA_CA_CERTS kept",
                  cmd: process.execPath,
                  args: [
                    ...V8_FLAGS,
                    "--snapshot-blob",
                    join(ROOT, "dist", "snapshot", "tsbpf.blob"),
                    "build",
                    "firewall.bpf.ts",
                    "-o",
                    out,
                  ],
                },
              ]
            : []),
        ]
      : []),
    {
      what: "tsbpf build (bin/tsbpf.js, plain Node)",
      cmd: process.execPath,
      args: [join(ROOT, "bin", "tsbpf.js"), "build", "firewall.bpf.ts", "-o", out],
    },
    {
      what: "clang-19 -O2 -g -target bpf -mcpu=v3 -c",
      cmd: "clang-19",
      args: [
        "-O2",
        "-g",
        "-target",
        "bpf",
        "-mcpu=v3",
        "-I/usr/include/x86_64-linux-gnu",
        "-c",
        "firewall.bpf.c",
        "-o",
        join(tmp, "fwc.o"),
      ],
    },
    { what: "node -e 0 (Node start-up alone)", cmd: process.execPath, args: ["-e", "0"] },
    // bin/tsbpf drops NODE_EXTRA_CA_CERTS for `build` (Node 20 parses it at every start): the floor
    // it starts from when the variable is set.
    ...(process.env.NODE_EXTRA_CA_CERTS
      ? [{ what: "node -e 0 without NODE_EXTRA_CA_CERTS", cmd: process.execPath, args: ["-e", "0"], env: withoutCaCerts() }]
      : []),
    // Node started from a start-up snapshot holding nothing of ours: the floor under the snapshot route.
    ...(emptySnapshot(tmp)
      ? [
          {
            what: "node --snapshot-blob <empty snapshot>",
            cmd: process.execPath,
            args: ["--snapshot-blob", join(tmp, "empty.blob")],
            env: withoutCaCerts(),
          },
        ]
      : []),
    // Node started from a snapshot that holds TypeScript and nothing else, under tsbpf's V8 flags,
    // and does no work: what any cold build through the TypeScript compiler API costs before it
    // compiles a line.
    ...(typescriptSnapshot(tmp)
      ? [
          {
            what: "node --snapshot-blob <TypeScript only, no compile>",
            cmd: process.execPath,
            args: [...V8_FLAGS, "--snapshot-blob", join(tmp, "typescript.blob")],
            env: withoutCaCerts(),
          },
        ]
      : []),
  ];
  const result = rows.map((r) => ({ what: r.what, samples: [] as Sample[] }));
  for (let round = -1; round < COLD_RUNS; round++) {
    rows.forEach((r, i) => {
      try {
        const s = runOnce(r.cmd, r.args, tmp, r.env);
        if (round >= 0) result[i]!.samples.push(s); // round -1 warms the file cache
      } catch (e) {
        if (round === -1) process.stderr.write(`${(e as Error).message}\n`);
      }
    });
  }
  return result.filter((r) => r.samples.length > 0);
}

function withoutCaCerts(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** A start-up snapshot whose main function does nothing, in tmp/empty.blob; false if node cannot build one. */
function emptySnapshot(tmp: string): boolean {
  const entry = join(tmp, "empty.cjs");
  writeFileSync(entry, 'require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {});\n');
  const r = spawnSync(process.execPath, ["--snapshot-blob", join(tmp, "empty.blob"), "--build-snapshot", entry], { stdio: "ignore" });
  return r.status === 0;
}

/** A start-up snapshot holding TypeScript (bundled by esbuild) in tmp/typescript.blob; false if it cannot be built. */
function typescriptSnapshot(tmp: string): boolean {
  const bundle = join(tmp, "typescript.cjs");
  const contents =
    'const ts = require("typescript");\nrequire("node:v8").startupSnapshot.setDeserializeMainFunction(() => { if (!ts.version) process.exitCode = 1; });\n';
  try {
    buildSync({ stdin: { contents, resolveDir: ROOT }, bundle: true, platform: "node", minify: true, logLevel: "silent", outfile: bundle });
  } catch {
    return false;
  }
  const r = spawnSync(process.execPath, [...V8_FLAGS, "--snapshot-blob", join(tmp, "typescript.blob"), "--build-snapshot", bundle], {
    stdio: "ignore",
  });
  return r.status === 0;
}

interface ScaleRow {
  shape: Shape;
  lines: number;
  ok: boolean;
  note: string;
  insns: number;
  wallMs: number;
  cpuMs: number;
}

function scaling(): ScaleRow[] {
  for (const shape of Object.keys(SHAPES) as Shape[]) compile("warm-up.bpf.ts", SHAPES[shape](500)); // JIT and the stdlib
  const rows: ScaleRow[] = [];
  for (const shape of Object.keys(SHAPES) as Shape[]) {
    for (const size of SIZES) {
      const src = SHAPES[shape](size);
      const lines = src.split("\n").length;
      // The fastest of a few runs for the small sizes (one run is at the mercy of the JIT and of
      // the machine's load), one run for the large ones.
      let best: { r: ReturnType<typeof compile>; wallMs: number; cpuMs: number } | undefined;
      for (let k = 0; k < (size <= 2000 ? 3 : 1); k++) {
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const r = compile(`${shape}-${size}.bpf.ts`, src);
        const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
        const cu = process.cpuUsage(c0);
        const cpuMs = (cu.user + cu.system) / 1000;
        if (!best || cpuMs < best.cpuMs) best = { r, wallMs, cpuMs };
      }
      const { r, wallMs, cpuMs } = best!;
      const first = r.diagnostics.find((d) => d.severity !== "warning");
      rows.push({
        shape,
        lines,
        ok: r.ok,
        note: r.ok ? "" : `${first?.code ?? "?"}`,
        insns: r.programs.reduce((a, p) => a + p.insnCount, 0),
        wallMs,
        cpuMs,
      });
      process.stderr.write(`${shape} ${lines} lines: ${wallMs.toFixed(0)} ms${r.ok ? "" : ` (${first?.code})`}\n`);
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(os.tmpdir(), `tsbpf-ctime-${process.pid}-`));
  try {
    // BENCH_PARTS=cold,scale,watch (default: all) runs only some parts; the file is written only for all.
    const parts = new Set((process.env.BENCH_PARTS ?? "cold,scale,watch").split(","));
    const cold = parts.has("cold") ? coldStart(tmp) : [];
    const scale = parts.has("scale") ? scaling() : [];
    const watch = parts.has("watch")
      ? await measureWatch(tmp)
      : { lines: 0, rebuilds: [], rebuildsCpu: [], saveToObject: [], error: "not run (BENCH_PARTS)" };
    const lines: string[] = [];
    lines.push("# Compile time", "", "Generated by `npm run bench:compile` (bench/compile-time.ts); re-run it to refresh this file.", "");
    lines.push(
      `## Cold start: examples/firewall (${readFileSync(join(ROOT, "examples", "firewall", "firewall.bpf.ts"), "utf8").split("\n").length} lines), whole processes, ${COLD_RUNS} paired rounds`,
      "",
    );
    lines.push("| command | median wall ms | min wall ms | median CPU ms (user+sys) |", "|---|---:|---:|---:|");
    for (const r of cold) {
      const cpu = r.samples.map((s) => s.cpuMs).filter((x): x is number => x !== null);
      lines.push(
        `| ${r.what} | ${fmt(median(r.samples.map((s) => s.wallMs)))} | ${fmt(Math.min(...r.samples.map((s) => s.wallMs)))} | ${cpu.length ? fmt(median(cpu)) : "–"} |`,
      );
    }
    lines.push("", "## Scaling: in-process compile() of synthetic programs (bench/synthetic.ts)", "");
    lines.push(
      "Shapes: **inlined** = one XDP program calling n/8 small functions that are inlined into it; **programs** = n/10 small XDP programs in one file; **flat** = one program body of n/5 statement groups written out in place.",
      "",
    );
    lines.push(
      "| shape | lines | instructions | wall ms | wall ms / 1,000 lines | CPU ms | CPU ms / 1,000 lines | result |",
      "|---|---:|---:|---:|---:|---:|---:|---|",
    );
    for (const r of scale) {
      const per = (x: number) => fmt((x * 1000) / r.lines, 0);
      lines.push(
        `| ${r.shape} | ${r.lines} | ${r.ok ? r.insns : "–"} | ${fmt(r.wallMs)} | ${per(r.wallMs)} | ${fmt(r.cpuMs)} | ${per(r.cpuMs)} | ${r.ok ? "ok" : r.note === "TS2563" ? `${r.note} (tsc: body too large for control-flow analysis; tsbpf hints to split it)` : `${r.note}: not compiled`} |`,
      );
    }
    lines.push("", "## Watch: `tsbpf build --watch`, rebuild after an edit", "");
    if (watch.error) lines.push(`not measured: ${watch.error}`);
    else {
      lines.push(
        `${watch.lines}-line program, ${watch.rebuilds.length} edits; rebuild time as the watcher reports it (from reading the file to the object written, and the watcher process CPU), and from the end of the save to the report reaching the bench (settle time, file event, rebuild):`,
        "",
      );
      lines.push(
        "| first build ms | rebuild median ms | rebuild min ms | rebuild max ms | rebuild median CPU ms | rebuild min CPU ms | save to object median ms | save to object min ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
      );
      lines.push(
        `| ${fmt(watch.first, 1)} | ${fmt(median(watch.rebuilds), 1)} | ${fmt(Math.min(...watch.rebuilds), 1)} | ${fmt(Math.max(...watch.rebuilds), 1)} | ` +
          `${fmt(median(watch.rebuildsCpu), 1)} | ${fmt(Math.min(...watch.rebuildsCpu), 1)} | ` +
          `${fmt(median(watch.saveToObject), 1)} | ${fmt(Math.min(...watch.saveToObject), 1)} |`,
      );
    }
    lines.push("", "Environment:", "");
    lines.push(
      `- date: ${new Date().toISOString()}`,
      `- node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
      `- load average at the end: ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(", ")}`,
    );
    const text = lines.join("\n") + "\n";
    if (parts.size === 3) writeFileSync(join(ROOT, "bench", "compile-time.md"), text);
    process.stdout.write(text);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
