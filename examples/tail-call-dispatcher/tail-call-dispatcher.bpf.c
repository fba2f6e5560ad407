// C twin of tail-call-dispatcher.bpf.ts, for `npm run bench` (clang-19 -O2): same maps, same logic.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 4);
} stats SEC(".maps");

static __always_inline void count(__u32 path) {
  __u64 *n = bpf_map_lookup_elem(&stats, &path);
  if (n) *n += 1;
}

SEC("xdp")
int handle_tcp(struct xdp_md *ctx) {
  count(1);
  return XDP_PASS;
}

SEC("xdp")
int handle_udp(struct xdp_md *ctx) {
  count(2);
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct iphdr *ip = data + sizeof(struct ethhdr);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  struct udphdr *udp = (void *)ip + (ip->ihl * 4);
  if ((void *)(udp + 1) <= data_end && bpf_ntohs(udp->dest) == 9) return XDP_DROP;
  return XDP_PASS;
}

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 256);
  __uint(key_size, sizeof(__u32));
  __array(values, int (void *));
} handlers SEC(".maps") = {
  .values = { [IPPROTO_TCP] = (void *)&handle_tcp, [IPPROTO_UDP] = (void *)&handle_udp },
};

SEC("xdp")
int dispatcher(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  bpf_tail_call(ctx, &handlers, ip->protocol);
  count(0);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
