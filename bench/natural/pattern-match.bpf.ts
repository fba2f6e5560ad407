// A 4-byte pattern from a map searched for in the payload, byte by byte at each start (a naive
// substring search); a match counts the packet, in the map, and ends the search. Refused from 16
// starts with no warning (an open gap): 5 starts process 2,595, 6 15,171, 8 920,643, about 8x per
// start. Only with 4 bytes compared (5 to 16: about 2,000 at 8 starts), only with the map call
// before the `break` (recording the start and calling the map after the loop: 44,091 at 64), and
// only with no packet read at the window's start (one there: 1,223 at 8). The verifier drops a
// stored state after 3 + 3 x hits differing arrivals; a start's first exit walks all later starts
// before its other exits return, so their match is gone. One instruction more where the exits meet
// (any register cleared) takes 8 starts to 1,298: docs/language.md has the measurements.
// sizes: 4 6 8 16
import { xdp, XdpAction, ArrayMap, u64, u32, u8, type FixedArray } from "tsbpf/bpf";
const N = 6;
interface Pattern { b: FixedArray<u8, 4> }
const patterns = new ArrayMap<Pattern>(1);
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  const pat = patterns.lookup(0);
  if (pat === null) return XdpAction.PASS;
  for (let i: u32 = 0; i < N; i++) {
    let same = true;
    for (let j: u32 = 0; j < 4; j++) {
      const b = ctx.header<u8>(42 + i + j);
      if (b === null || b !== pat.b[j]) { same = false; break; }
    }
    if (same) {
      const c = results.lookup(0);
      if (c !== null) c.value += 1;
      break;
    }
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
