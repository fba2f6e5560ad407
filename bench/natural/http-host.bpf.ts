// The Host header found in an HTTP request: lines are scanned for "Host:" at their start, and the
// host's length (up to the CR) recorded.
// sizes: 32 64 128 256
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 64;
interface Tag { h: u8; o: u8; s: u8; t: u8; colon: u8 }
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  let lineStart = true;
  let hostAt: u32 = 0;
  let hostLen: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(54 + i);
    if (c === null) break;
    if (hostAt === 0 && lineStart) {
      const t = ctx.header<Tag>(54 + i);
      if (t !== null && (t.h | 0x20) === 104 && (t.o | 0x20) === 111 && (t.s | 0x20) === 115 && (t.t | 0x20) === 116 && t.colon === 58)
        hostAt = i + 5;
    }
    if (hostAt !== 0 && i >= hostAt && hostLen === 0 && c === 13) hostLen = i - hostAt;
    lineStart = c === 10;
  }
  results.update(0, u64(hostLen));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
