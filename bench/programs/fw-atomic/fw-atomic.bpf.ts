// Benchmark: an XDP firewall over a variable-length IPv4 header. Sources in `allow_src` (hash) pass;
// otherwise the TCP or UDP destination port's entry in `port_policy` (array) decides; `stats`
// (array) counts packets and bytes per outcome with atomic adds.
import {
  xdp, XdpAction, HashMap, ArrayMap, atomicAdd, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, htons, ntohs,
  type u32, type u64, type EthHdr, type Ipv4Hdr, type TcpHdr, type UdpHdr,
} from "tsbpf/bpf";

interface Stats {
  packets: u64;
  bytes: u64;
}

/** Source address (as in the packet) -> 1: always allowed. */
const allow_src = new HashMap<u32, u32>(1024);
/** Destination port -> 1: drop. */
const port_policy = new ArrayMap<u32>(65536);
/** 0 passed, 1 dropped by port, 2 bad header, 3 allowed source. */
const stats = new ArrayMap<Stats>(4);

function account(outcome: u32, len: u64): void {
  const s = stats.lookup(outcome);
  if (s !== null) {
    atomicAdd(s.packets, 1);
    atomicAdd(s.bytes, len);
  }
}

export const fw_atomic = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  const ihl = ip.ver_ihl & 0x0f;
  if (ihl < 5) {
    account(2, ctx.len);
    return XdpAction.DROP;
  }
  if (allow_src.lookup(ip.saddr) !== null) {
    account(3, ctx.len);
    return XdpAction.PASS;
  }
  let dport: u32 = 0;
  if (ip.protocol === IPPROTO_TCP) {
    const tcp = ctx.header<TcpHdr>(14 + ihl * 4);
    if (tcp === null) {
      account(2, ctx.len);
      return XdpAction.DROP;
    }
    dport = ntohs(tcp.dest);
  } else if (ip.protocol === IPPROTO_UDP) {
    const udp = ctx.header<UdpHdr>(14 + ihl * 4);
    if (udp === null) {
      account(2, ctx.len);
      return XdpAction.DROP;
    }
    dport = ntohs(udp.dest);
  } else {
    account(0, ctx.len);
    return XdpAction.PASS;
  }
  const p = port_policy.lookup(dport);
  if (p !== null && p.value !== 0) {
    account(1, ctx.len);
    return XdpAction.DROP;
  }
  account(0, ctx.len);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
