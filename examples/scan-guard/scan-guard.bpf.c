// SPDX-License-Identifier: GPL-2.0
// C twin of scan-guard.bpf.ts, for comparison with clang: a TCP SYN to a port where no socket
// listens (bpf_sk_lookup_tcp finds none) counts against its source; past LIMIT such probes the
// source's SYNs are dropped. SYNs to listening ports always pass.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u64 LIMIT = 8;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} probes SEC(".maps");

/* 0: SYNs to listening ports, 1: probes passed, 2: SYNs dropped. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 what)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &what);

	if (c)
		__sync_fetch_and_add(c, 1);
}

SEC("xdp")
int scan_guard(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	struct iphdr *ip;
	struct tcphdr *tcp;
	__u64 one = 1, *n;
	__u32 saddr;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end || (((__u8 *)tcp)[13] & 0x12) != 0x02)
		return XDP_PASS;

	t.ipv4.saddr = ip->saddr;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.sport = tcp->source;
	t.ipv4.dport = tcp->dest;
	sk = bpf_sk_lookup_tcp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		bpf_sk_release(sk);
		count(0);
		return XDP_PASS;
	}

	saddr = ip->saddr;
	n = bpf_map_lookup_elem(&probes, &saddr);
	if (!n) {
		bpf_map_update_elem(&probes, &saddr, &one, BPF_NOEXIST);
	} else {
		if (*n >= LIMIT) {
			count(2);
			return XDP_DROP;
		}
		__sync_fetch_and_add(n, 1);
	}
	count(1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
