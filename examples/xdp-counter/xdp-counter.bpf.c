// SPDX-License-Identifier: GPL-2.0
// C twin of xdp-counter.bpf.ts, for comparison with clang: per-protocol packet and byte counters.
// Parse Ethernet and IPv4 (bounds-checked), then count in a per-CPU array indexed by the IP
// protocol number. Every packet is passed on.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct counter {
	__u64 packets;
	__u64 bytes;
};

/* Index: the IPv4 protocol number (6 = TCP, 17 = UDP, 1 = ICMP, ...). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct counter);
} counters SEC(".maps");

SEC("xdp")
int xdp_counter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct counter *c;
	__u32 key;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;

	key = ip->protocol;
	c = bpf_map_lookup_elem(&counters, &key);
	if (c) {
		/* Per-CPU values: no other CPU writes this copy, so no atomics needed. */
		c->packets += 1;
		c->bytes += (__u32)(data_end - data);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
