// A DNS name hashed label by label, the length read through the packet reference.
// sizes: N=4,M=63 N=8,M=63 N=16,M=63
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 4;
const M = 63;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let off: u32 = 54;
  let labels: u32 = 0;
  let h: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const l = ctx.header<u8>(off);
    if (l === null) break;
    if (l === 0) break;
    if (l > 63) return XdpAction.DROP;
    for (let j: u32 = 0; j < M; j++) {
      if (j >= l) break;
      const c = ctx.header<u8>(off + 1 + j);
      if (c === null) break;
      h = h * 31 + c;
    }
    off += u32(l) + 1;
    labels++;
  }
  results.update(0, u64(labels));
  results.update(1, u64(h));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
