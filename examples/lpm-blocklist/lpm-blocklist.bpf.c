// C twin of lpm-blocklist.bpf.ts, for `npm run bench` (clang-19 -O2): same maps, same logic.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct ipv4_prefix {
  __u32 prefixlen;
  __u32 addr;
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __type(key, struct ipv4_prefix);
  __type(value, __u64);
  __uint(max_entries, 1024);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 2);
} stats SEC(".maps");

static __always_inline void count(__u32 i) {
  __u64 *n = bpf_map_lookup_elem(&stats, &i);
  if (n) *n += 1;
}

SEC("xdp")
int lpm_blocklist(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;

  struct ipv4_prefix key = { .prefixlen = 32, .addr = ip->saddr };
  __u64 *hit = bpf_map_lookup_elem(&blocklist, &key);
  if (hit) {
    __sync_fetch_and_add(hit, 1);
    count(1);
    return XDP_DROP;
  }
  count(0);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
