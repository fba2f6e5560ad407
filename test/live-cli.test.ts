// `tsbpf load / ls / unload` as a user runs them (bin/tsbpf.js, so `npm run build` first): load
// a module onto a veth whose peer is in a test netns, send UDP through it, load a new version on
// the same pin dir (replaced atomically, counts kept), read the pinned counters from this process,
// refuse a changed layout and a non-bpffs dir, migrate with --migrate, unload.

import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPinnedMaps, type PerCpuTypedMap } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { CBuilder, clangIt, run, VethNetns } from "./support/bpf-c.js";
import { LIVE_FIXTURES, LiveEnv, xdpProgId } from "./support/live.js";

const BIN = join(import.meta.dirname, "..", "bin", "tsbpf.js");
const STREAM = join(import.meta.dirname, "support", "udp-stream.mjs");

describeKernel("tsbpf load / ls / unload", () => {
  const env = new LiveEnv();
  const net = new VethNetns("c");
  const tsbpf = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, TSBPF_STATE_DIR: env.stateDir }, encoding: "utf8" });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const send = (n: number): number => {
    const out = run("ip", ["netns", "exec", net.ns, process.execPath, STREAM, net.hostIp, "47000", String(n), "10", "1"]);
    return (JSON.parse(out.trim().split("\n").pop()!) as { sent: number }).sent;
  };
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  beforeAll(() => {
    net.create();
    expect(net.ping(1)).toBe(true); // resolve ARP before counting
  });
  afterAll(() => {
    net.destroy();
    env.cleanup();
  });

  it("loads, replaces in place keeping counts, lists and unloads a module", () => {
    const pin = env.pinDir("cli");
    const spec = `xdp:${net.host}:generic`;
    try {
      const a = tsbpf("load", join(LIVE_FIXTURES, "xdp-a.bpf.ts"), "--attach", spec, "--pin", pin);
      expect(a.err).toBe("");
      expect(a.code).toBe(0);
      expect(a.out).toMatch(
        new RegExp(`attached live_xdp to ${spec} \\(prog id (\\d+)\\)\\nmaps: hits \\(new\\)\\nloaded: pinned in ${pin}\\n`),
      );
      const idA = Number(/prog id (\d+)/.exec(a.out)![1]);
      expect(xdpProgId(net.host)).toBe(idA); // still attached after the process exited
      const first = send(200);

      const b = tsbpf("load", join(LIVE_FIXTURES, "xdp-b.bpf.ts"), "--attach", spec, "--pin", pin);
      expect(b.code).toBe(0);
      expect(b.out).toMatch(
        /replaced live_xdp on xdp:\S+ atomically in \d+ µs \(prog id \d+\)\nmaps: hits \(reused, entries kept\)\nreplaced \(generation 2\)/,
      );
      const idB = Number(/prog id (\d+)/.exec(b.out)![1]);
      expect(idB).not.toBe(idA);
      expect(xdpProgId(net.host)).toBe(idB);
      const second = send(300);

      {
        using pm = openPinnedMaps(pin);
        const hits = pm.maps.hits as PerCpuTypedMap<number, bigint>;
        expect(sum(hits.get(0)!)).toBe(BigInt(first + second));
        expect(sum(hits.get(1)!)).toBe(BigInt(first)); // version A counted the first stream
        expect(sum(hits.get(2)!)).toBe(BigInt(second)); // version B the second
      }

      const ls = tsbpf("ls");
      expect(ls.code).toBe(0);
      expect(ls.out).toContain(`${pin}\n  source ${join(LIVE_FIXTURES, "xdp-b.bpf.ts")}, generation 2`);
      expect(ls.out).toMatch(new RegExp(`program live_xdp on ${spec}: prog id ${idB}, tag [0-9a-f]{16}, link id \\d+, loaded \\d{4}-`));
      expect(ls.out).toMatch(/map hits: id \d+, type 6, max_entries 4/);
      const json = JSON.parse(tsbpf("ls", "--json").out) as { record: { pinDir: string } }[];
      expect(json.map((m) => m.record.pinDir)).toContain(pin);

      const wide = tsbpf("load", join(LIVE_FIXTURES, "xdp-wide.bpf.ts"), "--attach", spec, "--pin", pin);
      expect(wide.code).toBe(1);
      expect(wide.err).toMatch(/error: map 'hits' cannot be reused from .*: value size: 8 in the pinned map, 16 in the new object/);
      expect(xdpProgId(net.host)).toBe(idB);

      const migration = join(env.tmp, "migrate.mjs");
      writeFileSync(
        migration,
        `export function hits(from, to) {\n  for (const [k, cpus] of from.entries()) to.set(k, cpus.map((p) => ({ packets: p, bytes: 0n })));\n}\n`,
      );
      const mig = tsbpf("load", join(LIVE_FIXTURES, "xdp-wide.bpf.ts"), "--attach", spec, "--pin", pin, "--migrate", migration);
      expect(mig.err).toBe("");
      expect(mig.out).toMatch(/replaced live_xdp .*\nmaps: hits \(migrated: value size: 8 in the pinned map, 16 in the new object\)/);
      const third = send(100);
      {
        using pm = openPinnedMaps(pin);
        const hits = pm.maps.hits as PerCpuTypedMap<number, { packets: bigint; bytes: bigint }>;
        expect(sum(hits.get(0)!.map((h) => h.packets))).toBe(BigInt(first + second + third));
        expect(sum(hits.get(3)!.map((h) => h.packets))).toBe(BigInt(third));
      }

      const un = tsbpf("unload", pin);
      expect(un.code).toBe(0);
      expect(un.out).toBe(`detached live_xdp\nunpinned maps: hits\nunloaded ${pin}\n`);
      expect(xdpProgId(net.host)).toBeNull();
      expect(existsSync(pin)).toBe(false);
      expect(tsbpf("ls").out).toBe("no live modules (tsbpf load creates them)\n");
    } finally {
      if (existsSync(pin)) tsbpf("unload", pin);
    }
  }, 180_000);

  clangIt(
    "keeps the running version when the new one fails to compile or to verify",
    () => {
      const pin = env.pinDir("bad");
      const spec = `xdp:${net.host}:generic`;
      const c = new CBuilder();
      try {
        expect(tsbpf("load", join(LIVE_FIXTURES, "xdp-a.bpf.ts"), "--attach", spec, "--pin", pin).code).toBe(0);
        const id = xdpProgId(net.host);
        const broken = join(env.tmp, "broken.bpf.ts");
        writeFileSync(
          broken,
          'import { xdp, XdpAction } from "tsbpf/bpf";\nexport const live_xdp = xdp((ctx) => { return nope; });\nexport const LICENSE = "GPL";\n',
        );
        const ce = tsbpf("load", broken, "--attach", spec, "--pin", pin);
        expect(ce.code).toBe(1);
        expect(ce.err).toMatch(/broken\.bpf\.ts:2:\d+ - error TSBPF\d+|broken\.bpf\.ts:2:\d+ - error TS\d+/);
        expect(ce.err).toMatch(/nothing loaded/);
        // Reads packet data without a bounds check: the verifier refuses it.
        const obj = c.build(
          "unchecked",
          `SEC("xdp") int live_xdp(struct xdp_md *ctx) { return *(unsigned char *)(long)ctx->data == 1 ? XDP_DROP : XDP_PASS; }`,
        );
        const ve = tsbpf("load", obj, "--attach", spec, "--pin", pin);
        expect(ve.code).toBe(1);
        expect(ve.err).toMatch(/error: verifier rejected program 'live_xdp'/);
        expect(xdpProgId(net.host)).toBe(id);
        expect(send(20)).toBe(20);
        using pm = openPinnedMaps(pin);
        expect((pm.maps.hits as PerCpuTypedMap<number, bigint>).get(0)!.reduce((a, b) => a + b, 0n)).toBe(20n);
      } finally {
        c.remove();
        tsbpf("unload", pin);
      }
    },
    180_000,
  );

  it("runs the xdp-counter README's live-module steps: load, read through the skeleton, reload, unload", async () => {
    const pin = env.pinDir("readme");
    const example = join(import.meta.dirname, "..", "examples", "xdp-counter", "xdp-counter.bpf.ts");
    const spec = `xdp:${net.host}:generic`;
    // The committed skeleton, as user code imports it (it resolves tsbpf/runtime to dist/).
    const skel = (await import("../examples/xdp-counter/xdp-counter.skel.js")) as unknown as {
      openPinned(dir: string): { maps: { counters: PerCpuTypedMap<number, { packets: bigint }> }; close(): void };
    };
    const icmp = (): bigint => {
      const live = skel.openPinned(pin);
      try {
        return live.maps.counters.get(1)!.reduce((n, c) => n + c.packets, 0n);
      } finally {
        live.close();
      }
    };
    try {
      const first = tsbpf("load", example, "--attach", spec, "--pin", pin);
      expect(first.out).toMatch(/attached xdp_counter to xdp:\S+ \(prog id \d+\)\nmaps: counters \(new\)\n/);
      expect(net.ping(3)).toBe(true);
      const n = icmp();
      expect(n).toBeGreaterThanOrEqual(3n);
      const again = tsbpf("load", example, "--attach", spec, "--pin", pin);
      expect(again.out).toMatch(
        /replaced xdp_counter on xdp:\S+ atomically in \d+ µs \(prog id \d+\)\nmaps: counters \(reused, entries kept\)/,
      );
      expect(icmp()).toBeGreaterThanOrEqual(n);
    } finally {
      expect(tsbpf("unload", pin).code).toBe(0);
    }
  }, 180_000);

  it("refuses bad pin dirs and bad usage", () => {
    const spec = `xdp:${net.host}:generic`;
    const notBpffs = tsbpf("load", join(LIVE_FIXTURES, "xdp-a.bpf.ts"), "--attach", spec, "--pin", join(env.tmp, "pins"));
    expect(notBpffs.code).toBe(1);
    expect(notBpffs.err).toMatch(/is not on a bpffs mount/);
    expect(tsbpf("load", join(LIVE_FIXTURES, "xdp-a.bpf.ts"), "--attach", spec).code).toBe(2);
    const un = tsbpf("unload", `/sys/fs/bpf/tsbpf-live-${process.pid}-nothing`);
    expect(un.code).toBe(1);
    expect(un.err).toMatch(/no module is loaded at/);
    expect(xdpProgId(net.host)).toBeNull();
  }, 180_000);
});
