// Port-scan guard (XDP): a TCP SYN to a port where nothing listens is a probe. The program asks the
// kernel's own socket table (bpf_sk_lookup_tcp) whether a socket would take the connection; if none
// would, it counts the probe against the source address, and once a source has sent LIMIT probes its
// further SYNs are dropped before the stack sees them. SYNs to listening ports always pass, so
// clients that only talk to real services are never affected.
import {
  xdp, XdpAction, LruHashMap, ArrayMap, UpdateFlags, ETH_P_IP, IPPROTO_TCP, htons, atomicAdd, skLookupTcp, skRelease, zero,
  type u32, type u64, type EthHdr, type Ipv4Hdr, type TcpHdr, type SockTuple4,
} from "tsbpf/bpf";

/** Probes a source may send before its SYNs are dropped; user space may set it at load (.rodata). */
const LIMIT: u64 = 8;

/** Source IPv4 address (as in the packet) -> SYNs it sent to ports where nothing listens. */
const probes = new LruHashMap<u32, u64>(4096);
/** 0: SYNs to listening ports, 1: probes passed, 2: SYNs dropped. */
const stats = new ArrayMap<u64>(3);

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

function count(what: u32): void {
  const c = stats.lookup(what);
  if (c !== null) atomicAdd(c.value, 1);
}

export const scan_guard = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null || ip.protocol !== IPPROTO_TCP) return XdpAction.PASS;
  const tcp = ctx.header<TcpHdr>(14 + (ip.ver_ihl & 0x0f) * 4);
  if (tcp === null || (tcp.flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return XdpAction.PASS;

  // Would a socket in this namespace take the connection? (The reference must be released.)
  const t = zero<SockTuple4>();
  t.saddr = ip.saddr;
  t.daddr = ip.daddr;
  t.sport = tcp.source;
  t.dport = tcp.dest;
  const sk = skLookupTcp(ctx, t);
  if (sk !== null) {
    skRelease(sk);
    count(0);
    return XdpAction.PASS;
  }

  const n = probes.lookup(ip.saddr);
  if (n === null) {
    probes.update(ip.saddr, 1, UpdateFlags.NOEXIST);
  } else {
    if (n.value >= LIMIT) {
      count(2);
      return XdpAction.DROP;
    }
    atomicAdd(n.value, 1);
  }
  count(1);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
