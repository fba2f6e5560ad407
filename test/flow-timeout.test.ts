// examples/flow-timeout: per-flow entries whose BPF timers delete them once idle. The XDP program is
// test-run on real frames (BPF_PROG_TEST_RUN) with IDLE_NS set to 300 ms through .rodata; the test
// reads the flows from the map, then waits and sees the kernel's timer callbacks expire them, a flow
// seen again later than the others expiring later.

import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { loadObject, u32le } from "../runtime/index.js";
import { eth, icmp, ipv4, packet, payload, tcp, udp } from "../testing/packets.js";
import { describeKernel } from "./kernel-env.js";
import { VethNetns } from "./support/bpf-c.js";

const FILE = join(import.meta.dirname, "..", "examples", "flow-timeout", "flow-timeout.bpf.ts");
const IDLE_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("compiles cleanly", () => {
  expect(compile(FILE, readFileSync(FILE, "utf8")).diagnostics).toEqual([]);
});

describeKernel("flow-timeout in the kernel", () => {
  it("counts packets per flow and forgets each flow IDLE_NS after its last packet", async () => {
    const r = compile(FILE, readFileSync(FILE, "utf8"), { checkIr: true });
    using obj = loadObject(r.object!, { rodata: { IDLE_NS: BigInt(IDLE_MS) * 1_000_000n } });
    const prog = obj.programs.get("flow_timeout")!;
    const flows = obj.maps.get("flows")!;
    const count = () => [...flows.keys()].length;
    const stat = (i: number) => new DataView(obj.maps.get("stats")!.lookup(u32le(i))!.buffer).getBigUint64(0, true);
    const a = packet(eth(), ipv4({ saddr: "10.0.0.1", daddr: "10.0.0.2" }), udp({ sport: 5000, dport: 53 }), payload(20));
    const b = packet(eth(), ipv4({ saddr: "10.0.0.3", daddr: "10.0.0.2" }), tcp({ sport: 40000, dport: 443 }), payload(10));
    const c = packet(eth(), ipv4({ saddr: "10.0.0.4", daddr: "10.0.0.2" }), icmp({ type: 8 }), payload(8));
    const t0 = Date.now();
    for (const p of [a, a, a, b, c]) expect(prog.run({ data: p }).retval).toBe(2); // XDP_PASS
    expect(stat(0)).toBe(3n);
    // flow a: 3 packets of 62 bytes; keys hold addresses and ports as they are in the packet.
    const keys = [...flows.keys()].map((k) => Buffer.from(k).toString("hex"));
    expect(keys.sort()).toEqual(
      [
        "0a0000010a00000213880035" + "11000000",
        "0a0000030a0000029c4001bb" + "06000000",
        "0a0000040a00000200000000" + "01000000", // ICMP: no ports
      ].sort(),
    );
    const va = flows.lookup(Buffer.from("0a0000010a0000021388003511000000", "hex"))!;
    const dv = new DataView(va.buffer, va.byteOffset);
    expect(dv.getBigUint64(16, true)).toBe(3n); // packets (after the 16-byte timer)
    expect(dv.getBigUint64(24, true)).toBe(BigInt(3 * a.length));
    // Flow a is seen again 200 ms in: it must outlive b and c by that much.
    await sleep(200);
    const tA = Date.now();
    prog.run({ data: a });
    const deadline = Date.now() + 3000;
    while (count() > 1 && Date.now() < deadline) await sleep(10);
    const bothGone = Date.now();
    expect(count()).toBe(1);
    expect(bothGone - t0).toBeGreaterThanOrEqual(IDLE_MS - 5);
    // a is left, and stays until IDLE_MS after its last packet (re-armed by its callback).
    if (Date.now() - tA < IDLE_MS - 50) expect(count()).toBe(1);
    while (count() > 0 && Date.now() < deadline) await sleep(10);
    expect(count()).toBe(0);
    expect(Date.now() - tA).toBeGreaterThanOrEqual(IDLE_MS - 5);
    expect(stat(1)).toBe(3n);
  }, 10_000);

  it("user.ts (prebuilt object) shows a ping's flow on a veth, then the kernel expires it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-ft-"));
    const net = new VethNetns("ft");
    try {
      const r = compile(FILE, readFileSync(FILE, "utf8"));
      writeFileSync(join(dir, "ft.bpf.o"), r.object!);
      net.create();
      const user = join(import.meta.dirname, "..", "examples", "flow-timeout", "user.ts");
      const run = promisify(execFile)(
        process.execPath,
        ["--import", "tsx", user, net.host, "--idle", "1", "--duration", "4", "--object", join(dir, "ft.bpf.o")],
        { cwd: join(import.meta.dirname, ".."), timeout: 30_000 },
      );
      // Ping once the program is attached (the interface shows it).
      const deadline = Date.now() + 20_000;
      while (!/xdpgeneric/.test(net.hostLink()) && Date.now() < deadline) await sleep(50);
      execFileSync("ip", ["netns", "exec", net.ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", "-q", net.hostIp]);
      const { stdout, stderr } = await run;
      expect(stderr).toBe("");
      expect(stdout).toMatch(/^attached flow_timeout to xdp:\S+ \(generic\), flows expire after 1s idle/);
      expect(stdout).toContain(`icmp ${net.peerIp} > ${net.hostIp}  2 packets, 196 bytes`);
      const total = stdout.split("\n").find((l) => l.startsWith("total"))!;
      const [, live, seen, expired] = /total {2}(\d+) live, (\d+) seen, (\d+) expired/.exec(total)!.map(Number);
      // Every flow seen (the ping, perhaps IPv4 noise) was gone 1 s after its last packet.
      expect(seen).toBeGreaterThanOrEqual(1);
      expect(live).toBe(0);
      expect(expired).toBe(seen);
      expect(stdout).toMatch(/\ndetached\n$/);
    } finally {
      net.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
