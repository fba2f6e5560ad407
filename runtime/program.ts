// Why: BPF_PROG_TEST_RUN lets tests and benchmarks execute a loaded program on
// a synthetic packet/context without attaching it anywhere; BpfProgram wraps
// that call and hides the bpf_test_run_opts struct layout.

import { addressOf, errnoFrom, errnoText, libbpf, TEST_RUN_OPTS as T, type Ptr } from "./libbpf.js";
import type { FdOwner } from "./map.js";
import { attachAuto } from "./attach.js";
import type { Link } from "./link.js";
import type { ProgramHandle } from "./types.js";

export interface RunOptions {
  /** Packet (or input data) handed to the program; XDP and skb programs need >= 14 bytes (ETH_HLEN). */
  data: Uint8Array;
  /** Run this many times (the kernel reports the average duration). Default 1. */
  repeat?: number;
  /** Optional context (e.g. struct __sk_buff / xdp_md / raw args), copied back as `ctx`. */
  ctx?: Uint8Array;
  /** Capacity for the output packet; default data.length + 4096. */
  dataOutSize?: number;
}

export interface RunResult {
  retval: number;
  /** Packet after the program ran. */
  data: Uint8Array;
  /** Average duration per run in nanoseconds. */
  duration: number;
  /** Context after the run, when `ctx` was given. */
  ctx?: Uint8Array;
}

const ENOSPC = 28;
const EINVAL = 22;
const ETH_HLEN = 14;

export class BpfProgram implements ProgramHandle {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  /** Verifier log from loading; empty unless loadObject's logLevel was > 0. */
  readonly verifierLog: string;
  readonly #fd: number;
  readonly #owner: FdOwner;
  readonly #ptr: Ptr;

  /** @internal Built by loadObject from a libbpf `struct bpf_program *`. */
  constructor(owner: FdOwner, prog: Ptr, verifierLog = "") {
    const api = libbpf();
    this.#owner = owner;
    this.#ptr = prog;
    this.name = api.bpf_program__name(prog);
    this.section = api.bpf_program__section_name(prog);
    this.type = api.bpf_program__type(prog);
    const fd = api.bpf_program__fd(prog);
    this.#fd = fd < 0 ? -1 : fd;
    this.verifierLog = verifierLog;
  }

  /** Program fd, or -1 if it was not loaded (autoload off, e.g. a `?xdp` section). */
  get fd(): number {
    this.#check();
    return this.#fd;
  }

  /** @internal libbpf's `struct bpf_program *`; valid only while the object is open. */
  get nativePtr(): Ptr {
    this.#check();
    return this.#ptr;
  }

  /** Attach as the section name says (tracepoint/..., kprobe/..., tp_btf/..., ...); see attachAuto. */
  attach(): Link {
    return attachAuto(this);
  }

  run(opts: RunOptions): RunResult {
    this.#check();
    if (this.#fd < 0) throw new Error(`program '${this.name}' is not loaded`);
    const repeat = opts.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 0 || repeat > 0x7fff_ffff) throw new RangeError(`bad repeat ${repeat}`);
    const dataIn = Buffer.from(opts.data);
    const outSize = opts.dataOutSize ?? dataIn.length + 4096;
    const dataOut = Buffer.alloc(outSize);
    const ctxIn = opts.ctx ? Buffer.from(opts.ctx) : null;
    const ctxOut = ctxIn ? Buffer.alloc(ctxIn.length) : null;

    const o = Buffer.alloc(T.size);
    o.writeBigUInt64LE(BigInt(T.size), 0);
    o.writeBigUInt64LE(addressOf(dataIn), T.dataIn);
    o.writeBigUInt64LE(addressOf(dataOut), T.dataOut);
    o.writeUInt32LE(dataIn.length, T.dataSizeIn);
    o.writeUInt32LE(dataOut.length, T.dataSizeOut);
    if (ctxIn && ctxOut) {
      o.writeBigUInt64LE(addressOf(ctxIn), T.ctxIn);
      o.writeBigUInt64LE(addressOf(ctxOut), T.ctxOut);
      o.writeUInt32LE(ctxIn.length, T.ctxSizeIn);
      o.writeUInt32LE(ctxOut.length, T.ctxSizeOut);
    }
    o.writeInt32LE(repeat, T.repeat);

    const rc = libbpf().bpf_prog_test_run_opts(this.#fd, o);
    // Keep the buffers alive until after the call (their addresses are in `o`).
    void [dataIn, dataOut, ctxIn, ctxOut];
    if (rc < 0) {
      const errno = errnoFrom(rc);
      let hint = "";
      if (errno === ENOSPC) hint = `; output needs ${o.readUInt32LE(T.dataSizeOut)} bytes, raise dataOutSize`;
      else if (errno === EINVAL && dataIn.length < ETH_HLEN) hint = `; packet programs need at least ${ETH_HLEN} bytes of data`;
      throw new Error(`BPF_PROG_TEST_RUN of program '${this.name}' failed: ${errnoText(errno)}${hint}`);
    }
    const outLen = Math.min(o.readUInt32LE(T.dataSizeOut), dataOut.length);
    const result: RunResult = {
      retval: o.readUInt32LE(T.retval),
      data: new Uint8Array(dataOut.subarray(0, outLen)),
      duration: o.readUInt32LE(T.duration),
    };
    if (ctxOut) result.ctx = new Uint8Array(ctxOut.subarray(0, Math.min(o.readUInt32LE(T.ctxSizeOut), ctxOut.length)));
    return result;
  }

  #check(): void {
    if (this.#owner.closed) throw new Error(`program '${this.name}' belongs to a closed BPF object`);
  }
}
