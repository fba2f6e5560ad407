// A naive substring search for a pattern from a map.
// sizes: N=16,M=8 N=64,M=8
import { xdp, XdpAction, ArrayMap, u64, u32, type u8, type FixedArray } from "tsbpf/bpf";
const N = 16;
const M = 8;
interface Pat { b: FixedArray<u8, typeof M> }
const pats = new ArrayMap<Pat>(1);
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  const pat = pats.lookup(0);
  if (pat === null) return XdpAction.PASS;
  let found: u32 = 0xffff;
  for (let i: u32 = 0; i < N; i++) {
    let ok: u32 = 1;
    for (let j: u32 = 0; j < M; j++) {
      const c = ctx.header<u8>(14 + i + j);
      if (c === null) { ok = 0; break; }
      if (c !== pat.b[j]) { ok = 0; break; }
    }
    if (ok === 1) { found = i; break; }
  }
  results.update(0, u64(found));
  return found === 0xffff ? XdpAction.PASS : XdpAction.DROP;
});
export const LICENSE = "GPL";
