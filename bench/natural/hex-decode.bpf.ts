// Hex digits decoded into a number, each byte classified by branches.
// sizes: 4 8 16
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 8;
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let v: u64 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(54 + i);
    if (c === null) break;
    let d: u32 = 0;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else break;
    v = (v << 4) | u64(d);
  }
  results.update(0, v);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
