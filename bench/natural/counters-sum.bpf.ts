// The per-slot counters of an array map summed and their largest slot found, on every exec
// (tracepoint, load only).
// sizes: 16 64 256 1024
import { tracepoint, ArrayMap, u64, type u32 } from "tsbpf/bpf";
const N = 64;
interface Rec { pad: u64 }
const counters = new ArrayMap<u64>(1024);
const results = new ArrayMap<u64>(4);
export const p = tracepoint<Rec>("sched", "sched_process_exec", () => {
  let sum: u64 = 0;
  let best: u64 = 0;
  let at: u32 = 0;
  for (let k: u32 = 0; k < N; k++) {
    const c = counters.lookup(k);
    if (c === null) break;
    sum += c.value;
    if (c.value > best) { best = c.value; at = k; }
  }
  results.update(0, sum);
  results.update(1, u64(at));
  return 0;
});
export const LICENSE = "GPL";
