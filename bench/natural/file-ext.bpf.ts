// An exec's file name checked for a ".sh" extension: the last dot is found, then the two bytes
// after it compared (tp_btf, load only).
// sizes: 32 64 128 256
import { tpBtf, ArrayMap, zero, u64, probeReadKernelStr, type u32, type u8, type FixedArray } from "tsbpf/bpf";
import type {} from "../../examples/exec-tracer/vmlinux";
const N = 64;
interface Buf { s: FixedArray<u8, typeof N> }
const results = new ArrayMap<u64>(4);
export const p = tpBtf("sched_process_exec", (task, oldPid, bprm) => {
  if (bprm === null) return 0;
  const b = zero<Buf>();
  probeReadKernelStr(b.s, bprm.filename);
  let dot: u32 = N;
  for (let i: u32 = 0; i < N; i++) {
    const c = b.s[i];
    if (c === 0) break;
    if (c === 46) dot = i;
  }
  if (dot + 3 <= N - 1 && b.s[dot + 1] === 115 && b.s[dot + 2] === 104 && b.s[dot + 3] === 0) {
    const c = results.lookup(0);
    if (c !== null) c.value += 1;
  }
  return 0;
});
export const LICENSE = "GPL";
