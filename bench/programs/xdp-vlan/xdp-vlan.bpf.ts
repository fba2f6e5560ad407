// Benchmark: count packets per VLAN id, looking through up to two VLAN tags (802.1Q or 802.1ad);
// untagged packets count as VLAN 0, and the encapsulated protocol is counted per EtherType class.
import {
  xdp, XdpAction, ArrayMap, ETH_P_8021Q, ETH_P_8021AD, ETH_P_IP, ETH_P_IPV6, htons, ntohs,
  type u32, type u64, type EthHdr, type VlanHdr,
} from "tsbpf/bpf";

const vlan_packets = new ArrayMap<u64>(4096);
/** 0 IPv4, 1 IPv6, 2 other. */
const inner_proto = new ArrayMap<u64>(3);

export const xdp_vlan = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XdpAction.PASS;
  let proto = eth.h_proto;
  let vid: u32 = 0;
  let off: u32 = 14;
  if (proto === htons(ETH_P_8021Q) || proto === htons(ETH_P_8021AD)) {
    const outer = ctx.header<VlanHdr>(14);
    if (outer === null) return XdpAction.DROP;
    vid = ntohs(outer.h_vlan_TCI) & 0x0fff;
    proto = outer.h_vlan_encapsulated_proto;
    off = 18;
    if (proto === htons(ETH_P_8021Q)) {
      const inner = ctx.header<VlanHdr>(18);
      if (inner === null) return XdpAction.DROP;
      vid = ntohs(inner.h_vlan_TCI) & 0x0fff;
      proto = inner.h_vlan_encapsulated_proto;
      off = 22;
    }
  }
  const v = vlan_packets.lookup(vid);
  if (v !== null) v.value += 1;
  const cls: u32 = proto === htons(ETH_P_IP) ? 0 : proto === htons(ETH_P_IPV6) ? 1 : 2;
  const p = inner_proto.lookup(cls);
  if (p !== null) p.value += off;
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
