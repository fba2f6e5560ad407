// A header name matched without regard to case ("host") at each of the first positions.
// sizes: 8 32 64
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 32;
interface Four { a: u8; b: u8; c: u8; d: u8 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  for (let i: u32 = 0; i < N; i++) {
    const w = ctx.header<Four>(54 + i);
    if (w === null) break;
    if ((w.a | 0x20) === 0x68 && (w.b | 0x20) === 0x6f && (w.c | 0x20) === 0x73 && (w.d | 0x20) === 0x74) {
      results.update(0, u64(i));
      return XdpAction.DROP;
    }
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
