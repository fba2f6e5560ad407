// Why: BPF programs report events through BPF_MAP_TYPE_RINGBUF maps; this
// reader drains one with libbpf's ring_buffer__consume (never blocking Node's
// event loop: it polls on a short timer only while someone is waiting) and
// exposes the events as an async iterator of raw bytes or decoded values.

import { MAP_TYPE } from "../common/map-kinds.js";
import type { BpfMap } from "./map.js";
import {
  copyNative,
  errnoFrom,
  errnoText,
  lastErrno,
  libbpf,
  registerRingBufferSample,
  unregisterCallback,
  type NativeCallback,
  type Ptr,
} from "./libbpf.js";

export interface EventReaderOptions<T> {
  /** Turns one event's bytes (a private copy) into a value; default: the bytes themselves. */
  decode?: (bytes: Uint8Array) => T;
  /** Polling period in milliseconds while an iterator waits for events; default 10. */
  intervalMs?: number;
  /**
   * Events held in memory before the reader stops draining the kernel buffer
   * (which then drops new events itself); default 65536.
   */
  maxQueued?: number;
}

interface Waiter<T> {
  resolve(r: IteratorResult<T>): void;
  reject(e: unknown): void;
}

/**
 * The part shared by RingBuffer and PerfBuffer: a queue of decoded events,
 * waiters, a poll timer that runs only while somebody waits, close/dispose.
 * @internal
 */
export abstract class EventReader<T> implements AsyncIterable<T> {
  readonly #decode: (bytes: Uint8Array) => T;
  readonly #intervalMs: number;
  readonly #maxQueued: number;
  #queue: T[] = [];
  #waiters: Waiter<T>[] = [];
  #timer: NodeJS.Timeout | null = null;
  #error: unknown = null;
  #closed = false;

  protected constructor(opts: EventReaderOptions<T>) {
    this.#decode = opts.decode ?? ((b: Uint8Array) => b as unknown as T);
    this.#intervalMs = opts.intervalMs ?? 10;
    this.#maxQueued = opts.maxQueued ?? 65536;
    if (!(this.#intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${this.#intervalMs}`);
  }

  /** Drain the native buffer once (non-blocking); returns the number of events consumed, or a negative errno. */
  protected abstract consumeNative(): number;
  /** Free native resources; called once. */
  protected abstract freeNative(): void;

  get closed(): boolean {
    return this.#closed;
  }

  /** Events decoded but not yet handed out. */
  get queued(): number {
    return this.#queue.length;
  }

  /** @internal Called from the native sample callback with a private copy of the event. Returns 0, or -1 to stop consuming. */
  protected accept(bytes: Uint8Array): number {
    try {
      this.#queue.push(this.#decode(bytes));
    } catch (e) {
      this.#error ??= e;
      return -1;
    }
    return this.#queue.length >= this.#maxQueued ? -1 : 0;
  }

  /** @internal A failure inside a native callback, surfaced to the consumer. */
  protected fail(e: unknown): void {
    this.#error ??= e;
  }

  /** Drain the kernel buffer now (without waiting); returns how many events are queued afterwards. */
  poll(): number {
    this.#ensureOpen();
    this.#pump();
    if (this.#error !== null) {
      const e = this.#error;
      this.#error = null;
      throw e;
    }
    return this.#queue.length;
  }

  /** Drain the kernel buffer and return every queued event. */
  drain(): T[] {
    this.poll();
    const out = this.#queue;
    this.#queue = [];
    return out;
  }

  /** The next event; waits (polling every intervalMs) until one arrives or the reader is closed (then done). */
  next(): Promise<IteratorResult<T>> {
    if (this.#queue.length > 0) return Promise.resolve({ value: this.#queue.shift()!, done: false });
    if (this.#error !== null) {
      const e = this.#error;
      this.#error = null;
      return Promise.reject(e);
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    this.#pump();
    if (this.#queue.length > 0 || this.#error !== null) return this.next();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#startTimer();
    });
  }

  /**
   * `for await (const ev of reader)`. Leaving the loop early (break, throw)
   * closes the reader, like a stream; use next() to read without that.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: (): Promise<IteratorResult<T>> => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** Stop polling, free the native reader and end pending iterations; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimer();
    this.freeNative();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve({ value: undefined, done: true });
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #ensureOpen(): void {
    if (this.#closed) throw new Error("event reader is closed");
  }

  #pump(): void {
    if (this.#closed || this.#queue.length >= this.#maxQueued) return;
    const rc = this.consumeNative();
    // A negative return after our own -1 (decode error / full queue) is not a native failure.
    if (rc < 0 && this.#error === null && this.#queue.length < this.#maxQueued) {
      this.#error = new Error(`reading BPF events failed: ${errnoText(errnoFrom(rc))}`);
    }
  }

  #deliver(): void {
    while (this.#waiters.length > 0 && this.#queue.length > 0) {
      this.#waiters.shift()!.resolve({ value: this.#queue.shift()!, done: false });
    }
    if (this.#waiters.length > 0 && this.#error !== null) {
      const e = this.#error;
      this.#error = null;
      this.#waiters.shift()!.reject(e);
    }
  }

  #startTimer(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.#pump();
      this.#deliver();
      if (this.#waiters.length === 0) this.#stopTimer();
    }, this.#intervalMs);
  }

  #stopTimer(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
  }
}

/**
 * Reader for a BPF_MAP_TYPE_RINGBUF map. Each event is one
 * bpf_ringbuf_output/bpf_ringbuf_submit record, as bytes or as decoded by
 * `decode`.
 *
 *   using rb = new RingBuffer(obj.maps.get("events")!, { decode: (b) => readU32(b, 0) });
 *   for await (const pid of rb) console.log(pid);
 */
export class RingBuffer<T = Uint8Array> extends EventReader<T> {
  readonly map: string;
  #rb: Ptr | null;
  #callback: NativeCallback | null;

  constructor(map: BpfMap, opts: EventReaderOptions<T> = {}) {
    super(opts);
    this.map = map.name;
    if (map.type !== MAP_TYPE.RINGBUF) {
      throw new Error(`map '${map.name}' is not a ring buffer (type ${map.type}, want BPF_MAP_TYPE_RINGBUF = ${MAP_TYPE.RINGBUF})`);
    }
    const api = libbpf();
    const cb = registerRingBufferSample((data, size) => {
      try {
        return this.accept(copyNative(data, size));
      } catch (e) {
        this.fail(e);
        return -1;
      }
    });
    const rb = api.ring_buffer__new(map.fd, cb, null, null);
    if (!rb) {
      const errno = lastErrno() || 22;
      unregisterCallback(cb);
      throw new Error(`cannot open ring buffer '${map.name}': ${errnoText(errno)}`);
    }
    this.#rb = rb;
    this.#callback = cb;
  }

  protected consumeNative(): number {
    return this.#rb === null ? 0 : libbpf().ring_buffer__consume(this.#rb);
  }

  protected freeNative(): void {
    if (this.#rb !== null) libbpf().ring_buffer__free(this.#rb);
    if (this.#callback !== null) unregisterCallback(this.#callback);
    this.#rb = null;
    this.#callback = null;
  }
}
