// The threads of one process, as `ps -L -p PID` lists them: a task iterator that user space attaches
// with attachIterator(prog, { task: { pid } }), so the kernel walks only that process's threads.
// Each read of the link prints one line per thread from the kernel's struct task_struct.
import { iter, seqPrintf } from "tsbpf/bpf";
// Kernel types from `npx tsbpf vmlinux --only bpf_iter_task --depth 1 -o vmlinux.d.ts` (see README).
import type {} from "./vmlinux";

/** One line per thread: "tid user_ns system_ns voluntary_switches involuntary_switches comm". */
export const threads = iter("task", (meta, task) => {
  if (task === null || meta === null) return 0; // the last call, after the last thread
  const seq = meta.seq;
  if (seq === null) return 0;
  seqPrintf(seq, "%d %llu %llu %lu %lu %s\n", task.pid, task.utime, task.stime, task.nvcsw, task.nivcsw, task.comm);
  return 0;
});

export const LICENSE = "GPL";
