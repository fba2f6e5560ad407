// C twin of flow-timeout.bpf.ts, for `npm run bench` (clang-19 -O2): same maps, same logic.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define CLOCK_MONOTONIC 1

struct flow_key {
  __u32 saddr;
  __u32 daddr;
  __u16 sport;
  __u16 dport;
  __u32 proto;
};

struct flow {
  struct bpf_timer timer;
  __u64 packets;
  __u64 bytes;
  __u64 last_seen;
};

struct ports {
  __u16 source;
  __u16 dest;
};

const volatile __u64 IDLE_NS = 10000000000ULL;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, struct flow_key);
  __type(value, struct flow);
  __uint(max_entries, 4096);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 2);
} stats SEC(".maps");

static __always_inline void bump(__u32 i) {
  __u64 *n = bpf_map_lookup_elem(&stats, &i);
  if (n) __sync_fetch_and_add(n, 1);
}

static int expire(void *map, struct flow_key *key, struct flow *flow) {
  __u64 idle = bpf_ktime_get_ns() - flow->last_seen;
  if (idle < IDLE_NS) {
    bpf_timer_start(&flow->timer, IDLE_NS - idle, 0);
    return 0;
  }
  bpf_map_delete_elem(&flows, key);
  bump(1);
  return 0;
}

SEC("xdp")
int flow_timeout(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  struct flow_key key = { .saddr = ip->saddr, .daddr = ip->daddr, .proto = ip->protocol };
  if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
    struct ports *p = (void *)ip + ip->ihl * 4;
    if ((void *)(p + 1) <= data_end) {
      key.sport = p->source;
      key.dport = p->dest;
    }
  }
  __u64 now = bpf_ktime_get_ns();
  __u32 len = data_end - data;
  struct flow *seen = bpf_map_lookup_elem(&flows, &key);
  if (seen) {
    seen->packets += 1;
    seen->bytes += len;
    seen->last_seen = now;
    return XDP_PASS;
  }
  struct flow fresh = { .packets = 1, .bytes = len, .last_seen = now };
  if (bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST)) return XDP_PASS;
  struct flow *f = bpf_map_lookup_elem(&flows, &key);
  if (!f) return XDP_PASS;
  if (bpf_timer_init(&f->timer, &flows, CLOCK_MONOTONIC)) return XDP_PASS;
  bpf_timer_set_callback(&f->timer, expire);
  bpf_timer_start(&f->timer, IDLE_NS, 0);
  bump(0);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
