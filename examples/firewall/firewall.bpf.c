// C twin of firewall.bpf.ts, for `npm run bench` (clang-19 -O2): same maps, same logic.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 4096);
} blocked_sources SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 65536);
} blocked_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 256);
} rule_hits SEC(".maps");

static __always_inline void count(__u32 rule) {
  __u32 key = rule & 0xff;
  __u64 *hits = bpf_map_lookup_elem(&rule_hits, &key);
  if (hits) *hits += 1;
}

SEC("xdp")
int firewall(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;

  __u32 saddr = ip->saddr;
  __u32 *by_source = bpf_map_lookup_elem(&blocked_sources, &saddr);
  if (by_source) {
    count(*by_source);
    return XDP_DROP;
  }
  if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
    struct udphdr *l4 = (void *)ip + ip->ihl * 4;
    if ((void *)(l4 + 1) <= data_end) {
      __u32 port = bpf_ntohs(l4->dest);
      __u32 *rule = bpf_map_lookup_elem(&blocked_ports, &port);
      if (rule && *rule != 0) {
        count(*rule);
        return XDP_DROP;
      }
    }
  }
  count(0);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
