// Runs the XDP program on real packets with BPF_PROG_TEST_RUN. Needs root; elsewhere the kernel
// tests are skipped with one line saying why.
import { describe, expect, it } from "vitest";
import { compileAndLoad, eth, ipv4, ipv6, kernelSkipReason, packet, payload, readMap, tcp, testRun, udp } from "tsbpf/testing";

describe.skipIf(kernelSkipReason())("counter.bpf.ts", () => {
  it("passes every packet and counts IPv4 packets and bytes per protocol", () => {
    using obj = compileAndLoad("bpf/counter.bpf.ts");
    const prog = obj.programs.get("count_packets")!;
    const udpFrame = packet(eth(), ipv4(), udp({ dport: 53 }), payload(20));
    expect(testRun(prog, udpFrame).verdict).toBe("XDP_PASS");
    expect(testRun(prog, udpFrame).verdict).toBe("XDP_PASS");
    expect(testRun(prog, packet(eth(), ipv4(), tcp({ dport: 443 }))).verdict).toBe("XDP_PASS");
    expect(testRun(prog, packet(eth(), ipv6(), udp())).verdict).toBe("XDP_PASS"); // not IPv4: not counted

    const total = (proto: number) => {
      const perCpu = readMap<number, { packets: bigint; bytes: bigint }[]>(obj, "counters").get(proto)!;
      return perCpu.reduce((s, c) => ({ packets: s.packets + c.packets, bytes: s.bytes + c.bytes }), { packets: 0n, bytes: 0n });
    };
    expect(total(17)).toEqual({ packets: 2n, bytes: BigInt(2 * udpFrame.length) });
    expect(total(6)).toEqual({ packets: 1n, bytes: 54n });
  });
});
