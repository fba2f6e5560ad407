// The slashes of an exec's file name (tp_btf, load only).
// sizes: 64 256
import { tpBtf, ArrayMap, zero, u64, probeReadKernelStr, type u32, type u8, type FixedArray } from "tsbpf/bpf";
import type {} from "../../examples/exec-tracer/vmlinux";
const N = 64;
interface Buf { s: FixedArray<u8, typeof N> }
const results = new ArrayMap<u64>(4);
export const p = tpBtf("sched_process_exec", (task, oldPid, bprm) => {
  if (bprm === null) return 0;
  const b = zero<Buf>();
  const n = probeReadKernelStr(b.s, bprm.filename);
  let depth: u32 = 0;
  let last: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = b.s[i];
    if (c === 0) break;
    if (c === 47) { depth++; last = i; }
  }
  results.update(0, u64(depth));
  results.update(1, u64(last));
  return 0;
});
export const LICENSE = "GPL";
