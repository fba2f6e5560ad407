// The longest distance between two newlines in the payload (refused from 20 bytes with the branches;
// if-convert takes them out).
// sizes: 16 20 24 32 64
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 64;
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let last: u32 = 0;
  let gap: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(54 + i);
    if (c === null) break;
    if (c === 10) {
      if (i - last > gap) gap = i - last;
      last = i;
    }
  }
  results.update(0, u64(gap));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
