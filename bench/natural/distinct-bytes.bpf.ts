// The distinct byte values of the payload counted with a 256-bit set kept on the stack: each byte
// sets its bit, then the set's bits are counted.
// sizes: 16 64 256
import { xdp, XdpAction, ArrayMap, zero, u64, u32, u8, type FixedArray } from "tsbpf/bpf";
const N = 64;
interface Bits { w: FixedArray<u64, 4> }
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  const seen = zero<Bits>();
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(42 + i);
    if (b === null) break;
    seen.w[b >> 6] |= u64(1) << u64(b & 63);
  }
  let n: u64 = 0;
  for (let k: u32 = 0; k < 4; k++) {
    let x = seen.w[k];
    for (let j: u32 = 0; j < 64; j++) {
      n += x & 1;
      x >>= 1;
    }
  }
  results.update(0, n);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
