// The C twin of unlink-watch.bpf.ts (libbpf style, CO-RE through BPF_CORE_READ).
//   bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
//   clang -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu -c unlink-watch.bpf.c -o unlink-watch.c.o
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct unlink_event {
	__u32 pid;
	int ret;
	unsigned char comm[16];
	unsigned char name[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("fexit/do_unlinkat")
int BPF_PROG(unlink_watch, int dfd, struct filename *name, int ret)
{
	struct unlink_event ev = {};

	if (!name)
		return 0;
	ev.pid = bpf_get_current_pid_tgid() >> 32;
	ev.ret = ret;
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	bpf_probe_read_kernel_str(ev.name, sizeof(ev.name), BPF_CORE_READ(name, name));
	bpf_ringbuf_output(&events, &ev, sizeof(ev), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
