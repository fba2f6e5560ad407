// loop() over bpf_loop: many iterations verified once, shared state by reference, early stop.
import { xdp, XdpAction, ArrayMap, loop, u64, type u32 } from "tsbpf/bpf";

interface State {
  sum: u64;
  limit: u32;
  steps: u32;
}

const results = new ArrayMap<u64>(4);

function step(i: u32, s: State): u32 {
  if (i >= s.limit) return 1;
  s.sum += i;
  s.steps += 1;
  return 0;
}

export const bpf_loop = xdp((ctx) => {
  const s: State = { sum: 0, limit: ctx.len, steps: 0 };
  const n = loop(100000, step, s);
  results.update(0, s.sum);
  results.update(1, s.steps);
  results.update(2, u64(n));
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
