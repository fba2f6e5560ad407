// The depth of an exec's parent chain (tp_btf, load only).
// sizes: 8 64
import { tpBtf, ArrayMap, u64, type u32, type i32 } from "tsbpf/bpf";
import type {} from "../../examples/exec-tracer/vmlinux";
const N = 8;
const results = new ArrayMap<u64>(4);
export const p = tpBtf("sched_process_exec", (task, oldPid, bprm) => {
  if (task === null) return 0;
  let t = task;
  let depth: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const par = t.real_parent;
    if (par === null) break;
    if (par.tgid <= 1) break;
    t = par;
    depth++;
  }
  results.update(0, u64(depth));
  return 0;
});
export const LICENSE = "GPL";
