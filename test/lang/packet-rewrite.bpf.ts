// Packet parsing with a variable IPv4 header length, in-place rewriting and checksum updates: the
// program decrements the TTL (fixing the IP checksum incrementally), rewrites the TCP destination
// port 80 -> 8080 (fixing the TCP checksum), counts packets per destination port and bounces the
// packet back out (XDP_TX).
import {
  xdp, XdpAction, HashMap, ETH_P_IP, IPPROTO_TCP, htons, ntohs, csumReplace2,
  type u16, type u64, type EthHdr, type Ipv4Hdr, type TcpHdr,
} from "tsbpf/bpf";

const ports = new HashMap<u16, u64>(64);

export const packet_rewrite = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  const ihl = ip.ver_ihl & 0x0f;
  if (ihl < 5) return XdpAction.DROP;
  if (ip.ttl <= 1) return XdpAction.DROP;

  // TTL and protocol share one 16-bit word of the checksum: update it as that word.
  const oldWord = htons((ip.ttl << 8) | ip.protocol);
  ip.ttl -= 1;
  const newWord = htons((ip.ttl << 8) | ip.protocol);
  ip.check = csumReplace2(ip.check, oldWord, newWord);

  if (ip.protocol !== IPPROTO_TCP) return XdpAction.TX;
  const tcp = ctx.header<TcpHdr>(14 + ihl * 4);
  if (tcp === null) return XdpAction.PASS;
  const dport = ntohs(tcp.dest);
  const c = ports.lookup(dport);
  if (c !== null) c.value += 1;
  else ports.update(dport, 1);
  if (dport === 80) {
    const to = htons(8080);
    tcp.check = csumReplace2(tcp.check, tcp.dest, to);
    tcp.dest = to;
  }
  return XdpAction.TX;
});

export const LICENSE = "GPL";
