// Counts packets and bytes per IP protocol (6 = TCP, 17 = UDP, 1 = ICMP, ...) in a per-CPU array,
// and passes every packet on. Build: npm run build; typed skeleton for user space: npm run gen.
import { xdp, XdpAction, PerCpuArray, ETH_P_IP, htons, type u64, type EthHdr, type Ipv4Hdr } from "tsbpf/bpf";

export interface Counter {
  packets: u64;
  bytes: u64;
}

/** Index: the IPv4 protocol number. */
const counters = new PerCpuArray<Counter>(256);

export const count_packets = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  const c = counters.lookup(ip.protocol);
  if (c !== null) {
    c.packets += 1;
    c.bytes += ctx.len;
  }
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
