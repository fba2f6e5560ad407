// Kernel helpers by id (include/uapi/linux/bpf.h, enum bpf_func_id) and the stdlib functions that
// map one-to-one onto a helper call. Functions with their own lowering (conversions, byte order,
// sizeof, map methods) are in builtins.ts.

import { INT_TYPES, type CInt } from "../ctypes.js";

export const HELPER = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  ktime_get_ns: 5,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  skb_load_bytes_relative: 68,
} as const;

/** stdlib name -> helper id and result type, for helpers that take no arguments. */
export const SIMPLE_HELPERS: Record<string, { id: number; ret: CInt }> = {
  ktimeGetNs: { id: HELPER.ktime_get_ns, ret: INT_TYPES.u64 },
  getPrandomU32: { id: HELPER.get_prandom_u32, ret: INT_TYPES.u32 },
  getSmpProcessorId: { id: HELPER.get_smp_processor_id, ret: INT_TYPES.u32 },
};

/** Map classes in stdlib -> BPF_MAP_TYPE_*, and whether the key is fixed to u32. */
export const MAP_CLASSES: Record<string, { type: number; u32Key: boolean }> = {
  HashMap: { type: 1, u32Key: false },
  ArrayMap: { type: 2, u32Key: true },
  PerCpuHashMap: { type: 5, u32Key: false },
  PerCpuArray: { type: 6, u32Key: true },
  LruHashMap: { type: 9, u32Key: false },
};
