// Why: BpfMap speaks bytes; programs speak structs. TypedMap puts a key and a
// value Codec (built from the object's BTF) in front of a BpfMap so user space
// reads and writes the shapes the .bpf.ts source declares, iterates them, and
// moves many entries per syscall with the BPF_MAP_*_BATCH commands where the
// kernel has them (falling back to one syscall per entry where it does not).

import { readFileSync } from "node:fs";
import { parseBtf, type Btf } from "../common/btf-reader.js";
import { mapKind } from "../common/map-kinds.js";
import { btfCodec, rawCodec, type Codec, type CodecOptions } from "./codec.js";
import { possibleCpus } from "./kernel.js";
import { copyNative, errnoFrom, errnoText, lastErrno, libbpf, pidfdOpen, type Ptr } from "./libbpf.js";
import type { BpfMap } from "./map.js";
import type { ObjectHandle } from "./types.js";
import type { BpfProgram } from "./program.js";

const ENOENT = 2;
const EINVAL = 22;
const ENOSPC = 28;
const EOPNOTSUPP = 95;
/** The kernel-internal ENOTSUPP some map types return for missing batch ops. */
const ENOTSUPP = 524;
const BATCH_OPTS_SIZE = 24; // struct bpf_map_batch_opts { size_t sz; __u64 elem_flags; __u64 flags; }

const roundUp8 = (n: number): number => (n + 7) & ~7;

export interface BatchOptions {
  /** Entries per syscall (default 256; grown automatically when a hash bucket needs more). */
  batchSize?: number;
  /** false: skip the batch commands and use one syscall per entry. Default true. */
  batch?: boolean;
}

/** How the last batch operation ran: in the kernel, or element by element. */
export type BatchMode = "kernel" | "fallback";

/**
 * A map with typed keys and values. For per-CPU maps `V` is an array with one
 * element per possible CPU (see PerCpuTypedMap).
 */
export class TypedMap<K = any, V = any> {
  readonly map: BpfMap;
  readonly keyCodec: Codec<K>;
  /** Codec of one value (one CPU's value for per-CPU maps). */
  readonly valueCodec: Codec<unknown>;
  /** How the most recent batch operation was carried out (null before the first). */
  lastBatchMode: BatchMode | null = null;
  readonly #cpus: number;

  constructor(map: BpfMap, keyCodec: Codec<K>, valueCodec: Codec<unknown>) {
    if (keyCodec.size !== map.keySize) {
      throw new Error(`map '${map.name}': key type is ${keyCodec.size} bytes but the map's keys are ${map.keySize}`);
    }
    if (valueCodec.size !== map.valueSize) {
      throw new Error(`map '${map.name}': value type is ${valueCodec.size} bytes but the map's values are ${map.valueSize}`);
    }
    this.map = map;
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    this.#cpus = map.isPerCpu ? possibleCpus() : 1;
  }

  get name(): string {
    return this.map.name;
  }

  get isPerCpu(): boolean {
    return this.map.isPerCpu;
  }

  /** The value under `key`, or undefined when there is none. */
  get(key: K): V | undefined {
    const raw = this.map.lookup(this.keyCodec.encode(key));
    return raw ? this.decodeValue(raw, 0) : undefined;
  }

  has(key: K): boolean {
    return this.map.lookup(this.keyCodec.encode(key)) !== null;
  }

  /** Store `value` (flags: 0 any, 1 BPF_NOEXIST, 2 BPF_EXIST). */
  set(key: K, value: V, flags = 0): this {
    this.map.update(this.keyCodec.encode(key), this.encodeValue(value), flags);
    return this;
  }

  /** Remove `key`; false if it was absent. Array maps cannot delete (throws EINVAL). */
  delete(key: K): boolean {
    return this.map.delete(this.keyCodec.encode(key));
  }

  *keys(): Generator<K> {
    for (const k of this.map.keys()) yield this.keyCodec.decode(k);
  }

  *entries(): Generator<[K, V]> {
    for (const k of this.map.keys()) {
      const raw = this.map.lookup(k);
      if (raw) yield [this.keyCodec.decode(k), this.decodeValue(raw, 0)]; // null: deleted meanwhile
    }
  }

  *values(): Generator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): Generator<[K, V]> {
    return this.entries();
  }

  /** Delete every key (hash-like maps). */
  clear(): void {
    for (const k of [...this.map.keys()]) this.map.delete(k);
  }

  /** All entries, read with BPF_MAP_LOOKUP_BATCH when the kernel supports it for this map. */
  readAll(opts: BatchOptions = {}): [K, V][] {
    if (opts.batch !== false) {
      const out = this.#lookupBatch(opts.batchSize ?? 256);
      if (out) {
        this.lastBatchMode = "kernel";
        return out;
      }
    }
    this.lastBatchMode = "fallback";
    return [...this.entries()];
  }

  /** Store many entries, with BPF_MAP_UPDATE_BATCH when supported. */
  setBatch(entries: Iterable<readonly [K, V]>, flags = 0, opts: BatchOptions = {}): void {
    const list = [...entries];
    if (list.length === 0) return;
    const ks = this.map.keySize;
    const vs = this.map.valueBufferSize;
    const chunk = Math.max(1, opts.batchSize ?? 256);
    let used: BatchMode = "kernel";
    for (let start = 0; start < list.length; start += chunk) {
      const part = list.slice(start, start + chunk);
      const keys = new Uint8Array(part.length * ks);
      const values = new Uint8Array(part.length * vs);
      part.forEach(([k, v], i) => {
        this.keyCodec.encodeInto(k, keys, i * ks);
        values.set(this.encodeValue(v), i * vs);
      });
      if (opts.batch !== false && used === "kernel") {
        const count = u32buf(part.length);
        const rc = libbpf().bpf_map_update_batch(this.map.fd, keys, values, count, batchOpts(flags));
        if (rc >= 0) continue;
        const errno = errnoFrom(rc);
        if (!(start === 0 && unsupported(errno))) {
          const done = new DataView(count.buffer).getUint32(0, true);
          throw new Error(`map '${this.name}': update_batch failed after ${start + done} of ${list.length} entries: ${errnoText(errno)}`);
        }
      }
      used = "fallback";
      for (let i = 0; i < part.length; i++) {
        this.map.update(keys.subarray(i * ks, (i + 1) * ks), values.subarray(i * vs, (i + 1) * vs), flags);
      }
    }
    this.lastBatchMode = used;
  }

  /** Delete many keys, with BPF_MAP_DELETE_BATCH when supported; returns how many were present. */
  deleteBatch(keys: Iterable<K>, opts: BatchOptions = {}): number {
    const list = [...keys].map((k) => this.keyCodec.encode(k));
    if (list.length === 0) return 0;
    const ks = this.map.keySize;
    let deleted = 0;
    let pos = 0;
    let used: BatchMode = opts.batch === false ? "fallback" : "kernel";
    while (used === "kernel" && pos < list.length) {
      const part = list.slice(pos, pos + Math.max(1, opts.batchSize ?? 256));
      const buf = new Uint8Array(part.length * ks);
      part.forEach((k, i) => buf.set(k, i * ks));
      const count = u32buf(part.length);
      const rc = libbpf().bpf_map_delete_batch(this.map.fd, buf, count, null);
      const done = new DataView(count.buffer).getUint32(0, true);
      if (rc >= 0) {
        deleted += part.length;
        pos += part.length;
        continue;
      }
      const errno = errnoFrom(rc);
      if (errno === ENOENT) {
        // Entries before the missing key are gone; skip it and go on.
        deleted += done;
        pos += done + 1;
        continue;
      }
      if (pos === 0 && deleted === 0 && unsupported(errno)) {
        used = "fallback";
        break;
      }
      throw new Error(`map '${this.name}': delete_batch failed: ${errnoText(errno)}`);
    }
    if (used === "fallback") for (; pos < list.length; pos++) if (this.map.delete(list[pos]!)) deleted++;
    this.lastBatchMode = used;
    return deleted;
  }

  /** @internal The value at `off` of a lookup buffer. */
  protected decodeValue(raw: Uint8Array, off: number): V {
    if (!this.map.isPerCpu) return this.valueCodec.decode(raw, off) as V;
    const stride = roundUp8(this.map.valueSize);
    const out: unknown[] = [];
    for (let cpu = 0; cpu < this.#cpus; cpu++) out.push(this.valueCodec.decode(raw, off + cpu * stride));
    return out as V;
  }

  /** @internal Bytes for update: per-CPU maps take one value per possible CPU. */
  protected encodeValue(value: V): Uint8Array {
    if (!this.map.isPerCpu) return this.valueCodec.encode(value);
    if (!Array.isArray(value) || value.length !== this.#cpus) {
      throw new RangeError(
        `map '${this.name}' is per-CPU: expected an array of ${this.#cpus} values (one per possible CPU)` +
          `${Array.isArray(value) ? `, got ${value.length}` : ""}; use setAll() to write one value to every CPU`,
      );
    }
    const stride = roundUp8(this.map.valueSize);
    const out = new Uint8Array(stride * this.#cpus);
    value.forEach((v, cpu) => this.valueCodec.encodeInto(v, out, cpu * stride));
    return out;
  }

  /** null when the kernel has no batch lookup for this map. */
  #lookupBatch(batchSize: number): [K, V][] | null {
    const api = libbpf();
    const fd = this.map.fd;
    const ks = this.map.keySize;
    const vs = this.map.valueBufferSize;
    const token = Math.max(ks, 8);
    let count = Math.max(1, Math.min(batchSize, this.map.maxEntries));
    let inBatch: Uint8Array | null = null;
    const out: [K, V][] = [];
    for (;;) {
      const keys = new Uint8Array(count * ks);
      const values = new Uint8Array(count * vs);
      const outBatch = new Uint8Array(token);
      const n = u32buf(count);
      const rc = api.bpf_map_lookup_batch(fd, inBatch, outBatch, keys, values, n, null);
      const got = new DataView(n.buffer).getUint32(0, true);
      const errno = rc < 0 ? errnoFrom(rc) : 0;
      if (rc < 0 && errno !== ENOENT) {
        if (errno === ENOSPC && got === 0 && count < 1 << 20) {
          count *= 2; // a hash bucket holds more entries than fit
          continue;
        }
        if (inBatch === null && out.length === 0 && unsupported(errno)) return null;
        throw new Error(`map '${this.name}': lookup_batch failed: ${errnoText(errno)}`);
      }
      for (let i = 0; i < got; i++) {
        out.push([this.keyCodec.decode(keys, i * ks), this.decodeValue(values.subarray(i * vs, (i + 1) * vs), 0)]);
      }
      if (errno === ENOENT) return out;
      inBatch = outBatch;
    }
  }
}

/** A per-CPU map: values are arrays with one `T` per possible CPU. */
export class PerCpuTypedMap<K = any, T = any> extends TypedMap<K, T[]> {
  /** Same as get(): one value per possible CPU. */
  getPerCpu(key: K): T[] | undefined {
    return this.get(key);
  }

  /** Write `value` to every CPU's copy. */
  setAll(key: K, value: T, flags = 0): this {
    this.map.update(this.keyCodec.encode(key), this.valueCodec.encode(value), flags);
    return this;
  }
}

function u32buf(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function batchOpts(elemFlags: number): Uint8Array | null {
  if (!elemFlags) return null;
  const o = new Uint8Array(BATCH_OPTS_SIZE);
  const v = new DataView(o.buffer);
  v.setBigUint64(0, BigInt(BATCH_OPTS_SIZE), true);
  v.setBigUint64(8, BigInt(elemFlags), true);
  return o;
}

/** errno values meaning "this kernel/map has no such batch command". */
function unsupported(errno: number): boolean {
  return errno === EINVAL || errno === EOPNOTSUPP || errno === ENOTSUPP;
}

/**
 * A program array (ProgArray in .bpf.ts): u32 slot -> program. Writing a slot stores a program
 * (by fd, `setProgram`); reading one gives the kernel's id of the program in it, which `program()`
 * matches against the object's programs. `delete(i)` empties a slot; `entries()` lists the filled
 * slots as [index, program id].
 */
export class ProgArrayMap extends TypedMap<number, number> {
  /** Put `prog` in slot `index`; the kernel refuses a program of another type than the array's. */
  setProgram(index: number, prog: BpfProgram): this {
    this.map.update(u32buf(index), u32buf(prog.fd));
    return this;
  }

  /** The kernel id of the program in slot `index`, or undefined when the slot is empty. */
  programId(index: number): number | undefined {
    return this.get(index);
  }

  /** Which of `programs` (e.g. `obj.programs.values()`) is in slot `index`, by kernel id. */
  program(index: number, programs: Iterable<BpfProgram>): BpfProgram | undefined {
    const id = this.programId(index);
    if (id === undefined) return undefined;
    for (const p of programs) if (programIdOf(p.fd) === id) return p;
    return undefined;
  }
}

/**
 * A queue, stack or bloom filter (Queue, Stack, BloomFilter in .bpf.ts): values without keys.
 * `get`/`set`/iteration do not apply; use push/pop/peek (and mayContain for bloom filters).
 */
export class ValueMap<V = any> extends TypedMap<never, V> {
  /** Append (queue), push (stack) or add (bloom filter) `value`; flags 2 (BPF_EXIST) overwrites the oldest when full. */
  push(value: V, flags = 0): this {
    this.map.push(this.valueCodec.encode(value), flags);
    return this;
  }

  /** Remove and return the next value (oldest for a queue, newest for a stack), or undefined when empty. */
  pop(): V | undefined {
    const raw = this.map.pop();
    return raw ? (this.valueCodec.decode(raw, 0) as V) : undefined;
  }

  /** The next value without removing it, or undefined when empty. */
  peek(): V | undefined {
    const raw = this.map.peek();
    return raw ? (this.valueCodec.decode(raw, 0) as V) : undefined;
  }

  /** Bloom filters: false when `value` was certainly never pushed. */
  mayContain(value: V): boolean {
    return this.map.mayContain(this.valueCodec.encode(value));
  }
}

/** A socket as user space holds it: a Node net.Socket/net.Server (connected or listening) or a raw fd. */
export type SocketLike = number | object;

/** The fd of a socket: the number itself, or a Node socket's fd (its undocumented `_handle.fd`, Linux). */
export function socketFd(socket: SocketLike): number {
  const fd = typeof socket === "number" ? socket : (socket as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) {
    throw new TypeError("not an open socket: pass a connected net.Socket, a listening net.Server, or a socket fd");
  }
  return fd;
}

/**
 * A socket map (SockMap, SockHash in .bpf.ts): key -> socket. `add` inserts a socket (a Node
 * net.Socket or an fd; the kernel takes TCP sockets that are established or listening, UDP and unix
 * sockets); `get`/`cookie` read back the socket's cookie (SO_COOKIE), `delete` removes it.
 */
export class SocketMap<K = number> extends TypedMap<K, bigint> {
  /** Put `socket` under `key` (flags: 0 any, 1 only new, 2 only existing). */
  add(key: K, socket: SocketLike, flags = 0): this {
    const fd = socketFd(socket);
    const v = new Uint8Array(this.map.valueSize);
    if (this.map.valueSize === 8) new DataView(v.buffer).setBigUint64(0, BigInt(fd), true);
    else new DataView(v.buffer).setUint32(0, fd, true);
    this.map.update(this.keyCodec.encode(key), v, flags);
    return this;
  }

  /** The cookie of the socket under `key`, or undefined when there is none. */
  cookie(key: K): bigint | undefined {
    return this.get(key);
  }
}

/**
 * An fd for process `pid` (pidfd_open): the key of the process's TaskStorage values in user space
 * (`taskStorage.get(fd)`). Close it with fs.closeSync when done.
 */
export function pidFd(pid: number): number {
  const fd = pidfdOpen(pid);
  if (fd < 0) throw new Error(`pidfd_open(${pid}) failed: ${errnoText(lastErrno())}`);
  return fd;
}

/** A program's kernel id, from /proc/self/fdinfo (the line `prog_id:`). */
function programIdOf(fd: number): number | undefined {
  const m = /^prog_id:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
  return m ? Number(m[1]) : undefined;
}

/** Construct the right TypedMap class for `map`. */
export function makeTypedMap(map: BpfMap, keyCodec: Codec<unknown>, valueCodec: Codec<unknown>): TypedMap {
  const runtimeClass = mapKind(map.type)?.runtimeClass;
  if (runtimeClass === "ProgArrayMap") return new ProgArrayMap(map, u32Codec as Codec<number>, u32Codec);
  if (runtimeClass === "ValueMap") return new ValueMap(map, keyCodec as Codec<never>, valueCodec);
  if (runtimeClass === "SocketMap") return new SocketMap(map, keyCodec, valueCodec);
  return map.isPerCpu ? new PerCpuTypedMap(map, keyCodec, valueCodec) : new TypedMap(map, keyCodec, valueCodec);
}

// ---- an object's maps ---------------------------------------------------------------------------

/** Every map of an object, by name. */
export type TypedMaps = Readonly<Record<string, TypedMap>>;

interface ObjectTypes {
  btf: Btf | null;
  ids: Map<string, { key: number; value: number }>;
}

const typesOf = new WeakMap<ObjectHandle, ObjectTypes>();

/** What typedMap, objectBtf and bindSkeleton use of a loaded object: a BpfObject. */
export interface TypedObject extends ObjectHandle {
  /** Every map as a TypedMap; reading it builds the codecs once (buildTypedMaps). */
  readonly typed: TypedMaps;
}

function codecsFor(types: ObjectTypes, map: BpfMap, opts: CodecOptions): [Codec<unknown>, Codec<unknown>] {
  const ids = types.ids.get(map.name) ?? { key: 0, value: 0 };
  const shape = mapKind(map.type)?.shape;
  const btf = types.btf;
  const key =
    btf && ids.key
      ? btfCodec(btf, ids.key, opts)
      : (shape === "array" || shape === "slots" || shape === "maps") && map.keySize === 4
        ? u32Codec
        : rawCodec(map.keySize);
  // Slots (devices, CPUs, sockets, programs, inner maps) hold a u32: an ifindex, a queue size, an fd or an id.
  const value =
    btf && ids.value
      ? btfCodec(btf, ids.value, opts)
      : (shape === "slots" || shape === "maps") && map.valueSize === 4
        ? u32Codec
        : rawCodec(map.valueSize);
  return [key, value];
}

/** Array maps without BTF key types still have u32 indexes. */
const u32Codec: Codec<unknown> = {
  size: 4,
  tsType: "number",
  encode(v: unknown): Uint8Array {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
      throw new RangeError(`key: ${String(v)} is not a u32 index`);
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return b;
  },
  encodeInto(v: unknown, out: Uint8Array, off = 0): void {
    out.set(u32Codec.encode(v), off);
  },
  decode: (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true),
};

/**
 * @internal Used by BpfObject.typed: reads the object's BTF and each map's
 * key/value type ids through libbpf and wraps every map.
 */
export function buildTypedMaps(obj: ObjectHandle, native: Ptr | null): TypedMaps {
  if (native === null || obj.closed) throw new Error(`BPF object '${obj.name}' is closed`);
  const api = libbpf();
  let btf: Btf | null = null;
  const handle = api.bpf_object__btf(native);
  if (handle) {
    const size = new Uint8Array(4);
    const data = api.btf__raw_data(handle, size);
    const n = new DataView(size.buffer).getUint32(0, true);
    if (data && n > 0) btf = parseBtf(copyNative(data, n));
  }
  const ids = new Map<string, { key: number; value: number }>();
  // libbpf drops the BTF type ids of kinds the kernel takes no BTF for (queue, stack, perf event
  // array, ...); the object's own `.maps` definitions still name the types the source declared.
  const declared = new Map((btf?.mapDefs() ?? []).map((d) => [d.name, d]));
  for (let m = api.bpf_object__next_map(native, null); m; m = api.bpf_object__next_map(native, m)) {
    const name = api.bpf_map__name(m);
    const def = declared.get(name);
    ids.set(name, {
      key: api.bpf_map__btf_key_type_id(m) || (def?.keyType ?? 0),
      value: api.bpf_map__btf_value_type_id(m) || (def?.valueType ?? 0),
    });
  }
  const types: ObjectTypes = { btf, ids };
  typesOf.set(obj, types);
  const out: Record<string, TypedMap> = {};
  for (const map of obj.maps.values()) {
    const [k, v] = codecsFor(types, map, {});
    out[map.name] = makeTypedMap(map, k, v);
  }
  return Object.freeze(out);
}

/** The object's BTF as libbpf holds it (null when the object has none). */
export function objectBtf(obj: TypedObject): Btf | null {
  void obj.typed;
  return typesOf.get(obj)?.btf ?? null;
}

/** One map with codec options (e.g. `{ byteStrings: "string" }`); throws if there is no such map. */
export function typedMap<K = any, V = any>(obj: TypedObject, name: string, opts: CodecOptions = {}): TypedMap<K, V> {
  void obj.typed;
  const map = obj.maps.get(name);
  const types = typesOf.get(obj);
  if (!map || !types) throw new Error(`BPF object '${obj.name}' has no map '${name}' (maps: ${[...obj.maps.keys()].join(", ") || "none"})`);
  const [k, v] = codecsFor(types, map, opts);
  return makeTypedMap(map, k, v) as TypedMap<K, V>;
}

export interface SkeletonSpec {
  maps: Record<string, { keySize: number; valueSize: number; type: number }>;
  programs: string[];
}

/**
 * @internal Used by generated skeletons: check that the loaded object has the
 * maps (with the sizes the source declared) and programs the skeleton promises.
 */
export function bindSkeleton(obj: TypedObject, spec: SkeletonSpec): { maps: TypedMaps; programs: Record<string, unknown> } {
  const typed = obj.typed;
  const problems: string[] = [];
  for (const [name, want] of Object.entries(spec.maps)) {
    const m = obj.maps.get(name);
    if (!m) problems.push(`missing map '${name}'`);
    else if (m.keySize !== want.keySize || m.valueSize !== want.valueSize || m.type !== want.type) {
      problems.push(
        `map '${name}' is type ${m.type} with ${m.keySize}-byte keys and ${m.valueSize}-byte values; ` +
          `the skeleton expects type ${want.type}, ${want.keySize} and ${want.valueSize}`,
      );
    }
  }
  const programs: Record<string, unknown> = {};
  for (const p of spec.programs) {
    const prog = obj.programs.get(p);
    if (!prog) problems.push(`missing program '${p}'`);
    else programs[p] = prog;
  }
  if (problems.length) {
    throw new Error(`BPF object '${obj.name}' does not match its skeleton (rebuild it?): ${problems.join("; ")}`);
  }
  return { maps: typed, programs };
}
