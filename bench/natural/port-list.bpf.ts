// Ports listed in the payload looked up in a hash map, the hits compared after.
// sizes: 8 16 64
import { xdp, XdpAction, ArrayMap, HashMap, RingBuf, zero, u64, u32, u16, u8, ktimeGetNs, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 8;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
const allowed = new HashMap<u16, u8>(1024);
export const p = xdp((ctx) => {
  let hits: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const port = ctx.header<u16>(40 + i * 2);
    if (port === null) break;
    const a = allowed.lookup(port);
    if (a !== null && a.value === 1) hits++;
  }
  results.update(0, u64(hits));
  if (hits === 0) return XdpAction.DROP;
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
