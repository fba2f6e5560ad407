// BPF-to-BPF calls: `@noinline` functions become subprograms in .text, called with up to five
// arguments (integers, struct references, the context) and nested calls.
import { xdp, XdpAction, ArrayMap, u64, type u8, type u16, type u32, type XdpContext, type EthHdr } from "tsbpf/bpf";

interface Acc {
  sum: u64;
  calls: u32;
  last: u16;
}

const results = new ArrayMap<u64>(8);
const accs = new ArrayMap<Acc>(1);

/** @noinline */
function mix(a: u32, b: u32, c: u8, d: u16, e: u64): u64 {
  return u64(a) * 3 + u64(b) * 5 + c * 7 + d * 11 + e;
}

/** @noinline */
function accumulate(acc: Acc, v: u64, tag: u16): void {
  acc.sum += v;
  acc.calls += 1;
  acc.last = tag;
}

/** @noinline */
function twice(x: u32): u32 {
  return inner(x) + inner(x + 1);
}

/** @noinline */
function inner(x: u32): u32 {
  return x * x;
}

/** @noinline */
function protoOf(ctx: XdpContext): u16 {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return 0;
  return eth.h_proto;
}

export const calls = xdp((ctx) => {
  const len = ctx.len;
  results.update(0, mix(len, len + 1, 2, 3, 1000));
  results.update(1, twice(len));
  results.update(2, protoOf(ctx));
  const acc = accs.lookup(0);
  if (acc !== null) accumulate(acc, len, 7);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
