/// <reference path="./globals.d.ts" />
// tsbpf's kernel-side library: what a .bpf.ts file imports from "tsbpf/bpf".
//
// Everything here is a declaration. The compiler gives each name its meaning (see
// docs/language.md); plain `tsc` and editors use these declarations to type-check BPF code with the
// verifier's rules (nullable lookups, typed contexts, integer widths) visible in the types.

// ---------------------------------------------------------------------------------------------
// Integers. Literals fit any of them; widening is implicit; narrowing needs an explicit conversion
// such as u8(x), which truncates (u8/u16/u32) or wraps into range (i8/i16/i32). Arithmetic wraps
// at the width of its operands after C's usual conversions (narrow types promote to i32).

export type u8 = number & { readonly __int?: "u8" };
export type u16 = number & { readonly __int?: "u8" | "u16" };
export type u32 = number & { readonly __int?: "u8" | "u16" | "u32" };
export type u64 = number & { readonly __int?: "u8" | "u16" | "u32" | "u64" };
export type i8 = number & { readonly __int?: "i8" };
export type i16 = number & { readonly __int?: "i8" | "i16" | "u8" };
export type i32 = number & { readonly __int?: "i8" | "i16" | "i32" | "u8" | "u16" };
export type i64 = number & { readonly __int?: "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" };
export type bool = boolean;

/** Truncates to the low 8 bits. */
export declare function u8(x: number): u8;
/** Truncates to the low 16 bits. */
export declare function u16(x: number): u16;
/** Truncates to the low 32 bits. */
export declare function u32(x: number): u32;
/** Reinterprets as unsigned 64-bit (sign-extending a signed operand first, as C does). */
export declare function u64(x: number): u64;
/** Keeps the low 8 bits, read as signed. */
export declare function i8(x: number): i8;
/** Keeps the low 16 bits, read as signed. */
export declare function i16(x: number): i16;
/** Keeps the low 32 bits, read as signed. */
export declare function i32(x: number): i32;
/** Reinterprets as signed 64-bit. */
export declare function i64(x: number): i64;

/** Fixed-size array field of a struct: `FixedArray<u8, 6>` is C's `__u8 x[6]`. */
export interface FixedArray<T, N extends number> {
  readonly length: N;
  [index: number]: T;
}

/** Size in bytes of a struct or integer type, with C layout. Folded at compile time. */
export declare function sizeof<T>(): u32;

// ---------------------------------------------------------------------------------------------
// Byte order. The kernel's packet fields are big-endian (network order); these convert.

/** Host to network order, 16 bits (bpf_htons). */
export declare function htons(x: u16): u16;
/** Network to host order, 16 bits (bpf_ntohs). */
export declare function ntohs(x: u16): u16;
/** Host to network order, 32 bits (bpf_htonl). */
export declare function htonl(x: u32): u32;
/** Network to host order, 32 bits (bpf_ntohl). */
export declare function ntohl(x: u32): u32;
/** Host to network order, 64 bits (bpf_cpu_to_be64). */
export declare function htonll(x: u64): u64;
/** Network to host order, 64 bits (bpf_be64_to_cpu). */
export declare function ntohll(x: u64): u64;

// ---------------------------------------------------------------------------------------------
// Helpers (kernel functions callable from BPF).

/** bpf_ktime_get_ns: nanoseconds since boot, not counting suspend (CLOCK_MONOTONIC). */
export declare function ktimeGetNs(): u64;
/** bpf_get_prandom_u32: a pseudo-random 32-bit number (not cryptographically secure). */
export declare function getPrandomU32(): u32;
/** bpf_get_smp_processor_id: the id of the CPU running the program. */
export declare function getSmpProcessorId(): u32;

// ---------------------------------------------------------------------------------------------
// Maps. Declare them as module-level constants: `const counts = new HashMap<u32, u64>(1024);`.
// Key and value types become the map's BTF. A lookup returns a reference into the map's memory:
// a struct value's fields are read and written in place; a scalar value is reached through `.value`.

/** A reference to a scalar that lives in map memory. */
export interface Cell<T> {
  value: T;
}

/** What a lookup returns: the struct itself (by reference) or a Cell around a scalar. */
export type MapValue<V> = V extends number ? Cell<V> : V;

/** Flags for `update`. */
export declare const enum UpdateFlags {
  /** Create or overwrite (BPF_ANY). */
  ANY = 0,
  /** Create only if the key does not exist (BPF_NOEXIST). */
  NOEXIST = 1,
  /** Overwrite only an existing key (BPF_EXIST). */
  EXIST = 2,
}

/** BPF_MAP_TYPE_HASH. */
export declare class HashMap<K, V> {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  /** bpf_map_lookup_elem: the value for `key`, or null when absent (the verifier demands the check). */
  lookup(key: K): MapValue<V> | null;
  /** bpf_map_update_elem: 0 on success, a negative errno otherwise. */
  update(key: K, value: V, flags?: UpdateFlags): i64;
  /** bpf_map_delete_elem: 0 on success, a negative errno otherwise. */
  delete(key: K): i64;
}

/** BPF_MAP_TYPE_LRU_HASH: a hash map that evicts the least recently used entry when full. */
export declare class LruHashMap<K, V> extends HashMap<K, V> {}

/** BPF_MAP_TYPE_ARRAY: `maxEntries` preallocated zeroed values indexed by u32. */
export declare class ArrayMap<V> {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  /** The value at `index`, or null when index >= maxEntries. */
  lookup(index: u32): MapValue<V> | null;
  update(index: u32, value: V, flags?: UpdateFlags): i64;
}

/** BPF_MAP_TYPE_PERCPU_ARRAY: like ArrayMap, one copy per CPU; lookups see this CPU's copy. */
export declare class PerCpuArray<V> {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  lookup(index: u32): MapValue<V> | null;
  update(index: u32, value: V, flags?: UpdateFlags): i64;
}

/** BPF_MAP_TYPE_PERCPU_HASH. */
export declare class PerCpuHashMap<K, V> extends HashMap<K, V> {}

/** BPF_MAP_TYPE_LRU_PERCPU_HASH (Linux 4.10): a per-CPU hash map that evicts the least recently used entry when full. */
export declare class LruPerCpuHashMap<K, V> extends HashMap<K, V> {}

/**
 * Map creation flags (BPF_F_*), the constructor's second argument: `new HashMap<K, V>(n,
 * MapFlags.NO_PREALLOC)`. Each map kind takes only some (TSBPF2100); flags a kind requires are set
 * for you.
 */
export declare const enum MapFlags {
  /** Allocate entries on update instead of up front (hash maps; always set for LpmTrie). */
  NO_PREALLOC = 1,
  /** LRU maps: one LRU list per CPU instead of a common one. */
  NO_COMMON_LRU = 2,
  /** Programs may only read the map (the verifier rejects writes); user space still writes. */
  RDONLY_PROG = 128,
  /** Programs may only write the map. */
  WRONLY_PROG = 256,
  /** Array maps: user space may mmap() the values (Linux 5.5). */
  MMAPABLE = 1024,
}

/**
 * BPF_MAP_TYPE_PROG_ARRAY (Linux 4.2): slots holding programs of one type, for tail calls. Fill
 * slots statically with `new ProgArray(n, { 0: handle_tcp, 1: handle_udp })` (the programs must be
 * exported from this file and declared before; libbpf stores them at load, like C's
 * `.values = { [0] = &handle_tcp }`) or from user space at run time.
 */
export declare class ProgArray {
  constructor(maxEntries: number, slots?: { readonly [index: number]: Program }, options?: MapOptions);
  /**
   * bpf_tail_call: jump to the program in slot `index`, passing this program's context; it does not
   * return. When the slot is empty (or 33 tail calls were already made) it returns a negative errno
   * and execution falls through to the next statement.
   */
  tailCall(ctx: unknown, index: u32): i64;
}

/**
 * Flags of `redirect` (bpf_redirect_map): the low two bits are the XDP action returned when the
 * slot is empty (Linux 5.6; e.g. `XdpAction.PASS`); devmaps also take BROADCAST and EXCLUDE_INGRESS.
 */
export declare const enum RedirectFlags {
  /** Devmaps (Linux 5.13): send to every device in the map. */
  BROADCAST = 8,
  /** With BROADCAST: skip the device the packet came in on. */
  EXCLUDE_INGRESS = 16,
}

/**
 * BPF_MAP_TYPE_DEVMAP (Linux 4.14): u32 slot -> network device (its ifindex, set from user space),
 * the target of XDP redirects. `redirect(slot)` in an XDP program sends the packet out of that device.
 */
export declare class DevMap {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  /** bpf_redirect_map: XdpAction.REDIRECT, or `flags & 3` as the action when the slot is empty. */
  redirect(key: u32, flags?: number): XdpAction;
}

/** BPF_MAP_TYPE_DEVMAP_HASH (Linux 5.4): like DevMap, keyed by any u32 (e.g. the ifindex itself). */
export declare class DevMapHash {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  /** bpf_redirect_map: XdpAction.REDIRECT, or `flags & 3` as the action when the key is absent. */
  redirect(key: u32, flags?: number): XdpAction;
}

/**
 * BPF_MAP_TYPE_CPUMAP (Linux 4.15): slot = CPU number, value = queue size set from user space;
 * `redirect(cpu)` hands the packet to that CPU, which builds the skb and runs the network stack.
 */
export declare class CpuMap {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  redirect(cpu: u32, flags?: number): XdpAction;
}

/**
 * BPF_MAP_TYPE_XSKMAP (Linux 4.18): slot (usually the rx queue index) -> AF_XDP socket, set from user
 * space; `redirect(ctx.rx_queue_index)` delivers the frame to that socket.
 */
export declare class XskMap {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  redirect(queue: u32, flags?: number): XdpAction;
}

/**
 * BPF_MAP_TYPE_QUEUE (Linux 4.20): a FIFO of up to `maxEntries` values of T, no keys. Programs and
 * user space (ValueMap in the runtime) push, pop and peek.
 */
export declare class Queue<T> {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  /** bpf_map_push_elem: append `value`; with UpdateFlags.EXIST a full queue drops its oldest value. 0 or a negative errno. */
  push(value: T, flags?: UpdateFlags): i64;
  /** bpf_map_pop_elem: remove and return the oldest value (a copy on the stack), or null when empty. */
  pop(): MapValue<T> | null;
  /** bpf_map_peek_elem: the oldest value without removing it, or null when empty. */
  peek(): MapValue<T> | null;
}

/** BPF_MAP_TYPE_STACK (Linux 4.20): a LIFO of up to `maxEntries` values of T; `pop`/`peek` see the newest. */
export declare class Stack<T> {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  push(value: T, flags?: UpdateFlags): i64;
  pop(): MapValue<T> | null;
  peek(): MapValue<T> | null;
}

/**
 * BPF_MAP_TYPE_BLOOM_FILTER (Linux 5.16): a set of T with false positives and no deletion, sized for
 * `maxEntries` values; `hashes` (1..15, default 5) is the number of hash functions (`map_extra`).
 */
export declare class BloomFilter<T> {
  constructor(maxEntries: number, hashes?: number, options?: MapFlags | MapOptions);
  /** bpf_map_push_elem: add `value`; 0 or a negative errno. */
  push(value: T): i64;
  /** bpf_map_peek_elem: false when `value` was certainly never added, true when it may have been. */
  has(value: T): boolean;
}

/** Map pinning (libbpf's LIBBPF_PIN_*): where the map lives beyond the loading process. */
export declare const enum Pinning {
  NONE = 0,
  /**
   * LIBBPF_PIN_BY_NAME: libbpf pins the map at `<pin root>/<map name>` (default /sys/fs/bpf), and
   * a later load of any object with a compatible map of that name reuses the pinned map.
   */
  BY_NAME = 1,
}

/** A map's options, the constructor argument after its sizes: `{ flags: MapFlags.NO_PREALLOC, pinning: Pinning.BY_NAME }`. */
export interface MapOptions {
  flags?: MapFlags;
  pinning?: Pinning;
}

/** Flags of StackTraceMap.getStackId (BPF_F_*): the low 8 bits are frames to skip. */
export declare const enum StackFlags {
  /** The user-space stack instead of the kernel stack. */
  USER_STACK = 256,
  /** Compare stacks by hash only (faster, may merge distinct stacks). */
  FAST_STACK_CMP = 512,
  /** Replace an existing stack with the same hash instead of failing with -EEXIST. */
  REUSE_STACKID = 1024,
}

/**
 * BPF_MAP_TYPE_STACK_TRACE (Linux 4.6): stack id -> up to `depth` (1..127, default 127) instruction
 * pointers, innermost first, zero-padded. Programs store stacks with `getStackId`; user space reads
 * them by id (TypedMap<number, bigint[]>) and symbolises them.
 */
export declare class StackTraceMap {
  constructor(maxEntries: number, depth?: number, options?: MapFlags | MapOptions);
  /** bpf_get_stackid: store the current kernel (or user) stack and return its id, or a negative errno. */
  getStackId(ctx: unknown, flags?: StackFlags): i64;
}

/** The key, value and stdlib map class of a hash or array map (for maps of maps). */
type InnerKey<M> = M extends { update(key: infer K, value: any, flags?: UpdateFlags): i64 } ? K : never;
type InnerValue<M> = M extends { update(key: any, value: infer V, flags?: UpdateFlags): i64 } ? V : never;

/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS (Linux 4.12): u32 slot -> a map. The slots are filled at load with maps
 * of this file, `new ArrayOfMaps(4, { 0: blue, 1: green })` (all with one definition: kind, size,
 * key and value types; the first is libbpf's inner-map template), and user space can swap them.
 * `M` is the inner map class, e.g. `ArrayOfMaps<typeof blue>`.
 */
export declare class ArrayOfMaps<M> {
  constructor(maxEntries: number, slots: { readonly [index: number]: M }, options?: MapFlags | MapOptions);
  /** Look `key` up in the map in slot `index`: its value, or null (empty slot or absent key). */
  lookupIn(index: u32, key: InnerKey<M>): MapValue<InnerValue<M>> | null;
  /** Update `key` in the map in slot `index`: 0, a negative errno, or -ENOENT (-2) when the slot is empty. */
  updateIn(index: u32, key: InnerKey<M>, value: InnerValue<M>, flags?: UpdateFlags): i64;
}

/** BPF_MAP_TYPE_HASH_OF_MAPS (Linux 4.12): like ArrayOfMaps, with u32 keys that need not be dense. */
export declare class HashOfMaps<M> {
  constructor(maxEntries: number, slots: { readonly [key: number]: M }, options?: MapFlags | MapOptions);
  lookupIn(key: u32, innerKey: InnerKey<M>): MapValue<InnerValue<M>> | null;
  updateIn(key: u32, innerKey: InnerKey<M>, value: InnerValue<M>, flags?: UpdateFlags): i64;
}

/** The key of an LpmTrie: `prefixlen` (how many leading bits of the data count), then the data. */
export interface LpmKey {
  prefixlen: u32;
}

/**
 * BPF_MAP_TYPE_LPM_TRIE (Linux 4.11): longest-prefix match. `K` is a struct whose first field is
 * `prefixlen: u32` followed by the data (e.g. an IPv4 address as in the packet, 1 to 256 bytes);
 * a lookup with `prefixlen` set to the data's full width returns the value of the longest stored
 * prefix that matches. BPF_F_NO_PREALLOC, which the kernel requires, is set automatically.
 */
export declare class LpmTrie<K extends LpmKey, V> {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  /** bpf_map_lookup_elem: the value of the longest matching prefix, or null. */
  lookup(key: K): MapValue<V> | null;
  /** bpf_map_update_elem: store the prefix; 0 or a negative errno. */
  update(key: K, value: V, flags?: UpdateFlags): i64;
  /** bpf_map_delete_elem: remove exactly this prefix; 0 or a negative errno. */
  delete(key: K): i64;
}

// ---------------------------------------------------------------------------------------------
// Programs. A program is an exported module-level constant: `export const prog = xdp(ctx => ...)`.
// The constant's name is the program's name; the wrapper fixes its kind and libbpf section.

declare const programBrand: unique symbol;
/** A compiled BPF program entry point. */
export interface Program {
  readonly [programBrand]: true;
}

/** XDP verdicts (enum xdp_action). */
export declare const enum XdpAction {
  ABORTED = 0,
  DROP = 1,
  PASS = 2,
  TX = 3,
  REDIRECT = 4,
}

/** The XDP context (struct xdp_md) with bounds-checked packet access. */
export interface XdpContext {
  /** Bytes between data and data_end. */
  readonly len: u32;
  readonly ingress_ifindex: u32;
  readonly rx_queue_index: u32;
  readonly egress_ifindex: u32;
  /**
   * A view of the packet bytes at `offset` shaped as T, or null when the packet is shorter than
   * offset + sizeof(T). The compiler emits the data_end comparison the verifier requires. Fields of
   * the result read and write packet memory directly.
   */
  header<T>(offset: number): T | null;
}

/** An XDP program (section "xdp"). */
export declare function xdp(fn: (ctx: XdpContext) => XdpAction): Program;

/** Where `SkBuffContext.load` offsets count from (enum bpf_hdr_start_off). */
export declare const enum HeaderStart {
  MAC = 0,
  NET = 1,
}

/** The socket-buffer context (struct __sk_buff) as socket filters see it. */
export interface SkBuffContext {
  readonly len: u32;
  readonly pkt_type: u32;
  readonly mark: u32;
  readonly queue_mapping: u32;
  /** The link-layer protocol (ETH_P_*), in network byte order. */
  readonly protocol: u32;
  readonly vlan_present: u32;
  readonly vlan_tci: u32;
  readonly priority: u32;
  readonly ingress_ifindex: u32;
  readonly ifindex: u32;
  readonly hash: u32;
  /**
   * A copy of sizeof(T) packet bytes starting `offset` bytes after the network (default) or MAC
   * header, or null when the packet is too short (bpf_skb_load_bytes_relative).
   */
  load<T>(offset: number, start?: HeaderStart): T | null;
}

/**
 * A socket filter (section "socket"). Return the number of bytes of the packet to keep: 0 drops it,
 * `ctx.len` (or more) keeps all of it.
 */
export declare function socketFilter(fn: (ctx: SkBuffContext) => u32): Program;

// ---------------------------------------------------------------------------------------------
// Packet headers (network byte order fields, as in the kernel's uapi headers).

export declare const ETH_P_IP = 0x0800;
export declare const ETH_P_IPV6 = 0x86dd;
export declare const ETH_P_ARP = 0x0806;
export declare const IPPROTO_ICMP = 1;
export declare const IPPROTO_TCP = 6;
export declare const IPPROTO_UDP = 17;
export declare const IPPROTO_ICMPV6 = 58;

/** struct ethhdr (14 bytes). */
export interface EthHdr {
  h_dest: FixedArray<u8, 6>;
  h_source: FixedArray<u8, 6>;
  /** EtherType, network byte order. */
  h_proto: u16;
}

/** struct iphdr without options (20 bytes). */
export interface Ipv4Hdr {
  /** version (high nibble) and header length in 32-bit words (low nibble). */
  ver_ihl: u8;
  tos: u8;
  tot_len: u16;
  id: u16;
  frag_off: u16;
  ttl: u8;
  protocol: u8;
  check: u16;
  saddr: u32;
  daddr: u32;
}

/** struct ipv6hdr (40 bytes). */
export interface Ipv6Hdr {
  /** version (4 bits), traffic class (8), flow label (20), network byte order. */
  ver_tc_flow: u32;
  payload_len: u16;
  nexthdr: u8;
  hop_limit: u8;
  saddr: FixedArray<u8, 16>;
  daddr: FixedArray<u8, 16>;
}

/** struct vlan_hdr (4 bytes, follows an EtherType of 0x8100 / 0x88a8). */
export interface VlanHdr {
  h_vlan_TCI: u16;
  h_vlan_encapsulated_proto: u16;
}

/** struct tcphdr (20 bytes without options). */
export interface TcpHdr {
  source: u16;
  dest: u16;
  seq: u32;
  ack_seq: u32;
  /** data offset (high nibble, 32-bit words) and reserved bits. */
  doff_res: u8;
  /** FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80. */
  flags: u8;
  window: u16;
  check: u16;
  urg_ptr: u16;
}

/** struct udphdr (8 bytes). */
export interface UdpHdr {
  source: u16;
  dest: u16;
  len: u16;
  check: u16;
}

/** struct icmphdr (8 bytes). */
export interface IcmpHdr {
  type: u8;
  code: u8;
  checksum: u16;
  un: u32;
}

export declare const ETH_P_8021Q = 0x8100;
export declare const ETH_P_8021AD = 0x88a8;
export declare const ETH_HLEN = 14;

// ---------------------------------------------------------------------------------------------
// More program kinds.

/** TC actions (TC_ACT_*). */
export declare const enum TcAction {
  UNSPEC = -1,
  OK = 0,
  RECLASSIFY = 1,
  SHOT = 2,
  PIPE = 3,
  STOLEN = 4,
  QUEUED = 5,
  REPEAT = 6,
  REDIRECT = 7,
}

/** The __sk_buff context of a TC classifier: direct packet access and writable metadata. */
export interface TcContext {
  readonly len: u32;
  readonly pkt_type: u32;
  mark: u32;
  queue_mapping: u32;
  readonly protocol: u32;
  readonly vlan_present: u32;
  readonly vlan_tci: u32;
  readonly vlan_proto: u32;
  priority: u32;
  readonly ingress_ifindex: u32;
  readonly ifindex: u32;
  tc_index: u32;
  readonly hash: u32;
  tc_classid: u32;
  /** Bounds-checked view of sizeof(T) packet bytes at `offset` (from the MAC header), or null. */
  header<T>(offset: number): T | null;
  /** A copy of sizeof(T) bytes at `offset` after the network (default) or MAC header, or null. */
  load<T>(offset: number, start?: HeaderStart): T | null;
}

/** A TC classifier (section "tc"; attach with clsact ingress/egress, direct-action). */
export declare function tc(fn: (ctx: TcContext) => TcAction): Program;

/** The __sk_buff context of cgroup socket-buffer programs (read-only). */
export interface CgroupSkbContext {
  readonly len: u32;
  readonly pkt_type: u32;
  readonly mark: u32;
  readonly protocol: u32;
  readonly priority: u32;
  readonly ingress_ifindex: u32;
  readonly ifindex: u32;
  readonly hash: u32;
}

/** A cgroup skb program: return 1 to allow the packet, 0 to drop it. */
export declare function cgroupSkb(direction: "ingress" | "egress", fn: (ctx: CgroupSkbContext) => 0 | 1): Program;

/**
 * A tracepoint program (section "tp/<category>/<name>"). T describes the record, laid out as in
 * /sys/kernel/tracing/events/<category>/<name>/format, including the 8-byte common header.
 */
export declare function tracepoint<T>(category: string, name: string, fn: (ctx: T) => i32): Program;

/** Programs whose context is an array of 64-bit arguments. */
export interface ArgsContext {
  /** The i-th argument (a constant index), as a raw 64-bit value. */
  arg(i: number): u64;
}

/** With vmlinux.d.ts imported: the tracepoint's arguments, typed (kernel pointers read by probe reads). */
export declare function rawTracepoint<N extends keyof KernelTracepoints & string>(name: N, fn: (...args: KernelTpArgs<N>) => i32): Program;
/** A raw tracepoint program (section "raw_tp/<name>"): the tracepoint's raw arguments. */
export declare function rawTracepoint(name: string, fn: (ctx: ArgsContext) => i32): Program;
/** With vmlinux.d.ts imported: the tracepoint's arguments, typed (trusted BTF pointers). */
export declare function tpBtf<N extends keyof KernelTracepoints & string>(name: N, fn: (...args: KernelTpArgs<N>) => i32): Program;
/** A BTF-enabled tracepoint (section "tp_btf/<name>"). */
export declare function tpBtf(name: string, fn: (ctx: ArgsContext) => i32): Program;
/** With vmlinux.d.ts imported: `fn`'s arguments, typed from its prototype. */
export declare function fentry<F extends keyof KernelFunctions & string>(fn: F, body: (...args: KernelArgs<F>) => i32): Program;
/** Runs at the entry of kernel function `fn` (section "fentry/<fn>"). */
export declare function fentry(fn: string, body: (ctx: ArgsContext) => i32): Program;
/** With vmlinux.d.ts imported: `fn`'s arguments, then its return value. */
export declare function fexit<F extends keyof KernelFunctions & string>(fn: F, body: (...args: [...KernelArgs<F>, KernelRet<F>]) => i32): Program;
/** Runs at the exit of kernel function `fn`; the last argument is the return value. */
export declare function fexit(fn: string, body: (ctx: ArgsContext) => i32): Program;
/** With vmlinux.d.ts imported: the hook's arguments (from bpf_lsm_<hook>), typed. */
export declare function lsm<H extends LsmHook>(hook: H, body: (...args: KernelArgs<`bpf_lsm_${H}`>) => i32): Program;
/** An LSM hook (section "lsm/<hook>"): return 0 to allow, a negative errno to deny. */
export declare function lsm(hook: string, body: (ctx: ArgsContext) => i32): Program;

/** struct pt_regs as kprobes and uprobes see it (x86-64). */
export interface PtRegsContext {
  /** The i-th function argument (0..5) from its calling-convention register. */
  arg(i: number): u64;
  /** The return value register (kretprobe/uretprobe). */
  ret(): u64;
}

/** A kprobe on kernel function `fn` (section "kprobe/<fn>"). */
export declare function kprobe(fn: string, body: (ctx: PtRegsContext) => i32): Program;
/** A kretprobe on kernel function `fn`. */
export declare function kretprobe(fn: string, body: (ctx: PtRegsContext) => i32): Program;
/** A uprobe on `fn` in the executable or library at `path` (section "uprobe/<path>:<fn>"). */
export declare function uprobe(path: string, fn: string, body: (ctx: PtRegsContext) => i32): Program;
/** A uretprobe on `fn` in `path`. */
export declare function uretprobe(path: string, fn: string, body: (ctx: PtRegsContext) => i32): Program;

// ---------------------------------------------------------------------------------------------
// Tracing helpers.

/** bpf_get_current_pid_tgid: tgid (the user-space PID) in the upper 32 bits, thread id in the lower. */
export declare function getCurrentPidTgid(): u64;
/** bpf_get_current_uid_gid: gid in the upper 32 bits, uid in the lower. */
export declare function getCurrentUidGid(): u64;
/** bpf_get_current_cgroup_id. */
export declare function getCurrentCgroupId(): u64;
/** bpf_ktime_get_boot_ns: nanoseconds since boot, including suspend. */
export declare function ktimeGetBootNs(): u64;
/** bpf_get_current_comm: the current task's name, NUL-padded. */
export declare function getCurrentComm(): FixedArray<u8, 16>;
/** bpf_probe_read_kernel: a copy of sizeof(T) bytes at kernel address `addr`, or null on a fault. */
export declare function probeReadKernel<T>(addr: u64): T | null;
/** bpf_probe_read_user: a copy of sizeof(T) bytes at user address `addr`, or null on a fault. */
export declare function probeReadUser<T>(addr: u64): T | null;
/** bpf_probe_read_user_str into `dst`: the string's length including its NUL, or a negative errno. */
export declare function probeReadUserStr<N extends number>(dst: FixedArray<u8, N>, addr: u64): i64;
/** bpf_probe_read_kernel_str into `dst`. */
export declare function probeReadKernelStr<N extends number>(dst: FixedArray<u8, N>, addr: u64): i64;

// ---------------------------------------------------------------------------------------------
// Event maps.

declare const reservedBrand: unique symbol;
/** A record reserved in a ring buffer (`events.reserve()`): write its fields, then submit or discard it. */
export type Reserved<T> = T & { readonly [reservedBrand]: true };

/** Flags for RingBuf.submit/discard (BPF_RB_*). */
export declare const enum RingBufFlags {
  /** Do not wake up the user-space reader for this record. */
  NO_WAKEUP = 1,
  /** Wake up the reader even if it would not be woken otherwise. */
  FORCE_WAKEUP = 2,
}

/** BPF_MAP_TYPE_RINGBUF (Linux 5.8) of `size` bytes (a power of two, multiple of the page size) carrying T. */
export declare class RingBuf<T> {
  constructor(size: number, options?: MapOptions);
  /** bpf_ringbuf_output: copies `event` into the buffer; 0 or a negative errno (e.g. when full). */
  output(event: T): i64;
  /**
   * bpf_ringbuf_reserve: room for one record (of T, or of U when given) in the buffer, written in
   * place, or null when the buffer is full. On every path where it is not null the program must
   * `submit` or `discard` it before returning (TSBPF2103), as the verifier demands.
   */
  reserve<U = T>(): Reserved<U> | null;
  /** bpf_ringbuf_submit: publish the reserved record to user space. */
  submit(record: Reserved<unknown>, flags?: RingBufFlags): void;
  /** bpf_ringbuf_discard: drop the reserved record; user space never sees it. */
  discard(record: Reserved<unknown>, flags?: RingBufFlags): void;
}

/** BPF_MAP_TYPE_PERF_EVENT_ARRAY: per-CPU perf buffers carrying T. */
export declare class PerfEventArray<T> {
  constructor();
  /** bpf_perf_event_output on the current CPU. */
  output(ctx: unknown, event: T): i64;
}

// ---------------------------------------------------------------------------------------------
// Kernel types (CO-RE). `tsbpf vmlinux -o vmlinux.d.ts` declares the kernel's structs with these;
// see docs/language.md, "Kernel types and CO-RE".

/**
 * A pointer to kernel memory holding a T (a struct or union from the generated vmlinux.d.ts).
 * Reading `p.field` compiles to a CO-RE relocatable load; pointer members are `KernelPtr<U> | null`
 * and must be checked before they are followed.
 */
export type KernelPtr<T> = T;
/** A kernel address of a non-struct value (`char *`, `void *`, `u32 *`): a u64 for probeRead*. */
export type KernelAddr<T> = u64 & { readonly __kaddr?: T };
/** Kernel functions by name, filled in by the generated vmlinux.d.ts (module augmentation). */
export interface KernelFunctions {}
/** BTF tracepoints by name, filled in by the generated vmlinux.d.ts. */
export interface KernelTracepoints {}
/** Kernel structs and unions by C name, filled in by the generated vmlinux.d.ts. */
export interface KernelTypes {}
/** Argument types of kernel function F (a tuple), from vmlinux.d.ts. */
export type KernelArgs<F> = F extends keyof KernelFunctions ? (KernelFunctions[F] extends (...a: infer A) => unknown ? A : never) : never;
/** Return type of kernel function F. */
export type KernelRet<F> = F extends keyof KernelFunctions ? (KernelFunctions[F] extends (...a: never[]) => infer R ? R : never) : never;
/** Argument types of BTF tracepoint T (without the leading context). */
export type KernelTpArgs<T> = T extends keyof KernelTracepoints ? (KernelTracepoints[T] extends (...a: infer A) => unknown ? A : never) : never;
/** LSM hook names: the kernel functions bpf_lsm_<hook>. */
export type LsmHook = keyof KernelFunctions extends infer K ? (K extends `bpf_lsm_${infer H}` ? H : never) : never;
/** The kernel's task_struct (never until a generated vmlinux.d.ts is imported). */
export type KernelTask = KernelTypes extends { task_struct: infer T } ? T : never;

/**
 * bpf_get_current_task_btf: the current task as a trusted BTF pointer (never null); its fields are
 * read with direct, CO-RE relocated loads. Tracing programs only (raw_tp, tp_btf, fentry, LSM, ...).
 */
export declare function getCurrentTask(): KernelPtr<KernelTask>;
/**
 * A kernel address as a pointer to T (e.g. a raw tracepoint argument): fields are read with
 * bpf_probe_read_kernel at CO-RE relocated offsets; null when `addr` is 0.
 */
export declare function kernelPtr<T>(addr: u64): KernelPtr<T> | null;
/** Whether the running kernel's `obj` has member `field` (CO-RE FIELD_EXISTS, resolved at load). */
export declare function coreFieldExists<T>(obj: T, field: keyof T & string): bool;
/** The size in bytes of member `field` in the running kernel (CO-RE FIELD_BYTE_SIZE). */
export declare function coreFieldSize<T>(obj: T, field: keyof T & string): u32;
/** Whether the running kernel has kernel type T (CO-RE TYPE_EXISTS). */
export declare function coreTypeExists<T>(): bool;
/** sizeof(T) in the running kernel (CO-RE TYPE_SIZE). */
export declare function coreTypeSize<T>(): u32;
/** Whether the running kernel's enum has this enumerator (CO-RE ENUMVAL_EXISTS): `pid_type.PIDTYPE_TGID`. */
export declare function coreEnumValueExists(value: number): bool;
/** The enumerator's value in the running kernel (CO-RE ENUMVAL_VALUE). */
export declare function coreEnumValue(value: number): i64;

/** A zero-filled value of type T (a struct, array or integer): `const e: Event = zero<Event>()`. */
export declare function zero<T>(): T;

// ---------------------------------------------------------------------------------------------
// Checksums. The Internet checksum is byte-order independent, so these work on fields as read
// (network order) and give the new field value to store back.

/** RFC 1624 incremental update of checksum `check` when a 16-bit word changes from `from` to `to`. */
export declare function csumReplace2(check: u16, from: u16, to: u16): u16;
/** RFC 1624 incremental update of checksum `check` when a 32-bit word changes from `from` to `to`. */
export declare function csumReplace4(check: u16, from: u32, to: u32): u16;
/** Folds a 32-bit one's-complement sum to 16 bits and complements it (the checksum field's value). */
export declare function csumFold(sum: u32): u16;

// ---------------------------------------------------------------------------------------------
// Atomics (BPF_ATOMIC). `target` names a 32- or 64-bit integer in a map value, a global or a
// stack struct: `atomicAdd(stats.packets, 1)` is C's `__sync_fetch_and_add(&stats->packets, 1)`.

/** Atomically adds `value` to `target`. */
export declare function atomicAdd(target: number, value: number): void;
/** Atomically ORs `value` into `target`. */
export declare function atomicOr(target: number, value: number): void;
/** Atomically ANDs `value` into `target`. */
export declare function atomicAnd(target: number, value: number): void;
/** Atomically XORs `value` into `target`. */
export declare function atomicXor(target: number, value: number): void;
/** Atomically adds `value` to `target` and returns the previous value. */
export declare function atomicFetchAdd<T extends number>(target: T, value: number): T;
/** Atomically ORs `value` into `target` and returns the previous value. */
export declare function atomicFetchOr<T extends number>(target: T, value: number): T;
/** Atomically ANDs `value` into `target` and returns the previous value. */
export declare function atomicFetchAnd<T extends number>(target: T, value: number): T;
/** Atomically XORs `value` into `target` and returns the previous value. */
export declare function atomicFetchXor<T extends number>(target: T, value: number): T;
/** Atomically stores `value` in `target` and returns the previous value. */
export declare function atomicXchg<T extends number>(target: T, value: number): T;
/** If `target` equals `expected`, atomically stores `value`; returns the previous value either way. */
export declare function atomicCmpXchg<T extends number>(target: T, expected: number, value: number): T;

// ---------------------------------------------------------------------------------------------
// Large loops.

/**
 * bpf_loop (kernel 5.17+): calls `body(i, state)` for i = 0, 1, ... count-1 (count at most 1 << 23),
 * stopping early when `body` returns 1. `body` must be a module-level function; `state` is a struct
 * local it shares with the caller (by reference). The verifier checks `body` once, however large
 * `count` is. Returns the number of iterations run, or a negative errno.
 */
export declare function loop<S>(count: number, body: (index: u32, state: S) => number, state: S): i64;

/** Byte offset of `field` within struct T, with C layout. Folded at compile time. */
export declare function offsetof<T>(field: keyof T & string): u32;
