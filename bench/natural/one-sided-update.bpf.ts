// A map update on one side of a condition on each byte.
// sizes: 200 480 700
import { xdp, XdpAction, ArrayMap, bpfPrintk, u64, u32, type u8 } from "tsbpf/bpf";
const N = 200;
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  let n: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (b > 100) results.update(1, u64(b));
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
