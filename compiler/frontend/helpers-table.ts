// Kernel helpers by id (include/uapi/linux/bpf.h, enum bpf_func_id) and the stdlib functions that
// map one-to-one onto a helper call. Functions with their own lowering (conversions, byte order,
// sizeof, map methods) are in builtins.ts.

import { INT_TYPES, type CInt } from "../../common/ctypes.js";

export const HELPER = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  ktime_get_ns: 5,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  skb_load_bytes_relative: 68,
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
  get_current_comm: 16,
  perf_event_output: 25,
  ringbuf_output: 130,
  loop: 181,
} as const;

/** stdlib name -> helper id and result type, for helpers that take no arguments. */
export const SIMPLE_HELPERS: Record<string, { id: number; ret: CInt }> = {
  ktimeGetNs: { id: HELPER.ktime_get_ns, ret: INT_TYPES.u64 },
  getPrandomU32: { id: HELPER.get_prandom_u32, ret: INT_TYPES.u32 },
  getSmpProcessorId: { id: HELPER.get_smp_processor_id, ret: INT_TYPES.u32 },
  getCurrentPidTgid: { id: 14, ret: INT_TYPES.u64 },
  getCurrentUidGid: { id: 15, ret: INT_TYPES.u64 },
  getCurrentCgroupId: { id: 80, ret: INT_TYPES.u64 },
  ktimeGetBootNs: { id: 125, ret: INT_TYPES.u64 },
};

/**
 * Map classes in stdlib -> BPF_MAP_TYPE_*. `shape` says what the type arguments are: key and value,
 * a value with a u32 index, or an event type (no key/value in the map's BTF).
 */
export const MAP_CLASSES: Record<string, { type: number; shape: "kv" | "array" | "events" }> = {
  HashMap: { type: 1, shape: "kv" },
  ArrayMap: { type: 2, shape: "array" },
  PerfEventArray: { type: 4, shape: "events" },
  PerCpuHashMap: { type: 5, shape: "kv" },
  PerCpuArray: { type: 6, shape: "array" },
  LruHashMap: { type: 9, shape: "kv" },
  RingBuf: { type: 27, shape: "events" },
};
