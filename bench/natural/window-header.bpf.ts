// Sums of overlapping packet windows, then a header field read after them (the pointer stays live).
// sizes: N=8,M=8 N=16,M=16 N=24,M=24
import { xdp, XdpAction, ArrayMap, u64, u32, type u8, type u16 } from "tsbpf/bpf";
const N = 8;
const M = 8;
interface Eth { dst0: u32; dst1: u16; src0: u32; src1: u16; proto: u16 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  const eth = ctx.header<Eth>(0);
  if (eth === null) return XdpAction.PASS;
  let s: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    for (let j: u32 = 0; j < M; j++) {
      const b = ctx.header<u8>(14 + i + j);
      if (b === null) break;
      s += b;
    }
  }
  results.update(u32(eth.proto) & 7, u64(s));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
