// A TC classifier: direct packet access from __sk_buff, writing skb->mark, verdicts.
import { tc, TcAction, ETH_P_IP, IPPROTO_UDP, htons, ntohs, type EthHdr, type Ipv4Hdr, type UdpHdr } from "tsbpf/bpf";

export const tc_mark = tc((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return TcAction.OK;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null || ip.protocol !== IPPROTO_UDP) return TcAction.OK;
  const udp = ctx.header<UdpHdr>(14 + (ip.ver_ihl & 0x0f) * 4);
  if (udp === null) return TcAction.OK;
  const port = ntohs(udp.dest);
  if (port === 9) return TcAction.SHOT; // discard
  ctx.mark = port + ctx.len;
  return TcAction.OK;
});

export const LICENSE = "GPL";
