// Why: older BPF programs (and kernels before 5.8) report events through
// BPF_MAP_TYPE_PERF_EVENT_ARRAY with bpf_perf_event_output; this reader wraps
// libbpf's perf_buffer with the same async-iterator shape as RingBuffer and
// counts the samples the kernel dropped.

import { MAP_TYPE } from "../common/map-kinds.js";
import type { BpfMap } from "./map.js";
import {
  copyNative,
  errnoText,
  lastErrno,
  libbpf,
  registerPerfLost,
  registerPerfSample,
  unregisterCallback,
  type NativeCallback,
  type Ptr,
} from "./libbpf.js";
import { EventReader, type EventReaderOptions } from "./ring-buffer.js";

export interface PerfBufferOptions<T> extends EventReaderOptions<T> {
  /** Pages of per-CPU buffer (a power of two); default 64. */
  pageCount?: number;
}

/**
 * Reader for a BPF_MAP_TYPE_PERF_EVENT_ARRAY map (one perf buffer per CPU).
 * Each event is one bpf_perf_event_output record; the kernel pads raw samples
 * to a multiple of 8 bytes minus 4, so an event may be a few bytes longer
 * than what the program wrote. `lost` counts samples the kernel dropped
 * because a CPU's buffer was full.
 */
export class PerfBuffer<T = Uint8Array> extends EventReader<T> {
  readonly map: string;
  #pb: Ptr | null;
  #callbacks: NativeCallback[];
  #lost = 0n;

  constructor(map: BpfMap, opts: PerfBufferOptions<T> = {}) {
    super(opts);
    this.map = map.name;
    if (map.type !== MAP_TYPE.PERF_EVENT_ARRAY) {
      throw new Error(
        `map '${map.name}' is not a perf event array (type ${map.type}, want BPF_MAP_TYPE_PERF_EVENT_ARRAY = ${MAP_TYPE.PERF_EVENT_ARRAY})`,
      );
    }
    const pages = opts.pageCount ?? 64;
    if (!Number.isInteger(pages) || pages <= 0 || (pages & (pages - 1)) !== 0) {
      throw new RangeError(`pageCount must be a power of two, got ${pages}`);
    }
    const sample = registerPerfSample((_cpu, data, size) => {
      try {
        this.accept(copyNative(data, size));
      } catch (e) {
        this.fail(e);
      }
    });
    const lost = registerPerfLost((_cpu, count) => {
      this.#lost += BigInt(count);
    });
    const pb = libbpf().perf_buffer__new(map.fd, pages, sample, lost, null, null);
    if (!pb) {
      const errno = lastErrno() || 22;
      unregisterCallback(sample);
      unregisterCallback(lost);
      throw new Error(`cannot open perf buffer '${map.name}': ${errnoText(errno)}`);
    }
    this.#pb = pb;
    this.#callbacks = [sample, lost];
  }

  /** Samples the kernel dropped so far (reported when the reader catches up). */
  get lost(): bigint {
    return this.#lost;
  }

  protected consumeNative(): number {
    return this.#pb === null ? 0 : libbpf().perf_buffer__consume(this.#pb);
  }

  protected freeNative(): void {
    if (this.#pb !== null) libbpf().perf_buffer__free(this.#pb);
    for (const cb of this.#callbacks) unregisterCallback(cb);
    this.#pb = null;
    this.#callbacks = [];
  }
}
