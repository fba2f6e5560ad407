// C twin of ip-sizes.bpf.ts: non-static __noinline functions are global functions, verified once
// from their BTF prototype; arg:nonnull says the struct pointers are never NULL.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))

struct size_stats {
  __u64 packets;
  __u64 bytes;
  __u64 small;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, struct size_stats);
  __uint(max_entries, 4);
} sizes SEC(".maps");

__noinline __u32 ip_len(struct iphdr *ip __arg_nonnull) { return bpf_ntohs(ip->tot_len); }

__noinline __u32 slot_of(__u32 proto) {
  if (proto == 6) return 1;
  if (proto == 17) return 2;
  if (proto == 1) return 3;
  return 0;
}

__noinline __u32 account(struct size_stats *s __arg_nonnull, __u32 len) {
  s->packets += 1;
  s->bytes += len;
  if (len >= 128) return 0;
  s->small += 1;
  return 1;
}

SEC("xdp")
int ip_sizes(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  __u32 slot = slot_of(ip->protocol);
  struct size_stats *s = bpf_map_lookup_elem(&sizes, &slot);
  if (s) account(s, ip_len(ip));
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
