// `tsbpf run FILE --attach SPEC --watch` in-process: save a new version and see it swapped in with
// the counts kept; save a broken file and see the diagnostic while the old version keeps counting;
// save a version the verifier rejects and see the rejection (with the TypeScript line) while the
// old version keeps counting; stop, and nothing is left attached or pinned.

import { copyFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCommand, type RunIo } from "../compiler/tools/run-command.js";
import { openPinnedMaps, type PerCpuTypedMap } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { run, VethNetns } from "./support/bpf-c.js";
import { LIVE_FIXTURES, LiveEnv, xdpProgId } from "./support/live.js";

const STREAM = join(import.meta.dirname, "support", "udp-stream.mjs");

function capture(): RunIo & { out: string[]; err: string[]; abort(): void } {
  const ctl = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s) => out.push(s), stderr: (s) => err.push(s), signal: ctl.signal, abort: () => ctl.abort() };
}

async function waitFor(what: () => string, re: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(what())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}; got:\n${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeKernel("tsbpf run --watch", () => {
  const env = new LiveEnv();
  const net = new VethNetns("v");
  const send = (n: number): number => {
    const out = run("ip", ["netns", "exec", net.ns, process.execPath, STREAM, net.hostIp, "47000", String(n), "10", "1"]);
    return (JSON.parse(out.trim().split("\n").pop()!) as { sent: number }).sent;
  };
  beforeAll(() => {
    process.env.TSBPF_STATE_DIR = env.stateDir;
    net.create();
    expect(net.ping(1)).toBe(true);
  });
  afterAll(() => {
    net.destroy();
    // What a failed run may have left: the watch session's pins (named after this process).
    rmSync(`/sys/fs/bpf/tsbpf-run-${process.pid}`, { recursive: true, force: true });
    env.cleanup();
    delete process.env.TSBPF_STATE_DIR;
  });

  it("swaps saved versions in, keeps the old one on compile errors and verifier rejections", async () => {
    const file = join(env.tmp, `watched-${process.pid}.bpf.ts`);
    copyFileSync(join(LIVE_FIXTURES, "xdp-a.bpf.ts"), file);
    const io = capture();
    const out = () => io.out.join("");
    const err = () => io.err.join("");
    const done = runCommand([file, "--attach", `xdp:${net.host}:generic`, "--watch", "--interval", "200"], io);
    let pin = "";
    try {
      await waitFor(out, /watching .*: live module pinned in (\S+);/, 20_000);
      pin = /pinned in (\S+);/.exec(out())![1]!;
      const idA = xdpProgId(net.host);
      expect(idA).not.toBeNull();
      const s1 = send(40);

      copyFileSync(join(LIVE_FIXTURES, "xdp-b.bpf.ts"), file);
      await waitFor(out, /swapped in generation 2/, 20_000);
      expect(out()).toMatch(/replaced live_xdp on xdp:\S+ atomically in \d+ µs/);
      expect(xdpProgId(net.host)).not.toBe(idA);
      const idB = xdpProgId(net.host);
      const s2 = send(40);

      writeFileSync(
        file,
        'import { xdp, XdpAction } from "tsbpf/bpf";\nexport const live_xdp = xdp((ctx) => {\n  return XdpAction.PAS;\n});\nexport const LICENSE = "GPL";\n',
      );
      await waitFor(err, /build failed: keeping the running version \(generation 2\)/, 20_000);
      expect(err()).toMatch(new RegExp(`watched-${process.pid}\\.bpf\\.ts:3:\\d+ - error`));
      expect(xdpProgId(net.host)).toBe(idB);
      const s3 = send(40);

      copyFileSync(join(LIVE_FIXTURES, "xdp-too-big.bpf.ts"), file);
      await waitFor(err, /load failed: keeping the running version \(generation 2\)/, 60_000);
      expect(err()).toMatch(/error: verifier rejected program 'live_xdp'/);
      expect(err()).toMatch(new RegExp(`  at watched-${process.pid}\\.bpf\\.ts:1[0-2]: `));
      expect(xdpProgId(net.host)).toBe(idB);
      const s4 = send(40);

      {
        using pm = openPinnedMaps(pin);
        const hits = pm.maps.hits as PerCpuTypedMap<number, bigint>;
        const sum = (k: number) => hits.get(k)!.reduce((a, b) => a + b, 0n);
        expect(sum(0)).toBe(BigInt(s1 + s2 + s3 + s4));
        expect(sum(1)).toBe(BigInt(s1));
        expect(sum(2)).toBe(BigInt(s2 + s3 + s4)); // version B kept counting through both failures
      }
      // The periodic map print reads the live object.
      await waitFor(out, /hits:\n/, 5_000);
    } finally {
      io.abort();
    }
    expect(await done).toBe(0);
    expect(out()).toMatch(/detached live_xdp; removed \/sys\/fs\/bpf\/tsbpf-run-\d+\n$/);
    expect(xdpProgId(net.host)).toBeNull();
    expect(existsSync(pin)).toBe(false);
  }, 120_000);

  it("needs a .bpf.ts file and an --attach", async () => {
    const io = capture();
    expect(await runCommand(["x.o", "--attach", "xdp:lo", "--watch"], io)).toBe(2);
    expect(io.err.join("")).toMatch(/--watch needs a \.bpf\.ts file and at least one --attach/);
  });
});
