// Letters, digits and other bytes of the payload counted, then the ratio checked: an if / else-if
// chain on `&&`/`||` conditions. if-convert computes the inner `else if` without branches (with
// them, 12 bytes were refused) and keeps the outer test's; from 64 bytes the estimate takes the
// letters count as compared exactly after the loop and warns (a false alarm).
// sizes: 8 16 64 256
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 8;
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let letters: u32 = 0;
  let digits: u32 = 0;
  let other: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(54 + i);
    if (c === null) break;
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) letters++;
    else if (c >= 48 && c <= 57) digits++;
    else other++;
  }
  if (other > letters + digits) return XdpAction.DROP;
  results.update(0, u64(letters));
  results.update(1, u64(digits));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
