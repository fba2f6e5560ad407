// C twin of connect4-policy.bpf.ts, for `npm run bench` (clang-19 -O2): same maps, same logic.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u16);
  __type(value, __u16);
  __uint(max_entries, 256);
} blocked_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u16);
  __type(value, __u16);
  __uint(max_entries, 256);
} redirect_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 3);
} stats SEC(".maps");

static __always_inline void count(__u32 what)
{
  __u64 *c = bpf_map_lookup_elem(&stats, &what);
  if (c)
    __sync_fetch_and_add(c, 1);
}

SEC("cgroup/connect4")
int connect4_policy(struct bpf_sock_addr *ctx)
{
  __u16 port = bpf_ntohs((__u16)ctx->user_port);
  if (bpf_map_lookup_elem(&blocked_ports, &port)) {
    count(0);
    return 0;
  }
  __u16 *to = bpf_map_lookup_elem(&redirect_ports, &port);
  if (to) {
    ctx->user_port = bpf_htons(*to);
    count(1);
    return 1;
  }
  count(2);
  return 1;
}

char LICENSE[] SEC("license") = "GPL";
