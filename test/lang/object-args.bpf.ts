// Object literals as struct arguments: each is a new stack struct, passed by reference to an
// inlined or `@noinline` function, which may write it.
import { xdp, XdpAction, ArrayMap, type u32, type u64 } from "tsbpf/bpf";

interface Pair {
  a: u32;
  b: u32;
}

const results = new ArrayMap<u64>(4);

/** @noinline */
function bump(s: Pair, k: u32): u32 {
  s.a += k;
  return s.a + s.b;
}

function sum(s: Pair): u32 {
  return s.a + s.b;
}

export const object_args = xdp((ctx) => {
  const len = ctx.len;
  results.update(0, bump({ a: len, b: 1 }, 3));
  results.update(1, sum({ a: 2, b: len }));
  results.update(2, sum({ a: bump({ a: 1, b: 1 }, 1), b: len }));
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
