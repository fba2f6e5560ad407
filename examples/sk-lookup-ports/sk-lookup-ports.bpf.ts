// One listening socket for a whole range of TCP ports: an sk_lookup program runs when the kernel looks
// for the socket of an incoming connection in this network namespace, and hands connections to ports
// first..last to the socket user space put in `target` (whatever port that socket is bound to).

import { skLookup, SockMap, ArrayMap, SkAction, skAssign, skRelease, atomicAdd, type u32, type u64 } from "tsbpf/bpf";

interface PortRange {
  /** First and last port of the range, host order. */
  first: u32;
  last: u32;
}

/** Slot 0: the listening socket that serves the range. */
const target = new SockMap(1);
/** Slot 0: the range, set by user space (empty until then: first > last). */
const range = new ArrayMap<PortRange>(1);
/** 0: connections steered, 1: refused by skAssign, 2: in the range but no socket in `target`. */
const stats = new ArrayMap<u64>(3);

function count(i: u32): void {
  const c = stats.lookup(i);
  if (c !== null) atomicAdd(c.value, 1);
}

export const steer_ports = skLookup((ctx) => {
  if (ctx.protocol !== 6) return SkAction.PASS;
  const r = range.lookup(0);
  if (r === null || ctx.local_port < r.first || ctx.local_port > r.last) return SkAction.PASS;
  const sk = target.lookup(0);
  if (sk === null) {
    count(2);
    return SkAction.PASS;
  }
  const rc = skAssign(sk);
  skRelease(sk);
  count(rc === 0 ? 0 : 1);
  return SkAction.PASS;
});

export const LICENSE = "GPL";
