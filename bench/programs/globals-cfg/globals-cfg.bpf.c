// C twin of globals-cfg.bpf.ts.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 cfg_max_len = 1500;
const volatile __u32 cfg_drop_icmp = 1;
const volatile __u32 cfg_count_v6 = 0;
const volatile __u32 cfg_drop_ttl_below = 2;

__u64 seen = 0;
__u64 dropped = 0;
__u64 v6_seen = 0;
__u64 low_ttl = 0;

SEC("xdp")
int globals_cfg(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  seen += 1;
  if ((__u32)(data_end - data) > cfg_max_len) {
    dropped += 1;
    return XDP_DROP;
  }
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    if (cfg_count_v6) v6_seen += 1;
    return XDP_PASS;
  }
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  if (cfg_drop_icmp && ip->protocol == IPPROTO_ICMP) {
    dropped += 1;
    return XDP_DROP;
  }
  if (ip->ttl < cfg_drop_ttl_below) {
    low_ttl += 1;
    return XDP_DROP;
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
