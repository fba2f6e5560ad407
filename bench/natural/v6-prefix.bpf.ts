// The IPv6 destination matched against a table of up to N prefixes (16 bytes and a length in
// bytes, from user space) byte by byte; the first match's slot is counted.
// sizes: 2 4 8 16
import { xdp, XdpAction, ArrayMap, zero, u64, u32, u8, type FixedArray } from "tsbpf/bpf";
const N = 4;
interface Prefix { addr: FixedArray<u8, 16>; len: u32 }
interface Dst { a: FixedArray<u8, 16> }
const prefixes = new ArrayMap<Prefix>(16);
const hits = new ArrayMap<u64>(16);
export const p = xdp((ctx) => {
  const hdr = ctx.header<Dst>(38);
  if (hdr === null) return XdpAction.PASS;
  // A copy on the stack: packet bytes cannot be indexed with a variable.
  const d = zero<Dst>();
  d.a = hdr.a;
  for (let k: u32 = 0; k < N; k++) {
    const pr = prefixes.lookup(k);
    if (pr === null || pr.len === 0) break;
    let same = true;
    for (let j: u32 = 0; j < 16; j++) {
      if (j >= pr.len) break;
      if (d.a[j] !== pr.addr[j]) { same = false; break; }
    }
    if (same) {
      const h = hits.lookup(k);
      if (h !== null) h.value += 1;
      break;
    }
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
