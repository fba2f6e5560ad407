// Tracing program kinds: a syscall tracepoint with a typed record that reports events through a ring
// buffer, a raw tracepoint reading its arguments, and a kprobe reading pt_regs.
import {
  tracepoint, rawTracepoint, kprobe, HashMap, RingBuf, getCurrentPidTgid, getCurrentComm,
  probeReadUserStr, ktimeGetNs, zero, u32,
  type u8, type u16, type i32, type i64, type u64, type FixedArray,
} from "tsbpf/bpf";

/** /sys/kernel/tracing/events/syscalls/sys_enter_openat/format */
interface SysEnterOpenat {
  common_type: u16;
  common_flags: u8;
  common_preempt_count: u8;
  common_pid: i32;
  __syscall_nr: i32;
  dfd: u64;
  filename: u64;
  flags: u64;
  mode: u64;
}

export interface OpenEvent {
  pid: u32;
  flags: u32;
  ts: u64;
  comm: FixedArray<u8, 16>;
  path: FixedArray<u8, 64>;
}

const opens = new HashMap<u32, u64>(1024);
const events = new RingBuf<OpenEvent>(65536);

export const on_openat = tracepoint<SysEnterOpenat>("syscalls", "sys_enter_openat", (ctx) => {
  const pid = u32(getCurrentPidTgid() >> 32);
  const c = opens.lookup(pid);
  if (c !== null) c.value += 1;
  else opens.update(pid, 1);

  const ev: OpenEvent = { pid, flags: u32(ctx.flags), ts: ktimeGetNs(), comm: getCurrentComm(), path: zero<FixedArray<u8, 64>>() };
  probeReadUserStr(ev.path, ctx.filename);
  events.output(ev);
  return 0;
});

const execs = new HashMap<u32, u64>(64);

export const on_exec_raw = rawTracepoint("sched_process_exec", (ctx) => {
  const key: u32 = 0;
  const v = execs.lookup(key);
  if (v !== null) v.value += ctx.arg(0) !== 0 ? 1 : 0;
  return 0;
});

const calls = new HashMap<u32, i64>(64);

export const on_getpid_kprobe = kprobe("__x64_sys_getpid", (ctx) => {
  calls.update(u32(ctx.arg(0)), 1);
  return 0;
});

export const LICENSE = "GPL";
