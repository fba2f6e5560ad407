// C twin of xdp-redirect.bpf.ts, for `npm run bench` (clang-19 -O2): same maps, same logic.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
  __uint(max_entries, 1);
} tx_port SEC(".maps");

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
int xdp_redirect(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  long action = bpf_redirect_map(&tx_port, 0, XDP_PASS);
  count(action == XDP_REDIRECT ? 0 : 1);
  return action;
}

char LICENSE[] SEC("license") = "GPL";
