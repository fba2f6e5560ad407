// Global variables in .rodata/.data/.bss and atomic operations on map values and globals.
import {
  xdp, XdpAction, ArrayMap, atomicAdd, atomicFetchAdd, atomicXchg, atomicOr, atomicCmpXchg,
  type u32, type u64,
} from "tsbpf/bpf";

/** .rodata: settable from user space before load. */
const LIMIT: u32 = 100;
/** .bss */
let packets: u64 = 0;
/** .data */
let seed: u32 = 7;

interface Stats {
  hits: u64;
  last: u32;
  flags: u32;
  prev: u32;
  swapped: u32;
}

const stats = new ArrayMap<Stats>(1);
let total_bytes: u64 = 0;

export const globals_atomics = xdp((ctx) => {
  packets += 1;
  seed = seed * 1103515245 + 12345;
  atomicAdd(total_bytes, ctx.len);
  const s = stats.lookup(0);
  if (s !== null) {
    atomicAdd(s.hits, 2);
    s.prev = atomicXchg(s.last, ctx.len);
    atomicOr(s.flags, 4);
    s.swapped = atomicCmpXchg(s.flags, 4, 5);
    const before = atomicFetchAdd(s.hits, 0);
    if (before === 0) return XdpAction.ABORTED;
  }
  return ctx.len > LIMIT ? XdpAction.DROP : XdpAction.PASS;
});

export const LICENSE = "GPL";
