// Leading spaces skipped, then the header after them read at the offset found.
// sizes: 8 32 64
import { xdp, XdpAction, ArrayMap, u64, u32, u8, u16 } from "tsbpf/bpf";
const N = 32;
interface Word { a: u8; b: u8; c: u8; d: u8 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let off: u32 = 54;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(off);
    if (c === null) return XdpAction.PASS;
    if (c !== 32 && c !== 9) break;
    off++;
  }
  const w = ctx.header<Word>(off);
  if (w === null) return XdpAction.PASS;
  if (w.a === 0x47 && w.b === 0x45 && w.c === 0x54) results.update(0, u64(off));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
