// The sum of an array map's values, one lookup per slot.
// sizes: 64 256 1024
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 64;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
const vals = new ArrayMap<u64>(N);
export const p = xdp((ctx) => {
  let s: u64 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const v = vals.lookup(i);
    if (v === null) continue;
    s += v.value;
  }
  results.update(0, s);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
