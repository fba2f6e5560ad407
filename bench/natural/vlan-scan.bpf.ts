// Stacked VLAN tags skipped, then the first bytes after them scanned.
// sizes: 4 8
import { xdp, XdpAction, ArrayMap, HashMap, RingBuf, zero, u64, u32, u16, u8, ktimeGetNs, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 4;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
interface Vlan { tci: u16; proto: u16 }
export const p = xdp((ctx) => {
  let off: u32 = 12;
  let proto: u16 = 0;
  const p0 = ctx.header<u16>(12);
  if (p0 === null) return XdpAction.PASS;
  proto = p0;
  for (let i: u32 = 0; i < N; i++) {
    if (proto !== 0x0081 && proto !== 0xa888) break;
    const v = ctx.header<Vlan>(off + 2);
    if (v === null) return XdpAction.DROP;
    proto = v.proto;
    off += 4;
  }
  for (let i: u32 = 0; i < 16; i++) {
    const b = ctx.header<u8>(off + 2 + i);
    if (b === null) break;
    if (b === 0) results.update(1, u64(i));
  }
  results.update(0, u64(off));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
