// tsbpf/testing, the helpers users get for their own tests: the packet builders checked against
// independent parsing (and the kernel's view of them), compileAndLoad, testRun with verdicts and
// output packets, map fixtures, and the skip reason.

import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  checksum,
  checksumsOk,
  CompileError,
  compileAndLoad,
  eth,
  icmp,
  ipv4,
  ipv6,
  kernelSkipReason,
  packet,
  payload,
  readMap,
  setMaps,
  TCP,
  tcp,
  testRun,
  udp,
  vlan,
} from "../testing/index.js";

const FIXTURE = path.join(import.meta.dirname, "fixtures", "testing", "classify.bpf.ts");
const dv = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset, p.byteLength);

describe("packet builders", () => {
  it("Ethernet + IPv4 + UDP: lengths, EtherType, protocol, checksums", () => {
    const p = packet(
      eth({ src: "02:00:00:00:00:aa" }),
      ipv4({ saddr: "192.168.1.1", daddr: "192.168.1.2", ttl: 9 }),
      udp({ sport: 1000, dport: 53 }),
      payload(10),
    );
    expect(p.length).toBe(14 + 20 + 8 + 10);
    expect(dv(p).getUint16(12)).toBe(0x0800);
    expect(p[11]).toBe(0xaa);
    expect(p[14]).toBe(0x45);
    expect(dv(p).getUint16(16)).toBe(38); // IPv4 total length
    expect(p[22]).toBe(9);
    expect(p[23]).toBe(17);
    expect(dv(p).getUint32(26)).toBe(0xc0a80101);
    expect(dv(p).getUint16(36)).toBe(53);
    expect(dv(p).getUint16(38)).toBe(18); // UDP length
    expect(checksum(p.subarray(14, 34))).toBe(0);
    expect(dv(p).getUint16(40)).not.toBe(0);
    expect(checksumsOk(p)).toBe(true);
    p[50] ^= 1;
    expect(checksumsOk(p)).toBe(false);
  });

  it("IPv4 options set IHL; option bytes are kept; TCP flags and checksum", () => {
    const p = packet(eth(), ipv4({ options: new Uint8Array([0x94, 0x04, 0, 0]) }), tcp({ dport: 443, flags: TCP.SYN | TCP.ACK }));
    expect(p[14]).toBe(0x46);
    expect([...p.subarray(34, 38)]).toEqual([0x94, 0x04, 0, 0]);
    expect(dv(p).getUint16(38 + 2)).toBe(443);
    expect(p[38 + 13]).toBe(0x12);
    expect(checksumsOk(p)).toBe(true);
    expect(packet(eth(), ipv4({ options: 2 }), udp())[14]).toBe(0x47);
  });

  it("VLAN tag, IPv6 with UDP and ICMPv6, ICMP echo", () => {
    const v = packet(eth(), vlan(100, { pcp: 5 }), ipv4(), icmp());
    expect(dv(v).getUint16(12)).toBe(0x8100);
    expect(dv(v).getUint16(14)).toBe((5 << 13) | 100);
    expect(dv(v).getUint16(16)).toBe(0x0800);
    expect(v[18 + 9]).toBe(1);
    expect(checksumsOk(v)).toBe(true);
    const six = packet(eth(), ipv6({ daddr: "2001:db8::1" }), udp({ dport: 9 }), payload(4));
    expect(dv(six).getUint16(12)).toBe(0x86dd);
    expect(six[14] >> 4).toBe(6);
    expect(dv(six).getUint16(18)).toBe(12); // payload length
    expect(six[20]).toBe(17);
    expect([...six.subarray(38, 54)]).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
    expect(checksumsOk(six)).toBe(true);
    const ping6 = packet(eth(), ipv6(), icmp({ type: 128 }));
    expect(ping6[20]).toBe(58);
    expect(checksumsOk(ping6)).toBe(true);
  });

  it("rejects bad addresses and options", () => {
    expect(() => packet(eth(), ipv4({ saddr: "300.1.1.1" }))).toThrow(/bad IPv4 address/);
    expect(() => packet(eth(), ipv4({ options: new Uint8Array(3) }))).toThrow(/multiple of 4/);
    expect(() => packet(eth({ dst: "zz" }))).toThrow(/bad MAC/);
  });
});

describe("compileAndLoad", () => {
  it("a source with errors throws CompileError with the formatted diagnostics, before any kernel use", () => {
    let err: unknown;
    try {
      compileAndLoad("bad.bpf.ts", {
        source: `import { xdp, XdpAction } from "tsbpf/bpf";\nexport const p = xdp((ctx) => { let x = 1.5; return XdpAction.PASS; });\n`,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).diagnostics.map((d) => d.code)).toContain("TSBPF1010");
    expect((err as CompileError).message).toContain("bad.bpf.ts:2:");
  });
});

describe.skipIf(kernelSkipReason())("in the kernel", () => {
  it("compiles and loads in one call; testRun gives the verdict by name; map fixtures in and out", () => {
    using obj = compileAndLoad(FIXTURE);
    const prog = obj.programs.get("classify")!;
    setMaps(obj, { blocked: [[0, 53]] });
    expect(testRun(prog, packet(eth(), ipv4(), udp({ dport: 53 }))).verdict).toBe("XDP_DROP");
    expect(testRun(prog, packet(eth(), ipv4(), udp({ dport: 54 }))).verdict).toBe("XDP_PASS");
    expect(testRun(prog, packet(eth(), vlan(7), ipv4({ options: 1 }), tcp())).verdict).toBe("XDP_PASS");
    expect(testRun(prog, packet(eth(), ipv6(), udp())).verdict).toBe("XDP_PASS");
    expect(testRun(prog, packet(eth(), vlan(1), ipv4()).subarray(0, 16)).verdict).toBe("XDP_ABORTED"); // a cut-off VLAN tag
    const seen = readMap<number, bigint>(obj, "seen");
    expect(Object.fromEntries(seen)).toEqual({ 1: 1n, 2: 2n, 3: 1n, 4: 1n, 6: 1n, 17: 3n });
    setMaps(obj, { blocked: { 0: 0 } });
    expect(testRun(prog, packet(eth(), ipv4(), udp({ dport: 53 }))).verdict).toBe("XDP_PASS");
  });

  it("returns the output packet: an ICMP echo request comes back with the MACs swapped (XDP_TX)", () => {
    using obj = compileAndLoad(FIXTURE);
    const req = packet(eth({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }), ipv4(), icmp({ seq: 3 }), payload(8));
    const r = testRun(obj.programs.get("classify")!, req);
    expect(r.verdict).toBe("XDP_TX");
    expect([...r.packet.subarray(0, 12)]).toEqual([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
    expect(r.packet.subarray(12)).toEqual(req.subarray(12));
    expect(r.retval).toBe(3);
  });
});
