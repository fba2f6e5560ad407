// `npm run bench:swap` (also the last step of `npm run bench`): how long replacing a live module's
// program takes, per attach type. For XDP (generic and driver mode, on a veth), TC (cls_bpf
// ingress, same veth), tcx (TC through a link) and cgroup_skb (a fresh cgroup v2 directory), version A is deployed, then replaced SWAPS times
// alternating with version B (test/fixtures/live/*-a/-b.bpf.ts, same map layout):
//   - switch: the hook switch alone (BPF_LINK_UPDATE, or the netlink filter replace for TC),
//   - replace: the whole deployModule call (open, map reuse check, load + verify, switch, pins).
// Prints a markdown table and writes it with the environment to bench/swap-results.md.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../compiler/compile.js";
import { bpfAvailable, deployModule, unloadModule } from "../runtime/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SWAPS = 50;

interface Stats {
  kind: string;
  switchUs: number[];
  replaceMs: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const max = (xs: number[]) => Math.max(...xs);

function objectFor(tmp: string, name: string): string {
  const src = join(ROOT, "test", "fixtures", "live", `${name}.bpf.ts`);
  const r = compile(src, readFileSync(src, "utf8"));
  if (!r.ok || !r.object) throw new Error(`${name} does not compile`);
  const out = join(tmp, `${name}.o`);
  writeFileSync(out, r.object);
  return out;
}

function measure(kind: string, a: string, b: string, spec: string, pin: string): Stats {
  const stats: Stats = { kind, switchUs: [], replaceMs: [] };
  deployModule(a, { pinDir: pin, attach: [{ spec }] });
  try {
    for (let i = 0; i < SWAPS; i++) {
      const t0 = process.hrtime.bigint();
      const r = deployModule(i % 2 === 0 ? b : a, { pinDir: pin, attach: [{ spec }] });
      stats.replaceMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.programs[0]?.action !== "replaced") throw new Error(`${kind}: expected an atomic replacement, got ${r.programs[0]?.action}`);
      stats.switchUs.push(r.programs[0].micros!);
    }
  } finally {
    unloadModule(pin);
  }
  return stats;
}

function table(rows: Stats[]): string {
  return [
    `| attach type | swaps | switch median | switch max | replace median | replace max |`,
    `|---|---:|---:|---:|---:|---:|`,
    ...rows.map(
      (r) =>
        `| ${r.kind} | ${r.switchUs.length} | ${median(r.switchUs).toFixed(0)} µs | ${max(r.switchUs).toFixed(0)} µs | ` +
        `${median(r.replaceMs).toFixed(1)} ms | ${max(r.replaceMs).toFixed(1)} ms |`,
    ),
  ].join("\n");
}

/** Run the swap benchmark; prints the table and writes bench/swap-results.md. Skips without bpf(). */
export function swapBench(): void {
  const bpf = bpfAvailable();
  if (!bpf.ok) {
    process.stdout.write(`\nswap latency: skipped (${bpf.reason})\n`);
    return;
  }
  const tmp = mkdtempSync(join(os.tmpdir(), "tsbpf-swap-"));
  const prevState = process.env.TSBPF_STATE_DIR;
  process.env.TSBPF_STATE_DIR = join(tmp, "state");
  const dev = `tsbsw${process.pid % 100000}`;
  const cgRoot = existsSync("/sys/fs/cgroup/unified/cgroup.procs")
    ? "/sys/fs/cgroup/unified"
    : existsSync("/sys/fs/cgroup/cgroup.procs")
      ? "/sys/fs/cgroup"
      : null;
  const cg = cgRoot ? join(cgRoot, `tsbpf-swap-${process.pid}`) : null;
  const pin = (k: string) => `/sys/fs/bpf/tsbpf-swap-${process.pid}-${k}`;
  const rows: Stats[] = [];
  const loadBefore = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  const started = Date.now();
  try {
    execFileSync("ip", ["link", "add", dev, "type", "veth", "peer", "name", `${dev}p`]);
    execFileSync("ip", ["link", "set", dev, "up"]);
    const o = (n: string) => objectFor(tmp, n);
    process.stderr.write("bench: swap latency (xdp)\n");
    rows.push(measure("XDP (generic, veth)", o("xdp-a"), o("xdp-b"), `xdp:${dev}:generic`, pin("xdp")));
    process.stderr.write("bench: swap latency (xdp driver mode)\n");
    execFileSync("ip", ["link", "set", `${dev}p`, "up"]);
    rows.push(measure("XDP (driver, veth)", o("xdp-a"), o("xdp-b"), `xdp:${dev}:driver`, pin("xdpdrv")));
    process.stderr.write("bench: swap latency (tc)\n");
    rows.push(measure("TC (cls_bpf ingress)", o("tc-a"), o("tc-b"), `tc:${dev}:ingress`, pin("tc")));
    process.stderr.write("bench: swap latency (tcx)\n");
    rows.push(measure("tcx ingress (TC link)", o("tc-a"), o("tc-b"), `tcx:${dev}:ingress`, pin("tcx")));
    if (cg) {
      mkdirSync(cg);
      process.stderr.write("bench: swap latency (cgroup_skb)\n");
      rows.push(measure("cgroup_skb egress", o("cgroup-a"), o("cgroup-b"), `cgroup:${cg}`, pin("cg")));
    }
  } finally {
    try {
      execFileSync("ip", ["link", "del", dev], { stdio: "ignore" });
    } catch {
      // already gone
    }
    if (cg && existsSync(cg)) rmdirSync(cg);
    for (const k of ["xdp", "xdpdrv", "tc", "tcx", "cg"]) if (existsSync(pin(k))) rmSync(pin(k), { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
    if (prevState === undefined) delete process.env.TSBPF_STATE_DIR;
    else process.env.TSBPF_STATE_DIR = prevState;
  }
  const md = table(rows);
  process.stdout.write(`\nswap latency (${SWAPS} replacements each):\n\n${md}\n`);
  const doc = [
    "# Benchmark: live replacement (swap latency)",
    "",
    "Generated by `npm run bench:swap` (bench/swap.ts; also run at the end of `npm run bench`).",
    "",
    md,
    "",
    `Each row: version A deployed, then ${SWAPS} replacements alternating B and A (same map, reused).`,
    "",
    "- **switch**: the hook switch alone: `BPF_LINK_UPDATE` on the pinned link (XDP, tcx, cgroup), the netlink",
    "  `RTM_NEWTFILTER` replace on the same handle/priority (TC). The hook runs the old or the new program",
    "  throughout; this is how long the call takes, not a gap. XDP and TC take the RTNL lock, so other",
    "  network configuration on the machine (other tests creating namespaces) shows up in the maximum.",
    "- **replace**: the whole `deployModule` call, i.e. `tsbpf load` without process start-up and compilation:",
    "  open the object, compare the pinned maps' layouts, load and verify, switch, re-pin, write the record.",
    "",
    "Environment:",
    "",
    `- date: ${new Date().toISOString()}`,
    `- kernel: Linux ${os.release()} (${os.arch()})`,
    `- CPU: ${os.cpus()[0]?.model ?? "unknown"} (${os.cpus().length} CPUs), load average before the run ${loadBefore}`,
    `- Node ${process.version}; wall time ${((Date.now() - started) / 1000).toFixed(1)} s`,
    "",
  ].join("\n");
  writeFileSync(join(ROOT, "bench", "swap-results.md"), doc);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) swapBench();
