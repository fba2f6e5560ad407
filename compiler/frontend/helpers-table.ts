// The intrinsics table: one row per stdlib function a .bpf.ts file may call (helpers and the
// compiler's own built-ins), saying which kernel helper it calls, how its arguments convert, its
// result type, the program types that may call it and the first kernel that has it. lowerCall looks
// rows up here; a plain helper needs only its row (and its stdlib declaration), a function that
// plain argument conversion cannot express names a lowering hook (lower-intrinsic.ts and friends).
// Helper ids are the kernel's, in helper-ids.ts (the whole enum bpf_func_id, generated from BTF).
// Map methods are lowered in lower-map.ts. docs/language.md's helper catalogue is generated from
// these rows (npm run docs:gen).

import { INT_TYPES, type CInt } from "../../common/ctypes.js";
import { MAP_TYPE } from "../../common/map-kinds.js";
import { BPF_PROG_TYPE, type ProgTypeName } from "../../common/program-types.js";
import type { HelperName } from "./helper-ids.js";
import * as K from "./lower-kernel.js";
import * as L from "./lower-intrinsic.js";
import { lowerSkLookup } from "./lower-sk-lookup.js";
import { cgroupStorageGet, storageDelete, storageGet, type StorageOwner } from "./lower-storage.js";
import { lowerPrintk } from "./printk.js";
import * as S from "./seq-output.js";
import * as T from "./timers.js";

// Callers that imported the ids from here before they moved to helper-ids.ts.
export { GPL_ONLY_HELPERS, HELPER, type HelperName } from "./helper-ids.js";

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
  /** One line for the helper catalogue in docs/language.md (written by `npm run docs:gen`). */
  doc?: string;
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
const noArgs = (helper: HelperName, ret: CInt, since: string, doc?: string): Intrinsic => ({ helper, args: [], ret, since, doc });

// Socket maps (SockMap, SockHash): redirects from sk_msg and sk_skb verdicts, inserts from sock_ops.
// `byPointer`: the helper takes the key by address (hash keys, and both update helpers).
const sockRow = (helper: HelperName, byPointer: boolean, kind: ProgTypeName, since: string, doc: string): Intrinsic => ({
  helper,
  args: [ctx, { k: "map" }, byPointer ? { k: "mapKey" } : u32Arg, { k: "const", t: u64, def: 0n }],
  ret: i64,
  kinds: [kind],
  since,
  doc,
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
/** The program types whose func_proto tables offer bpf_sk_lookup_tcp/udp (net/core/filter.c). */
const SK_LOOKUP_KINDS: readonly ProgTypeName[] = ["SCHED_CLS", "SCHED_ACT", "XDP", "SK_SKB", "CGROUP_SOCK_ADDR", "CGROUP_SKB"];

// Local storage: get/delete rows for one map kind (lower-storage.ts); `kinds` as the kernel's func_proto tables list them.
const storage = (
  get: HelperName,
  del: HelperName,
  mapType: number,
  cls: string,
  owner: StorageOwner,
  kinds: readonly ProgTypeName[] | undefined,
  since: string,
  docs: [get: string, del: string],
  delKinds = kinds,
): [Intrinsic, Intrinsic] => [
  { helper: get, kinds, since, doc: docs[0], lower: (x, e, id) => storageGet(x, e, id, mapType, cls, owner) },
  { helper: del, kinds: delKinds, since, doc: docs[1], lower: (x, e, id) => storageDelete(x, e, id, mapType, cls, owner) },
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
  MAP_TYPE.SK_STORAGE,
  "SkStorage",
  "socket",
  SK_STORAGE_KINDS,
  "5.2",
  [
    "the `SkStorage` value of the context's socket, created from `init` with `StorageFlags.CREATE`, or `null`",
    "deletes the context's socket's `SkStorage` value",
  ],
  SK_STORAGE_KINDS.filter((k) => k !== "CGROUP_SOCK"),
);

// Task storage: every program type (bpf_base_func_proto); inode storage: LSM only (bpf_lsm_func_proto).
const [taskStorageGet, taskStorageDelete] = storage(
  "task_storage_get",
  "task_storage_delete",
  MAP_TYPE.TASK_STORAGE,
  "TaskStorage",
  "task",
  undefined,
  "5.11",
  ["the `TaskStorage` value of a task (`getCurrentTask()`), optionally created, or `null`", "deletes a task's `TaskStorage` value"],
);
const [cgrpStorageGet, cgrpStorageDelete] = storage(
  "cgrp_storage_get",
  "cgrp_storage_delete",
  MAP_TYPE.CGRP_STORAGE,
  "CgrpStorage",
  "cgroup",
  undefined,
  "6.2",
  ["the `CgrpStorage` value of a cgroup, optionally created, or `null`", "deletes a cgroup's `CgrpStorage` value"],
);
const [inodeStorageGet, inodeStorageDelete] = storage(
  "inode_storage_get",
  "inode_storage_delete",
  MAP_TYPE.INODE_STORAGE,
  "InodeStorage",
  "inode",
  ["LSM"],
  "5.10",
  ["the `InodeStorage` value of an inode, optionally created, or `null`", "deletes an inode's `InodeStorage` value"],
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
  ktimeGetNs: noArgs("ktime_get_ns", u64, "4.1", "`u64` nanoseconds since boot, not counting suspend (monotonic)"),
  getPrandomU32: noArgs("get_prandom_u32", u32, "4.1", "`u32` pseudo-random number (not cryptographically secure)"),
  getSmpProcessorId: noArgs("get_smp_processor_id", u32, "4.1", "`u32` id of the CPU running the program"),
  getCurrentPidTgid: noArgs("get_current_pid_tgid", u64, "4.2", "`u64`: tgid (user-space PID) << 32 | thread id"),
  getCurrentUidGid: noArgs("get_current_uid_gid", u64, "4.2", "`u64`: gid << 32 | uid"),
  getCurrentCgroupId: noArgs("get_current_cgroup_id", u64, "4.18", "`u64` id of the current task's cgroup (v2)"),
  ktimeGetBootNs: noArgs("ktime_get_boot_ns", u64, "5.8", "`u64` nanoseconds since boot, including suspend"),
  // Tracing reads.
  getCurrentComm: {
    helper: "get_current_comm",
    since: "4.2",
    doc: "`FixedArray<u8, 16>`: the current task's name, NUL-padded (a stack copy)",
    lower: L.currentComm,
  },
  probeReadKernel: {
    helper: "probe_read_kernel",
    since: "5.5",
    doc: "a stack copy of `T` read from kernel address `addr`, or `null` on a fault",
    lower: L.probeRead,
  },
  probeReadUser: {
    helper: "probe_read_user",
    since: "5.5",
    doc: "a stack copy of `T` read from user address `addr`, or `null` on a fault",
    lower: L.probeRead,
  },
  probeReadUserStr: {
    helper: "probe_read_user_str",
    args: [
      { k: "mem", write: true },
      { k: "int", t: u64 },
    ],
    ret: i64,
    since: "5.5",
    doc: "copies a NUL-terminated user string into a `FixedArray<u8, N>`; `i64` length including the NUL, or a negative errno",
  },
  probeReadKernelStr: {
    helper: "probe_read_kernel_str",
    args: [
      { k: "mem", write: true },
      { k: "int", t: u64 },
    ],
    ret: i64,
    since: "5.5",
    doc: "copies a NUL-terminated kernel string into a `FixedArray<u8, N>`; `i64` length including the NUL, or a negative errno",
  },
  getStack: {
    helper: "get_stack",
    args: [ctx, { k: "mem", write: true }, { k: "const", t: u64, def: 0n }],
    ret: i64,
    kinds: KINDS.tracing,
    since: "4.18",
    doc: "fills a `FixedArray<u64, N>` with the kernel (or user) stack; `i64` bytes written",
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
    doc: "fills a `PidNsInfo` with the current task's pid and tgid in a PID namespace",
  },
  // Perf counters through a PerfEventArray of event fds.
  perfEventRead: {
    helper: "perf_event_read",
    args: [{ k: "map" }, { k: "int", t: u64 }],
    ret: u64,
    since: "4.3",
    doc: "the counter of a perf event stored in a `PerfEventArray` (an errno comes back as a `u64`)",
  },
  perfEventReadValue: {
    helper: "perf_event_read_value",
    args: [{ k: "map" }, { k: "int", t: u64 }, { k: "mem", write: true }],
    ret: i64,
    since: "4.15",
    doc: "fills a `PerfEventValue` (counter, enabled and running times); 0 or a negative errno",
  },
  // Spin locks in map values.
  spinLock: {
    helper: "spin_lock",
    since: "5.1",
    doc: "takes the `SpinLock` field of a map value",
    lower: (x, e, id) => L.spinLock(x, e, id, true),
  },
  spinUnlock: {
    helper: "spin_unlock",
    since: "5.1",
    doc: "releases a lock taken with `spinLock`",
    lower: (x, e, id) => L.spinLock(x, e, id, false),
  },
  // Signals to the current task.
  sendSignal: {
    helper: "send_signal",
    args: [u32Arg],
    ret: i64,
    since: "5.3",
    doc: "sends a signal to the current process when the program returns",
  },
  sendSignalThread: {
    helper: "send_signal_thread",
    args: [u32Arg],
    ret: i64,
    since: "5.5",
    doc: "sends a signal to the current thread when the program returns",
  },
  // Kernel types and CO-RE (lower-kernel.ts): the current task, kernel pointers, relocated queries.
  getCurrentTask: {
    helper: "get_current_task_btf",
    since: "5.11",
    doc: "the current task as a trusted BTF pointer (`KernelPtr<KernelTask>`); fields are CO-RE relocated loads",
    lower: K.currentTask,
  },
  kernelPtr: { lower: K.kernelPtrCall },
  coreFieldExists: { lower: (x, e) => K.coreField(x, e, "coreFieldExists") },
  coreFieldSize: { lower: (x, e) => K.coreField(x, e, "coreFieldSize") },
  coreTypeExists: { lower: (x, e) => K.coreType(x, e, "coreTypeExists") },
  coreTypeSize: { lower: (x, e) => K.coreType(x, e, "coreTypeSize") },
  coreEnumValueExists: { lower: (x, e) => K.coreEnum(x, e, "coreEnumValueExists") },
  coreEnumValue: { lower: (x, e) => K.coreEnum(x, e, "coreEnumValue") },
  // Loops.
  loop: {
    helper: "loop",
    since: "5.17",
    doc: "calls a module function up to `count` times, verified per call, not per trip; `i64` iterations run",
    lower: L.bpfLoop,
  },

  // Timers in map values (timers.ts).
  timerInit: {
    helper: "timer_init",
    since: "5.15",
    doc: "initialises a `BpfTimer` field of a map value for a clock; not in tracing programs",
    lower: T.timerInit,
  },
  timerSetCallback: {
    helper: "timer_set_callback",
    since: "5.15",
    doc: "sets the module function `(map, key, value)` the timer calls",
    lower: T.timerSetCallback,
  },
  timerStart: {
    helper: "timer_start",
    since: "5.15",
    doc: "arms the timer to fire after `ns` nanoseconds (or at an absolute time with a flag)",
    lower: T.timerStart,
  },
  timerCancel: { helper: "timer_cancel", since: "5.15", doc: "cancels an armed timer; 1 if it was armed, 0 if not", lower: T.timerCancel },

  // Iterator output (seq-output.ts).
  seqPrintf: {
    helper: "seq_printf",
    since: "5.8",
    kinds: ["TRACING"],
    doc: "formatted output to an iterator's seq_file, format checked at compile time",
    lower: S.lowerSeqPrintf,
  },
  seqWrite: { helper: "seq_write", since: "5.8", kinds: ["TRACING"], doc: "raw bytes to an iterator's seq_file", lower: S.lowerSeqWrite },

  // Debug output (/sys/kernel/tracing/trace_pipe).
  bpfPrintk: {
    helper: "trace_printk",
    since: "4.1",
    doc: "a line in `/sys/kernel/tracing/trace_pipe`, format checked at compile time",
    lower: lowerPrintk,
  },

  // Packets (context methods are in CTX_METHODS below).
  csumDiff: {
    helper: "csum_diff",
    args: [{ k: "bytes" }, { k: "bytes" }, { k: "int", t: u32 }],
    ret: i64,
    kinds: KINDS.tcXdp,
    since: "4.6",
    doc: "one's-complement sum of `to` minus `from`, plus `seed`",
  },
  fibLookup: {
    helper: "fib_lookup",
    args: [ctx, { k: "mem", write: true }, { k: "const", t: u32, def: 0n }],
    ret: i64,
    kinds: KINDS.tcXdp,
    since: "4.18",
    doc: "looks a route up in the kernel's FIB and fills in egress ifindex and MACs",
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
    doc: "sends the packet out of (or, TC, into) another interface when the program returns",
  },
  // Socket maps.
  msgRedirectMap: sockRow(
    "msg_redirect_map",
    false,
    "SK_MSG",
    "4.17",
    "sends the message to the socket in a `SockMap` slot (`SkAction.PASS` on success)",
  ),
  msgRedirectHash: sockRow("msg_redirect_hash", true, "SK_MSG", "4.18", "sends the message to the socket under a key of a `SockHash`"),
  skRedirectMap: sockRow("sk_redirect_map", false, "SK_SKB", "4.14", "sends the stream data to the socket in a `SockMap` slot"),
  skRedirectHash: sockRow("sk_redirect_hash", true, "SK_SKB", "4.18", "sends the stream data to the socket under a key of a `SockHash`"),
  sockMapUpdate: sockRow("sock_map_update", true, "SOCK_OPS", "4.14", "puts the context's socket into a `SockMap` slot"),
  sockHashUpdate: sockRow("sock_hash_update", true, "SOCK_OPS", "4.18", "puts the context's socket into a `SockHash` under a key"),
  // Socket references (SockMap/SockHash lookups): steering and release.
  skAssign: {
    helper: "sk_assign",
    args: [ctx, { k: "sock" }, { k: "const", t: u64, def: 0n }],
    ret: i64,
    kinds: ["SK_LOOKUP", "SCHED_CLS", "SCHED_ACT"],
    since: "5.7",
    doc: "steers the connection or datagram to a socket from a `SockMap`/`SockHash` lookup",
  },
  skRelease: {
    helper: "sk_release",
    args: [{ k: "sock" }],
    ret: "void",
    kinds: SK_RELEASE_KINDS,
    since: "4.20",
    doc: "releases a socket reference from a `SockMap`/`SockHash` lookup",
  },
  skLookupTcp: {
    helper: "sk_lookup_tcp",
    kinds: SK_LOOKUP_KINDS,
    since: "4.20",
    lower: lowerSkLookup,
    doc: "the TCP socket (listening or established) a `SockTuple4`/`SockTuple6` reaches, as a socket reference to release, or `null`",
  },
  skLookupUdp: {
    helper: "sk_lookup_udp",
    kinds: SK_LOOKUP_KINDS,
    since: "4.20",
    lower: lowerSkLookup,
    doc: "the UDP socket a `SockTuple4`/`SockTuple6` reaches, as a socket reference to release, or `null`",
  },
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
    lower: (x, e, id) => cgroupStorageGet(x, e, id, [MAP_TYPE.CGROUP_STORAGE, MAP_TYPE.PERCPU_CGROUP_STORAGE]),
    doc: "the current cgroup's `CgroupStorage`/`PerCpuCgroupStorage` value for this program",
  },
};

/**
 * Context methods that are plain helper calls (the context is the helper's first argument); the
 * context interfaces in stdlib decide which programs see them. `header`, `load` and `arg` have their
 * own lowering in lower-call.ts.
 */
export const CTX_METHODS: Record<string, Intrinsic> = {
  adjustHead: {
    helper: "xdp_adjust_head",
    args: [ctx, i32Arg],
    ret: i64,
    kinds: KINDS.xdp,
    since: "4.10",
    doc: "moves the packet's start by `delta` bytes; packet references die",
    movesPacket: true,
  },
  adjustTail: {
    helper: "xdp_adjust_tail",
    args: [ctx, i32Arg],
    ret: i64,
    kinds: KINDS.xdp,
    since: "4.18",
    doc: "moves the packet's end by `delta` bytes; packet references die",
    movesPacket: true,
  },
  adjustMeta: {
    helper: "xdp_adjust_meta",
    args: [ctx, i32Arg],
    ret: i64,
    kinds: KINDS.xdp,
    since: "4.15",
    doc: "moves the start of the metadata area in front of the packet; packet references die",
    movesPacket: true,
  },
  storeBytes: {
    helper: "skb_store_bytes",
    args: [ctx, u32Arg, { k: "bytes" }, { k: "const", t: u64, def: 0n }],
    ret: i64,
    kinds: KINDS.skbWrite,
    since: "4.1",
    doc: "writes a value into the packet at `offset`; packet references die",
    movesPacket: true,
  },
  loadBytes: {
    helper: "skb_load_bytes",
    lower: L.skbLoadBytes,
    kinds: KINDS.skbRead,
    since: "4.5",
    doc: "a copy of `sizeof(T)` packet bytes at `offset`, or `null`",
  },
  l3CsumReplace: {
    helper: "l3_csum_replace",
    args: [ctx, u32Arg, { k: "int", t: u64 }, { k: "int", t: u64 }, { k: "const", t: u64 }],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.1",
    doc: "updates the IP checksum for a changed 2- or 4-byte field; packet references die",
    movesPacket: true,
  },
  l4CsumReplace: {
    helper: "l4_csum_replace",
    args: [ctx, u32Arg, { k: "int", t: u64 }, { k: "int", t: u64 }, { k: "const", t: u64 }],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.1",
    doc: "updates the TCP/UDP checksum for a changed field; packet references die",
    movesPacket: true,
  },
  cloneRedirect: {
    helper: "clone_redirect",
    args: [ctx, u32Arg, { k: "const", t: u64, def: 0n }],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.2",
    doc: "sends a copy of the packet out of another interface now",
    movesPacket: true,
  },
  changeProto: {
    helper: "skb_change_proto",
    args: [ctx, { k: "int", t: u16 }, { k: "imm", v: 0n }],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.8",
    doc: "switches the packet between IPv4 and IPv6; packet references die",
    movesPacket: true,
  },
  setCbFlags: {
    helper: "sock_ops_cb_flags_set",
    args: [ctx, u32Arg],
    ret: i64,
    kinds: ["SOCK_OPS"],
    since: "4.16",
    doc: "asks for more sock_ops callbacks on this socket",
  },
  changeType: {
    helper: "skb_change_type",
    args: [ctx, u32Arg],
    ret: i64,
    kinds: KINDS.tc,
    since: "4.8",
    doc: "sets the packet type (host, broadcast, multicast, other host)",
  },
};
