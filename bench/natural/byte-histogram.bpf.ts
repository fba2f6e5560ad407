// A hash map of byte values seen in the payload.
// sizes: 16 64 256
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 16;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
const counts = new HashMap<u8, u64>(256);
export const p = xdp((ctx) => {
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    const c = counts.lookup(b);
    if (c !== null) c.value += 1;
    else counts.update(b, 1);
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
