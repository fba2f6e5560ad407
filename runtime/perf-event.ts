// Why: perf_event programs (section "perf_event") run on the samples of a perf event; attaching
// one means opening the event with perf_event_open(2), handing it the program
// (PERF_EVENT_IOC_SET_BPF) and enabling it. close() disables the event and closes it, which
// detaches the program.

import { BPF_PROG_TYPE } from "../common/program-types.js";
import { AttachError, Link } from "./link.js";
import type { ProgramHandle } from "./types.js";
import { closeFd, ioctlInt, lastErrno, perfEventOpen } from "./libbpf.js";

const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_DISABLE = 0x2401;
const PERF_EVENT_IOC_SET_BPF = 0x40042408;
const ATTR_SIZE = 128;
const EINVAL = 22;

/** perf_event_attr.type. */
export const PERF_TYPE = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, RAW: 4, BREAKPOINT: 5 } as const;
/** perf_event_attr.config for PERF_TYPE.SOFTWARE. */
export const PERF_COUNT_SW = { CPU_CLOCK: 0, TASK_CLOCK: 1, PAGE_FAULTS: 2, CONTEXT_SWITCHES: 3, CPU_MIGRATIONS: 4 } as const;
/** perf_event_attr.config for PERF_TYPE.HARDWARE. */
export const PERF_COUNT_HW = {
  CPU_CYCLES: 0,
  INSTRUCTIONS: 1,
  CACHE_REFERENCES: 2,
  CACHE_MISSES: 3,
  BRANCH_INSTRUCTIONS: 4,
  BRANCH_MISSES: 5,
} as const;

export interface PerfEventOptions {
  /** PERF_TYPE.* (default SOFTWARE). */
  type?: number;
  /** The event within the type (default PERF_COUNT_SW.CPU_CLOCK). */
  config?: number;
  /** Run the program every `samplePeriod` events (for CPU_CLOCK: nanoseconds). Default 1_000_000. */
  samplePeriod?: number | bigint;
  /** Process to watch: -1 (default) every process (then `cpu` must be a CPU), 0 this process, or a pid. */
  pid?: number;
  /** CPU to watch: -1 any (needs a pid), or a CPU number (default 0). */
  cpu?: number;
}

/**
 * perf_event_open(2) with `opts` (samplePeriod 0: a counting event, for perfEventRead from BPF via a
 * PerfEventArray); returns the event fd, which the caller closes. Starts disabled unless `enabled`.
 */
export function openPerfEvent(opts: PerfEventOptions & { enabled?: boolean } = {}): number {
  const type = opts.type ?? PERF_TYPE.SOFTWARE;
  const config = opts.config ?? PERF_COUNT_SW.CPU_CLOCK;
  const pid = opts.pid ?? -1;
  const cpu = opts.cpu ?? (pid === -1 ? 0 : -1);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(type, 0);
  attr.writeUInt32LE(ATTR_SIZE, 4);
  attr.writeBigUInt64LE(BigInt(config), 8);
  attr.writeBigUInt64LE(BigInt(opts.samplePeriod ?? 1_000_000), 16);
  attr.writeBigUInt64LE(opts.enabled ? 0n : 1n, 40); // bit 0: disabled
  const fd = perfEventOpen(attr, pid, cpu, -1, 0);
  if (fd < 0) {
    const errno = lastErrno();
    const what = `perf_event_open(type ${type}, config ${config}, pid ${pid}, cpu ${cpu})`;
    throw new Error(`${what} failed: errno ${errno}${errno === 2 ? " (this kernel or CPU has no such event)" : ""}`);
  }
  return fd;
}

/** Open a perf event and attach a perf_event program to it; closing the link detaches and closes the event. */
export function attachPerfEvent(prog: ProgramHandle, opts: PerfEventOptions = {}): Link {
  const pid = opts.pid ?? -1;
  const cpu = opts.cpu ?? (pid === -1 ? 0 : -1);
  const target = `perf_event:type ${opts.type ?? PERF_TYPE.SOFTWARE} config ${opts.config ?? PERF_COUNT_SW.CPU_CLOCK} pid ${pid} cpu ${cpu}`;
  if (prog.type !== BPF_PROG_TYPE.PERF_EVENT) {
    throw new AttachError(
      prog.name,
      target,
      EINVAL,
      `; only perf_event programs (section 'perf_event') attach to perf events (section '${prog.section}')`,
    );
  }
  const progFd = prog.fd;
  if (progFd < 0) throw new Error(`program '${prog.name}' is not loaded, so it cannot be attached`);
  let fd: number;
  try {
    fd = openPerfEvent({ ...opts, pid, cpu });
  } catch (e) {
    throw new AttachError(prog.name, target, lastErrno() || EINVAL, `; ${(e as Error).message}`);
  }
  if (ioctlInt(fd, PERF_EVENT_IOC_SET_BPF, progFd) < 0 || ioctlInt(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
    const errno = lastErrno();
    closeFd(fd);
    throw new AttachError(prog.name, target, errno);
  }
  return new Link(prog.name, target, {
    fd: () => -1,
    destroy() {
      ioctlInt(fd, PERF_EVENT_IOC_DISABLE, 0);
      closeFd(fd);
    },
  });
}
