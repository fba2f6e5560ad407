// The largest byte and its position, both stored.
// sizes: 64 256
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 64;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let mx: u32 = 0;
  let at: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (b > mx) { mx = b; at = i; }
  }
  results.update(0, u64(mx));
  results.update(1, u64(at));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
