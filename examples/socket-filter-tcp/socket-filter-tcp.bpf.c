// SPDX-License-Identifier: GPL-2.0
// C twin of socket-filter-tcp.bpf.ts, for comparison with clang: a socket filter that keeps only
// TCP over IPv4. Offsets count from the network header, so it works on any socket type.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
int socket_filter_tcp(struct __sk_buff *skb)
{
	struct iphdr iph;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	if (bpf_skb_load_bytes_relative(skb, 0, &iph, sizeof(iph), BPF_HDR_START_NET))
		return 0;
	if (iph.protocol != IPPROTO_TCP)
		return 0;
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
