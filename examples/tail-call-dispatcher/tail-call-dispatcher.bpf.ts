// An XDP dispatcher with tail calls: the entry program parses Ethernet and IPv4 and jumps through
// the program array `handlers`, indexed by the IP protocol number, to a program per protocol. The
// array is filled statically (TCP -> handle_tcp, UDP -> handle_udp) and user space may change any
// slot at run time. A protocol without a program falls through the tail call and is passed.
import {
  xdp, XdpAction, ProgArray, PerCpuArray, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, htons, ntohs,
  type u32, type u64, type EthHdr, type Ipv4Hdr, type UdpHdr,
} from "tsbpf/bpf";

/** Packets seen per path: 0 fell through (no handler), 1 TCP handler, 2 UDP handler. */
const stats = new PerCpuArray<u64>(4);

const FALL_THROUGH = 0;
const TCP_PATH = 1;
const UDP_PATH = 2;

function count(path: u32): void {
  const n = stats.lookup(path);
  if (n !== null) n.value += 1;
}

/** TCP: counted and passed. */
export const handle_tcp = xdp(() => {
  count(TCP_PATH);
  return XdpAction.PASS;
});

/** UDP: counted; datagrams to port 9 (discard) are dropped here already. */
export const handle_udp = xdp((ctx) => {
  count(UDP_PATH);
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  const udp = ctx.header<UdpHdr>(14 + (ip.ver_ihl & 0x0f) * 4);
  if (udp !== null && ntohs(udp.dest) === 9) return XdpAction.DROP;
  return XdpAction.PASS;
});

/** IP protocol number -> handler, filled when the object is loaded. */
const handlers = new ProgArray(256, { [IPPROTO_TCP]: handle_tcp, [IPPROTO_UDP]: handle_udp });

export const dispatcher = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  handlers.tailCall(ctx, ip.protocol); // does not return when the slot holds a program
  count(FALL_THROUGH);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
