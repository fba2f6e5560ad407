// A 4-byte window hashed as it rolls over the payload (Rabin-Karp) and compared with a signature
// set from user space; a match counts the packet.
// sizes: 16 64 256 1024
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 64;
let signature: u32 = 0x61626364;
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  let h: u32 = 0;
  let hits: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(42 + i);
    if (b === null) break;
    h = (h << 8) | b;
    if (i >= 3 && h === signature) hits++;
  }
  if (hits > 0) {
    const c = results.lookup(0);
    if (c !== null) c.value += 1;
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
