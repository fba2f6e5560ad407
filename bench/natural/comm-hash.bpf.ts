// The current task's name hashed (FNV-1a over its bytes, up to the NUL) and looked up in a map of
// watched hashes filled from user space; a hit is counted (tracepoint, load only).
// sizes: 16
import { tracepoint, getCurrentComm, ArrayMap, HashMap, u64, type u32, type u8 } from "tsbpf/bpf";
const N = 16;
interface Rec { pad: u64 }
const watched = new HashMap<u64, u8>(64);
const results = new ArrayMap<u64>(4);
export const p = tracepoint<Rec>("sched", "sched_process_exec", () => {
  const comm = getCurrentComm();
  let h: u64 = 0xcbf29ce484222325;
  for (let i: u32 = 0; i < N; i++) {
    const c = comm[i];
    if (c === 0) break;
    h = (h ^ u64(c)) * 0x100000001b3;
  }
  if (watched.lookup(h) !== null) {
    const c = results.lookup(0);
    if (c !== null) c.value += 1;
  }
  return 0;
});
export const LICENSE = "GPL";
