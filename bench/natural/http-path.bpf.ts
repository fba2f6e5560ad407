// A hash of an HTTP GET request's path, counted in a hash map.
// sizes: 64 128 256
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, ktimeGetNs, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 64;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
interface Get { g: u8; e: u8; t: u8; sp: u8 }
const paths = new HashMap<u32, u64>(1024);
export const p = xdp((ctx) => {
  const m = ctx.header<Get>(54);
  if (m === null) return XdpAction.PASS;
  if (m.g !== 0x47 || m.e !== 0x45 || m.t !== 0x54 || m.sp !== 0x20) return XdpAction.PASS;
  let h: u32 = 5381;
  let n: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(58 + i);
    if (c === null) break;
    if (c === 0x20 || c === 0x3f) break;
    h = h * 33 + c;
    n++;
  }
  const v = paths.lookup(h);
  if (v !== null) v.value += 1;
  else paths.update(h, u64(n));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
