// The slot of a table to reuse: a hit on the key, else the oldest.
// sizes: 32 64 96
import { xdp, XdpAction, ArrayMap, HashMap, zero, u64, u32, u16, u8, ktimeGetNs, type i32, type i64, type FixedArray } from "tsbpf/bpf";
const N = 32;
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
interface Slot { key: u32; ts: u64 }
interface Table { s: FixedArray<Slot, typeof N> }
const tables = new ArrayMap<Table>(1);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.PASS;
  const t = tables.lookup(0);
  if (t === null) return XdpAction.PASS;
  let oldest: u64 = 0xffffffffffffffff;
  let at: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    if (t.s[i].key === h.b) { at = i; break; }
    if (t.s[i].ts < oldest) { oldest = t.s[i].ts; at = i; }
  }
  t.s[at].key = h.b;
  t.s[at].ts = ktimeGetNs();
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
