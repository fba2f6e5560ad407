// Module-level functions: integer parameters and results, struct references as parameters, struct
// results (a new stack struct at each call), early returns, loops inside functions, functions
// calling functions.
import { xdp, XdpAction, ArrayMap, u64, type u8, type u32, type i32 } from "tsbpf/bpf";

interface In {
  a: u32;
  b: u32;
  c: i32;
  d: u8;
}

const results = new ArrayMap<u64>(8);

function clamp(x: i32, lo: i32, hi: i32): i32 {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

function gcd(a: u32, b: u32): u32 {
  for (let i = 0; i < 64; i++) {
    if (b === 0) return a;
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

function weight(p: In): u32 {
  return p.a * 3 + p.b;
}

interface Pair {
  lo: u32;
  hi: u32;
}

function ordered(x: u32, y: u32): Pair {
  if (x <= y) return { lo: x, hi: y };
  return { lo: y, hi: x };
}

function swapped(p: Pair): Pair {
  return { lo: p.hi, hi: p.lo };
}

function record(slot: u32, v: u64): void {
  results.update(slot, v);
}

export const functions = xdp((ctx) => {
  const p = ctx.header<In>(0);
  if (p === null) return XdpAction.ABORTED;
  record(0, u64(clamp(p.c, -10, 10)));
  record(1, gcd(p.a, p.b));
  record(2, weight(p));
  record(3, gcd(weight(p), p.d));
  const o = ordered(p.a, p.b);
  const s = swapped(o);
  record(4, u64(o.lo) * 1000 + u64(s.lo));
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
