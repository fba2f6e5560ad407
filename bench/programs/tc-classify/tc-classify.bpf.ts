// Benchmark: a TC classifier. A `switch` on the IPv4 protocol and another on the TCP/UDP destination
// port choose a class, written to skb->mark; every packet continues (TC_ACT_OK).
import {
  tc, TcAction, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, htons, ntohs,
  type u32, type EthHdr, type Ipv4Hdr, type UdpHdr,
} from "tsbpf/bpf";

export const tc_classify = tc((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return TcAction.OK;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return TcAction.OK;
  let mark: u32 = 0;
  switch (ip.protocol) {
    case IPPROTO_TCP:
      mark = 0x10;
      break;
    case IPPROTO_UDP:
      mark = 0x20;
      break;
    case IPPROTO_ICMP:
      mark = 0x30;
      break;
    case 47: // GRE
      mark = 0x40;
      break;
    case 50: // ESP
      mark = 0x50;
      break;
    default:
      return TcAction.OK;
  }
  if (mark <= 0x20) {
    // TCP and UDP both start with the source and destination ports.
    const l4 = ctx.header<UdpHdr>(14 + (ip.ver_ihl & 0x0f) * 4);
    if (l4 !== null) {
      switch (ntohs(l4.dest)) {
        case 22:
          mark |= 1;
          break;
        case 53:
          mark |= 2;
          break;
        case 80:
        case 443:
          mark |= 3;
          break;
        case 8080:
          mark |= 4;
          break;
      }
    }
  }
  ctx.mark = mark;
  return TcAction.OK;
});

export const LICENSE = "GPL";
