// A socket filter measuring a zero-terminated string (`if (!b) break`).
// sizes: 256 1024
import { socketFilter, ArrayMap, u64, type u8, type u32 } from "tsbpf/bpf";
const N = 256;
const results = new ArrayMap<u64>(4);
export const p = socketFilter((ctx) => {
  let n: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.load<u8>(40 + i);
    if (!b) break;
    n++;
  }
  results.update(0, u64(n));
  return n > 0 ? ctx.len : 0;
});
export const LICENSE = "GPL";
