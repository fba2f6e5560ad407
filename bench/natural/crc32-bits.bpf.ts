// A bitwise CRC-32 of the payload, a branch per bit on the low bit.
// sizes: 4 16 64
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 4;
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  let crc: u32 = 0xffffffff;
  for (let i: u32 = 0; i < N; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    crc ^= b;
    for (let k: u32 = 0; k < 8; k++) {
      if ((crc & 1) !== 0) crc = (crc >> 1) ^ 0xedb88320;
      else crc = crc >> 1;
    }
  }
  results.update(0, u64(~crc));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
