// A matrix filled from overlapping packet windows (each row one byte further).
// sizes: 8 12 16 20
import { xdp, XdpAction, ArrayMap, HashMap, RingBuf, zero, u64, u32, u16, u8, ktimeGetNs, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 8;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
interface M { v: FixedArray<u8, 256> }
export const p = xdp((ctx) => {
  const m = zero<M>();
  for (let i: u32 = 0; i < N; i++) {
    for (let j: u32 = 0; j < N; j++) {
      const b = ctx.header<u8>(14 + i + j);
      if (b === null) break;
      m.v[i * 16 + j] = b;
    }
  }
  let tr: u64 = 0;
  for (let i: u32 = 0; i < N; i++) tr += m.v[i * 16 + i];
  results.update(0, tr);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
