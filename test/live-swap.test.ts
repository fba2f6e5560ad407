// The live-replacement proof: a bounded, steady UDP stream flows (from a netns over a veth for
// XDP, TC and tcx, from a process in a fresh cgroup for cgroup_skb) while the module is replaced 20
// times, alternating two versions that count into the same pinned map. Asserted: every packet
// sent was counted (none passed unprocessed during a swap), the counter never went backwards (the
// map survived every swap), both versions handled packets, and a sampler process watching the
// hook the whole time (ip link / tc filter / bpftool cgroup) never saw it empty.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { deployModule, moduleStatus, openPinnedMaps, readModuleRecord, unloadModule, type PerCpuTypedMap } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { VethNetns } from "./support/bpf-c.js";
import { LiveEnv } from "./support/live.js";

const STREAM = join(import.meta.dirname, "support", "udp-stream.mjs");
const SAMPLER = join(import.meta.dirname, "support", "hook-sampler.mjs");
const SWAPS = 20;
const PACKETS = 30_000;

function collect(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, out, err })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

interface SwapRun {
  sent: number;
  counted: bigint;
  byA: bigint;
  byB: bigint;
  samples: number;
  empty: number;
  micros: number[];
  swapsDuringStream: number;
}

/**
 * Deploy version A, start sampler and stream, swap SWAPS times (B, A, B, ...) while the stream
 * runs, checking the counter after each swap, then collect everything and unload.
 */
async function swapUnderLoad(
  env: LiveEnv,
  tag: string,
  objects: [string, string],
  spec: string,
  sampler: [string, string] | ((pin: string) => [string, string]),
  stream: { cmd: string; args: string[]; env?: NodeJS.ProcessEnv },
): Promise<SwapRun> {
  const pin = env.pinDir(tag);
  const stop = join(env.tmp, `stop-${tag}`);
  let sampling: ReturnType<typeof collect> | null = null;
  let streaming: ReturnType<typeof collect> | null = null;
  try {
    deployModule(objects[0], { pinDir: pin, attach: [{ spec }] });
    const what = typeof sampler === "function" ? sampler(pin) : sampler;
    sampling = collect(spawn(process.execPath, [SAMPLER, ...what, stop], { stdio: ["ignore", "pipe", "pipe"] }));
    await sleep(100);
    let streamDone = false;
    streaming = collect(spawn(stream.cmd, stream.args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...stream.env } }));
    void streaming.then(() => (streamDone = true));
    await sleep(100);

    using pm = openPinnedMaps(pin);
    const hits = pm.maps.hits as PerCpuTypedMap<number, bigint>;
    let last = sum(hits.get(0)!);
    const micros: number[] = [];
    let swapsDuringStream = 0;
    for (let i = 0; i < SWAPS; i++) {
      const r = deployModule(objects[(i + 1) % 2]!, { pinDir: pin, attach: [{ spec }] });
      expect(r.programs[0]!.action).toBe("replaced");
      expect(r.plan.reused).toEqual(["hits"]);
      micros.push(r.programs[0]!.micros!);
      if (!streamDone) swapsDuringStream++;
      const now = sum(hits.get(0)!);
      expect(now).toBeGreaterThanOrEqual(last); // the map survived: the count never goes back
      last = now;
      await sleep(150);
    }
    const s = await streaming;
    expect(s.err).toBe("");
    const { sent, failed } = JSON.parse(s.out.trim().split("\n").pop()!) as { sent: number; failed: number };
    expect(failed).toBe(0);
    await sleep(50); // packets still in flight in the stack
    writeFileSync(stop, "");
    const smp = await sampling;
    const { samples, empty } = JSON.parse(smp.out.trim()) as { samples: number; empty: number };
    return { sent, counted: sum(hits.get(0)!), byA: sum(hits.get(1)!), byB: sum(hits.get(2)!), samples, empty, micros, swapsDuringStream };
  } finally {
    if (!existsSync(stop)) writeFileSync(stop, "");
    await sampling;
    await streaming;
    if (existsSync(pin)) unloadModule(pin);
  }
}

function check(r: SwapRun): void {
  const sorted = [...r.micros].sort((a, b) => a - b);
  console.log(
    `${r.sent} packets, ${r.counted} counted (A ${r.byA}, B ${r.byB}); ${r.swapsDuringStream}/${SWAPS} swaps during the stream; ` +
      `swap median ${sorted[sorted.length >> 1]!.toFixed(0)} µs, max ${sorted[sorted.length - 1]!.toFixed(0)} µs; ${r.samples} hook samples, ${r.empty} empty`,
  );
  expect(r.swapsDuringStream).toBe(SWAPS); // every swap happened while packets were flowing
  expect(r.sent).toBe(PACKETS);
  expect(r.counted).toBe(BigInt(r.sent)); // no packet passed unprocessed
  expect(r.byA + r.byB).toBe(BigInt(r.sent));
  expect(r.byA).toBeGreaterThan(0n);
  expect(r.byB).toBeGreaterThan(0n);
  expect(r.samples).toBeGreaterThanOrEqual(SWAPS);
  expect(r.empty).toBe(0);
}

describeKernel("live replacement under load", () => {
  const env = new LiveEnv();
  const net = new VethNetns("w");
  const streamArgs = () => ({
    cmd: "ip",
    args: ["netns", "exec", net.ns, process.execPath, STREAM, net.hostIp, "47000", String(PACKETS), "10", "1"],
  });
  beforeAll(() => {
    process.env.TSBPF_STATE_DIR = env.stateDir;
    net.create();
    expect(net.ping(1)).toBe(true); // ARP resolved before the stream starts
  });
  afterAll(() => {
    net.destroy();
    env.cleanup();
    delete process.env.TSBPF_STATE_DIR;
  });

  it("XDP: 20 atomic swaps during a stream lose no packet", async () => {
    const r = await swapUnderLoad(
      env,
      "xdp",
      [env.object("xdp-a"), env.object("xdp-b")],
      `xdp:${net.host}:generic`,
      ["xdp", net.host],
      streamArgs(),
    );
    check(r);
  }, 120_000);

  it("TC: 20 atomic swaps during a stream lose no packet", async () => {
    const r = await swapUnderLoad(
      env,
      "tc",
      [env.object("tc-a"), env.object("tc-b")],
      `tc:${net.host}:ingress`,
      ["tc", net.host],
      streamArgs(),
    );
    check(r);
  }, 120_000);

  it("tcx: 20 atomic swaps during a stream lose no packet", async () => {
    const linkOf = (pin: string): [string, string] => ["link", String(moduleStatus(readModuleRecord(pin)!).programs[0]!.linkId)];
    const r = await swapUnderLoad(env, "tcx", [env.object("tc-a"), env.object("tc-b")], `tcx:${net.host}:ingress`, linkOf, streamArgs());
    check(r);
  }, 120_000);

  it("cgroup_skb: 20 atomic swaps during a stream lose no packet", async () => {
    const root = existsSync("/sys/fs/cgroup/unified/cgroup.procs")
      ? "/sys/fs/cgroup/unified"
      : existsSync("/sys/fs/cgroup/cgroup.procs")
        ? "/sys/fs/cgroup"
        : null;
    if (!root) {
      if (process.env.CI === "true") expect.fail("no cgroup v2 hierarchy mounted");
      console.warn("skipping the cgroup_skb swap test: no cgroup v2 hierarchy mounted");
      return;
    }
    const cg = join(root, `tsbpf-live-${process.pid}`);
    mkdirSync(cg);
    try {
      const r = await swapUnderLoad(env, "cg", [env.object("cgroup-a"), env.object("cgroup-b")], `cgroup:${cg}`, ["cgroup", cg], {
        cmd: process.execPath,
        args: [STREAM, "127.0.0.1", "47000", String(PACKETS), "10", "1"],
        env: { TSBPF_CGROUP: cg },
      });
      check(r);
    } finally {
      // The stream process has exited, so the cgroup is empty and can go.
      rmdirSync(cg);
    }
  }, 120_000);
});
