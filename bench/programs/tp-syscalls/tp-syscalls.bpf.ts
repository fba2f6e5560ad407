// Benchmark: count system calls by number from the raw_syscalls/sys_enter tracepoint, with the
// usual lookup-or-init pattern on a hash map.
import { tracepoint, HashMap, UpdateFlags, atomicAdd, u32, type u8, type u16, type i32, type i64, type u64, type FixedArray } from "tsbpf/bpf";

/** /sys/kernel/tracing/events/raw_syscalls/sys_enter/format */
interface SysEnter {
  common_type: u16;
  common_flags: u8;
  common_preempt_count: u8;
  common_pid: i32;
  id: i64;
  args: FixedArray<u64, 6>;
}

const syscall_counts = new HashMap<u32, u64>(1024);

export const tp_syscalls = tracepoint<SysEnter>("raw_syscalls", "sys_enter", (ctx) => {
  const id = u32(ctx.id);
  const c = syscall_counts.lookup(id);
  if (c !== null) atomicAdd(c.value, 1);
  else syscall_counts.update(id, 1, UpdateFlags.NOEXIST);
  return 0;
});

export const LICENSE = "GPL";
