// The C twin of exec-tracer.bpf.ts (libbpf style, CO-RE through BPF_CORE_READ), for comparison
// with clang in `npm run bench`:
//   bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
//   clang -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu -c exec-tracer.bpf.c -o exec-tracer.c.o
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct exec_event {
	int pid;
	int ppid;
	unsigned char comm[16];
	unsigned char filename[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_tracer, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_event ev = {};

	if (!task || !bprm)
		return 0;
	ev.pid = BPF_CORE_READ(task, tgid);
	ev.ppid = BPF_CORE_READ(task, real_parent, tgid);
	BPF_CORE_READ_INTO(&ev.comm, task, comm);
	bpf_probe_read_kernel_str(ev.filename, sizeof(ev.filename), BPF_CORE_READ(bprm, filename));
	bpf_ringbuf_output(&events, &ev, sizeof(ev), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
