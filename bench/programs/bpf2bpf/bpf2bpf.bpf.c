// C twin of bpf2bpf.bpf.ts: static __noinline functions, verified at each call site like tsbpf's
// @noinline functions (a non-static function could not take packet pointers).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 4);
} scores SEC(".maps");

static __noinline __u32 l4_port(struct xdp_md *ctx, struct iphdr *ip) {
  if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP) return 0;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct udphdr *l4 = data + 14 + ip->ihl * 4;
  if ((void *)(l4 + 1) > data_end) return 0;
  return bpf_ntohs(l4->dest);
}

static __noinline __u32 ip_score(struct iphdr *ip) {
  return ip->ttl + ip->protocol * 3 + (bpf_ntohs(ip->tot_len) & 0xff);
}

SEC("xdp")
int bpf2bpf(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  __u32 port = l4_port(ctx, ip);
  __u32 cls = port == 0 ? 0 : port < 1024 ? 1 : port < 49152 ? 2 : 3;
  __u64 *s = bpf_map_lookup_elem(&scores, &cls);
  if (s) *s += ip_score(ip);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
