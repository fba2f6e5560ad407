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
  /**
   * bpf_xdp_adjust_head (kernel 4.10): moves the packet's start by `delta` bytes (negative: grows
   * room in front, e.g. for an encapsulation header; positive: strips bytes). 0 or a negative errno.
   * Earlier packet references die (TSBPF2154): get headers again after it.
   */
  adjustHead(delta: i32): i64;
  /** bpf_xdp_adjust_tail (kernel 4.18): moves the packet's end by `delta` bytes (negative: trims). 0 or a negative errno. Packet references die. */
  adjustTail(delta: i32): i64;
  /** bpf_xdp_adjust_meta (kernel 4.15): moves the start of the metadata area in front of the packet by `delta`. 0 or a negative errno. Packet references die. */
  adjustMeta(delta: i32): i64;
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
  /** bpf_skb_load_bytes (kernel 4.5): a copy of sizeof(T) bytes at `offset` from the packet's start, or null. */
  loadBytes<T>(offset: number): T | null;
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
  /** bpf_skb_load_bytes (kernel 4.5): a copy of sizeof(T) bytes at `offset` from the MAC header, or null. */
  loadBytes<T>(offset: number): T | null;
  /**
   * bpf_skb_store_bytes (kernel 4.1): writes `value` at `offset` from the MAC header (an integer
   * writes its type's size: use u16(...)/u32(...) to choose). 0 or a negative errno. Packet
   * references die (TSBPF2154): get headers again after it.
   */
  storeBytes<T>(offset: u32, value: T, flags?: StoreBytesFlags): i64;
  /**
   * bpf_l3_csum_replace (kernel 4.1): updates the IP checksum at `offset` for a 2- or 4-byte field
   * that changed from `from` to `to` (both as read from the packet); `flags` is the field's size
   * (CsumFlags.SIZE2 or SIZE4). 0 or a negative errno. Packet references die.
   */
  l3CsumReplace(offset: u32, from: u64, to: u64, flags: CsumFlags): i64;
  /**
   * bpf_l4_csum_replace (kernel 4.1): the same for a TCP/UDP checksum at `offset`; add
   * CsumFlags.PSEUDO_HDR when the field is part of the pseudo header (addresses), MARK_MANGLED_0
   * for UDP (a zero checksum stays "none"). 0 or a negative errno. Packet references die.
   */
  l4CsumReplace(offset: u32, from: u64, to: u64, flags: CsumFlags): i64;
  /**
   * bpf_clone_redirect (kernel 4.2): sends a copy of the packet out of `ifindex` (to its ingress with
   * RedirectFlags.INGRESS) now; this program goes on with the original. 0 or a negative errno.
   * Packet references die.
   */
  cloneRedirect(ifindex: u32, flags?: RedirectFlags): i64;
  /**
   * bpf_skb_change_proto (kernel 4.8): switches between IPv4 and IPv6 (`proto` is
   * htons(ETH_P_IP) or htons(ETH_P_IPV6)), growing or shrinking room for the network header; the
   * program writes the new header. 0 or a negative errno. Packet references die.
   */
  changeProto(proto: u16): i64;
  /** bpf_skb_change_type (kernel 4.8): sets the packet type (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3). 0 or a negative errno. */
  changeType(type: u32): i64;
}

/** Flags of TcContext.storeBytes (BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH). */
export declare const enum StoreBytesFlags {
  NONE = 0,
  RECOMPUTE_CSUM = 1,
  INVALIDATE_HASH = 2,
}

/** Flags of l3CsumReplace/l4CsumReplace: the field's size, combined with the BPF_F_* bits. */
export declare const enum CsumFlags {
  SIZE2 = 2,
  SIZE4 = 4,
  PSEUDO_HDR = 0x10,
  MARK_MANGLED_0 = 0x20,
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
  /** bpf_skb_load_bytes (kernel 4.5): a copy of sizeof(T) bytes at `offset` from the network header, or null. */
  loadBytes<T>(offset: number): T | null;
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
export declare function fexit<F extends keyof KernelFunctions & string>(
  fn: F,
  body: (...args: [...KernelArgs<F>, KernelRet<F>]) => i32,
): Program;
/** Runs at the exit of kernel function `fn`; the last argument is the return value. */
export declare function fexit(fn: string, body: (ctx: ArgsContext) => i32): Program;
/** With vmlinux.d.ts imported: the hook's arguments (from bpf_lsm_<hook>), typed. */
export declare function lsm<H extends LsmHook>(hook: H, body: (...args: KernelArgs<`bpf_lsm_${H}`>) => i32): Program;
/** An LSM hook (section "lsm/<hook>"): return 0 to allow, a negative errno to deny. */
export declare function lsm(hook: string, body: (ctx: ArgsContext) => i32): Program;
/**
 * A BPF iterator (section "iter/<target>", kernel 5.8: BPF_PROG_TYPE_TRACING with
 * BPF_TRACE_ITER): called once per object the target walks (`task`: every task, `bpf_map_elem`:
 * every element of a map, `tcp`, `udp`, ...) and once more at the end with the object null. With a
 * vmlinux.d.ts imported the callback takes the kernel's `bpf_iter_<target>` arguments (`(meta,
 * task) => ...`); it writes output with seqPrintf/seqWrite to `meta.seq`. Return 0 (1 asks the
 * kernel to call again for the same object). User space runs it with the runtime's
 * attachIterator(prog) and readIterator(link).
 */
export declare function iter<T extends IterTarget>(target: T, body: (...args: KernelArgs<`bpf_iter_${T}`>) => i32): Program;
export declare function iter(target: string, body: (ctx: ArgsContext) => i32): Program;
/**
 * bpf_seq_printf (kernel 5.8; iterators only; GPL): formats up to 12 arguments into the iterator's
 * output. `seq` is `meta.seq` after its null check; `fmt` a string literal checked as bpfPrintk's
 * is. 0, or a negative errno (-EOVERFLOW: the output buffer is full; the kernel calls again).
 */
export declare function seqPrintf(seq: object, fmt: string, ...args: PrintkArg[]): i64;
/** bpf_seq_write (kernel 5.8; iterators only; GPL): appends the bytes of `data` to the iterator's output. */
export declare function seqWrite<T>(seq: object, data: T): i64;

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
export type KernelTpArgs<T> = T extends keyof KernelTracepoints
  ? KernelTracepoints[T] extends (...a: infer A) => unknown
    ? A
    : never
  : never;
/** LSM hook names: the kernel functions bpf_lsm_<hook>. */
/** Iterator targets the kernel's BTF declares (`bpf_iter_<target>` functions in vmlinux.d.ts). */
export type IterTarget = keyof KernelFunctions extends infer K ? (K extends `bpf_iter_${infer T}` ? T : never) : never;
export type LsmHook = keyof KernelFunctions extends infer K ? (K extends `bpf_lsm_${infer H}` ? H : never) : never;
/** The kernel's task_struct (never until a generated vmlinux.d.ts is imported). */
export type KernelTask = KernelTypes extends { task_struct: infer T } ? T : never;

/**
 * bpf_get_current_task_btf (kernel 5.11; tracing kinds there, every kind on 6.18): the current task
 * as a trusted BTF pointer (never null); its fields are read with direct, CO-RE relocated loads.
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
 * local it shares with the caller (by reference). The verifier checks `body` at each call, however
 * large `count` is. Returns the number of iterations run, or a negative errno.
 */
export declare function loop<S>(count: number, body: (index: u32, state: S) => number, state: S): i64;

/** Byte offset of `field` within struct T, with C layout. Folded at compile time. */
export declare function offsetof<T>(field: keyof T & string): u32;

// ---------------------------------------------------------------------------------------------
// Packet helpers. Each says the first kernel that has it and the program kinds that may call it;
// calling one from another kind is a compile-time error (TSBPF2150).

/** Flags of `redirect` (BPF_F_INGRESS: deliver to the target's ingress instead of its egress; TC only). */
export declare const enum RedirectFlags {
  NONE = 0,
  INGRESS = 1,
}

/**
 * bpf_redirect (kernel 4.4; xdp, tc): sends the packet out of interface `ifindex` once the program
 * returns this call's result. XDP: XdpAction.REDIRECT (ABORTED for bad flags). TC: TcAction.REDIRECT
 * (SHOT for bad flags); RedirectFlags.INGRESS delivers to the target's ingress. The result's type
 * follows the program's: `return redirect(ifindex)`.
 */
export declare function redirect<A extends XdpAction | TcAction = XdpAction>(ifindex: u32, flags?: RedirectFlags): A;

/** struct bpf_fib_lookup (64 bytes): the question (family, addresses, ifindex, ...) and, filled in by fibLookup, the answer. */
export interface FibLookup {
  /** AF_INET (2) or AF_INET6 (10). */
  family: u8;
  l4_protocol: u8;
  /** Ports, network byte order. */
  sport: u16;
  dport: u16;
  /** In: the packet's total length (for the MTU check). Out: the route's MTU (mtu_result). */
  tot_len: u16;
  /** In: the ingress interface. Out: the egress interface to redirect to. */
  ifindex: u32;
  /** In: IPv4 TOS (low byte) or the IPv6 flow info. Out: the route's metric (rt_metric). */
  flowinfo: u32;
  /** Source address: an IPv4 address (network order) in src[0], or the 16 bytes of an IPv6 one. */
  src: FixedArray<u32, 4>;
  /** Destination address, laid out like `src`. */
  dst: FixedArray<u32, 4>;
  /** Out: VLAN protocol and TCI of the egress device (in: the table id with FibLookupFlags.TBID). */
  h_vlan_proto: u16;
  h_vlan_TCI: u16;
  /** Out: the source and next-hop MAC addresses (in: smac's first 4 bytes carry `mark` with FibLookupFlags.MARK). */
  smac: FixedArray<u8, 6>;
  dmac: FixedArray<u8, 6>;
}

/** Flags of fibLookup (BPF_FIB_LOOKUP_*). */
export declare const enum FibLookupFlags {
  NONE = 0,
  /** Skip policy rules, look the main table (or TBID) up directly. */
  DIRECT = 1,
  /** An output lookup (the packet is locally generated): no forwarding check. */
  OUTPUT = 2,
  /** Do not resolve the neighbour (skip filling dmac). */
  SKIP_NEIGH = 4,
  /** Use the table id in h_vlan_proto/h_vlan_TCI (with DIRECT). */
  TBID = 8,
  SRC = 16,
  MARK = 32,
}

/** Results of fibLookup (BPF_FIB_LKUP_RET_*). */
export declare const enum FibResult {
  SUCCESS = 0,
  BLACKHOLE = 1,
  UNREACHABLE = 2,
  PROHIBIT = 3,
  NOT_FWDED = 4,
  FWD_DISABLED = 5,
  UNSUPP_LWT = 6,
  NO_NEIGH = 7,
  FRAG_NEEDED = 8,
  NO_SRC_ADDR = 9,
}

/**
 * bpf_fib_lookup (kernel 4.18; xdp, tc): looks the route for `params` up in the kernel's FIB and
 * fills in the egress ifindex, MTU and MAC addresses: the core of an XDP/TC router. Returns a
 * FibResult (SUCCESS: redirect to params.ifindex after rewriting the MACs) or a negative errno.
 */
export declare function fibLookup(params: FibLookup, flags?: FibLookupFlags): i64;

/**
 * bpf_csum_diff (kernel 4.6; xdp, tc): the one's-complement sum of `to` minus that of `from`, added
 * to `seed` (sizes multiples of 4 bytes; an integer counts as its type's size). Feed the result to
 * csumFold, or to l3CsumReplace/l4CsumReplace with from = 0. A negative errno on bad sizes.
 */
export declare function csumDiff<F, T>(from: F, to: T, seed: u32): i64;

// ---------------------------------------------------------------------------------------------
// Debug output.

/** What bpfPrintk prints: an integer, or memory (a FixedArray<u8, N> string for %s, an address field for %pI4/%pI6). */
export type PrintkArg = number | FixedArray<u8, number>;

/**
 * bpf_trace_printk (kernel 4.1; every program kind): formats up to three arguments into a line of
 * /sys/kernel/tracing/trace_pipe (`bpftool prog tracelog` shows it too). `fmt` must be a string
 * literal; the compiler checks it as the kernel would: %d %i %u %x %X (l or ll for 64-bit values),
 * %c, %s (a FixedArray<u8, N>), %p/%px/%pK, %pI4/%pi4/%pI6/%pi6 (a 4- or 16-byte field), %%, flags
 * 0+- and a width; one argument per conversion. Add "\n" yourself. For debugging: it is slow and
 * the kernel warns in dmesg when a program uses it. Returns the bytes written or a negative errno.
 */
export declare function bpfPrintk(fmt: string, a?: PrintkArg, b?: PrintkArg, c?: PrintkArg): i64;

// ---------------------------------------------------------------------------------------------
// More tracing helpers.

/** Flags of getStack (BPF_F_*): how many frames to skip (0..255) plus these bits. */
export declare const enum GetStackFlags {
  KERNEL = 0,
  /** The user-space stack instead of the kernel's (BPF_F_USER_STACK). */
  USER_STACK = 0x100,
}

/**
 * bpf_get_stack (kernel 4.18; tracing kinds: kprobe, tracepoint, rawTracepoint, tpBtf, fentry,
 * fexit, lsm, uprobe): fills `buf` with the return addresses of the current kernel (or, with
 * GetStackFlags.USER_STACK, user) stack, innermost first. Returns the number of bytes written or a
 * negative errno.
 */
export declare function getStack<N extends number>(buf: FixedArray<u64, N>, flags?: GetStackFlags): i64;

/** struct bpf_pidns_info: the current task's ids as seen in a PID namespace. */
export interface PidNsInfo {
  pid: u32;
  tgid: u32;
}

/**
 * bpf_get_ns_current_pid_tgid (kernel 5.7; every kind on 6.18): fills `info` with the current
 * task's pid and tgid as the PID namespace identified by `dev` and `ino` (stat of
 * /proc/<pid>/ns/pid: st_dev, st_ino) sees them. 0, or -EINVAL when the current task is not in
 * that namespace, -ENOENT when it has no pid there.
 */
export declare function getNsCurrentPidTgid(dev: u64, ino: u64, info: PidNsInfo): i64;

/**
 * bpf_send_signal (kernel 5.3; every kind on 6.18): sends signal `sig` to the current process
 * (the thread group of the task the program runs in) once the program returns. 0 or a negative
 * errno (-EPERM for kernel threads, -EBUSY when another signal is pending delivery).
 */
export declare function sendSignal(sig: u32): i64;

/** bpf_send_signal_thread (kernel 5.5): like sendSignal, to the current thread only. */
export declare function sendSignalThread(sig: u32): i64;

// ---------------------------------------------------------------------------------------------
// Cgroup socket programs. Attach them to a cgroup v2 directory (runtime attachCgroup); they run for
// the sockets of the processes in it. Return 1 to allow the operation, 0 to refuse it (the system
// call fails with EPERM).

/** Address fields common to the sock_addr contexts (struct bpf_sock_addr); ports and addresses in network byte order. */
interface SockAddrCommon {
  /** AF_INET (2) or AF_INET6 (10): the family of the address the program sees. */
  readonly user_family: u32;
  /** The port (network order in the low 16 bits): compare with htons(port); writable to redirect. */
  user_port: u32;
  /** The socket's family, type (SOCK_STREAM 1, SOCK_DGRAM 2) and protocol. */
  readonly family: u32;
  readonly type: u32;
  readonly protocol: u32;
}

/** struct bpf_sock_addr for IPv4 hooks: the address being connected/bound/received from. */
export interface SockAddr4Context extends SockAddrCommon {
  /** The IPv4 address, network order: compare with htonl(...); writable to redirect. */
  user_ip4: u32;
}

/** struct bpf_sock_addr for IPv6 hooks: the address as four network-order 32-bit words. */
export interface SockAddr6Context extends SockAddrCommon {
  user_ip6_0: u32;
  user_ip6_1: u32;
  user_ip6_2: u32;
  user_ip6_3: u32;
}

/** sendmsg4 also sees (and may set) the source address of the datagram. */
export interface Sendmsg4Context extends SockAddr4Context {
  msg_src_ip4: u32;
}

/** sendmsg6 also sees (and may set) the source address of the datagram. */
export interface Sendmsg6Context extends SockAddr6Context {
  msg_src_ip6_0: u32;
  msg_src_ip6_1: u32;
  msg_src_ip6_2: u32;
  msg_src_ip6_3: u32;
}

/**
 * A cgroup sock_addr program for IPv4 (section "cgroup/<hook>", kernel 4.17+; recvmsg4 5.2,
 * getpeername4/getsockname4 5.8): runs on connect(), bind(), recvmsg() (rewrites the reported
 * source), getpeername()/getsockname(). Rewrite ctx.user_ip4/user_port to redirect; return 0 to
 * refuse (EPERM), 1 to allow.
 */
export declare function cgroupSockAddr4(
  hook: "connect4" | "bind4" | "recvmsg4" | "getpeername4" | "getsockname4",
  fn: (ctx: SockAddr4Context) => 0 | 1,
): Program;
/** The IPv6 sock_addr hooks (section "cgroup/<hook>"). */
export declare function cgroupSockAddr6(
  hook: "connect6" | "bind6" | "recvmsg6" | "getpeername6" | "getsockname6",
  fn: (ctx: SockAddr6Context) => 0 | 1,
): Program;
/** A cgroup program on UDP sendmsg() over IPv4 (section "cgroup/sendmsg4", kernel 4.18): may rewrite destination and source. */
export declare function cgroupSendmsg4(fn: (ctx: Sendmsg4Context) => 0 | 1): Program;
/** A cgroup program on UDP sendmsg() over IPv6 (section "cgroup/sendmsg6", kernel 4.18). */
export declare function cgroupSendmsg6(fn: (ctx: Sendmsg6Context) => 0 | 1): Program;

/** struct bpf_sock as socket creation and release see it. */
export interface SockContext {
  /** The device the socket is bound to (SO_BINDTODEVICE), writable. */
  bound_dev_if: u32;
  /** AF_INET, AF_INET6, ... */
  readonly family: u32;
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3. */
  readonly type: u32;
  readonly protocol: u32;
  /** SO_MARK and SO_PRIORITY, writable. */
  mark: u32;
  priority: u32;
}

/** struct bpf_sock after bind() (read-only), with the bound address and port (host order). */
export interface PostBind4Context {
  readonly bound_dev_if: u32;
  readonly family: u32;
  readonly type: u32;
  readonly protocol: u32;
  readonly mark: u32;
  readonly priority: u32;
  /** Network order. */
  readonly src_ip4: u32;
  /** Host order. */
  readonly src_port: u32;
}

/** struct bpf_sock after an IPv6 bind(). */
export interface PostBind6Context {
  readonly bound_dev_if: u32;
  readonly family: u32;
  readonly type: u32;
  readonly protocol: u32;
  readonly mark: u32;
  readonly priority: u32;
  readonly src_ip6_0: u32;
  readonly src_ip6_1: u32;
  readonly src_ip6_2: u32;
  readonly src_ip6_3: u32;
  /** Host order. */
  readonly src_port: u32;
}

/**
 * A cgroup sock program on socket creation or release (section "cgroup/sock_create", kernel 4.10;
 * "cgroup/sock_release", 5.9): may set the device, mark and priority; return 0 to refuse socket()
 * (EPERM), 1 to allow.
 */
export declare function cgroupSock(hook: "sock_create" | "sock_release", fn: (ctx: SockContext) => 0 | 1): Program;
/** Runs after an IPv4 bind() (section "cgroup/post_bind4", kernel 4.17): return 0 to make bind() fail (EPERM). */
export declare function cgroupPostBind4(fn: (ctx: PostBind4Context) => 0 | 1): Program;
/** Runs after an IPv6 bind() (section "cgroup/post_bind6", kernel 4.17). */
export declare function cgroupPostBind6(fn: (ctx: PostBind6Context) => 0 | 1): Program;

/** Device access bits in DeviceContext.access_type (the high 16 bits; the low 16 are the device type). */
export declare const enum DeviceAccess {
  MKNOD = 1,
  READ = 2,
  WRITE = 4,
}

/** struct bpf_cgroup_dev_ctx: which device is being opened or created, and how. */
export interface DeviceContext {
  /** (access << 16) | type: type 1 block, 2 char; access a DeviceAccess mask. */
  readonly access_type: u32;
  readonly major: u32;
  readonly minor: u32;
}

/**
 * A cgroup device controller program (section "cgroup/dev", kernel 4.15): runs when a process in
 * the cgroup opens or mknods a device node; return 0 to refuse (EPERM), 1 to allow.
 */
export declare function cgroupDevice(fn: (ctx: DeviceContext) => 0 | 1): Program;

/** BPF_SOCK_OPS_* callbacks (SockOpsContext.op). */
export declare const enum SockOpsOp {
  VOID = 0,
  TIMEOUT_INIT = 1,
  RWND_INIT = 2,
  TCP_CONNECT_CB = 3,
  ACTIVE_ESTABLISHED_CB = 4,
  PASSIVE_ESTABLISHED_CB = 5,
  NEEDS_ECN = 6,
  BASE_RTT = 7,
  RTO_CB = 8,
  RETRANS_CB = 9,
  STATE_CB = 10,
  TCP_LISTEN_CB = 11,
  RTT_CB = 12,
}

/** Flags of SockOpsContext.setCbFlags (BPF_SOCK_OPS_*_CB_FLAG): which extra callbacks to get. */
export declare const enum SockOpsCbFlags {
  NONE = 0,
  RTO = 1,
  RETRANS = 2,
  STATE = 4,
  RTT = 8,
}

/** struct bpf_sock_ops: a TCP event of a socket in the cgroup; addresses and remote_port in network order, local_port in host order. */
export interface SockOpsContext {
  /** Which event (SockOpsOp). */
  readonly op: u32;
  /** Event arguments (e.g. STATE_CB: old and new state). */
  readonly args_0: u32;
  readonly args_1: u32;
  readonly args_2: u32;
  readonly args_3: u32;
  /** The answer to events that ask one (TIMEOUT_INIT, RWND_INIT, NEEDS_ECN, BASE_RTT). */
  reply: u32;
  readonly family: u32;
  readonly remote_ip4: u32;
  readonly local_ip4: u32;
  readonly remote_ip6_0: u32;
  readonly remote_ip6_1: u32;
  readonly remote_ip6_2: u32;
  readonly remote_ip6_3: u32;
  readonly local_ip6_0: u32;
  readonly local_ip6_1: u32;
  readonly local_ip6_2: u32;
  readonly local_ip6_3: u32;
  readonly remote_port: u32;
  readonly local_port: u32;
  /** 1 when the fields below (TCP state) are valid. */
  readonly is_fullsock: u32;
  readonly snd_cwnd: u32;
  readonly srtt_us: u32;
  readonly bpf_sock_ops_cb_flags: u32;
  readonly state: u32;
  readonly rtt_min: u32;
  readonly snd_ssthresh: u32;
  readonly rcv_nxt: u32;
  readonly snd_nxt: u32;
  readonly snd_una: u32;
  readonly mss_cache: u32;
  readonly ecn_flags: u32;
  readonly rate_delivered: u32;
  readonly rate_interval_us: u32;
  readonly packets_out: u32;
  readonly retrans_out: u32;
  readonly total_retrans: u32;
  readonly segs_in: u32;
  readonly data_segs_in: u32;
  readonly segs_out: u32;
  readonly data_segs_out: u32;
  readonly lost_out: u32;
  readonly sacked_out: u32;
  sk_txhash: u32;
  readonly bytes_received: u64;
  readonly bytes_acked: u64;
  /** bpf_sock_ops_cb_flags_set (kernel 4.16): asks for more callbacks (SockOpsCbFlags) on this socket. 0 or a negative errno. */
  setCbFlags(flags: u32): i64;
}

/** A sock_ops program (section "sockops", kernel 4.13): sees TCP events of the cgroup's sockets; return 1. */
export declare function sockOps(fn: (ctx: SockOpsContext) => 0 | 1): Program;

/** struct bpf_sysctl: a sysctl access by a process in the cgroup. */
export interface SysctlContext {
  /** 1 for a write, 0 for a read. */
  readonly write: u32;
  /** The file position of the access (writable). */
  file_pos: u32;
}

/** A cgroup sysctl program (section "cgroup/sysctl", kernel 5.2): return 0 to refuse the access (EPERM), 1 to allow. */
export declare function cgroupSysctl(fn: (ctx: SysctlContext) => 0 | 1): Program;

/**
 * An XDP program that accepts multi-buffer packets (section "xdp.frags", kernel 5.18): jumbo frames
 * and GRO packets arrive whole instead of being refused; ctx.header reaches the first buffer only.
 */
export declare function xdpFrags(fn: (ctx: XdpContext) => XdpAction): Program;

/** struct bpf_perf_event_data (the registers are not exposed yet). */
export interface PerfEventContext {
  readonly sample_period: u64;
  readonly addr: u64;
}

/**
 * A perf event program (section "perf_event", kernel 4.9): runs on each sample of a perf event (a
 * CPU clock, a hardware counter) it is attached to: runtime attachPerfEvent(prog, { type, config,
 * samplePeriod, pid, cpu }). Return 0.
 */
export declare function perfEvent(fn: (ctx: PerfEventContext) => i32): Program;

// ---------------------------------------------------------------------------------------------
// Flow dissector (BPF_PROG_TYPE_FLOW_DISSECTOR). Replaces the kernel's C flow dissector in a
// network namespace: it parses each packet the kernel needs a flow hash or flow keys for (RPS,
// fq/fq_codel, tc flower, nft symhash, ...) and fills ctx.flow_keys.

/** Results of a flow dissector (BPF_OK, BPF_DROP, BPF_FLOW_DISSECTOR_CONTINUE). */
export declare const enum FlowDissectorAction {
  /** The keys are filled in: the kernel uses them. */
  OK = 0,
  /** The packet could not be dissected: the kernel reports failure. */
  DROP = 2,
  /** Fall back to the kernel's own C dissector for this packet (kernel 6.7). */
  CONTINUE = 129,
}

/** Flags of BpfFlowKeys.flags (BPF_FLOW_DISSECTOR_F_*): what the kernel asks for. */
export declare const enum FlowDissectorFlags {
  /** Stop after the first fragment's headers. */
  PARSE_1ST_FRAG = 1,
  /** Stop at the flow label of an IPv6 header. */
  STOP_AT_FLOW_LABEL = 2,
  /** Stop at an encapsulation header. */
  STOP_AT_ENCAP = 4,
}

/**
 * struct bpf_flow_keys (network byte order where the packet has it: n_proto, ports, addresses).
 * nhoff/thoff are offsets from the start of the data ctx.header reads (the network header starts
 * at nhoff when the program starts). ipv4_src/ipv4_dst share memory with ipv6_src[0..1] (a C union).
 */
export interface BpfFlowKeys {
  nhoff: u16;
  thoff: u16;
  /** ETH_P_IP or ETH_P_IPV6 (host order) once the addresses are filled in. */
  addr_proto: u16;
  is_frag: u8;
  is_first_frag: u8;
  is_encap: u8;
  ip_proto: u8;
  n_proto: u16;
  sport: u16;
  dport: u16;
  ipv4_src: u32;
  ipv4_dst: u32;
  ipv6_src: FixedArray<u32, 4>;
  ipv6_dst: FixedArray<u32, 4>;
  /** FlowDissectorFlags the kernel passes in. */
  readonly flags: u32;
  flow_label: u32;
}

/** What a flow dissector sees: the packet (ctx.header, ctx.loadBytes) and the keys to fill. */
export interface FlowDissectorContext {
  /** The flow keys to fill in (read and write its fields directly; do not copy it). */
  readonly flow_keys: BpfFlowKeys;
  /** Bytes of packet data the program can reach (data_end - data). */
  readonly len: u32;
  /** Bounds-checked view of sizeof(T) bytes at `offset` (from the data start), or null. */
  header<T>(offset: number): T | null;
  /** bpf_skb_load_bytes (kernel 4.5): a copy of sizeof(T) bytes at `offset`, or null (always null in test runs: no sk_buff there). */
  loadBytes<T>(offset: number): T | null;
}

/**
 * A flow dissector (section "flow_dissector", kernel 4.20): fills ctx.flow_keys from the packet and
 * returns a FlowDissectorAction. Attach it to a network namespace with the runtime's
 * attachFlowDissector(prog, netnsPath); test it with prog.run({ data }), which returns the filled
 * bpf_flow_keys as its output data.
 */
export declare function flowDissector(fn: (ctx: FlowDissectorContext) => FlowDissectorAction): Program;

// ---------------------------------------------------------------------------------------------
// Netfilter programs (BPF_PROG_TYPE_NETFILTER, kernel 6.4): run at a netfilter hook (prerouting,
// input, forward, output, postrouting of IPv4 or IPv6) chosen when attaching (runtime
// attachNetfilter), beside iptables/nftables, and return a verdict.

/** Verdicts of a netfilter program (NF_DROP, NF_ACCEPT); the verifier allows only these. */
export declare const enum NfVerdict {
  DROP = 0,
  ACCEPT = 1,
}

/** struct nf_hook_state from a vmlinux.d.ts (`tsbpf vmlinux --only nf_hook_state`). */
export type KernelNfHookState = KernelTypes extends { nf_hook_state: infer T } ? T : never;
/** struct sk_buff from a vmlinux.d.ts (`tsbpf vmlinux --only sk_buff`). */
export type KernelSkBuff = KernelTypes extends { sk_buff: infer T } ? T : never;

/**
 * struct bpf_nf_ctx: trusted kernel pointers to the hook's state (hook, pf, in/out devices) and
 * the packet's sk_buff, read field by field with CO-RE once a vmlinux.d.ts declares their types.
 */
export interface NetfilterContext {
  readonly state: KernelPtr<KernelNfHookState>;
  readonly skb: KernelPtr<KernelSkBuff>;
}

/**
 * A netfilter program (section "netfilter", kernel 6.4): returns NfVerdict.ACCEPT or DROP for each
 * packet at the hook it is attached to with attachNetfilter(prog, { family, hook, priority }).
 * libbpf 1.1 does not know the section: the tsbpf runtime sets the program type itself.
 */
export declare function netfilter(fn: (ctx: NetfilterContext) => NfVerdict): Program;

// ---------------------------------------------------------------------------------------------
// Spin locks.

/** struct bpf_spin_lock (its name is what the kernel looks for in the map value's BTF); never read or write it. */
export interface bpf_spin_lock {
  readonly val: u32;
}
/** A lock field in a map value struct: `interface Account { lock: SpinLock; balance: u64 }` (at most one per value). */
export type SpinLock = bpf_spin_lock;

/**
 * bpf_spin_lock (kernel 5.1): takes the lock `lock`, a SpinLock field of a value from a map
 * lookup. Until spinUnlock the program may only read and write that value: no helper or function
 * calls, and it must unlock on every path (the verifier checks). Not in socket filters and tracing
 * programs (kprobe, tracepoint, raw tracepoints, perf events): the kernel refuses such maps there.
 */
export declare function spinLock(lock: SpinLock): void;
/** bpf_spin_unlock (kernel 5.1): releases a lock taken with spinLock. */
export declare function spinUnlock(lock: SpinLock): void;

// ---------------------------------------------------------------------------------------------
// Timers (kernel 5.15, GPL-only helpers). A timer lives in a map value; the program initialises it
// with the map, gives it a callback and arms it; the kernel later calls the callback with the map,
// the element's key and its value. Not in tracing programs (kprobe, tracepoint, raw tracepoints,
// perf events): the kernel refuses maps with a bpf_timer there.

/** struct bpf_timer (its name and size are what the kernel looks for in the map value's BTF); never read or write it. */
export interface bpf_timer {
  readonly __opaque: FixedArray<u64, 2>;
}
/** A timer field in a HashMap, LruHashMap or ArrayMap value struct: `interface Elem { timer: BpfTimer; n: u64 }`. */
export type BpfTimer = bpf_timer;

/** Clocks a timer may run on (timerInit's third argument). */
export declare const enum TimerClock {
  REALTIME = 0,
  MONOTONIC = 1,
  BOOTTIME = 7,
}

/** Flags of timerStart (BPF_F_TIMER_*). */
export declare const enum TimerFlags {
  /** `ns` is an absolute time on the timer's clock, not a delay (kernel 6.7). */
  ABS = 1,
  /** Run the callback on the CPU that armed the timer (kernel 6.7). */
  CPU_PIN = 2,
}

/**
 * bpf_timer_init (kernel 5.15): initialises `timer`, the BpfTimer field of a value of `map` (the
 * map the value was looked up in: the verifier checks), on `clock` (default MONOTONIC). 0, or
 * -EBUSY when it was already initialised.
 */
export declare function timerInit<V>(timer: BpfTimer, map: HashMap<any, V> | ArrayMap<V>, clock?: TimerClock): i64;
/**
 * bpf_timer_set_callback (kernel 5.15): `fn` runs when the timer fires. It must be a module-level
 * function taking the map, the element's key (a u32 index for an ArrayMap) and its value (a
 * reference into the map: it may update fields and re-arm the timer), and return 0.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: the callback returns 0 or nothing; `void` admits the latter only here
export declare function timerSetCallback<V>(timer: BpfTimer, fn: (map: ArrayMap<V>, key: u32, value: V) => 0 | void): i64;
// biome-ignore lint/suspicious/noConfusingVoidType: as above
export declare function timerSetCallback<K, V>(timer: BpfTimer, fn: (map: HashMap<K, V>, key: K, value: V) => 0 | void): i64;
/** bpf_timer_start (kernel 5.15): fires the callback in `ns` nanoseconds (TimerFlags.ABS: at `ns`); 0 or a negative errno. */
export declare function timerStart(timer: BpfTimer, ns: u64, flags?: TimerFlags | 0): i64;
/** bpf_timer_cancel (kernel 5.15): stops a pending timer; 1 if it was pending, 0 if not, -EDEADLK from its own callback. */
export declare function timerCancel(timer: BpfTimer): i64;

// ---------------------------------------------------------------------------------------------
// Perf counters. User space opens counting perf events (runtime openPerfEvent with samplePeriod 0),
// one per CPU, and stores their fds in a PerfEventArray at the CPU's index.

/** Index meaning "the CPU this program runs on" (BPF_F_CURRENT_CPU). */
export declare const PERF_CURRENT_CPU = 0xffffffff;

/** struct bpf_perf_event_value. */
export interface PerfEventValue {
  counter: u64;
  /** Time the event was enabled and running, in ns (they differ when the PMU multiplexes). */
  enabled: u64;
  running: u64;
}

/**
 * bpf_perf_event_read (kernel 4.3; every kind on 6.18): the counter of the perf event stored in
 * `events` at `index` (PERF_CURRENT_CPU: this CPU's). On failure it returns a negative errno as a
 * u64: prefer perfEventReadValue.
 */
export declare function perfEventRead<T>(events: PerfEventArray<T>, index: u64): u64;
/**
 * bpf_perf_event_read_value (kernel 4.15; every kind on 6.18): fills `value` with the counter and
 * its enabled/running times; 0 or a negative errno (-ENOENT: no event at that index, -EINVAL: the
 * event is not this CPU's).
 */
export declare function perfEventReadValue<T>(events: PerfEventArray<T>, index: u64, value: PerfEventValue): i64;

// ---------------------------------------------------------------------------------------------
// Socket-map programs. They run on the sockets of a SockMap/SockHash they are attached to (the
// runtime's attachSockMap: a BPF link to the map, or BPF_PROG_ATTACH on older kernels).

/** Verdicts of sk_skb and sk_msg programs (enum sk_action). */
export declare const enum SkAction {
  DROP = 0,
  PASS = 1,
}

/** The __sk_buff of a stream parser/verdict program: packet access, no mark or tc_classid. */
export interface SkSkbContext {
  /** __sk_buff.len: the whole message (a stream parser returns it to take the data as one message), not only its linear part. */
  readonly len: u32;
  readonly pkt_type: u32;
  readonly queue_mapping: u32;
  readonly protocol: u32;
  readonly vlan_present: u32;
  readonly vlan_tci: u32;
  readonly vlan_proto: u32;
  priority: u32;
  readonly ingress_ifindex: u32;
  readonly ifindex: u32;
  tc_index: u32;
  readonly hash: u32;
  /** Bounds-checked view of sizeof(T) bytes of the message at `offset`, or null. */
  header<T>(offset: number): T | null;
  /** bpf_skb_load_bytes (kernel 4.5): a copy of sizeof(T) bytes at `offset`, or null. */
  loadBytes<T>(offset: number): T | null;
  /** bpf_skb_store_bytes: writes `value` at `offset`; 0 or a negative errno. Packet references die (TSBPF2154). */
  storeBytes<T>(offset: u32, value: T, flags?: StoreBytesFlags): i64;
}

/**
 * An sk_skb program (section "sk_skb/stream_parser" or "sk_skb/stream_verdict", kernel 4.14; "verdict",
 * kernel 5.13, is emitted as section "sk_skb", the name libbpf 1.1 knows, and attached as
 * BPF_SK_SKB_VERDICT): the parser returns the length of the next message in the stream (0: need
 * more data), the verdicts an SkAction (`skRedirectMap`/`skRedirectHash` pick the target socket).
 */
export declare function skSkb(hook: "stream_parser" | "stream_verdict" | "verdict", fn: (ctx: SkSkbContext) => i32): Program;

/** struct sk_msg_md: a message sent on a socket of the map (addresses network order, local_port host order). */
export interface SkMsgContext {
  readonly family: u32;
  readonly remote_ip4: u32;
  readonly local_ip4: u32;
  readonly remote_ip6_0: u32;
  readonly remote_ip6_1: u32;
  readonly remote_ip6_2: u32;
  readonly remote_ip6_3: u32;
  readonly local_ip6_0: u32;
  readonly local_ip6_1: u32;
  readonly local_ip6_2: u32;
  readonly local_ip6_3: u32;
  readonly remote_port: u32;
  readonly local_port: u32;
  /** Bytes in the message. */
  readonly size: u32;
}

/** An sk_msg program (section "sk_msg", kernel 4.17): a verdict (SkAction) on each sendmsg of a socket in the map. */
export declare function skMsg(fn: (ctx: SkMsgContext) => SkAction): Program;

/**
 * BPF_MAP_TYPE_SOCKMAP (Linux 4.14): u32 slot -> a TCP (or UDP, unix) socket, inserted from user
 * space (the runtime's SocketMap.add with a net.Socket or an fd) or by a sock_ops program
 * (`sockMapUpdate`). sk_skb and sk_msg programs attached to the map run on its sockets and redirect
 * data to another socket of the map. User space reads a slot as the socket's cookie.
 */
export declare class SockMap {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  /**
   * bpf_map_lookup_elem on a socket map: a reference to the socket in `slot`, or null. The
   * reference must be released with `skRelease(sk)` on every path after the null check (TSBPF2113).
   */
  lookup(slot: u32): SockRef | null;
}

/** BPF_MAP_TYPE_SOCKHASH (Linux 4.18): like SockMap, keyed by any K (typically a connection's 4-tuple). */
export declare class SockHash<K> {
  constructor(maxEntries: number, options?: MapFlags | MapOptions);
  /** Key type marker (never read). */
  readonly __key?: K;
  /** A reference to the socket under `key`, or null; release it with `skRelease(sk)` (TSBPF2113). */
  lookup(key: K): SockRef | null;
}

/** struct bpf_sock through a socket reference (read-only): ports in host order except where noted. */
export interface SockRef {
  readonly bound_dev_if: u32;
  readonly family: u32;
  readonly type: u32;
  readonly protocol: u32;
  readonly mark: u32;
  readonly priority: u32;
  /** Network order. */
  readonly src_ip4: u32;
  readonly src_port: u32;
  /** Network order. */
  readonly dst_ip4: u32;
  /** TCP state (BPF_TCP_LISTEN = 10, ...). */
  readonly state: u32;
}

/** bpf_sk_release (Linux 4.20): release a socket reference from a SockMap/SockHash lookup. */
export declare function skRelease(sk: SockRef): void;

/**
 * The IPv4 half of struct bpf_sock_tuple (12 bytes), as the packet carries it: addresses and ports in
 * network order. `saddr`/`sport` are the remote end, `daddr`/`dport` the local socket's address.
 */
export interface SockTuple4 {
  saddr: u32;
  daddr: u32;
  sport: u16;
  dport: u16;
}

/** The IPv6 half of struct bpf_sock_tuple (36 bytes): addresses as 16 bytes, ports in network order. */
export interface SockTuple6 {
  saddr: FixedArray<u8, 16>;
  daddr: FixedArray<u8, 16>;
  sport: u16;
  dport: u16;
}

/**
 * bpf_sk_lookup_tcp (kernel 4.20): the TCP socket (established, else listening) that a packet with
 * `tuple` would reach, or null. `tuple` is a local (e.g. `zero<SockTuple4>()`), map value or global;
 * its size says IPv4 or IPv6. `netns`: a network namespace id (default BPF_F_CURRENT_NETNS, the
 * packet's or socket's own); `flags` must be 0. Like a SockMap lookup the result is a reference that
 * must reach `skRelease(sk)` on every path after the null check (TSBPF2113); `skAssign` takes it.
 */
export declare function skLookupTcp(ctx: unknown, tuple: SockTuple4 | SockTuple6, netns?: u64, flags?: u64): SockRef | null;

/** bpf_sk_lookup_udp (kernel 4.20): as skLookupTcp, for the UDP socket a datagram would reach. */
export declare function skLookupUdp(ctx: unknown, tuple: SockTuple4 | SockTuple6, netns?: u64, flags?: u64): SockRef | null;

/** Flags of the socket-map redirects (BPF_F_INGRESS): deliver to the target socket's receive queue instead of sending. */
export declare const enum SkRedirectFlags {
  EGRESS = 0,
  INGRESS = 1,
}

/**
 * bpf_msg_redirect_map (sk_msg, kernel 4.17): send the message to the socket in `slot` of `map`
 * (its receive queue with SkRedirectFlags.INGRESS, else out of it). SkAction.PASS when the slot
 * holds a socket (return it), SkAction.DROP otherwise.
 */
export declare function msgRedirectMap(map: SockMap, slot: u32, flags?: SkRedirectFlags): SkAction;
/** bpf_msg_redirect_hash (sk_msg, kernel 4.18): msgRedirectMap for a SockHash key. */
export declare function msgRedirectHash<K>(map: SockHash<K>, key: K, flags?: SkRedirectFlags): SkAction;
/** bpf_sk_redirect_map (sk_skb verdicts, kernel 4.14): redirect the skb to the socket in `slot`; SkAction.PASS or DROP. */
export declare function skRedirectMap(map: SockMap, slot: u32, flags?: SkRedirectFlags): SkAction;
/** bpf_sk_redirect_hash (sk_skb verdicts, kernel 4.18): skRedirectMap for a SockHash key. */
export declare function skRedirectHash<K>(map: SockHash<K>, key: K, flags?: SkRedirectFlags): SkAction;
/**
 * bpf_sock_map_update (sockOps, kernel 4.14): put this callback's socket in `slot` of `map`
 * (UpdateFlags as for map updates); 0 or a negative errno. Call it from an ESTABLISHED callback.
 */
export declare function sockMapUpdate(map: SockMap, slot: u32, flags?: UpdateFlags): i64;
/** bpf_sock_hash_update (sockOps, kernel 4.18): put this callback's socket under `key`; 0 or a negative errno. */
export declare function sockHashUpdate<K>(map: SockHash<K>, key: K, flags?: UpdateFlags): i64;

// ---------------------------------------------------------------------------------------------
// Local storage: a value per socket, task, inode or cgroup, living (and dying) with its owner. The
// map has no size (max_entries 0) and no keys in programs: the owner is the key. BPF_F_NO_PREALLOC,
// which the kernel requires, is set automatically. User space reaches a value by the owner's fd
// (a socket fd, a pidfd, a cgroup directory fd).

/** Flags of the local-storage `get` helpers (BPF_LOCAL_STORAGE_GET_F_CREATE). */
export declare const enum StorageFlags {
  /** Create the owner's value (from `init`, or zeroed) when it has none. */
  CREATE = 1,
}

/** The contexts whose socket skStorageGet/skStorageDelete use (the `sk` of the kernel's context struct, or the socket itself). */
export type SocketContext =
  | CgroupSkbContext
  | TcContext
  | SockOpsContext
  | SockAddr4Context
  | SockAddr6Context
  | SockContext
  | PostBind4Context
  | PostBind6Context
  | SkMsgContext;

/** BPF_MAP_TYPE_SK_STORAGE (Linux 5.2): one V per socket, freed with the socket. */
export declare class SkStorage<V> {
  constructor(options?: MapOptions);
}

/**
 * bpf_sk_storage_get (Linux 5.2): the value of the context's socket in `map`, or null (no socket,
 * or no value and no StorageFlags.CREATE). With CREATE a missing value is created from `init`
 * (null: zeroed). Allowed in cgroupSkb, tc, sockOps, cgroup sock_addr and sock programs, skMsg.
 */
export declare function skStorageGet<V>(map: SkStorage<V>, sk: SocketContext, init?: V | null, flags?: StorageFlags): MapValue<V> | null;
/** bpf_sk_storage_delete (Linux 5.2): remove the context's socket's value; 0, or -ENOENT (-2) when there is none. */
export declare function skStorageDelete<V>(map: SkStorage<V>, sk: SocketContext): i64;

/**
 * BPF_MAP_TYPE_CGROUP_STORAGE (Linux 4.19): one V per cgroup a program of this object is attached to,
 * allocated at attach time; `getLocalStorage(map)` in the program reaches the value of the cgroup it
 * runs for. User space reads it by the cgroup's id (`cgroupId(path)` in the runtime: a u64 key).
 */
export declare class CgroupStorage<V> {
  constructor(options?: MapFlags | MapOptions);
}

/** BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE (Linux 4.20): like CgroupStorage, one copy per CPU; programs see this CPU's. */
export declare class PerCpuCgroupStorage<V> {
  constructor(options?: MapFlags | MapOptions);
}

/**
 * bpf_get_local_storage (Linux 4.19): the value of the running program's cgroup in `map` (this CPU's
 * for PerCpuCgroupStorage). Never null. Cgroup program kinds only (cgroupSkb, cgroupSock, sockOps,
 * cgroup sock_addr, sysctl, device, sockopt).
 */
export declare function getLocalStorage<V>(map: CgroupStorage<V> | PerCpuCgroupStorage<V>): MapValue<V>;

/** BPF_MAP_TYPE_TASK_STORAGE (Linux 5.11): one V per task (thread), freed with it. User space keys it by a pidfd. */
export declare class TaskStorage<V> {
  constructor(options?: MapOptions);
}

/**
 * bpf_task_storage_get (Linux 5.11): the value of `task` (a trusted task pointer: getCurrentTask(),
 * or a typed tp_btf/fentry/LSM argument) in `map`, or null; StorageFlags.CREATE creates it from
 * `init` (null: zeroed). Every program kind may call it (it needs a trusted task pointer, which tracing kinds have).
 */
export declare function taskStorageGet<V>(map: TaskStorage<V>, task: KernelTask, init?: V | null, flags?: StorageFlags): MapValue<V> | null;
/** bpf_task_storage_delete (Linux 5.11): remove the task's value; 0 or a negative errno (-ENOENT when none). */
export declare function taskStorageDelete<V>(map: TaskStorage<V>, task: KernelTask): i64;

/** The kernel's struct inode (never until a generated vmlinux.d.ts with `inode` is imported). */
export type KernelInode = KernelTypes extends { inode: infer T } ? T : never;

/** BPF_MAP_TYPE_INODE_STORAGE (Linux 5.10): one V per inode, freed with it. LSM programs only. */
export declare class InodeStorage<V> {
  constructor(options?: MapOptions);
}

/** bpf_inode_storage_get (Linux 5.10, LSM programs): the value of `inode` (a trusted inode pointer from a hook's arguments), or null. */
export declare function inodeStorageGet<V>(
  map: InodeStorage<V>,
  inode: KernelInode,
  init?: V | null,
  flags?: StorageFlags,
): MapValue<V> | null;
/** bpf_inode_storage_delete (Linux 5.10, LSM programs): remove the inode's value; 0 or a negative errno. */
export declare function inodeStorageDelete<V>(map: InodeStorage<V>, inode: KernelInode): i64;

// ---------------------------------------------------------------------------------------------
// Socket lookup: sk_lookup programs (Linux 5.9) run when the stack looks up a listening (TCP) or
// unconnected (UDP) socket for an incoming connection or datagram in their network namespace, and
// may pick the socket themselves, e.g. to serve a range of ports or addresses from one socket.

/** struct bpf_sk_lookup: the packet being delivered; addresses in network order, ports in host order except remote_port. */
export interface SkLookupContext {
  /** AF_INET 2 or AF_INET6 10. */
  readonly family: u32;
  /** IPPROTO_TCP 6 or IPPROTO_UDP 17. */
  readonly protocol: u32;
  readonly remote_ip4: u32;
  readonly remote_ip6_0: u32;
  readonly remote_ip6_1: u32;
  readonly remote_ip6_2: u32;
  readonly remote_ip6_3: u32;
  /** Network order (a 16-bit field). */
  readonly remote_port: u32;
  readonly local_ip4: u32;
  readonly local_ip6_0: u32;
  readonly local_ip6_1: u32;
  readonly local_ip6_2: u32;
  readonly local_ip6_3: u32;
  /** Host order. */
  readonly local_port: u32;
  readonly ingress_ifindex: u32;
}

/**
 * An sk_lookup program (section "sk_lookup", Linux 5.9). Return SkAction.PASS to let the lookup go on
 * (with the socket chosen by `skAssign`, if any) or SkAction.DROP to refuse the packet. Attach it to a
 * network namespace with the runtime's `attachNetns(prog)`.
 */
export declare function skLookup(fn: (ctx: SkLookupContext) => SkAction): Program;

/** Flags of skAssign (BPF_SK_LOOKUP_F_*). */
export declare const enum SkAssignFlags {
  /** Replace a socket an earlier program assigned. */
  REPLACE = 1,
  /** Use `sk` itself even when it is in a SO_REUSEPORT group (no selection within the group). */
  NO_REUSEPORT = 2,
}

/**
 * bpf_sk_assign (sk_lookup, Linux 5.9): deliver the packet to `sk` (a listening TCP or an unconnected
 * UDP socket of the right family, from a SockMap/SockHash lookup). 0, or a negative errno
 * (-EAFNOSUPPORT, -ESOCKTNOSUPPORT, -EEXIST when a socket was already assigned). `sk` must still be
 * released with skRelease.
 */
export declare function skAssign(sk: SockRef, flags?: SkAssignFlags): i64;

/** The kernel's struct cgroup (never until a generated vmlinux.d.ts with `cgroup` is imported). */
export type KernelCgroup = KernelTypes extends { cgroup: infer T } ? T : never;

/**
 * BPF_MAP_TYPE_CGRP_STORAGE (Linux 6.2): one V per cgroup, freed with it, for any cgroup a program
 * has a pointer to (unlike CgroupStorage, which is tied to attachments). User space keys it by an
 * open fd of the cgroup's directory.
 */
export declare class CgrpStorage<V> {
  constructor(options?: MapOptions);
}

/**
 * bpf_cgrp_storage_get (Linux 6.2): the value of `cgroup` (a trusted or RCU kernel pointer, e.g.
 * `getCurrentTask().cgroups.dfl_cgrp` or a tp_btf argument) in `map`, or null; StorageFlags.CREATE
 * creates it from `init` (null: zeroed).
 */
export declare function cgrpStorageGet<V>(
  map: CgrpStorage<V>,
  cgroup: KernelCgroup,
  init?: V | null,
  flags?: StorageFlags,
): MapValue<V> | null;
/** bpf_cgrp_storage_delete (Linux 6.2): remove the cgroup's value; 0 or a negative errno. */
export declare function cgrpStorageDelete<V>(map: CgrpStorage<V>, cgroup: KernelCgroup): i64;
