// A raw sys_enter tracepoint checks the syscall number against a list of up to N numbers kept in
// an array map (0 ends the list); a match is counted per slot (load only).
// sizes: 8 32 128 512
import { rawTracepoint, ArrayMap, u64, u32 } from "tsbpf/bpf";
const N = 32;
const blocked = new ArrayMap<u32>(512);
const hits = new ArrayMap<u64>(512);
export const p = rawTracepoint("sys_enter", (ctx) => {
  const nr = u32(ctx.arg(1));
  for (let k: u32 = 0; k < N; k++) {
    const b = blocked.lookup(k);
    if (b === null || b.value === 0) break;
    if (b.value === nr) {
      const h = hits.lookup(k);
      if (h !== null) h.value += 1;
      break;
    }
  }
  return 0;
});
export const LICENSE = "GPL";
