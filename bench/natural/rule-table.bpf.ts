// The first rule of a table that matches the packet's port and protocol.
// sizes: 16 64 256
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 16;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
interface Rule { port: u16; proto: u8; action: u8 }
const rules = new ArrayMap<Rule>(N);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  let act: u32 = 2;
  for (let i: u32 = 0; i < N; i++) {
    const r = rules.lookup(i);
    if (r === null) break;
    if (r.port === 0) break;
    if (r.port === h.a && r.proto === u8(h.b)) { act = r.action; break; }
  }
  results.update(0, u64(act));
  return act;
});
export const LICENSE = "GPL";
