// Every exec on the machine, with the parent's pid: a BTF tracepoint on sched_process_exec reads the
// new task's pid, its parent's tgid and its name through CO-RE field accesses (relocated by libbpf
// for the running kernel) and sends one event per exec to user space through a ring buffer.
import { tpBtf, RingBuf, zero, probeReadKernelStr, type i32, type u8, type FixedArray } from "tsbpf/bpf";
// Kernel types from `npx tsbpf vmlinux --only sched_process_exec --depth 1 -o vmlinux.d.ts` (see README).
import type {} from "./vmlinux";

export interface ExecEvent {
  pid: i32;
  ppid: i32;
  comm: FixedArray<u8, 16>;
  filename: FixedArray<u8, 64>;
}

const events = new RingBuf<ExecEvent>(256 * 1024);

// sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
export const exec_tracer = tpBtf("sched_process_exec", (task, oldPid, bprm) => {
  if (task === null || bprm === null) return 0;
  const ev: ExecEvent = zero<ExecEvent>();
  ev.pid = task.tgid;
  const parent = task.real_parent;
  if (parent !== null) ev.ppid = parent.tgid;
  ev.comm = task.comm;
  probeReadKernelStr(ev.filename, bprm.filename);
  events.output(ev);
  return 0;
});

export const LICENSE = "GPL";
