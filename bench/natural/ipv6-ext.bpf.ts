// IPv6 extension headers skipped by their length.
// sizes: 4 8 16
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 4;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
interface Ext { next: u8; len: u8 }
export const p = xdp((ctx) => {
  let off: u32 = 54;
  let nh: u32 = 0;
  const f = ctx.header<u8>(20);
  if (f === null) return XdpAction.PASS;
  nh = f;
  for (let i: u32 = 0; i < N; i++) {
    if (nh !== 0 && nh !== 43 && nh !== 60 && nh !== 44) break;
    const e = ctx.header<Ext>(off);
    if (e === null) break;
    nh = e.next;
    off += (u32(e.len) + 1) * 8;
  }
  results.update(0, u64(nh));
  results.update(1, u64(off));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
