// A socket filter that keeps packets with a newline, counted and compared.
// sizes: 16 64
import { socketFilter, ArrayMap, u64, type u8, type u32 } from "tsbpf/bpf";
const N = 16;
const results = new ArrayMap<u64>(4);
export const p = socketFilter((ctx) => {
  let n: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.load<u8>(40 + i);
    if (b === null) break;
    if (b === 0x0a) n++;
  }
  results.update(0, u64(n));
  return n > 0 ? ctx.len : 0;
});
export const LICENSE = "GPL";
