// C twin of sockmap-redirect.bpf.ts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct conn {
	__u32 local_ip4;
	__u32 remote_ip4;
	__u32 local_port;
	__u32 remote_port;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, struct conn);
	__type(value, __u64);
} sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &i);
	if (c)
		__sync_fetch_and_add(c, 1);
}

SEC("sockops")
int add_established(struct bpf_sock_ops *ctx)
{
	struct conn key;

	if (ctx->family != 2)
		return 1;
	if (ctx->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB && ctx->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	key.local_ip4 = ctx->local_ip4;
	key.remote_ip4 = ctx->remote_ip4;
	key.local_port = ctx->local_port;
	key.remote_port = bpf_ntohs((__u16)(ctx->remote_port >> 16));
	if (bpf_sock_hash_update(ctx, &sockets, &key, BPF_ANY) == 0)
		count(0);
	return 1;
}

SEC("sk_msg")
int redirect_to_peer(struct sk_msg_md *ctx)
{
	struct conn peer;
	long verdict;

	peer.local_ip4 = ctx->remote_ip4;
	peer.remote_ip4 = ctx->local_ip4;
	peer.local_port = bpf_ntohs((__u16)(ctx->remote_port >> 16));
	peer.remote_port = ctx->local_port;
	verdict = bpf_msg_redirect_hash(ctx, &sockets, &peer, BPF_F_INGRESS);
	count(verdict == SK_PASS ? 1 : 2);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
