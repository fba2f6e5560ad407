// bpf_sk_lookup_tcp / bpf_sk_lookup_udp (skLookupTcp / skLookupUdp): an XDP program parses IPv4/TCP,
// builds a SockTuple4 and looks the socket up; BPF_PROG_TEST_RUN with a SYN to a port Node listens
// on (127.0.0.1, in this process's network namespace, which the test run's loopback device is in)
// counts "found", a SYN to a closed port counts "not found". Compile-time: a reference that misses
// skRelease on some path is TSBPF2113.

import { createSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { compileAndLoad, readMap, testRun } from "../testing/index.js";
import { ETH_P_IPV6, eth, ipv4, ipv6, packet, TCP, tcp } from "../testing/packets.js";
import { describeKernel } from "./kernel-env.js";

const FILE = "test/sk-lookup-helper-case.bpf.ts";

const SRC = `
import {
  xdp, XdpAction, ArrayMap, ETH_P_IP, IPPROTO_TCP, htons, atomicAdd, skLookupTcp, skLookupUdp, skRelease, zero,
  ETH_P_IPV6, type u32, type u64, type EthHdr, type Ipv4Hdr, type Ipv6Hdr, type TcpHdr, type SockTuple4, type SockTuple6,
} from "tsbpf/bpf";

/** 0: found, 1: not found, 2: the found socket's local port (host order), 3: UDP found, 4: IPv6 found, 5: IPv6 not found. */
const counts = new ArrayMap<u64>(6);

function bump(i: u32, by: u64): void {
  const c = counts.lookup(i);
  if (c !== null) atomicAdd(c.value, by);
}

export const lookup = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null || ip.protocol !== IPPROTO_TCP) return XdpAction.PASS;
  const tcp = ctx.header<TcpHdr>(14 + (ip.ver_ihl & 0x0f) * 4);
  if (tcp === null) return XdpAction.PASS;
  const t = zero<SockTuple4>();
  t.saddr = ip.saddr;
  t.daddr = ip.daddr;
  t.sport = tcp.source;
  t.dport = tcp.dest;
  const sk = skLookupTcp(ctx, t);
  if (sk === null) {
    bump(1, 1);
  } else {
    bump(0, 1);
    bump(2, sk.src_port);
    skRelease(sk);
  }
  const u = skLookupUdp(ctx, t);
  if (u !== null) {
    bump(3, 1);
    skRelease(u);
  }
  return XdpAction.PASS;
});

export const lookup6 = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IPV6)) return XdpAction.PASS;
  const ip = ctx.header<Ipv6Hdr>(14);
  if (ip === null || ip.nexthdr !== IPPROTO_TCP) return XdpAction.PASS;
  const tcp = ctx.header<TcpHdr>(54);
  if (tcp === null) return XdpAction.PASS;
  const t = zero<SockTuple6>();
  t.saddr = ip.saddr;
  t.daddr = ip.daddr;
  t.sport = tcp.source;
  t.dport = tcp.dest;
  const sk = skLookupTcp(ctx, t);
  if (sk === null) {
    bump(5, 1);
    return XdpAction.PASS;
  }
  bump(4, 1);
  skRelease(sk);
  return XdpAction.PASS;
});
`;

it("a socket from skLookupTcp that misses skRelease on a path is TSBPF2113", () => {
  const leak = SRC.replace("    skRelease(sk);\n", "");
  const r = compile(FILE, leak);
  expect(r.ok).toBe(false);
  expect(r.diagnostics.map((d) => d.code)).toContain("TSBPF2113");
});

it("skLookupTcp outside the program types that offer it is TSBPF2150", () => {
  const src = `
import { socketFilter, skLookupTcp, skRelease, zero, type SockTuple4 } from "tsbpf/bpf";
export const f = socketFilter((ctx) => {
  const sk = skLookupTcp(ctx, zero<SockTuple4>());
  if (sk !== null) skRelease(sk);
  return 0;
});
`;
  const r = compile(FILE, src);
  expect(r.diagnostics.map((d) => d.code)).toContain("TSBPF2150");
});

function listen(host = "127.0.0.1"): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => resolve(s));
  });
}

const portOf = (s: Server) => (s.address() as { port: number }).port;
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));
const counts = (obj: Parameters<typeof readMap>[0]) => {
  const m = readMap<number, bigint | number>(obj, "counts");
  return [0, 1, 2, 3, 4, 5].map((i) => Number(m.get(i)));
};

const TC_SRC = `
import { tc, TcAction, ETH_P_IP, IPPROTO_TCP, htons, skLookupTcp, skAssign, skRelease, zero } from "tsbpf/bpf";
import type { EthHdr, Ipv4Hdr, TcpHdr, SockTuple4 } from "tsbpf/bpf";

export const steer = tc((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return TcAction.OK;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null || ip.protocol !== IPPROTO_TCP) return TcAction.OK;
  const tcp = ctx.header<TcpHdr>(34);
  if (tcp === null) return TcAction.OK;
  const t = zero<SockTuple4>();
  t.saddr = ip.saddr;
  t.daddr = ip.daddr;
  t.sport = tcp.source;
  t.dport = tcp.dest;
  const sk = skLookupTcp(ctx, t);
  if (sk === null) return TcAction.OK;
  const rc = skAssign(sk);
  skRelease(sk);
  return rc === 0 ? TcAction.OK : TcAction.SHOT;
});

export const LICENSE = "GPL";
`;

describeKernel("skLookupTcp/skLookupUdp in XDP (BPF_PROG_TEST_RUN)", () => {
  it("finds a listening socket on 127.0.0.1 and not a closed port", async () => {
    const server = await listen();
    const closed = await listen();
    const port = portOf(server);
    const closedPort = portOf(closed);
    await close(closed);
    try {
      using obj = compileAndLoad(FILE, { source: SRC });
      const prog = obj.programs.get("lookup")!;
      const syn = (dport: number) =>
        packet(eth(), ipv4({ saddr: "127.0.0.1", daddr: "127.0.0.1" }), tcp({ sport: 40000, dport, flags: TCP.SYN }));
      expect(testRun(prog, syn(port)).verdict).toBe("XDP_PASS");
      expect(counts(obj)).toEqual([1, 0, port, 0, 0, 0]);
      expect(testRun(prog, syn(closedPort)).verdict).toBe("XDP_PASS");
      expect(counts(obj)).toEqual([1, 1, port, 0, 0, 0]);
    } finally {
      await close(server);
    }
  });

  it("skLookupUdp finds a UDP socket bound on 127.0.0.1", async () => {
    const sock = createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    try {
      using obj = compileAndLoad(FILE, { source: SRC });
      const prog = obj.programs.get("lookup")!;
      const port = sock.address().port;
      const p = packet(eth(), ipv4({ saddr: "127.0.0.1", daddr: "127.0.0.1" }), tcp({ sport: 40000, dport: port, flags: TCP.SYN }));
      expect(testRun(prog, p).verdict).toBe("XDP_PASS");
      expect(counts(obj)[3]).toBe(1);
    } finally {
      await new Promise<void>((r) => sock.close(() => r()));
    }
  });

  it("finds a listening socket on ::1 through a SockTuple6", async () => {
    const server = await listen("::1");
    const closed = await listen("::1");
    const port = portOf(server);
    const closedPort = portOf(closed);
    await close(closed);
    try {
      using obj = compileAndLoad(FILE, { source: SRC });
      const prog = obj.programs.get("lookup6")!;
      const syn = (dport: number) =>
        packet(eth({ type: ETH_P_IPV6 }), ipv6({ saddr: "::1", daddr: "::1" }), tcp({ sport: 40000, dport, flags: TCP.SYN }));
      expect(testRun(prog, syn(port)).verdict).toBe("XDP_PASS");
      expect(counts(obj).slice(4)).toEqual([1, 0]);
      expect(testRun(prog, syn(closedPort)).verdict).toBe("XDP_PASS");
      expect(counts(obj).slice(4)).toEqual([1, 1]);
    } finally {
      await close(server);
    }
  });

  it("a tc program passes a looked-up socket to skAssign and the verifier accepts it", () => {
    using obj = compileAndLoad(FILE, { source: TC_SRC });
    expect(obj.programs.get("steer")).toBeDefined();
  });
});
