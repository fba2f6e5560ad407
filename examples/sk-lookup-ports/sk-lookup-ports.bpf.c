// C twin of sk-lookup-ports.bpf.ts, for comparison with clang (npm run bench).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct port_range {
	__u32 first;
	__u32 last;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} target SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct port_range);
} range SEC(".maps");

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

SEC("sk_lookup")
int steer_ports(struct bpf_sk_lookup *ctx)
{
	__u32 zero = 0;
	struct port_range *r;
	struct bpf_sock *sk;
	long rc;

	if (ctx->protocol != 6)
		return SK_PASS;
	r = bpf_map_lookup_elem(&range, &zero);
	if (!r || ctx->local_port < r->first || ctx->local_port > r->last)
		return SK_PASS;
	sk = bpf_map_lookup_elem(&target, &zero);
	if (!sk) {
		count(2);
		return SK_PASS;
	}
	rc = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	count(rc == 0 ? 0 : 1);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
