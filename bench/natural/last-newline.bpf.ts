// The position of the payload's last newline, counted in a map.
// sizes: 16 48 128
import { xdp, XdpAction, ArrayMap, u64, u32, type u8, type FixedArray } from "tsbpf/bpf";
const N = 16;
interface V { a: FixedArray<u64, 256> }
const results = new ArrayMap<u64>(256);
const vals = new ArrayMap<V>(1);
export const p = xdp((ctx) => {
  let last: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (b === 10) last = i;
  }
  const r = results.lookup(last); if (r !== null) r.value += 1;
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
