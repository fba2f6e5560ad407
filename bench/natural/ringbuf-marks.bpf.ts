// An event per 0xff byte of the payload, through a ring buffer.
// sizes: 8 32 128
import { xdp, XdpAction, ArrayMap, HashMap, RingBuf, zero, u64, u32, u16, u8, ktimeGetNs, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 8;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
interface Ev { off: u32; b: u32 }
const events = new RingBuf<Ev>(65536);
export const p = xdp((ctx) => {
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (b !== 0xff) continue;
    const e = events.reserve();
    if (e === null) break;
    e.off = i;
    e.b = b;
    events.submit(e);
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
