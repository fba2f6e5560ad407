// Payload bytes looked up in a set kept in a map (an allow-list of byte values filled from user
// space); a byte outside it drops the packet.
// sizes: 16 64 256
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 64;
const allowed = new ArrayMap<u8>(256);
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(42 + i);
    if (b === null) break;
    const ok = allowed.lookup(b);
    if (ok === null || ok.value === 0) {
      results.update(0, u64(i));
      return XdpAction.DROP;
    }
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
