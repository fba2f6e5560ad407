// A ones' complement sum of the payload's 16-bit words.
// sizes: 64 256 750
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 64;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const w = ctx.header<u16>(14 + i * 2);
    if (w === null) break;
    sum += w;
  }
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  results.update(0, u64(~sum & 0xffff));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
