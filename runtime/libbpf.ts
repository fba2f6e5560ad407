// Why: the runtime talks to the kernel through the system's libbpf (libbpf.so.1)
// and libc via koffi. This file is the only one that imports koffi: it knows the
// C signatures, struct layouts, callbacks and how errno/log output come back,
// and it loads the libraries lazily so importing the runtime never fails on
// machines without libbpf.

import koffi, { type LibraryHandle, type TypeObject } from "koffi";
import { getSystemErrorMap } from "node:util";

/** Opaque native pointers (koffi 3 represents them as bigint; NULL is null). */
export type Ptr = bigint;
type MaybePtr = Ptr | null;
/** Anything koffi accepts for a `void *` argument. */
export type MemArg = Uint8Array | Ptr | null;

export interface LibbpfApi {
  bpf_object__open_mem(buf: MemArg, size: number, opts: MemArg): MaybePtr;
  bpf_object__open_file(path: string, opts: MemArg): MaybePtr;
  bpf_object__load(obj: Ptr): number;
  bpf_object__close(obj: Ptr): void;
  bpf_object__next_program(obj: Ptr, prev: MaybePtr): MaybePtr;
  bpf_object__next_map(obj: Ptr, prev: MaybePtr): MaybePtr;
  bpf_program__name(prog: Ptr): string;
  bpf_program__section_name(prog: Ptr): string;
  bpf_program__fd(prog: Ptr): number;
  bpf_program__type(prog: Ptr): number;
  bpf_program__set_log_buf(prog: Ptr, buf: MemArg, size: number): number;
  bpf_program__set_log_level(prog: Ptr, level: number): number;
  bpf_map__name(map: Ptr): string;
  bpf_map__fd(map: Ptr): number;
  bpf_map__type(map: Ptr): number;
  bpf_map__key_size(map: Ptr): number;
  bpf_map__value_size(map: Ptr): number;
  bpf_map__max_entries(map: Ptr): number;
  bpf_map_create(type: number, name: string | null, keySize: number, valueSize: number, maxEntries: number, opts: MemArg): number;
  bpf_map_lookup_elem(fd: number, key: MemArg, value: MemArg): number;
  bpf_map_update_elem(fd: number, key: MemArg, value: MemArg, flags: bigint): number;
  bpf_map_delete_elem(fd: number, key: MemArg): number;
  bpf_map_get_next_key(fd: number, key: MemArg, next: MemArg): number;
  bpf_map_lookup_and_delete_elem(fd: number, key: MemArg, value: MemArg): number;
  bpf_prog_test_run_opts(fd: number, opts: MemArg): number;
  libbpf_num_possible_cpus(): number;
  libbpf_get_error(ptr: MaybePtr): number;
  libbpf_strerror(err: number, buf: MemArg, size: number): number;
  // attach / links / events (runtime/attach.ts, link.ts, ring-buffer.ts, perf-buffer.ts)
  bpf_program__attach(prog: Ptr): MaybePtr;
  bpf_program__attach_tracepoint(prog: Ptr, category: string, name: string): MaybePtr;
  bpf_program__attach_raw_tracepoint(prog: Ptr, name: string): MaybePtr;
  bpf_program__attach_trace(prog: Ptr): MaybePtr;
  bpf_program__attach_kprobe(prog: Ptr, retprobe: boolean, func: string): MaybePtr;
  bpf_program__attach_uprobe_opts(prog: Ptr, pid: number, binaryPath: string, funcOffset: number, opts: MemArg): MaybePtr;
  bpf_program__attach_cgroup(prog: Ptr, cgroupFd: number): MaybePtr;
  bpf_program__expected_attach_type(prog: Ptr): number;
  bpf_program__set_type(prog: Ptr, type: number): number;
  bpf_program__set_expected_attach_type(prog: Ptr, type: number): number;
  bpf_link__open(path: string): MaybePtr;
  bpf_link__fd(link: Ptr): number;
  bpf_link__pin(link: Ptr, path: string): number;
  bpf_link__unpin(link: Ptr): number;
  bpf_link__destroy(link: Ptr): number;
  bpf_link_create(progFd: number, targetFd: number, attachType: number, opts: MemArg): number;
  bpf_obj_pin(fd: number, path: string): number;
  bpf_tc_hook_create(hook: MemArg): number;
  bpf_tc_hook_destroy(hook: MemArg): number;
  bpf_tc_attach(hook: MemArg, opts: MemArg): number;
  bpf_tc_detach(hook: MemArg, opts: MemArg): number;
  ring_buffer__new(mapFd: number, sampleCb: Ptr, ctx: MemArg, opts: MemArg): MaybePtr;
  ring_buffer__free(rb: Ptr): void;
  ring_buffer__consume(rb: Ptr): number;
  perf_buffer__new(mapFd: number, pageCnt: number, sampleCb: Ptr, lostCb: Ptr | null, ctx: MemArg, opts: MemArg): MaybePtr;
  perf_buffer__free(pb: Ptr): void;
  perf_buffer__consume(pb: Ptr): number;
  // typed maps / BTF (runtime/typed-map.ts)
  bpf_object__btf(obj: Ptr): MaybePtr;
  btf__raw_data(btf: Ptr, size: MemArg): MaybePtr;
  bpf_map__btf_key_type_id(map: Ptr): number;
  bpf_map__btf_value_type_id(map: Ptr): number;
  bpf_map_lookup_batch(fd: number, inBatch: MemArg, outBatch: MemArg, keys: MemArg, values: MemArg, count: MemArg, opts: MemArg): number;
  bpf_map_update_batch(fd: number, keys: MemArg, values: MemArg, count: MemArg, opts: MemArg): number;
  bpf_map_delete_batch(fd: number, keys: MemArg, count: MemArg, opts: MemArg): number;
  // global variables (runtime/globals.ts)
  bpf_map__initial_value(map: Ptr, size: MemArg): MaybePtr;
  bpf_map__set_initial_value(map: Ptr, data: MemArg, size: number): number;
  // live replacement: pins, map reuse, link update, object info (runtime/pinned.ts, replace.ts)
  bpf_obj_get(path: string): number;
  bpf_obj_get_info_by_fd(fd: number, info: MemArg, len: MemArg): number;
  bpf_map__reuse_fd(map: Ptr, fd: number): number;
  bpf_map__map_flags(map: Ptr): number;
  bpf_map__is_internal(map: Ptr): boolean;
  bpf_link_update(linkFd: number, newProgFd: number, opts: MemArg): number;
  btf__load_from_kernel_by_id(id: number): MaybePtr;
  btf__free(btf: Ptr): void;
  bpf_prog_get_fd_by_id(id: number): number;
  bpf_tc_query(hook: MemArg, opts: MemArg): number;
  bpf_link_detach(linkFd: number): number;
  // socket maps (runtime/attach.ts, kernels without sockmap links)
  bpf_prog_attach(progFd: number, targetFd: number, type: number, flags: number): number;
  bpf_prog_detach2(progFd: number, targetFd: number, type: number): number;
}

interface LibcApi {
  malloc(size: number): MaybePtr;
  free(ptr: MaybePtr): void;
  vsnprintf(buf: MemArg, size: number, fmt: Ptr, ap: Ptr): number;
  if_nametoindex(name: string): number;
  setsockopt(fd: number, level: number, name: number, value: MemArg, len: number): number;
  close(fd: number): number;
  // UDP sockets for socket maps (runtime/udp-socket.ts)
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: MemArg, len: number): number;
  // variadic: koffi takes (fixed args..., "type", value, "type", value, ...)
  syscall: (...args: unknown[]) => number;
  ioctl: (...args: unknown[]) => number;
}

const LIBC_SIGNATURES: Record<keyof LibcApi, string> = {
  malloc: "void *malloc(size_t size)",
  free: "void free(void *ptr)",
  vsnprintf: "int vsnprintf(void *buf, size_t size, void *fmt, void *ap)",
  if_nametoindex: "unsigned int if_nametoindex(const char *name)",
  setsockopt: "int setsockopt(int fd, int level, int name, const void *value, uint32_t len)",
  close: "int close(int fd)",
  socket: "int socket(int domain, int type, int protocol)",
  bind: "int bind(int fd, const void *addr, uint32_t len)",
  syscall: "long syscall(long number, ...)",
  ioctl: "int ioctl(int fd, unsigned long request, ...)",
};

const LIBBPF_SIGNATURES: Record<keyof LibbpfApi, string> = {
  bpf_object__open_mem: "void *bpf_object__open_mem(const void *buf, size_t size, const void *opts)",
  bpf_object__open_file: "void *bpf_object__open_file(const char *path, const void *opts)",
  bpf_object__load: "int bpf_object__load(void *obj)",
  bpf_object__close: "void bpf_object__close(void *obj)",
  bpf_object__next_program: "void *bpf_object__next_program(void *obj, void *prev)",
  bpf_object__next_map: "void *bpf_object__next_map(void *obj, void *prev)",
  bpf_program__name: "const char *bpf_program__name(void *prog)",
  bpf_program__section_name: "const char *bpf_program__section_name(void *prog)",
  bpf_program__fd: "int bpf_program__fd(void *prog)",
  bpf_program__type: "int bpf_program__type(void *prog)",
  bpf_program__set_log_buf: "int bpf_program__set_log_buf(void *prog, void *buf, size_t size)",
  bpf_program__set_log_level: "int bpf_program__set_log_level(void *prog, uint32_t level)",
  bpf_map__name: "const char *bpf_map__name(void *map)",
  bpf_map__fd: "int bpf_map__fd(void *map)",
  bpf_map__type: "int bpf_map__type(void *map)",
  bpf_map__key_size: "uint32_t bpf_map__key_size(void *map)",
  bpf_map__value_size: "uint32_t bpf_map__value_size(void *map)",
  bpf_map__max_entries: "uint32_t bpf_map__max_entries(void *map)",
  bpf_map_create:
    "int bpf_map_create(int type, const char *name, uint32_t key_size, uint32_t value_size, uint32_t max_entries, const void *opts)",
  bpf_map_lookup_elem: "int bpf_map_lookup_elem(int fd, const void *key, void *value)",
  bpf_map_update_elem: "int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)",
  bpf_map_delete_elem: "int bpf_map_delete_elem(int fd, const void *key)",
  bpf_map_get_next_key: "int bpf_map_get_next_key(int fd, const void *key, void *next_key)",
  bpf_map_lookup_and_delete_elem: "int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)",
  bpf_prog_test_run_opts: "int bpf_prog_test_run_opts(int fd, void *opts)",
  libbpf_num_possible_cpus: "int libbpf_num_possible_cpus()",
  libbpf_get_error: "long libbpf_get_error(const void *ptr)",
  libbpf_strerror: "int libbpf_strerror(int err, void *buf, size_t size)",
  bpf_program__attach: "void *bpf_program__attach(void *prog)",
  bpf_program__attach_tracepoint: "void *bpf_program__attach_tracepoint(void *prog, const char *category, const char *name)",
  bpf_program__attach_raw_tracepoint: "void *bpf_program__attach_raw_tracepoint(void *prog, const char *name)",
  bpf_program__attach_trace: "void *bpf_program__attach_trace(void *prog)",
  bpf_program__attach_kprobe: "void *bpf_program__attach_kprobe(void *prog, bool retprobe, const char *func)",
  bpf_program__attach_uprobe_opts:
    "void *bpf_program__attach_uprobe_opts(void *prog, int pid, const char *path, size_t func_offset, const void *opts)",
  bpf_program__attach_cgroup: "void *bpf_program__attach_cgroup(void *prog, int cgroup_fd)",
  bpf_program__expected_attach_type: "int bpf_program__expected_attach_type(void *prog)",
  bpf_program__set_type: "int bpf_program__set_type(void *prog, int type)",
  bpf_program__set_expected_attach_type: "int bpf_program__set_expected_attach_type(void *prog, int type)",
  bpf_link__open: "void *bpf_link__open(const char *path)",
  bpf_link__fd: "int bpf_link__fd(void *link)",
  bpf_link__pin: "int bpf_link__pin(void *link, const char *path)",
  bpf_link__unpin: "int bpf_link__unpin(void *link)",
  bpf_link__destroy: "int bpf_link__destroy(void *link)",
  bpf_link_create: "int bpf_link_create(int prog_fd, int target_fd, int attach_type, const void *opts)",
  bpf_obj_pin: "int bpf_obj_pin(int fd, const char *path)",
  bpf_tc_hook_create: "int bpf_tc_hook_create(void *hook)",
  bpf_tc_hook_destroy: "int bpf_tc_hook_destroy(void *hook)",
  bpf_tc_attach: "int bpf_tc_attach(const void *hook, void *opts)",
  bpf_tc_detach: "int bpf_tc_detach(const void *hook, const void *opts)",
  ring_buffer__new: "void *ring_buffer__new(int map_fd, void *sample_cb, void *ctx, const void *opts)",
  ring_buffer__free: "void ring_buffer__free(void *rb)",
  ring_buffer__consume: "int ring_buffer__consume(void *rb)",
  perf_buffer__new: "void *perf_buffer__new(int map_fd, size_t page_cnt, void *sample_cb, void *lost_cb, void *ctx, const void *opts)",
  perf_buffer__free: "void perf_buffer__free(void *pb)",
  perf_buffer__consume: "int perf_buffer__consume(void *pb)",
  bpf_object__btf: "void *bpf_object__btf(const void *obj)",
  btf__raw_data: "const void *btf__raw_data(const void *btf, void *size)",
  bpf_map__btf_key_type_id: "uint32_t bpf_map__btf_key_type_id(const void *map)",
  bpf_map__btf_value_type_id: "uint32_t bpf_map__btf_value_type_id(const void *map)",
  bpf_map_lookup_batch:
    "int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, void *count, const void *opts)",
  bpf_map_update_batch: "int bpf_map_update_batch(int fd, const void *keys, const void *values, void *count, const void *opts)",
  bpf_map_delete_batch: "int bpf_map_delete_batch(int fd, const void *keys, void *count, const void *opts)",
  bpf_map__initial_value: "void *bpf_map__initial_value(void *map, void *psize)",
  bpf_map__set_initial_value: "int bpf_map__set_initial_value(void *map, const void *data, size_t size)",
  bpf_obj_get: "int bpf_obj_get(const char *pathname)",
  bpf_obj_get_info_by_fd: "int bpf_obj_get_info_by_fd(int bpf_fd, void *info, void *info_len)",
  bpf_map__reuse_fd: "int bpf_map__reuse_fd(void *map, int fd)",
  bpf_map__map_flags: "uint32_t bpf_map__map_flags(const void *map)",
  bpf_map__is_internal: "bool bpf_map__is_internal(const void *map)",
  bpf_link_update: "int bpf_link_update(int link_fd, int new_prog_fd, const void *opts)",
  btf__load_from_kernel_by_id: "void *btf__load_from_kernel_by_id(uint32_t id)",
  btf__free: "void btf__free(void *btf)",
  bpf_prog_get_fd_by_id: "int bpf_prog_get_fd_by_id(uint32_t id)",
  bpf_tc_query: "int bpf_tc_query(const void *hook, void *opts)",
  bpf_link_detach: "int bpf_link_detach(int link_fd)",
  bpf_prog_attach: "int bpf_prog_attach(int prog_fd, int attachable_fd, int type, unsigned int flags)",
  bpf_prog_detach2: "int bpf_prog_detach2(int prog_fd, int attachable_fd, int type)",
};

/** Byte layouts checked against libbpf 1.1's headers (x86-64 / LP64). */
export const OPEN_OPTS = {
  size: 80,
  objectName: 8,
  pinRootPath: 24,
  btfCustomPath: 48,
  kernelLogBuf: 56,
  kernelLogSize: 64,
  kernelLogLevel: 72,
} as const;
export const TEST_RUN_OPTS = {
  size: 80,
  dataIn: 8,
  dataOut: 16,
  dataSizeIn: 24,
  dataSizeOut: 28,
  ctxIn: 32,
  ctxOut: 40,
  ctxSizeIn: 48,
  ctxSizeOut: 52,
  retval: 56,
  repeat: 60,
  duration: 64,
  flags: 68,
  cpu: 72,
  batchSize: 76,
} as const;

let cached: { api: LibbpfApi; libc: LibcApi } | null = null;
let libcCached: LibcApi | null = null;

/** The one libc binding (opened lazily; independent of libbpf being installed). */
function libc(): LibcApi {
  libcCached ??= bindAll<LibcApi>(koffi.load("libc.so.6"), LIBC_SIGNATURES);
  return libcCached;
}

function bindAll<T>(lib: LibraryHandle, sigs: Record<string, string>): T {
  const out: Record<string, unknown> = {};
  for (const [name, sig] of Object.entries(sigs)) out[name] = lib.func(sig);
  return out as T;
}

function loadAll(): { api: LibbpfApi; libc: LibcApi } {
  if (cached) return cached;
  if (process.platform !== "linux") {
    throw new Error(`libbpf is only available on Linux (this is ${process.platform})`);
  }
  let lib: LibraryHandle;
  try {
    lib = koffi.load("libbpf.so.1");
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot open libbpf.so.1 (${why}); install the libbpf1 package (e.g. \`apt-get install libbpf1\`)`);
  }
  const c = libc();
  const api = bindAll<LibbpfApi>(lib, LIBBPF_SIGNATURES);
  cached = { api, libc: c };
  installPrintHook(lib, c);
  return cached;
}

/** The bound libbpf API; throws a helpful Error if libbpf.so.1 is missing. */
export function libbpf(): LibbpfApi {
  return loadAll().api;
}

/** errno left behind by the most recent native call. */
export function lastErrno(): number {
  return koffi.errno();
}

/**
 * Turn a libbpf return code (negative errno, or -1 with errno set) into a
 * positive errno value.
 */
export function errnoFrom(rc: number): number {
  if (rc < -1) return -rc;
  const e = koffi.errno();
  return e > 0 ? e : rc < 0 ? -rc : 0;
}

/** "EACCES (Permission denied)"-style text, including libbpf's own codes (4000+). */
export function errnoText(errno: number): string {
  const sys = getSystemErrorMap().get(-errno);
  if (sys) return `${sys[0]} (${sys[1]})`;
  try {
    const buf = Buffer.alloc(256);
    loadAll().api.libbpf_strerror(errno, buf, buf.length);
    const text = buf.subarray(0, buf.indexOf(0)).toString("utf8");
    if (text) return `errno ${errno} (${text})`;
  } catch {
    // fall through to the bare number
  }
  return `errno ${errno}`;
}

/** Address of a buffer's first byte, for pointer fields inside C structs. */
export function addressOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : koffi.address(bytes);
}

/** Copy `size` bytes at native address `data` (from libbpf) into a fresh Uint8Array. */
export function copyNative(data: Ptr | null, size: number | bigint): Uint8Array {
  const n = Number(size);
  if (!data || n === 0) return new Uint8Array(0);
  return new Uint8Array(koffi.view(data, n)).slice();
}

// ---- libc: interfaces, sockets, perf events, ioctl ------------------------

/** if_nametoindex(3): the interface's index, 0 when there is no such interface. */
export function ifNameToIndex(name: string): number {
  return libc().if_nametoindex(name);
}

/** setsockopt(2) with a byte buffer as the value; returns -1 with errno set on failure. */
export function setSocketOption(fd: number, level: number, name: number, value: Uint8Array): number {
  return libc().setsockopt(fd, level, name, value, value.length);
}

/** close(2). */
export function closeFd(fd: number): number {
  return libc().close(fd);
}

/** socket(2); the new fd, or -1 with errno set. */
export function openSocket(domain: number, type: number, protocol: number): number {
  return libc().socket(domain, type, protocol);
}

/** bind(2) with a `struct sockaddr_in`/`sockaddr_in6` as bytes; 0, or -1 with errno set. */
export function bindSocket(fd: number, addr: Uint8Array): number {
  return libc().bind(fd, addr, addr.length);
}

/** ioctl(2) with one int argument; returns -1 with errno set on failure. */
export function ioctlInt(fd: number, request: number, arg: number): number {
  return libc().ioctl(fd, request, "int", arg);
}

const SYS_perf_event_open = 298; // x86-64

/** perf_event_open(2) with a `struct perf_event_attr`; the new fd, or -1 with errno set. */
export function perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number {
  return libc().syscall(SYS_perf_event_open, "void *", attr, "int", pid, "int", cpu, "int", groupFd, "unsigned long", flags);
}

const SYS_bpf = 321; // x86-64
const SYS_setns = 308; // x86-64

/** bpf(2) with a raw `union bpf_attr` (for attributes libbpf 1.1 has no options for); the result, or -1 with errno set. */
export function bpfSyscall(cmd: number, attr: Uint8Array): number {
  return libc().syscall(SYS_bpf, "int", cmd, "void *", attr, "unsigned int", attr.length);
}

/** setns(2) for the calling thread (the JavaScript thread); 0, or -1 with errno set. */
export function setNamespace(fd: number, nstype: number): number {
  return libc().syscall(SYS_setns, "int", fd, "int", nstype);
}

const SYS_pidfd_open = 434; // x86-64 (and every architecture since 5.3)

/** pidfd_open(2): an fd for process `pid` (the key of its TaskStorage values); -1 with errno on failure. */
export function pidfdOpen(pid: number): number {
  return libc().syscall(SYS_pidfd_open, "int", pid, "unsigned int", 0);
}

// ---- callbacks libbpf calls back into -------------------------------------

/** A JavaScript function registered as a C function pointer; release it with unregisterCallback. */
export type NativeCallback = bigint;

let callbackProtos: { ringbuf: TypeObject; perfSample: TypeObject; perfLost: TypeObject } | null = null;
function protos(): NonNullable<typeof callbackProtos> {
  callbackProtos ??= {
    ringbuf: koffi.proto("int tsbpf_ringbuf_sample(void *ctx, void *data, size_t size)"),
    perfSample: koffi.proto("void tsbpf_perf_sample(void *ctx, int cpu, void *data, uint32_t size)"),
    perfLost: koffi.proto("void tsbpf_perf_lost(void *ctx, int cpu, uint64_t count)"),
  };
  return callbackProtos;
}

/** ring_buffer_sample_fn: `fn(data, size)` per record; a negative return stops ring_buffer__consume. */
export function registerRingBufferSample(fn: (data: Ptr | null, size: number | bigint) => number): NativeCallback {
  return koffi.register(
    (_ctx: Ptr | null, data: Ptr | null, size: number | bigint): number => fn(data, size),
    koffi.pointer(protos().ringbuf),
  );
}

/** perf_buffer_sample_fn: `fn(cpu, data, size)` per sample. */
export function registerPerfSample(fn: (cpu: number, data: Ptr | null, size: number) => void): NativeCallback {
  return koffi.register(
    (_ctx: Ptr | null, cpu: number, data: Ptr | null, size: number): void => fn(cpu, data, size),
    koffi.pointer(protos().perfSample),
  );
}

/** perf_buffer_lost_fn: `fn(cpu, count)` when the kernel dropped samples. */
export function registerPerfLost(fn: (cpu: number, count: number | bigint) => void): NativeCallback {
  return koffi.register((_ctx: Ptr | null, cpu: number, count: number | bigint): void => fn(cpu, count), koffi.pointer(protos().perfLost));
}

/** Release a callback once libbpf can no longer call it. */
export function unregisterCallback(cb: NativeCallback): void {
  koffi.unregister(cb);
}

/** Native (malloc'ed) memory that libbpf may keep a pointer to after a call returns. */
export class NativeMemory {
  readonly ptr: Ptr;
  readonly size: number;
  #freed = false;

  constructor(size: number) {
    const p = loadAll().libc.malloc(Math.max(size, 1));
    if (!p) throw new Error(`malloc(${size}) failed`);
    this.ptr = p;
    this.size = size;
  }

  static from(bytes: Uint8Array): NativeMemory {
    const mem = new NativeMemory(bytes.length);
    mem.view().set(bytes);
    return mem;
  }

  view(): Uint8Array {
    if (this.#freed) throw new Error("native memory already freed");
    return new Uint8Array(koffi.view(this.ptr, this.size));
  }

  /** The NUL-terminated string at the start of the block. */
  cString(): string {
    const v = this.view();
    const end = v.indexOf(0);
    return Buffer.from(v.buffer, v.byteOffset, end < 0 ? v.length : end).toString("utf8");
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    loadAll().libc.free(this.ptr);
  }
}

// ---- libbpf print output -------------------------------------------------

/** libbpf's print levels: 0 warn, 1 info, 2 debug. */
export interface LibbpfMessage {
  level: number;
  text: string;
}

let captures: LibbpfMessage[][] = [];
/** Captures that also want libbpf's debug messages (e.g. CO-RE relocation reports). */
const debugCaptures = new WeakSet<LibbpfMessage[]>();
// Kept referenced forever: libbpf holds the callback pointer globally.
let printCallback: Ptr | null = null;

function installPrintHook(lib: LibraryHandle, libc: LibcApi): void {
  try {
    const proto = koffi.proto("int tsbpf_libbpf_print(int level, void *fmt, void *ap)");
    const setPrint = lib.func("void *libbpf_set_print(tsbpf_libbpf_print *fn)");
    const scratch = Buffer.alloc(8192);
    const debug = process.env.TSBPF_DEBUG_LIBBPF === "1";
    printCallback = koffi.register((level: number, fmt: Ptr, ap: Ptr): number => {
      const n = libc.vsnprintf(scratch, scratch.length, fmt, ap);
      const text = scratch.subarray(0, Math.max(0, Math.min(n, scratch.length - 1))).toString("utf8");
      if (debug) process.stderr.write(text);
      const top = captures[captures.length - 1];
      if (top && (level <= 1 || debugCaptures.has(top))) top.push({ level, text: text.replace(/\n$/, "") });
      return 0;
    }, koffi.pointer(proto));
    setPrint(printCallback);
  } catch {
    // Without the hook libbpf keeps printing to stderr itself; nothing breaks.
  }
}

/** Run `fn` while collecting libbpf's warn/info messages (otherwise they are dropped). */
export function withLibbpfMessages<T>(fn: (messages: LibbpfMessage[]) => T, debug = false): T {
  loadAll();
  const messages: LibbpfMessage[] = [];
  if (debug) debugCaptures.add(messages);
  captures.push(messages);
  try {
    return fn(messages);
  } finally {
    captures = captures.filter((c) => c !== messages);
  }
}
