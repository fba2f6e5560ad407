// The current task's name compared with a table of names to watch (a map of 16-byte names),
// byte by byte; a match counts the exec.
// sizes: 2 4 8 16
import { tracepoint, getCurrentComm, ArrayMap, u64, u32, u8, type FixedArray } from "tsbpf/bpf";
const N = 4;
interface Name { b: FixedArray<u8, 16> }
interface Rec { pad: u64 }
const names = new ArrayMap<Name>(16);
const results = new ArrayMap<u64>(16);
export const p = tracepoint<Rec>("sched", "sched_process_exec", () => {
  const comm = getCurrentComm();
  for (let k: u32 = 0; k < N; k++) {
    const n = names.lookup(k);
    if (n === null) break;
    let same = true;
    for (let j: u32 = 0; j < 16; j++) {
      if (n.b[j] !== comm[j]) { same = false; break; }
      if (comm[j] === 0) break;
    }
    if (same) {
      const c = results.lookup(k);
      if (c !== null) c.value += 1;
      break;
    }
  }
  return 0;
});
export const LICENSE = "GPL";
