// Which map values hold a bpf_timer and which map kinds may: shared by the module scan (map
// declarations) and the timer lowerings (timers.ts), kept apart so neither imports the other.

import type { CType } from "../../common/ctypes.js";
import { MAP_TYPE } from "../../common/map-kinds.js";

/** Map kinds whose values may hold a bpf_timer (kernel/bpf/syscall.c, map_check_btf). */
export const TIMER_MAP_TYPES: ReadonlySet<number> = new Set([MAP_TYPE.HASH, MAP_TYPE.ARRAY, MAP_TYPE.LRU_HASH]);

/** Whether a memory type is or contains struct bpf_timer. */
export function hasTimer(t: CType): boolean {
  if (t.kind === "struct") return t.name === "bpf_timer" || t.fields.some((f) => hasTimer(f.type));
  if (t.kind === "array") return hasTimer(t.elem);
  return false;
}
