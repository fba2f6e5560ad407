// Every example compiles, passes the kernel verifier, and behaves as its README says on real packets
// run through BPF_PROG_TEST_RUN.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { loadObject, readU64, u32le } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { ipv4Packet, ipv6Packet, tcpPacket } from "../testing/packets.js";

const root = join(import.meta.dirname, "..", "examples");

function build(name: string): Uint8Array {
  const file = join(root, name, `${name}.bpf.ts`);
  const r = compile(file, readFileSync(file, "utf8"), { checkIr: true });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  expect(r.ok).toBe(true);
  return r.object!;
}

describe("examples compile", () => {
  for (const name of readdirSync(root)) {
    it(name, () => {
      expect(build(name).length).toBeGreaterThan(64);
    });
  }
});

describeKernel("examples in the kernel", () => {
  it("every example passes the verifier", () => {
    // fentry/fexit/LSM examples: kernels without trampolines refuse them (EPERM); test/unlink-watch.test.ts.
    const trampolines = new Set(["unlink-watch"]);
    for (const name of readdirSync(root)) {
      if (trampolines.has(name)) continue;
      using obj = loadObject(build(name));
      expect(obj.programs.size).toBeGreaterThan(0);
      for (const p of obj.programs.values()) expect(p.fd).toBeGreaterThan(0);
    }
  });

  it("verifier logs point at TypeScript source lines", () => {
    using obj = loadObject(build("xdp-counter"), { logLevel: 2 });
    const log = obj.programs.get("xdp_counter")!.verifierLog;
    expect(log).toContain("; const eth = ctx.header<EthHdr>(0);");
    expect(log).toMatch(/xdp-counter\.bpf\.ts:14/);
  });

  it("xdp-pass passes every packet", () => {
    using obj = loadObject(build("xdp-pass"));
    const r = obj.programs.get("xdp_pass")!.run({ data: ipv4Packet(6, 40) });
    expect(r.retval).toBe(2);
  });

  it("xdp-counter counts packets and bytes per IP protocol", () => {
    using obj = loadObject(build("xdp-counter"));
    const prog = obj.programs.get("xdp_counter")!;
    const counters = obj.maps.get("counters")!;
    const tcp = ipv4Packet(6, 60);
    const udp = ipv4Packet(17, 100);
    expect(prog.run({ data: tcp, repeat: 3 }).retval).toBe(2);
    expect(prog.run({ data: udp, repeat: 5 }).retval).toBe(2);
    // Not IPv4, and a truncated IPv4 header: passed, not counted.
    expect(prog.run({ data: ipv6Packet(60) }).retval).toBe(2);
    expect(prog.run({ data: ipv4Packet(6, 60).subarray(0, 30) }).retval).toBe(2);

    const sum = (proto: number) => {
      let packets = 0n;
      let bytes = 0n;
      for (const v of counters.lookupPerCpu(u32le(proto))!) {
        packets += readU64(v, 0);
        bytes += readU64(v, 8);
      }
      return { packets, bytes };
    };
    expect(sum(6)).toEqual({ packets: 3n, bytes: 3n * BigInt(tcp.length) });
    expect(sum(17)).toEqual({ packets: 5n, bytes: 5n * BigInt(udp.length) });
    expect(sum(1)).toEqual({ packets: 0n, bytes: 0n });
  });

  it("socket-filter-tcp keeps TCP and drops the rest", () => {
    using obj = loadObject(build("socket-filter-tcp"));
    const prog = obj.programs.get("socket_filter_tcp")!;
    const tcp = ipv4Packet(6, 80);
    // The test run strips the Ethernet header: skb->len is the IP packet's length.
    expect(prog.run({ data: tcp }).retval).toBe(tcp.length - 14);
    expect(prog.run({ data: ipv4Packet(17, 80) }).retval).toBe(0);
    expect(prog.run({ data: ipv6Packet(80) }).retval).toBe(0);
  });

  it("firewall drops by source address and destination port, counts per rule, passes the rest", () => {
    using obj = loadObject(build("firewall"));
    const prog = obj.programs.get("firewall")!;
    const sources = obj.maps.get("blocked_sources")!;
    const ports = obj.maps.get("blocked_ports")!;
    const hits = obj.maps.get("rule_hits")!;
    // Rule 7: source 10.9.9.9 (key: the address bytes as they appear in the packet). Rule 3: port 22.
    sources.update(new Uint8Array([10, 9, 9, 9]), u32le(7));
    ports.update(u32le(22), u32le(3));

    const fromBlocked = ipv4Packet(17, 60, { saddr: 0x0a090909 });
    const ssh = tcpPacket({ sport: 5555, dport: 22 });
    const sshWithOptions = tcpPacket({ sport: 5555, dport: 22, ipOptions: 2 });
    const web = tcpPacket({ sport: 5555, dport: 443 });
    expect(prog.run({ data: fromBlocked, repeat: 2 }).retval).toBe(1);
    expect(prog.run({ data: ssh }).retval).toBe(1);
    expect(prog.run({ data: sshWithOptions }).retval).toBe(1);
    expect(prog.run({ data: web, repeat: 4 }).retval).toBe(2);
    expect(prog.run({ data: ipv6Packet(80) }).retval).toBe(2); // not IPv4: not counted

    const total = (rule: number) => hits.lookupPerCpu(u32le(rule))!.reduce((n, v) => n + readU64(v), 0n);
    expect(total(7)).toBe(2n);
    expect(total(3)).toBe(2n);
    expect(total(0)).toBe(4n);
  });
});
