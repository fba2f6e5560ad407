// Benchmark: a socket filter that keeps DNS (UDP or TCP, port 53 either way) over unfragmented IPv4,
// reading headers with bpf_skb_load_bytes_relative at a run-time offset (variable IHL).
import { socketFilter, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, htons, type Ipv4Hdr, type UdpHdr } from "tsbpf/bpf";

export const sock_dns = socketFilter((ctx) => {
  if (ctx.protocol !== htons(ETH_P_IP)) return 0;
  const ip = ctx.load<Ipv4Hdr>(0);
  if (ip === null) return 0;
  if (ip.protocol !== IPPROTO_UDP && ip.protocol !== IPPROTO_TCP) return 0;
  if ((ip.frag_off & htons(0x1fff)) !== 0) return 0;
  // TCP and UDP both start with the source and destination ports.
  const ports = ctx.load<UdpHdr>((ip.ver_ihl & 0x0f) * 4);
  if (ports === null) return 0;
  if (ports.dest === htons(53) || ports.source === htons(53)) return ctx.len;
  return 0;
});

export const LICENSE = "GPL";
