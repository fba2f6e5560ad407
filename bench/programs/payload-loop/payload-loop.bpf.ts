// Benchmark: a 64-iteration loop over the payload after Ethernet + IPv4 + UDP (offset 42), each byte
// read through its own bounds check; the bytes' sum and an FNV-1a style hash go to an array map.
import { xdp, XdpAction, ArrayMap, type u8, type u32, type u64 } from "tsbpf/bpf";

interface Digest {
  sum: u64;
  hash: u32;
  bytes: u32;
}

const digests = new ArrayMap<Digest>(1);

export const payload_loop = xdp((ctx) => {
  let sum: u64 = 0;
  let hash: u32 = 2166136261;
  let n: u32 = 0;
  for (let i: u32 = 0; i < 64; i++) {
    const b = ctx.header<u8>(42 + i);
    if (b === null) break;
    sum += b;
    hash = (hash ^ b) * 16777619;
    n++;
  }
  const d = digests.lookup(0);
  if (d !== null) {
    d.sum += sum;
    d.hash ^= hash;
    d.bytes += n;
  }
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
