// A bubble sort of the first payload bytes in a stack array.
// sizes: 4 8 16
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, ktimeGetNs, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 4;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
interface Buf { v: FixedArray<u32, typeof N> }
export const p = xdp((ctx) => {
  const a = zero<Buf>();
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    a.v[i] = b;
  }
  for (let i: u32 = 0; i < N; i++) {
    for (let j: u32 = 0; j < N - 1; j++) {
      if (j + 1 >= N - i) break;
      if (a.v[j] > a.v[j + 1]) { const t = a.v[j]; a.v[j] = a.v[j + 1]; a.v[j + 1] = t; }
    }
  }
  results.update(0, u64(a.v[0]));
  results.update(1, u64(a.v[N - 1]));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
