// A socket filter that keeps only TCP over IPv4: every other packet is dropped before it reaches
// the socket. Offsets count from the network header, so it works on any socket type.
import { socketFilter, ETH_P_IP, IPPROTO_TCP, htons, type Ipv4Hdr } from "tsbpf/bpf";

export const socket_filter_tcp = socketFilter((ctx) => {
  if (ctx.protocol !== htons(ETH_P_IP)) return 0;
  const ip = ctx.load<Ipv4Hdr>(0);
  if (ip === null) return 0;
  if (ip.protocol !== IPPROTO_TCP) return 0;
  return ctx.len;
});

export const LICENSE = "GPL";
