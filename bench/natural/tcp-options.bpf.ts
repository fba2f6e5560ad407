// TCP options walked by kind: the MSS option's value read, NOPs skipped, the end stops.
// sizes: 4 10 20 24 30 40
import { xdp, XdpAction, ArrayMap, u64, u32, u8, u16 } from "tsbpf/bpf";
const N = 10;
interface Opt { kind: u8; len: u8 }
interface Mss { kind: u8; len: u8; hi: u8; lo: u8 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let off: u32 = 54;
  for (let i: u32 = 0; i < N; i++) {
    const o = ctx.header<Opt>(off);
    if (o === null) break;
    if (o.kind === 0) break;
    if (o.kind === 1) { off++; continue; }
    if (o.kind === 2) {
      const m = ctx.header<Mss>(off);
      if (m === null) break;
      results.update(0, u64(m.hi) * 256 + u64(m.lo));
    }
    if (o.len < 2) break;
    off += o.len;
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
