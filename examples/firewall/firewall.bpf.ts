// A small XDP firewall, ported from the usual libbpf C pattern:
//  - drop IPv4 packets whose source address is in `blocked_sources` (hash map, address -> rule id),
//  - drop TCP/UDP packets whose destination port is marked in `blocked_ports` (array indexed by port),
//  - count matches per rule in `rule_hits` (per-CPU array indexed by rule id),
//  - pass everything else.
// User space fills the two maps; rule ids 1.. are its own numbering (0 counts passed packets).
import {
  xdp, XdpAction, HashMap, ArrayMap, PerCpuArray, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, htons, ntohs,
  type u8, type u32, type u64, type EthHdr, type Ipv4Hdr, type UdpHdr,
} from "tsbpf/bpf";

/** Source address (network byte order, as in the packet) -> rule id. */
const blocked_sources = new HashMap<u32, u32>(4096);

/** Destination port -> rule id (0 = not blocked). */
const blocked_ports = new ArrayMap<u32>(65536);

/** Rule id -> packets matched (rule 0: packets passed). */
const rule_hits = new PerCpuArray<u64>(256);

const PASSED_RULE = 0;

function count(rule: u32): void {
  const hits = rule_hits.lookup(rule & 0xff);
  if (hits !== null) hits.value += 1;
}

export const firewall = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;

  const bySource = blocked_sources.lookup(ip.saddr);
  if (bySource !== null) {
    count(bySource.value);
    return XdpAction.DROP;
  }

  const proto: u8 = ip.protocol;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    // TCP and UDP both start with the source and destination ports.
    const l4 = ctx.header<UdpHdr>(14 + (ip.ver_ihl & 0x0f) * 4);
    if (l4 !== null) {
      const rule = blocked_ports.lookup(ntohs(l4.dest));
      if (rule !== null && rule.value !== 0) {
        count(rule.value);
        return XdpAction.DROP;
      }
    }
  }
  count(PASSED_RULE);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
