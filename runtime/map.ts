// Why: a loaded object's maps are the main channel between BPF programs and
// user space; BpfMap wraps the map syscalls with size checks (so a short key
// can never make the kernel read past a JS buffer) and per-CPU value layout.

import { errnoFrom, errnoText, libbpf, type Ptr } from "./libbpf.js";
import { isPerCpuMap, mapTypeName } from "../common/map-kinds.js";
import { possibleCpus } from "./kernel.js";

/** Something that owns the file descriptors and can be closed. */
export interface FdOwner {
  readonly closed: boolean;
}

/** A map known by fd (opened from a pin or by id) rather than through a libbpf object. */
export interface MapDescription {
  name: string;
  fd: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

const ENOENT = 2;

const roundUp8 = (n: number): number => (n + 7) & ~7;

export class BpfMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly #fd: number;
  readonly #owner: FdOwner;

  /**
   * @internal Built by loadObject from a libbpf `struct bpf_map *`, or (runtime/pinned.ts) from an
   * fd and the kernel's description of the map.
   */
  constructor(owner: FdOwner, map: Ptr | MapDescription) {
    this.#owner = owner;
    if (typeof map !== "bigint") {
      ({
        name: this.name,
        fd: this.#fd,
        type: this.type,
        keySize: this.keySize,
        valueSize: this.valueSize,
        maxEntries: this.maxEntries,
      } = map);
      return;
    }
    const api = libbpf();
    this.name = api.bpf_map__name(map);
    this.#fd = api.bpf_map__fd(map);
    this.type = api.bpf_map__type(map);
    this.keySize = api.bpf_map__key_size(map);
    this.valueSize = api.bpf_map__value_size(map);
    this.maxEntries = api.bpf_map__max_entries(map);
  }

  get fd(): number {
    this.#check();
    return this.#fd;
  }

  get isPerCpu(): boolean {
    return isPerCpuMap(this.type);
  }

  /** Bytes a lookup returns: valueSize, or possibleCpus() * round_up(valueSize, 8) for per-CPU maps. */
  get valueBufferSize(): number {
    return this.isPerCpu ? possibleCpus() * roundUp8(this.valueSize) : this.valueSize;
  }

  /** The value stored under `key`, or null if there is none. */
  lookup(key: Uint8Array): Uint8Array | null {
    const k = this.#key(key);
    const value = new Uint8Array(this.valueBufferSize);
    const rc = libbpf().bpf_map_lookup_elem(this.#fd, k, value);
    if (rc < 0) {
      const errno = errnoFrom(rc);
      if (errno === ENOENT) return null;
      throw this.#error("lookup", errno);
    }
    return value;
  }

  /** Per-CPU maps only: one valueSize-byte slice per possible CPU, or null if the key is absent. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | null {
    if (!this.isPerCpu) throw new Error(`map '${this.name}' (type ${this.type}) is not a per-CPU map`);
    const all = this.lookup(key);
    if (!all) return null;
    const stride = roundUp8(this.valueSize);
    const out: Uint8Array[] = [];
    for (let off = 0; off < all.length; off += stride) out.push(all.slice(off, off + this.valueSize));
    return out;
  }

  /**
   * Store `value` under `key` (flags: 0 any, 1 BPF_NOEXIST, 2 BPF_EXIST).
   * For per-CPU maps `value` is either the full per-CPU buffer or one
   * valueSize-byte value that is written to every CPU.
   */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const k = this.#key(key);
    let v = value;
    if (this.isPerCpu && value.length === this.valueSize && value.length !== this.valueBufferSize) {
      const stride = roundUp8(this.valueSize);
      v = new Uint8Array(this.valueBufferSize);
      for (let off = 0; off < v.length; off += stride) v.set(value, off);
    }
    if (v.length !== this.valueBufferSize) {
      throw new RangeError(
        `map '${this.name}': value must be ${this.valueBufferSize} bytes` +
          (this.isPerCpu ? ` (or ${this.valueSize} for all CPUs)` : "") +
          `, got ${value.length}`,
      );
    }
    const rc = libbpf().bpf_map_update_elem(this.#fd, k, v, BigInt(flags));
    if (rc < 0) throw this.#error("update", errnoFrom(rc));
  }

  /** Remove `key`; false if it was not present. Array maps cannot delete (throws EINVAL). */
  delete(key: Uint8Array): boolean {
    const k = this.#key(key);
    const rc = libbpf().bpf_map_delete_elem(this.#fd, k);
    if (rc < 0) {
      const errno = errnoFrom(rc);
      if (errno === ENOENT) return false;
      throw this.#error("delete", errno);
    }
    return true;
  }

  /**
   * Maps without keys (queue, stack, bloom filter; keySize 0): `push` stores a value (update with
   * no key; flags 2 = BPF_EXIST lets a full queue/stack drop its oldest value), `pop` removes and
   * returns the next one, `peek` returns it without removing (null when empty); a bloom filter's
   * `peek(value)` is true when the value may be in the set.
   */
  push(value: Uint8Array, flags = 0): void {
    const v = this.#valueOnly(value);
    const rc = libbpf().bpf_map_update_elem(this.#fd, null, v, BigInt(flags));
    if (rc < 0) throw this.#error("push", errnoFrom(rc));
  }

  pop(): Uint8Array | null {
    this.#valueOnly();
    const value = new Uint8Array(this.valueSize);
    const rc = libbpf().bpf_map_lookup_and_delete_elem(this.#fd, null, value);
    if (rc < 0) {
      const errno = errnoFrom(rc);
      if (errno === ENOENT) return null;
      throw this.#error("pop", errno);
    }
    return value;
  }

  peek(): Uint8Array | null {
    this.#valueOnly();
    const value = new Uint8Array(this.valueSize);
    const rc = libbpf().bpf_map_lookup_elem(this.#fd, null, value);
    if (rc < 0) {
      const errno = errnoFrom(rc);
      if (errno === ENOENT) return null;
      throw this.#error("peek", errno);
    }
    return value;
  }

  /** Bloom filters: whether `value` may have been pushed (false: certainly not). */
  mayContain(value: Uint8Array): boolean {
    const v = this.#valueOnly(value);
    const rc = libbpf().bpf_map_lookup_elem(this.#fd, null, v);
    if (rc === 0) return true;
    const errno = errnoFrom(rc);
    if (errno === ENOENT) return false;
    throw this.#error("peek", errno);
  }

  #valueOnly(value?: Uint8Array): Uint8Array {
    this.#check();
    if (this.keySize !== 0)
      throw new Error(`map '${this.name}' (${mapTypeName(this.type)}) has keys; push/pop/peek are for queues, stacks and bloom filters`);
    if (value && value.length !== this.valueSize) {
      throw new RangeError(`map '${this.name}': value must be ${this.valueSize} bytes, got ${value.length}`);
    }
    return value ?? new Uint8Array(0);
  }

  /** Iterate keys in kernel order (BPF_MAP_GET_NEXT_KEY); each yielded key is a fresh copy. */
  *keys(): Generator<Uint8Array> {
    this.#check();
    let cur: Uint8Array | null = null;
    for (;;) {
      this.#check();
      const next = new Uint8Array(this.keySize);
      const rc = libbpf().bpf_map_get_next_key(this.#fd, cur, next);
      if (rc < 0) {
        const errno = errnoFrom(rc);
        if (errno === ENOENT) return;
        throw this.#error("get_next_key", errno);
      }
      yield next.slice();
      cur = next;
    }
  }

  #check(): void {
    if (this.#owner.closed) throw new Error(`map '${this.name}' belongs to a closed BPF object`);
  }

  #key(key: Uint8Array): Uint8Array {
    this.#check();
    if (key.length !== this.keySize) {
      throw new RangeError(`map '${this.name}': key must be ${this.keySize} bytes, got ${key.length}`);
    }
    return key;
  }

  #error(op: string, errno: number): Error {
    return new Error(`map '${this.name}': ${op} failed: ${errnoText(errno)}`);
  }
}
