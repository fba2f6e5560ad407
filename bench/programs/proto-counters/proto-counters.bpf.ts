// Benchmark: per-protocol packet and byte counters for IPv4 (by protocol) and IPv6 (by next header).
import {
  xdp, XdpAction, PerCpuArray, ETH_P_IP, ETH_P_IPV6, htons,
  type u64, type EthHdr, type Ipv4Hdr, type Ipv6Hdr,
} from "tsbpf/bpf";

interface Counter {
  packets: u64;
  bytes: u64;
}

const v4_counters = new PerCpuArray<Counter>(256);
const v6_counters = new PerCpuArray<Counter>(256);

export const proto_counters = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XdpAction.PASS;
  if (eth.h_proto === htons(ETH_P_IP)) {
    const ip = ctx.header<Ipv4Hdr>(14);
    if (ip === null) return XdpAction.PASS;
    const c = v4_counters.lookup(ip.protocol);
    if (c !== null) {
      c.packets += 1;
      c.bytes += ctx.len;
    }
  } else if (eth.h_proto === htons(ETH_P_IPV6)) {
    const ip6 = ctx.header<Ipv6Hdr>(14);
    if (ip6 === null) return XdpAction.PASS;
    const c = v6_counters.lookup(ip6.nexthdr);
    if (c !== null) {
      c.packets += 1;
      c.bytes += ctx.len;
    }
  }
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
