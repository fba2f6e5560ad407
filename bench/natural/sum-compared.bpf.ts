// A running difference compared with a constant at each step.
// sizes: 10 40 100
import { xdp, XdpAction, ArrayMap, u64, type u8, type u16, type u32, type i32, type i64 } from "tsbpf/bpf";
const N = 10;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  let acc: u64 = h.a;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u32>(16 + i);
    if (b === null) break;
    acc -= b;
    if (acc >= 0x8b) results.update(1, 1);
  }
  results.update(0, u64(acc));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
