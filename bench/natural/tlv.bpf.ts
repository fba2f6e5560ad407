// TLVs whose value bytes are summed, the length copied into a local.
// sizes: N=3,M=16 N=4,M=16 N=6,M=16 N=3,M=32
import { xdp, XdpAction, ArrayMap, u64, u32, type u8 } from "tsbpf/bpf";
const N = 3;
const M = 16;
interface Tl { t: u8; l: u8 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let off: u32 = 34;
  let sum: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const tl = ctx.header<Tl>(off);
    if (tl === null) break;
    const len = tl.l;
    for (let j: u32 = 0; j < M; j++) {
      if (j >= len) break;
      const c = ctx.header<u8>(off + 2 + j);
      if (c === null) break;
      sum += c;
    }
    off += 2 + u32(len);
  }
  results.update(0, u64(sum));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
