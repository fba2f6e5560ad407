// C twin of tp-syscalls.bpf.ts.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct sys_enter {
  __u16 common_type;
  __u8 common_flags;
  __u8 common_preempt_count;
  __s32 common_pid;
  __s64 id;
  __u64 args[6];
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1024);
} syscall_counts SEC(".maps");

SEC("tp/raw_syscalls/sys_enter")
int tp_syscalls(struct sys_enter *ctx) {
  __u32 id = ctx->id;
  __u64 *c = bpf_map_lookup_elem(&syscall_counts, &id);
  if (c) {
    __sync_fetch_and_add(c, 1);
  } else {
    __u64 one = 1;
    bpf_map_update_elem(&syscall_counts, &id, &one, BPF_NOEXIST);
  }
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
