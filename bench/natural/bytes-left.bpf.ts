// The payload's bytes summed up to a length the header gives, one byte a trip, counting the bytes
// left down (TSBPF3024: a countdown compared with a constant).
// sizes: 64 256 600
import { xdp, XdpAction, ArrayMap, u64, u32, u16, u8 } from "tsbpf/bpf";
const N = 64;
interface In { len: u16 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(12);
  if (h === null) return XdpAction.PASS;
  let rem: u32 = h.len;
  let t: u64 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (rem > 0) t += b;
    rem--;
  }
  results.update(0, t);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
