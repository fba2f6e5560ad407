// C twin of fw-atomic.bpf.ts.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct stats {
  __u64 packets;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 1024);
} allow_src SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 65536);
} port_policy SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, struct stats);
  __uint(max_entries, 4);
} stats SEC(".maps");

static __always_inline void account(__u32 outcome, __u64 len) {
  struct stats *s = bpf_map_lookup_elem(&stats, &outcome);
  if (s) {
    __sync_fetch_and_add(&s->packets, 1);
    __sync_fetch_and_add(&s->bytes, len);
  }
}

SEC("xdp")
int fw_atomic(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u64 len = data_end - data;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  __u32 ihl = ip->ihl;
  if (ihl < 5) {
    account(2, len);
    return XDP_DROP;
  }
  __u32 saddr = ip->saddr;
  if (bpf_map_lookup_elem(&allow_src, &saddr)) {
    account(3, len);
    return XDP_PASS;
  }
  __u32 dport;
  void *l4 = (void *)ip + ihl * 4;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) > data_end) {
      account(2, len);
      return XDP_DROP;
    }
    dport = bpf_ntohs(tcp->dest);
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > data_end) {
      account(2, len);
      return XDP_DROP;
    }
    dport = bpf_ntohs(udp->dest);
  } else {
    account(0, len);
    return XDP_PASS;
  }
  __u32 *p = bpf_map_lookup_elem(&port_policy, &dport);
  if (p && *p != 0) {
    account(1, len);
    return XDP_DROP;
  }
  account(0, len);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
