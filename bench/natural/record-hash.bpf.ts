// Fixed-size records, each hashed byte by byte.
// sizes: N=8,M=16 N=32,M=16
import { xdp, XdpAction, ArrayMap, u64, u32, type u8 } from "tsbpf/bpf";
const N = 8;
const M = 16;
const results = new ArrayMap<u64>(64);
export const p = xdp((ctx) => {
  let n: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    let h: u32 = 0;
    for (let j: u32 = 0; j < M; j++) {
      const b = ctx.header<u8>(14 + i * M + j);
      if (b === null) break;
      h = h * 31 + b;
    }
    results.update(i, u64(h));
    n++;
  }
  results.update(63, u64(n));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
