// ASCII digits parsed into a number, stopped at the first non-digit, and compared with a limit.
// sizes: 4 10 20
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 10;
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let v: u64 = 0;
  let digits: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(54 + i);
    if (c === null) break;
    if (c < 48 || c > 57) break;
    v = v * 10 + u64(c - 48);
    digits++;
  }
  if (digits === 0) return XdpAction.PASS;
  if (v > 65535) return XdpAction.DROP;
  results.update(0, v);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
