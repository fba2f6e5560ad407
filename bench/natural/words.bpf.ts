// Words counted by a scan for spaces, each skipped by its length.
// sizes: N=3,M=16 N=4,M=16 N=6,M=16 N=3,M=32
import { xdp, XdpAction, ArrayMap, u64, u32, type u8 } from "tsbpf/bpf";
const N = 3;
const M = 16;
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let off: u32 = 54;
  let words: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    let len: u32 = 0;
    for (let j: u32 = 0; j < M; j++) {
      const c = ctx.header<u8>(off + j);
      if (c === null) break;
      if (c === 32) break;
      len++;
    }
    if (len === 0) break;
    off += len + 1;
    words++;
  }
  results.update(0, u64(words));
  results.update(1, u64(off));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
