// SPDX-License-Identifier: GPL-2.0
// C twin of xdp-pass.bpf.ts, for comparison with clang: the smallest XDP program, which lets
// every packet through.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
