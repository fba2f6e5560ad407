// A binary search for a port in a sorted array map of N entries (65,536 were refused with the
// branch; if-convert computes lo and hi without it).
// sizes: N=16,T=5 N=256,T=9 N=4096,T=13 N=65536,T=17
import { xdp, XdpAction, ArrayMap, u64, u32, u16 } from "tsbpf/bpf";
const N = 256;
const T = 9;
const sorted = new ArrayMap<u32>(N);
const results = new ArrayMap<u64>(8);
interface Ports { src: u16; dst: u16 }
export const p = xdp((ctx) => {
  const t = ctx.header<Ports>(34);
  if (t === null) return XdpAction.PASS;
  const port = u32(t.dst);
  let lo: u32 = 0;
  let hi: u32 = N;
  for (let i: u32 = 0; i < T; i++) {
    if (lo >= hi) break;
    const mid = (lo + hi) >> 1;
    const v = sorted.lookup(mid);
    if (v === null) break;
    if (v.value === port) { results.update(0, u64(mid)); return XdpAction.DROP; }
    if (v.value < port) lo = mid + 1;
    else hi = mid;
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
