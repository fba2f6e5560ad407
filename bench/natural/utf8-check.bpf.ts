// UTF-8 validated byte by byte with a continuation count: a lead byte sets how many 10xxxxxx bytes
// follow, a stray or missing one marks the payload invalid.
// sizes: 16 64 256 512
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 64;
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  let need: u32 = 0;
  let bad: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(42 + i);
    if (b === null) break;
    if (need > 0) {
      if ((b & 0xc0) !== 0x80) bad = 1;
      need--;
    } else if (b >= 0xf0) need = 3;
    else if (b >= 0xe0) need = 2;
    else if (b >= 0xc0) need = 1;
    else if (b >= 0x80) bad = 1;
  }
  if (need > 0) bad = 1;
  results.update(0, u64(bad));
  return bad === 1 ? XdpAction.DROP : XdpAction.PASS;
});
export const LICENSE = "GPL";
