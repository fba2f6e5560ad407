// IPv4 packet sizes per transport protocol, with global functions: `@noinline @global` functions are
// verified once from their BTF prototype, not again at each call site.
import { xdp, XdpAction, ArrayMap, ETH_P_IP, htons, ntohs, type u32, type u64, type EthHdr, type Ipv4Hdr } from "tsbpf/bpf";

interface SizeStats {
  packets: u64;
  bytes: u64;
  /** Packets under 128 bytes (IP total length). */
  small: u64;
}

/** Index 0: other protocols, 1: TCP, 2: UDP, 3: ICMP. */
const sizes = new ArrayMap<SizeStats>(4);

/** @noinline @global */
function ipLen(ip: Ipv4Hdr): u32 {
  return ntohs(ip.tot_len);
}

/** @noinline @global */
function slotOf(proto: u32): u32 {
  if (proto === 6) return 1;
  if (proto === 17) return 2;
  if (proto === 1) return 3;
  return 0;
}

/**
 * Adds one packet of `len` bytes; returns 1 when it counted as small (a global function returns an
 * integer).
 * @noinline @global
 */
function account(s: SizeStats, len: u32): u32 {
  s.packets += 1;
  s.bytes += len;
  if (len >= 128) return 0;
  s.small += 1;
  return 1;
}

export const ip_sizes = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  const s = sizes.lookup(slotOf(ip.protocol));
  if (s !== null) account(s, ipLen(ip));
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
