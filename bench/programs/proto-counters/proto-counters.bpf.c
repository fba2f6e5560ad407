// C twin of proto-counters.bpf.ts.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct counter {
  __u64 packets;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32);
  __type(value, struct counter);
  __uint(max_entries, 256);
} v4_counters SEC(".maps"), v6_counters SEC(".maps");

SEC("xdp")
int proto_counters(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end) return XDP_PASS;
    __u32 key = ip->protocol;
    struct counter *c = bpf_map_lookup_elem(&v4_counters, &key);
    if (c) {
      c->packets += 1;
      c->bytes += data_end - data;
    }
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > data_end) return XDP_PASS;
    __u32 key = ip6->nexthdr;
    struct counter *c = bpf_map_lookup_elem(&v6_counters, &key);
    if (c) {
      c->packets += 1;
      c->bytes += data_end - data;
    }
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
