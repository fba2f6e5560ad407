// IPv4 options walked: end and no-op are one byte, the others carry a length; a router alert
// (kind 148) is counted. The header length bounds the walk.
// sizes: 4 10 40 400 450
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 10;
interface Opt { kind: u8; len: u8 }
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  const vihl = ctx.header<u8>(14);
  if (vihl === null) return XdpAction.PASS;
  const end: u32 = 14 + u32(vihl & 15) * 4;
  let off: u32 = 34;
  for (let i: u32 = 0; i < N; i++) {
    if (off + 2 > end) break;
    const o = ctx.header<Opt>(off);
    if (o === null) break;
    if (o.kind === 0) break;
    if (o.kind === 1) { off += 1; continue; }
    if (o.len < 2) break;
    if (o.kind === 148) results.update(0, 1);
    off += o.len;
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
