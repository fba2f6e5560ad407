// Benchmark: an ICMP echo reflector. An echo request (IPv4 without options) is turned into the reply
// in place: MAC and IP addresses swapped, TTL reset to 64, type 8 -> 0, both checksums updated
// incrementally, and sent back out of the receiving interface (XDP_TX).
import { xdp, XdpAction, ETH_P_IP, IPPROTO_ICMP, htons, csumReplace2, type u16, type Ipv4Hdr } from "tsbpf/bpf";

/** The Ethernet header as 16-bit words (MAC addresses swap as three words each). */
interface EthWords {
  d0: u16;
  d1: u16;
  d2: u16;
  s0: u16;
  s1: u16;
  s2: u16;
  proto: u16;
}

/** The first 4 bytes of an ICMP header: type and code as one word, then the checksum. */
interface IcmpWords {
  type_code: u16;
  checksum: u16;
}

export const icmp_echo = xdp((ctx) => {
  const eth = ctx.header<EthWords>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null || ip.ver_ihl !== 0x45 || ip.protocol !== IPPROTO_ICMP) return XdpAction.PASS;
  const icmp = ctx.header<IcmpWords>(34);
  if (icmp === null || icmp.type_code !== htons(0x0800)) return XdpAction.PASS;

  const d0 = eth.d0;
  const d1 = eth.d1;
  const d2 = eth.d2;
  eth.d0 = eth.s0;
  eth.d1 = eth.s1;
  eth.d2 = eth.s2;
  eth.s0 = d0;
  eth.s1 = d1;
  eth.s2 = d2;

  const saddr = ip.saddr;
  ip.saddr = ip.daddr;
  ip.daddr = saddr;
  // TTL and protocol share a 16-bit word (TTL first, in the low byte as loaded on a little-endian host).
  const oldWord: u16 = ip.ttl | (ip.protocol << 8);
  const newWord: u16 = 64 | (ip.protocol << 8);
  ip.check = csumReplace2(ip.check, oldWord, newWord);
  ip.ttl = 64;

  icmp.checksum = csumReplace2(icmp.checksum, icmp.type_code, 0);
  icmp.type_code = 0;
  return XdpAction.TX;
});

export const LICENSE = "GPL";
