// The map-kind table: one record per BPF_MAP_TYPE_* (include/uapi/linux/bpf.h, enum bpf_map_type).
// The compiler (module scan, map-method lowering, skeleton, inspect, run) and the runtime (BpfMap,
// TypedMap, ring and perf buffers) derive everything they know about a map kind from here, so a new
// kind is a row, a stdlib class, a docs entry and (for new method shapes) its lowering.
// test/map-kinds.test.ts checks the numbers and flag values against the running kernel's BTF.

/** Map creation flags (enum in include/uapi/linux/bpf.h; BPF_F_*). */
export const MAP_FLAG = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
} as const;

/** Helper ids (enum bpf_func_id) that map methods lower to. */
export const MAP_HELPER = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  tail_call: 12,
  perf_event_output: 25,
  get_stackid: 27,
  redirect_map: 51,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
} as const;

/**
 * What the stdlib class's type arguments are and what the program passes:
 * - "kv": key and value types (`HashMap<K, V>`);
 * - "array": a value type, indexed by u32 (`ArrayMap<V>`);
 * - "events": an event type; the map itself carries no key/value types (ring/perf buffers);
 * - "value-only": a value type and no key (queue, stack, bloom filter);
 * - "slots": no type arguments; u32 index -> a kernel object (program, device, CPU, socket);
 * - "maps": no type arguments; u32 key -> an inner map, typed after the maps named in its slots;
 * - "stacks": no type arguments; u32 stack id -> `depth` (the constructor's second argument) u64 addresses;
 * - "keys": one type argument, the key; the value is fixed by the kind (`socketValue`: socket hash).
 */
export type MapShape = "kv" | "array" | "events" | "value-only" | "slots" | "stacks" | "maps" | "keys";

export interface MapKind {
  /** BPF_MAP_TYPE_* number. */
  type: number;
  /** The enum constant without its prefix: "HASH" for BPF_MAP_TYPE_HASH. */
  name: string;
  /** The stdlib class declaring it, when tsbpf supports the kind in .bpf.ts code. */
  cls?: string;
  shape?: MapShape;
  /** One value per possible CPU in user space (lookups return them all). */
  perCpu: boolean;
  /** User space can walk the keys and read values as data (run/inspect print them). */
  iterable: boolean;
  /**
   * What the `.maps` BTF definition carries: "kv" key and value types, "u32" u32 key and u32
   * value (perf event array, device/CPU/socket maps), "sizes" key_size = value_size = 4 as
   * numbers (program array: the kernel refuses BTF types there), "value" the value only, "none"
   * neither (ring buffer).
   */
  btf: "kv" | "u32" | "sizes" | "value" | "none";
  /** The constructor's second argument initialises slots instead of giving flags ("programs": `{ 0: prog }`). */
  init?: "programs" | "maps";
  /** Flags the kernel requires; set automatically (LPM trie: NO_PREALLOC). */
  requiredFlags?: number;
  /** Flags a program may add (the constructor's `flags`). */
  flagsAllowed: number;
  /**
   * max_entries when the constructor leaves it out (perf event array: 0 = libbpf uses the CPU count;
   * local storage: 0, the only value the kernel takes: values live with their owner, keyed by its fd
   * from user space).
   */
  defaultMaxEntries?: number;
  /**
   * A limit on max_entries beyond the 2^30 every kind has (BTF spells it `int (*)[N]`): a ring
   * buffer's size is a power of two of at least a page; a hash map rounds N up to a power of two
   * of 16-byte buckets, at most 2^27 (E2BIG at load time otherwise).
   */
  sizeRule?: "pow2-page" | "hash-buckets";
  /** A constraint on the key type: "lpm" = a struct starting with `prefixlen: u32`, 1..256 data bytes. */
  keyRule?: "lpm";
  /** Extra map attribute carried in BTF (`map_extra`: bloom filter hash count, the constructor's second argument). */
  mapExtra?: "bloom-hashes";
  /** stdlib method -> helper id. */
  methods: Readonly<Record<string, number>>;
  /**
   * The value is a socket (sockmap, sockhash): a u64, a socket fd on update from user space, the
   * socket's cookie on lookup (the kernel answers lookups only when the value is 8 bytes).
   */
  socketValue?: boolean;
  /** The key is a u64 the kernel fills (cgroup storage: the cgroup's id), not declared by the program. */
  u64Key?: boolean;
  /** The runtime class user space gets when it is not TypedMap/PerCpuTypedMap (runtime/typed-map.ts). */
  runtimeClass?: "ProgArrayMap" | "ValueMap" | "SocketMap";
  /** Oldest kernel with the map type. */
  since: string;
}

const H = MAP_HELPER;
const F = MAP_FLAG;
const KV = { lookup: H.map_lookup_elem, update: H.map_update_elem, delete: H.map_delete_elem };
const ARR = { lookup: H.map_lookup_elem, update: H.map_update_elem };
const HASH_FLAGS = F.NO_PREALLOC | F.NO_COMMON_LRU | F.NUMA_NODE | F.RDONLY | F.WRONLY | F.RDONLY_PROG | F.WRONLY_PROG | F.ZERO_SEED;
const ARRAY_FLAGS = F.NUMA_NODE | F.RDONLY | F.WRONLY | F.RDONLY_PROG | F.WRONLY_PROG | F.MMAPABLE | F.PRESERVE_ELEMS | F.INNER_MAP;
const NONE = {} as const;
/** Maps of maps: the outer lookup; lower-map.ts chains the inner lookup or update. */
const IN_MAPS = { lookupIn: H.map_lookup_elem, updateIn: H.map_update_elem };
const PUSH_POP = { push: H.map_push_elem, pop: H.map_pop_elem, peek: H.map_peek_elem };
/** QUEUE_STACK_CREATE_FLAG_MASK: NUMA node and the access flags. */
const ACCESS_FLAGS = F.NUMA_NODE | F.RDONLY | F.WRONLY | F.RDONLY_PROG | F.WRONLY_PROG;
const REDIRECT = { redirect: H.redirect_map };
/** DEV_CREATE_FLAG_MASK in kernel/bpf/devmap.c (xskmap takes the same). */
const DEV_FLAGS = F.NUMA_NODE | F.RDONLY | F.WRONLY;
/** SOCK_CREATE_FLAG_MASK in net/core/sock_map.c. */
const SOCK_FLAGS = F.NUMA_NODE | F.RDONLY | F.WRONLY;

/** Every BPF_MAP_TYPE_* the kernel defines, indexed by number. */
export const MAP_KINDS = [
  { type: 0, name: "UNSPEC", perCpu: false, iterable: false, btf: "none", flagsAllowed: 0, methods: NONE, since: "3.19" },
  {
    type: 1,
    name: "HASH",
    cls: "HashMap",
    shape: "kv",
    perCpu: false,
    iterable: true,
    btf: "kv",
    sizeRule: "hash-buckets",
    flagsAllowed: HASH_FLAGS,
    methods: KV,
    since: "3.19",
  },
  {
    type: 2,
    name: "ARRAY",
    cls: "ArrayMap",
    shape: "array",
    perCpu: false,
    iterable: true,
    btf: "kv",
    flagsAllowed: ARRAY_FLAGS,
    methods: ARR,
    since: "3.19",
  },
  {
    type: 3,
    name: "PROG_ARRAY",
    cls: "ProgArray",
    shape: "slots",
    runtimeClass: "ProgArrayMap",
    perCpu: false,
    iterable: false,
    btf: "sizes",
    init: "programs",
    flagsAllowed: 0,
    methods: { tailCall: H.tail_call },
    since: "4.2",
  },
  {
    type: 4,
    name: "PERF_EVENT_ARRAY",
    cls: "PerfEventArray",
    shape: "events",
    perCpu: false,
    iterable: false,
    btf: "u32",
    flagsAllowed: F.NUMA_NODE | F.PRESERVE_ELEMS,
    defaultMaxEntries: 0,
    methods: { output: H.perf_event_output },
    since: "4.3",
  },
  {
    type: 5,
    name: "PERCPU_HASH",
    cls: "PerCpuHashMap",
    shape: "kv",
    perCpu: true,
    iterable: true,
    btf: "kv",
    sizeRule: "hash-buckets",
    flagsAllowed: HASH_FLAGS,
    methods: KV,
    since: "4.6",
  },
  {
    type: 6,
    name: "PERCPU_ARRAY",
    cls: "PerCpuArray",
    shape: "array",
    perCpu: true,
    iterable: true,
    btf: "kv",
    flagsAllowed: ARRAY_FLAGS,
    methods: ARR,
    since: "4.6",
  },
  {
    type: 7,
    name: "STACK_TRACE",
    cls: "StackTraceMap",
    shape: "stacks",
    perCpu: false,
    iterable: true,
    btf: "kv",
    flagsAllowed: F.STACK_BUILD_ID | F.NUMA_NODE | F.RDONLY | F.WRONLY | F.RDONLY_PROG | F.WRONLY_PROG,
    methods: { getStackId: H.get_stackid },
    since: "4.6",
  },
  { type: 8, name: "CGROUP_ARRAY", perCpu: false, iterable: false, btf: "u32", flagsAllowed: 0, methods: NONE, since: "4.8" },
  {
    type: 9,
    name: "LRU_HASH",
    cls: "LruHashMap",
    shape: "kv",
    perCpu: false,
    iterable: true,
    btf: "kv",
    sizeRule: "hash-buckets",
    flagsAllowed: HASH_FLAGS,
    methods: KV,
    since: "4.10",
  },
  {
    type: 10,
    name: "LRU_PERCPU_HASH",
    cls: "LruPerCpuHashMap",
    shape: "kv",
    perCpu: true,
    iterable: true,
    btf: "kv",
    sizeRule: "hash-buckets",
    flagsAllowed: HASH_FLAGS,
    methods: KV,
    since: "4.10",
  },
  {
    type: 11,
    name: "LPM_TRIE",
    cls: "LpmTrie",
    shape: "kv",
    keyRule: "lpm",
    perCpu: false,
    iterable: true,
    btf: "kv",
    requiredFlags: F.NO_PREALLOC,
    flagsAllowed: F.NO_PREALLOC | F.NUMA_NODE | F.RDONLY | F.WRONLY | F.RDONLY_PROG | F.WRONLY_PROG,
    methods: KV,
    since: "4.11",
  },
  {
    type: 12,
    name: "ARRAY_OF_MAPS",
    cls: "ArrayOfMaps",
    shape: "maps",
    init: "maps",
    perCpu: false,
    iterable: true,
    btf: "sizes",
    flagsAllowed: F.NUMA_NODE | F.RDONLY | F.WRONLY,
    methods: IN_MAPS,
    since: "4.12",
  },
  {
    type: 13,
    name: "HASH_OF_MAPS",
    cls: "HashOfMaps",
    shape: "maps",
    init: "maps",
    perCpu: false,
    iterable: true,
    btf: "sizes",
    flagsAllowed: F.NO_PREALLOC | F.NUMA_NODE | F.RDONLY | F.WRONLY,
    methods: IN_MAPS,
    since: "4.12",
  },
  {
    type: 14,
    name: "DEVMAP",
    cls: "DevMap",
    shape: "slots",
    perCpu: false,
    iterable: true,
    btf: "sizes",
    flagsAllowed: DEV_FLAGS,
    methods: REDIRECT,
    since: "4.14",
  },
  {
    type: 15,
    name: "SOCKMAP",
    cls: "SockMap",
    shape: "slots",
    socketValue: true,
    runtimeClass: "SocketMap",
    perCpu: false,
    iterable: true,
    btf: "kv",
    flagsAllowed: SOCK_FLAGS,
    methods: { lookup: H.map_lookup_elem },
    since: "4.14",
  },
  {
    type: 16,
    name: "CPUMAP",
    cls: "CpuMap",
    shape: "slots",
    perCpu: false,
    iterable: true,
    btf: "sizes",
    flagsAllowed: F.NUMA_NODE,
    methods: REDIRECT,
    since: "4.15",
  },
  {
    type: 17,
    name: "XSKMAP",
    cls: "XskMap",
    shape: "slots",
    perCpu: false,
    iterable: false,
    btf: "sizes",
    flagsAllowed: DEV_FLAGS,
    methods: REDIRECT,
    since: "4.18",
  },
  {
    type: 18,
    name: "SOCKHASH",
    cls: "SockHash",
    shape: "keys",
    socketValue: true,
    runtimeClass: "SocketMap",
    perCpu: false,
    iterable: true,
    btf: "kv",
    flagsAllowed: SOCK_FLAGS,
    methods: { lookup: H.map_lookup_elem },
    since: "4.18",
  },
  {
    type: 19,
    name: "CGROUP_STORAGE",
    cls: "CgroupStorage",
    shape: "value-only",
    u64Key: true,
    defaultMaxEntries: 0,
    perCpu: false,
    iterable: true,
    btf: "kv",
    flagsAllowed: ACCESS_FLAGS,
    methods: NONE,
    since: "4.19",
  },
  { type: 20, name: "REUSEPORT_SOCKARRAY", perCpu: false, iterable: false, btf: "u32", flagsAllowed: 0, methods: NONE, since: "4.19" },
  {
    type: 21,
    name: "PERCPU_CGROUP_STORAGE",
    cls: "PerCpuCgroupStorage",
    shape: "value-only",
    u64Key: true,
    defaultMaxEntries: 0,
    perCpu: true,
    iterable: true,
    btf: "kv",
    flagsAllowed: ACCESS_FLAGS,
    methods: NONE,
    since: "4.20",
  },
  {
    type: 22,
    name: "QUEUE",
    cls: "Queue",
    shape: "value-only",
    runtimeClass: "ValueMap",
    perCpu: false,
    iterable: false,
    btf: "value",
    flagsAllowed: ACCESS_FLAGS,
    methods: PUSH_POP,
    since: "4.20",
  },
  {
    type: 23,
    name: "STACK",
    cls: "Stack",
    shape: "value-only",
    runtimeClass: "ValueMap",
    perCpu: false,
    iterable: false,
    btf: "value",
    flagsAllowed: ACCESS_FLAGS,
    methods: PUSH_POP,
    since: "4.20",
  },
  {
    type: 24,
    name: "SK_STORAGE",
    cls: "SkStorage",
    shape: "value-only",
    defaultMaxEntries: 0,
    perCpu: false,
    iterable: false,
    btf: "kv",
    flagsAllowed: F.NO_PREALLOC,
    requiredFlags: F.NO_PREALLOC,
    methods: NONE,
    since: "5.2",
  },
  {
    type: 25,
    name: "DEVMAP_HASH",
    cls: "DevMapHash",
    shape: "slots",
    perCpu: false,
    iterable: true,
    btf: "sizes",
    flagsAllowed: DEV_FLAGS,
    methods: REDIRECT,
    since: "5.4",
  },
  { type: 26, name: "STRUCT_OPS", perCpu: false, iterable: false, btf: "none", flagsAllowed: 0, methods: NONE, since: "5.6" },
  {
    type: 27,
    name: "RINGBUF",
    cls: "RingBuf",
    shape: "events",
    perCpu: false,
    iterable: false,
    btf: "none",
    flagsAllowed: 0,
    sizeRule: "pow2-page",
    since: "5.8",
    methods: { output: H.ringbuf_output, reserve: H.ringbuf_reserve, submit: H.ringbuf_submit, discard: H.ringbuf_discard },
  },
  {
    type: 28,
    name: "INODE_STORAGE",
    cls: "InodeStorage",
    shape: "value-only",
    defaultMaxEntries: 0,
    perCpu: false,
    iterable: false,
    btf: "kv",
    flagsAllowed: F.NO_PREALLOC,
    requiredFlags: F.NO_PREALLOC,
    methods: NONE,
    since: "5.10",
  },
  {
    type: 29,
    name: "TASK_STORAGE",
    cls: "TaskStorage",
    shape: "value-only",
    defaultMaxEntries: 0,
    perCpu: false,
    iterable: false,
    btf: "kv",
    flagsAllowed: F.NO_PREALLOC,
    requiredFlags: F.NO_PREALLOC,
    methods: NONE,
    since: "5.11",
  },
  {
    type: 30,
    name: "BLOOM_FILTER",
    cls: "BloomFilter",
    shape: "value-only",
    runtimeClass: "ValueMap",
    perCpu: false,
    iterable: false,
    btf: "value",
    flagsAllowed: ACCESS_FLAGS | F.ZERO_SEED,
    mapExtra: "bloom-hashes",
    methods: { push: H.map_push_elem, has: H.map_peek_elem },
    since: "5.16",
  },
  { type: 31, name: "USER_RINGBUF", perCpu: false, iterable: false, btf: "none", flagsAllowed: 0, methods: NONE, since: "6.1" },
  {
    type: 32,
    name: "CGRP_STORAGE",
    cls: "CgrpStorage",
    shape: "value-only",
    defaultMaxEntries: 0,
    perCpu: false,
    iterable: false,
    btf: "kv",
    flagsAllowed: F.NO_PREALLOC,
    requiredFlags: F.NO_PREALLOC,
    methods: NONE,
    since: "6.2",
  },
  { type: 33, name: "ARENA", perCpu: false, iterable: false, btf: "none", flagsAllowed: F.MMAPABLE, methods: NONE, since: "6.9" },
] as const satisfies readonly MapKind[];

export type MapTypeName = (typeof MAP_KINDS)[number]["name"];

/** BPF_MAP_TYPE_* numbers by name: MAP_TYPE.RINGBUF === 27. */
export const MAP_TYPE = Object.fromEntries(MAP_KINDS.map((k) => [k.name, k.type])) as Readonly<Record<MapTypeName, number>>;

/** The supported kinds by stdlib class name. */
export const MAP_KIND_BY_CLASS: Readonly<Record<string, MapKind>> = Object.fromEntries(
  (MAP_KINDS as readonly MapKind[]).filter((k) => k.cls).map((k) => [k.cls!, k]),
);

/** The row for a map type number (undefined for numbers newer than this table). */
export function mapKind(type: number): MapKind | undefined {
  return (MAP_KINDS as readonly MapKind[])[type];
}

/** "HASH" for 1; "type 99" for a number this table does not know. */
export function mapTypeName(type: number): string {
  return mapKind(type)?.name ?? `type ${type}`;
}

export function isPerCpuMap(type: number): boolean {
  return mapKind(type)?.perCpu ?? false;
}
