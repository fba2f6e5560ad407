// A URL query string ("a=1&bb=22&c=333") scanned: parameters counted and the longest value's
// length kept; a space ends it. `len > longest` is compared only in an `if` that if-convert
// replaces, so it decides nothing and `len` multiplies no paths (once a false alarm, TSBPF3013).
// sizes: 16 64 128 256
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 64;
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  let params: u32 = 0;
  let inValue = false;
  let len: u32 = 0;
  let longest: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(54 + i);
    if (c === null || c === 32) break;
    if (c === 61) { inValue = true; len = 0; params++; }
    else if (c === 38) inValue = false;
    else if (inValue) { len++; if (len > longest) longest = len; }
  }
  results.update(0, u64(params));
  results.update(1, u64(longest));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
