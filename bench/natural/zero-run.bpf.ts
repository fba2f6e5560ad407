// The longest run of zero bytes in the payload: the run length grows or resets under a condition on
// data and is compared with the longest so far (refused from 24 bytes with the branches; if-convert
// computes both without them).
// sizes: 8 12 16 24
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 8;
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let zeros: u32 = 0;
  let best: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (b === 0) zeros++;
    else zeros = 0;
    if (zeros > best) best = zeros;
  }
  results.update(0, u64(best));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
