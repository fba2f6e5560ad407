// A flow dissector for IPv4 and IPv6 with TCP or UDP (test/flow-dissector.test.ts): fills the
// flow keys from the packet at keys.nhoff and counts what it saw per destination port.
import {
  flowDissector,
  FlowDissectorAction,
  HashMap,
  htons,
  u16,
  type Ipv4Hdr,
  type FixedArray,
  type u8,
  type u32,
  type u64,
} from "tsbpf/bpf";

/** The first four bytes of TCP and UDP headers: the ports. */
interface Ports {
  source: u16;
  dest: u16;
}

/** struct ipv6hdr with the addresses as 32-bit words (as bpf_flow_keys holds them). */
interface Ip6 {
  ver_tc_flow: u32;
  payload_len: u16;
  nexthdr: u8;
  hop_limit: u8;
  saddr: FixedArray<u32, 4>;
  daddr: FixedArray<u32, 4>;
}

/** struct iphdr as loadBytes copies it. */
interface Ip4Copy {
  ver_ihl: u8;
  tos: u8;
  tot_len: u16;
  id: u16;
  frag_off: u16;
  ttl: u8;
  protocol: u8;
  check: u16;
  saddr: u32;
  daddr: u32;
}

/** Packets dissected, by destination port (host order). */
const byPort = new HashMap<u32, u64>(64);

function count(port: u16): void {
  const key: u32 = port;
  const c = byPort.lookup(key);
  if (c !== null) c.value += 1;
  else byPort.update(key, 1);
}

export const dissect = flowDissector((ctx) => {
  const keys = ctx.flow_keys;
  let proto: u32 = 0;
  if (keys.n_proto === htons(0x0800)) {
    const ip = ctx.header<Ipv4Hdr>(keys.nhoff);
    if (ip === null) return FlowDissectorAction.DROP;
    const ihl = ip.ver_ihl & 0x0f;
    if (ihl < 5) return FlowDissectorAction.DROP;
    keys.addr_proto = 0x0800;
    keys.ipv4_src = ip.saddr;
    keys.ipv4_dst = ip.daddr;
    keys.ip_proto = ip.protocol;
    keys.thoff = keys.nhoff + ihl * 4;
    // A fragment after the first has no ports.
    if ((ip.frag_off & htons(0x3fff)) !== 0) {
      keys.is_frag = 1;
      if ((ip.frag_off & htons(0x1fff)) !== 0) return FlowDissectorAction.OK;
      keys.is_first_frag = 1;
    }
    proto = ip.protocol;
  } else if (keys.n_proto === htons(0x86dd)) {
    const ip6 = ctx.header<Ip6>(keys.nhoff);
    if (ip6 === null) return FlowDissectorAction.DROP;
    keys.addr_proto = 0x86dd;
    // Packet arrays take constant indexes only.
    keys.ipv6_src[0] = ip6.saddr[0];
    keys.ipv6_src[1] = ip6.saddr[1];
    keys.ipv6_src[2] = ip6.saddr[2];
    keys.ipv6_src[3] = ip6.saddr[3];
    keys.ipv6_dst[0] = ip6.daddr[0];
    keys.ipv6_dst[1] = ip6.daddr[1];
    keys.ipv6_dst[2] = ip6.daddr[2];
    keys.ipv6_dst[3] = ip6.daddr[3];
    keys.ip_proto = ip6.nexthdr;
    keys.thoff = keys.nhoff + 40;
    proto = ip6.nexthdr;
  } else {
    return FlowDissectorAction.DROP;
  }
  if (proto !== 6 && proto !== 17) return FlowDissectorAction.OK;
  const ports = ctx.header<Ports>(keys.thoff);
  if (ports === null) return FlowDissectorAction.DROP;
  keys.sport = ports.source;
  keys.dport = ports.dest;
  count(htons(ports.dest));
  return FlowDissectorAction.OK;
});


/**
 * The same for IPv4 only, copying the headers with bpf_skb_load_bytes instead of reading in place.
 * The kernel's helper reads from the packet's sk_buff, which test runs do not have: it works on
 * real traffic only.
 */
export const dissect_copy = flowDissector((ctx) => {
  const keys = ctx.flow_keys;
  if (keys.n_proto !== htons(0x0800)) return FlowDissectorAction.DROP;
  const ip = ctx.loadBytes<Ip4Copy>(keys.nhoff);
  if (ip === null) return FlowDissectorAction.DROP;
  keys.addr_proto = 0x0800;
  keys.ip_proto = ip.protocol;
  keys.ipv4_src = ip.saddr;
  keys.ipv4_dst = ip.daddr;
  keys.thoff = keys.nhoff + (ip.ver_ihl & 0x0f) * 4;
  const ports = ctx.loadBytes<Ports>(keys.thoff);
  if (ports === null) return FlowDissectorAction.DROP;
  keys.sport = ports.source;
  keys.dport = ports.dest;
  count(htons(ports.dest));
  return FlowDissectorAction.OK;
});

export const LICENSE = "GPL";
