// Benchmark: BPF-to-BPF calls that take packet pointers. `l4Port` gets the context and the IPv4
// header and parses the transport header itself; `ipScore` reads header fields through its
// parameter. Scores are counted per port class in an array map.
import {
  xdp, XdpAction, ArrayMap, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, htons, ntohs,
  type u32, type u64, type XdpContext, type EthHdr, type Ipv4Hdr, type UdpHdr,
} from "tsbpf/bpf";

const scores = new ArrayMap<u64>(4);

/** @noinline */
function l4Port(ctx: XdpContext, ip: Ipv4Hdr): u32 {
  if (ip.protocol !== IPPROTO_TCP && ip.protocol !== IPPROTO_UDP) return 0;
  const l4 = ctx.header<UdpHdr>(14 + (ip.ver_ihl & 0x0f) * 4);
  if (l4 === null) return 0;
  return ntohs(l4.dest);
}

/** @noinline */
function ipScore(ip: Ipv4Hdr): u32 {
  return ip.ttl + ip.protocol * 3 + (ntohs(ip.tot_len) & 0xff);
}

export const bpf2bpf = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  const port = l4Port(ctx, ip);
  const cls: u32 = port === 0 ? 0 : port < 1024 ? 1 : port < 49152 ? 2 : 3;
  const s = scores.lookup(cls);
  if (s !== null) s.value += ipScore(ip);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
