// Sums of overlapping packet windows (each window one byte further), as a sliding checksum would.
// sizes: N=8,M=8 N=12,M=12 N=16,M=16 N=24,M=24
import { xdp, XdpAction, ArrayMap, u64, u32, type u8 } from "tsbpf/bpf";
const N = 8;
const M = 8;
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let best: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    let s: u32 = 0;
    for (let j: u32 = 0; j < M; j++) {
      const b = ctx.header<u8>(14 + i + j);
      if (b === null) break;
      s += b;
    }
    if (s >= best) best = s;
  }
  results.update(0, u64(best));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
