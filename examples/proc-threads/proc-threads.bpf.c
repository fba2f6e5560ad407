// The C twin of proc-threads.bpf.ts (libbpf style; iterator fields are trusted BTF pointers).
//   bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
//   clang -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu -c proc-threads.bpf.c -o proc-threads.c.o
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("iter/task")
int threads(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	BPF_SEQ_PRINTF(seq, "%d %llu %llu %lu %lu %s\n", task->pid, task->utime, task->stime, task->nvcsw, task->nivcsw,
		       task->comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
