// A state machine looking for "GET" in the payload.
// sizes: 64 256 700
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 64;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let st: u32 = 0;
  let found: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (st === 0 && b === 0x47) st = 1;
    else if (st === 1 && b === 0x45) st = 2;
    else if (st === 2 && b === 0x54) { found = i; break; }
    else st = 0;
  }
  results.update(0, u64(found));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
