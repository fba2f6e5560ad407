// C twin of payload-loop.bpf.ts.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct digest {
  __u64 sum;
  __u32 hash;
  __u32 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, struct digest);
  __uint(max_entries, 1);
} digests SEC(".maps");

SEC("xdp")
int payload_loop(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u64 sum = 0;
  __u32 hash = 2166136261u;
  __u32 n = 0;
  for (__u32 i = 0; i < 64; i++) {
    __u8 *b = data + 42 + i;
    if ((void *)(b + 1) > data_end) break;
    sum += *b;
    hash = (hash ^ *b) * 16777619u;
    n++;
  }
  __u32 key = 0;
  struct digest *d = bpf_map_lookup_elem(&digests, &key);
  if (d) {
    d->sum += sum;
    d->hash ^= hash;
    d->bytes += n;
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
