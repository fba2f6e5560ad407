// Benchmark: configuration in .rodata (frozen at load, so the verifier prunes the disabled branches)
// and counters in .bss.
import { xdp, XdpAction, ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMP, htons, type u32, type u64, type EthHdr, type Ipv4Hdr } from "tsbpf/bpf";

const cfg_max_len: u32 = 1500;
const cfg_drop_icmp: u32 = 1;
const cfg_count_v6: u32 = 0;
const cfg_drop_ttl_below: u32 = 2;

let seen: u64 = 0;
let dropped: u64 = 0;
let v6_seen: u64 = 0;
let low_ttl: u64 = 0;

export const globals_cfg = xdp((ctx) => {
  seen += 1;
  if (ctx.len > cfg_max_len) {
    dropped += 1;
    return XdpAction.DROP;
  }
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XdpAction.PASS;
  if (eth.h_proto === htons(ETH_P_IPV6)) {
    if (cfg_count_v6 !== 0) v6_seen += 1;
    return XdpAction.PASS;
  }
  if (eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  if (cfg_drop_icmp !== 0 && ip.protocol === IPPROTO_ICMP) {
    dropped += 1;
    return XdpAction.DROP;
  }
  if (ip.ttl < cfg_drop_ttl_below) {
    low_ttl += 1;
    return XdpAction.DROP;
  }
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
