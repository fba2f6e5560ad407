// An XDP IPv4 blocklist by prefix: drop packets whose source address falls in any blocked prefix
// (10.0.0.0/8, 192.168.7.0/24, 203.0.113.9/32, ...), counting drops per prefix. One LPM-trie lookup
// finds the longest matching prefix, where a hash map would need one lookup per prefix length.
import {
  xdp, XdpAction, LpmTrie, PerCpuArray, ETH_P_IP, htons, atomicAdd,
  type u32, type u64, type EthHdr, type Ipv4Hdr,
} from "tsbpf/bpf";

/** An IPv4 prefix: the first `prefixlen` bits of `addr` (network byte order, as in the packet). */
interface Ipv4Prefix {
  prefixlen: u32;
  addr: u32;
}

/** Blocked prefix -> packets dropped because of it (user space inserts prefixes with 0). */
const blocklist = new LpmTrie<Ipv4Prefix, u64>(1024);

/** Index 0: IPv4 packets passed; 1: dropped. */
const stats = new PerCpuArray<u64>(2);

function count(i: u32): void {
  const n = stats.lookup(i);
  if (n !== null) n.value += 1;
}

export const lpm_blocklist = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;

  // A full-length key: the trie answers with the longest stored prefix containing the address.
  const hit = blocklist.lookup({ prefixlen: 32, addr: ip.saddr });
  if (hit !== null) {
    atomicAdd(hit.value, 1);
    count(1);
    return XdpAction.DROP;
  }
  count(0);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
