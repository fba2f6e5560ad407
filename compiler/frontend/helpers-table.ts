// The intrinsics table: one row per stdlib function a .bpf.ts file may call (helpers and the
// compiler's own built-ins), saying which kernel helper it calls, how its arguments convert, its
// result type, the program types that may call it and the first kernel that has it. lowerCall looks
// rows up here; a plain helper needs only its row (and its stdlib declaration), a function that
// plain argument conversion cannot express names a lowering hook (lower-intrinsic.ts and friends).
// Helper ids are the kernel's (include/uapi/linux/bpf.h, enum bpf_func_id; test/intrinsics.test.ts
// checks them against the running kernel's BTF). Map methods are lowered in lower-map.ts.

import { INT_TYPES, type CInt } from "../../common/ctypes.js";
import { BPF_PROG_TYPE, type ProgTypeName } from "../../common/program-types.js";
import * as L from "./lower-intrinsic.js";
import { lowerPrintk } from "./printk.js";
import { cgroupStorageGet, storageDelete, storageGet, type StorageOwner } from "./lower-storage.js";

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
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  get_current_cgroup_id: 80,
  ktime_get_boot_ns: 125,
  perf_event_output: 25,
  ringbuf_output: 130,
  loop: 181,
  trace_printk: 6,
  skb_store_bytes: 9,
  l3_csum_replace: 10,
  l4_csum_replace: 11,
  clone_redirect: 13,
  perf_event_read: 22,
  perf_event_read_value: 55,
  sock_ops_cb_flags_set: 59,
  redirect: 23,
  skb_load_bytes: 26,
  get_stackid: 27,
  csum_diff: 28,
  skb_change_proto: 31,
  skb_change_type: 32,
  xdp_adjust_head: 44,
  xdp_adjust_meta: 54,
  xdp_adjust_tail: 65,
  get_stack: 67,
  fib_lookup: 69,
  sk_lookup_tcp: 84,
  sk_lookup_udp: 85,
  sk_release: 86,
  spin_lock: 93,
  spin_unlock: 94,
  send_signal: 109,
  send_signal_thread: 117,
  get_ns_current_pid_tgid: 120,
  timer_init: 169,
  timer_set_callback: 170,
  timer_start: 171,
  timer_cancel: 172,
  sk_redirect_map: 52,
  sock_map_update: 53,
  msg_redirect_map: 60,
  sock_hash_update: 70,
  msg_redirect_hash: 71,
  sk_redirect_hash: 72,
  get_local_storage: 81,
  sk_storage_get: 107,
  sk_storage_delete: 108,
  inode_storage_get: 145,
  inode_storage_delete: 146,
  task_storage_get: 156,
  task_storage_delete: 157,
  cgrp_storage_get: 210,
  cgrp_storage_delete: 211,
  sk_assign: 124,
} as const;
export type HelperName = keyof typeof HELPER;

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

/**
 * How one argument reaches the helper. User arguments are consumed left to right; `ctx` and `imm`
 * are implicit (the user does not write them).
 */
export type Arg =
  /** A user argument converted to integer type `t`. */
  | { k: "int"; t: CInt }
  /** A user argument that must be a compile-time constant (flags, sizes); `def`: it may be left out. */
  | { k: "const"; t: CInt; def?: bigint }
  /** The program's context pointer. */
  | { k: "ctx" }
  /** A constant the compiler supplies. */
  | { k: "imm"; v: bigint }
  /** A user argument naming memory (a struct, array or integer in a map value, a global or a local):
   * its address and then its size, as two helper arguments. `write`: the helper writes it. */
  | { k: "mem"; write?: boolean }
  /** A user argument that is a map declared at module level (its address). */
  | { k: "map" }
  /** A user argument that is a key of the map argument before it: stored as the map's key type, its address. */
  | { k: "mapKey" }
  /** A user argument that is a socket reference from a SockMap/SockHash lookup, after its null check. */
  | { k: "sock" }
  /** A user argument whose bytes the helper reads: an integer (stored to the stack, its type's
   * size) or memory; its address and then its size, as two helper arguments. */
  | { k: "bytes" };

/** A lowering hook: emits the call's code and returns its value (`id` is the row's helper id, or 0). */
export type LowerHook = (
  x: import("./expr-context.js").ExprContext,
  e: import("./ts-adapter.js").ts.CallExpression,
  id: number,
) => import("./values.js").Val;

export interface Intrinsic {
  /** The kernel helper it calls (enum bpf_func_id without BPF_FUNC_); absent for built-ins. */
  helper?: HelperName;
  /** Arguments in the helper's order (generic lowering); ignored when `lower` is given. */
  args?: readonly Arg[];
  /** Result type ("void": r0 is dropped); generic lowering only. */
  ret?: CInt | "void";
  /** Program types that may call it; absent: every program type. */
  kinds?: readonly ProgTypeName[];
  /** First kernel release with the helper ("4.18"); absent for built-ins (no kernel involved). */
  since?: string;
  /** Custom lowering. */
  lower?: LowerHook;
  /** The helper may move or resize the packet: earlier packet references die (packet-refs.ts). */
  movesPacket?: boolean;
}

const { u8, u16, u32, u64, i32, i64 } = INT_TYPES;

/** Program types grouped as the kernel's func_proto tables group them (checked by test/intrinsics.test.ts). */
export const KINDS = {
  tracing: ["KPROBE", "TRACEPOINT", "PERF_EVENT", "RAW_TRACEPOINT", "RAW_TRACEPOINT_WRITABLE", "TRACING", "LSM"],
  tc: ["SCHED_CLS", "SCHED_ACT"],
  xdp: ["XDP"],
  tcXdp: ["SCHED_CLS", "SCHED_ACT", "XDP"],
  skbRead: ["SOCKET_FILTER", "SCHED_CLS", "SCHED_ACT", "CGROUP_SKB", "SK_SKB", "FLOW_DISSECTOR"],
  skbWrite: ["SCHED_CLS", "SCHED_ACT", "SK_SKB"],
} as const satisfies Record<string, readonly ProgTypeName[]>;

const i32Arg: Arg = { k: "int", t: i32 };
const u32Arg: Arg = { k: "int", t: u32 };
const ctx: Arg = { k: "ctx" };

const conv = (t: CInt): Intrinsic => ({ lower: (x, e) => L.intConversion(x, e, t) });
const byteOrder = (t: CInt, bits: 16 | 32 | 64): Intrinsic => ({ lower: (x, e) => L.byteOrder(x, e, t, bits) });
const atomic = (kind: L.AtomicSpec["kind"], fetch: boolean): Intrinsic => ({ lower: (x, e) => L.lowerAtomic(x, { kind, fetch }, e) });
const noArgs = (helper: HelperName, ret: CInt, since: string): Intrinsic => ({ helper, args: [], ret, since });

// Socket maps (SockMap, SockHash): redirects from sk_msg and sk_skb verdicts, inserts from sock_ops.
// `byPointer`: the helper takes the key by address (hash keys, and both update helpers).
const sockRow = (helper: HelperName, byPointer: boolean, kind: ProgTypeName, since: string): Intrinsic => ({
  helper,
  args: [ctx, { k: "map" }, byPointer ? { k: "mapKey" } : u32Arg, { k: "const", t: u64, def: 0n }],
  ret: i64,
  kinds: [kind],
  since,
});
/** The program types whose func_proto tables offer bpf_sk_release (the ones that can hold socket references). */
const SK_RELEASE_KINDS = (Object.keys(BPF_PROG_TYPE) as ProgTypeName[]).filter(
  (k) =>
    ![
      "SOCKET_FILTER",
      "KPROBE",
      "TRACEPOINT",
      "PERF_EVENT",
      "CGROUP_SOCK",
      "SOCK_OPS",
      "CGROUP_DEVICE",
      "SK_MSG",
      "RAW_TRACEPOINT",
      "FLOW_DISSECTOR",
      "CGROUP_SYSCTL",
      "RAW_TRACEPOINT_WRITABLE",
      "NETFILTER",
    ].includes(k),
);

// Local storage: get/delete rows for one map kind (lower-storage.ts); `kinds` as the kernel's func_proto tables list them.
const storage = (
  get: HelperName,
  del: HelperName,
  mapType: number,
  cls: string,
  owner: StorageOwner,
  kinds: readonly ProgTypeName[] | undefined,
  since: string,
  delKinds = kinds,
): [Intrinsic, Intrinsic] => [
  { helper: get, kinds, since, lower: (x, e, id) => storageGet(x, e, id, mapType, cls, owner) },
  { helper: del, kinds: delKinds, since, lower: (x, e, id) => storageDelete(x, e, id, mapType, cls, owner) },
];
const SK_STORAGE_KINDS: readonly ProgTypeName[] = [
  "CGROUP_SKB",
  "SCHED_CLS",
  "SCHED_ACT",
  "SOCK_OPS",
  "CGROUP_SOCK_ADDR",
  "CGROUP_SOCK",
  "SK_MSG",
  "CGROUP_SOCKOPT",
  "TRACING",
  "LSM",
];
// cgroup sock programs may create and read a socket's value but not delete it (sock_filter_func_proto).
const [skStorageGet, skStorageDelete] = storage(
  "sk_storage_get",
  "sk_storage_delete",
  24,
  "SkStorage",
  "socket",
  SK_STORAGE_KINDS,
  "5.2",
  SK_STORAGE_KINDS.filter((k) => k !== "CGROUP_SOCK"),
);

// Task storage: every program type (bpf_base_func_proto); inode storage: LSM only (bpf_lsm_func_proto).
const [taskStorageGet, taskStorageDelete] = storage(
  "task_storage_get",
  "task_storage_delete",
  29,
  "TaskStorage",
  "task",
  undefined,
  "5.11",
);
const [cgrpStorageGet, cgrpStorageDelete] = storage(
  "cgrp_storage_get",
  "cgrp_storage_delete",
  32,
  "CgrpStorage",
  "cgroup",
  undefined,
  "6.2",
);
const [inodeStorageGet, inodeStorageDelete] = storage(
  "inode_storage_get",
  "inode_storage_delete",
  28,
  "InodeStorage",
  "inode",
  ["LSM"],
  "5.10",
);

export const INTRINSICS: Record<string, Intrinsic> = {
  // Integer conversions and byte order (compiler built-ins).
  u8: conv(u8),
  u16: conv(u16),
  u32: conv(u32),
  u64: conv(u64),
  i8: conv(INT_TYPES.i8),
  i16: conv(INT_TYPES.i16),
  i32: conv(i32),
  i64: conv(i64),
  htons: byteOrder(u16, 16),
  ntohs: byteOrder(u16, 16),
  htonl: byteOrder(u32, 32),
  ntohl: byteOrder(u32, 32),
  htonll: byteOrder(u64, 64),
  ntohll: byteOrder(u64, 64),
  sizeof: { lower: L.sizeofType },
  offsetof: { lower: L.offsetofField },
  // Atomics (BPF_ATOMIC instructions, no helper).
  atomicAdd: atomic("add", false),
  atomicOr: atomic("or", false),
  atomicAnd: atomic("and", false),
  atomicXor: atomic("xor", false),
  atomicFetchAdd: atomic("add", true),
  atomicFetchOr: atomic("or", true),
  atomicFetchAnd: atomic("and", true),
  atomicFetchXor: atomic("xor", true),
  atomicXchg: atomic("xchg", true),
  atomicCmpXchg: atomic("cmpxchg", true),
  // Software checksums (plain arithmetic).
  csumReplace2: { lower: (x, e) => L.checksum(x, "csumReplace2", e) },
  csumReplace4: { lower: (x, e) => L.checksum(x, "csumReplace4", e) },
  csumFold: { lower: (x, e) => L.checksum(x, "csumFold", e) },

  // Helpers without arguments.
  ktimeGetNs: noArgs("ktime_get_ns", u64, "4.1"),
  getPrandomU32: noArgs("get_prandom_u32", u32, "4.1"),
  getSmpProcessorId: noArgs("get_smp_processor_id", u32, "4.1"),
  getCurrentPidTgid: noArgs("get_current_pid_tgid", u64, "4.2"),
  getCurrentUidGid: noArgs("get_current_uid_gid", u64, "4.2"),
  getCurrentCgroupId: noArgs("get_current_cgroup_id", u64, "4.18"),
  ktimeGetBootNs: noArgs("ktime_get_boot_ns", u64, "5.8"),
  // Tracing reads.
  getCurrentComm: { helper: "get_current_comm", since: "4.2", lower: L.currentComm },
  probeReadKernel: { helper: "probe_read_kernel", since: "5.5", lower: L.probeRead },
  probeReadUser: { helper: "probe_read_user", since: "5.5", lower: L.probeRead },
  probeReadUserStr: {
    helper: "probe_read_user_str",
    args: [
      { k: "mem", write: true },
      { k: "int", t: u64 },
    ],
    ret: i64,
    since: "5.5",
  },
  probeReadKernelStr: {
    helper: "probe_read_kernel_str",
    args: [
      { k: "mem", write: true },
      { k: "int", t: u64 },
    ],
    ret: i64,
    since: "5.5",
  },
  getStack: {
    helper: "get_stack",
    args: [ctx, { k: "mem", write: true }, { k: "const", t: u64, def: 0n }],
    ret: i64,
    kinds: KINDS.tracing,
    since: "4.18",
  },
  getNsCurrentPidTgid: {
    helper: "get_ns_current_pid_tgid",
    args: [
      { k: "int", t: u64 },
      { k: "int", t: u64 },
      { k: "mem", write: true },
    ],
    ret: i64,
    since: "5.7",
  },
  // Perf counters through a PerfEventArray of event fds.
  perfEventRead: { helper: "perf_event_read", args: [{ k: "map" }, { k: "int", t: u64 }], ret: u64, since: "4.3" },
  perfEventReadValue: {
    helper: "perf_event_read_value",
    args: [{ k: "map" }, { k: "int", t: u64 }, { k: "mem", write: true }],
    ret: i64,
    since: "4.15",
  },
  // Spin locks in map values.
  spinLock: { helper: "spin_lock", since: "5.1", lower: (x, e, id) => L.spinLock(x, e, id, true) },
  spinUnlock: { helper: "spin_unlock", since: "5.1", lower: (x, e, id) => L.spinLock(x, e, id, false) },
  // Signals to the current task.
  sendSignal: { helper: "send_signal", args: [u32Arg], ret: i64, since: "5.3" },
  sendSignalThread: { helper: "send_signal_thread", args: [u32Arg], ret: i64, since: "5.5" },
  // Loops.
  loop: { helper: "loop", since: "5.17", lower: L.bpfLoop },

  // Debug output (/sys/kernel/tracing/trace_pipe).
  bpfPrintk: { helper: "trace_printk", since: "4.1", lower: lowerPrintk },

  // Packets (context methods are in CTX_METHODS below).
  csumDiff: {
    helper: "csum_diff",
    args: [{ k: "bytes" }, { k: "bytes" }, { k: "int", t: u32 }],
    ret: i64,
    kinds: KINDS.tcXdp,
    since: "4.6",
  },
  fibLookup: {
    helper: "fib_lookup",
    args: [ctx, { k: "mem", write: true }, { k: "const", t: u32, def: 0n }],
    ret: i64,
    kinds: KINDS.tcXdp,
    since: "4.18",
  },
  redirect: {
    helper: "redirect",
    args: [
      { k: "int", t: u32 },
      { k: "const", t: u64, def: 0n },
    ],
    ret: i64,
    kinds: KINDS.tcXdp,
    since: "4.4",
  },
  // Socket maps.
  msgRedirectMap: sockRow("msg_redirect_map", false, "SK_MSG", "4.17"),
  msgRedirectHash: sockRow("msg_redirect_hash", true, "SK_MSG", "4.18"),
  skRedirectMap: sockRow("sk_redirect_map", false, "SK_SKB", "4.14"),
  skRedirectHash: sockRow("sk_redirect_hash", true, "SK_SKB", "4.18"),
  sockMapUpdate: sockRow("sock_map_update", true, "SOCK_OPS", "4.14"),
  sockHashUpdate: sockRow("sock_hash_update", true, "SOCK_OPS", "4.18"),
  // Socket references (SockMap/SockHash lookups): steering and release.
  skAssign: {
    helper: "sk_assign",
    args: [ctx, { k: "sock" }, { k: "const", t: u64, def: 0n }],
    ret: i64,
    kinds: ["SK_LOOKUP", "SCHED_CLS", "SCHED_ACT"],
    since: "5.7",
  },
  skRelease: { helper: "sk_release", args: [{ k: "sock" }], ret: "void", kinds: SK_RELEASE_KINDS, since: "4.20" },
  // Local storage.
  skStorageGet,
  skStorageDelete,
  taskStorageGet,
  taskStorageDelete,
  inodeStorageGet,
  inodeStorageDelete,
  cgrpStorageGet,
  cgrpStorageDelete,
  getLocalStorage: {
    helper: "get_local_storage",
    since: "4.19",
    kinds: ["CGROUP_SKB", "CGROUP_SOCK", "SOCK_OPS", "CGROUP_DEVICE", "CGROUP_SOCK_ADDR", "CGROUP_SYSCTL", "CGROUP_SOCKOPT"],
    lower: (x, e, id) => cgroupStorageGet(x, e, id, [19, 21]),
  },
};

/**
 * Context methods that are plain helper calls (the context is the helper's first argument); the
 * context interfaces in stdlib decide which programs see them. `header`, `load` and `arg` have their
 * own lowering in lower-call.ts.
 */
export const CTX_METHODS: Record<string, Intrinsic> = {
  adjustHead: { helper: "xdp_adjust_head", args: [ctx, i32Arg], ret: i64, kinds: KINDS.xdp, since: "4.10", movesPacket: true },
  adjustTail: { helper: "xdp_adjust_tail", args: [ctx, i32Arg], ret: i64, kinds: KINDS.xdp, since: "4.18", movesPacket: true },
  adjustMeta: { helper: "xdp_adjust_meta", args: [ctx, i32Arg], ret: i64, kinds: KINDS.xdp, since: "4.15", movesPacket: true },
  storeBytes: {
    helper: "skb_store_bytes",
    args: [ctx, u32Arg, { k: "bytes" }, { k: "const", t: u64, def: 0n }],
    ret: i64,
    kinds: KINDS.skbWrite,
    since: "4.1",
    movesPacket: true,
  },
  loadBytes: { helper: "skb_load_bytes", lower: L.skbLoadBytes, kinds: KINDS.skbRead, since: "4.5" },
  l3CsumReplace: {
    helper: "l3_csum_replace",
    args: [ctx, u32Arg, { k: "int", t: u64 }, { k: "int", t: u64 }, { k: "const", t: u64 }],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.1",
    movesPacket: true,
  },
  l4CsumReplace: {
    helper: "l4_csum_replace",
    args: [ctx, u32Arg, { k: "int", t: u64 }, { k: "int", t: u64 }, { k: "const", t: u64 }],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.1",
    movesPacket: true,
  },
  cloneRedirect: {
    helper: "clone_redirect",
    args: [ctx, u32Arg, { k: "const", t: u64, def: 0n }],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.2",
    movesPacket: true,
  },
  changeProto: {
    helper: "skb_change_proto",
    args: [ctx, { k: "int", t: u16 }, { k: "imm", v: 0n }],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.8",
    movesPacket: true,
  },
  setCbFlags: { helper: "sock_ops_cb_flags_set", args: [ctx, u32Arg], ret: i64, kinds: ["SOCK_OPS"], since: "4.16" },
  changeType: { helper: "skb_change_type", args: [ctx, u32Arg], ret: i64, kinds: KINDS.tc, since: "4.8" },
};

/**
 * Helpers whose kernel bpf_func_proto has `gpl_only = true` (kernel/trace/bpf_trace.c,
 * kernel/bpf/helpers.c, kernel/bpf/stackmap.c, net/core/filter.c), by kernel name -> helper id. The
 * verifier refuses them to a program whose license is not GPL-compatible ("cannot call
 * GPL-restricted function from non-GPL compatible program"); gpl-helpers.ts reports it at compile
 * time. Keyed by id, not by HELPER row, because the compiler also calls some of them implicitly
 * (kernel memory reads, the current task) and a helper is GPL-only whichever way it is reached.
 */
export const GPL_ONLY_HELPERS: Readonly<Record<string, number>> = {
  probe_read: 4,
  trace_printk: 6,
  perf_event_read: 22,
  perf_event_output: 25, // also the skb and xdp variants (bpf_skb_event_output, bpf_xdp_event_output)
  get_stackid: 27,
  get_current_task: 35,
  probe_write_user: 36,
  probe_read_str: 45,
  perf_event_read_value: 55,
  get_stack: 67,
  fib_lookup: 69, // both the XDP and the skb variants
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
  get_current_task_btf: 158,
  timer_init: 169,
  timer_set_callback: 170,
  timer_start: 171,
  timer_cancel: 172,
};
