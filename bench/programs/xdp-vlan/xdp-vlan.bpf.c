// C twin of xdp-vlan.bpf.ts.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
  __u16 h_vlan_TCI;
  __u16 h_vlan_encapsulated_proto;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 4096);
} vlan_packets SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 3);
} inner_proto SEC(".maps");

SEC("xdp")
int xdp_vlan(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  __u16 proto = eth->h_proto;
  __u32 vid = 0;
  __u32 off = 14;
  if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
    struct vlan_hdr *outer = data + 14;
    if ((void *)(outer + 1) > data_end) return XDP_DROP;
    vid = bpf_ntohs(outer->h_vlan_TCI) & 0x0fff;
    proto = outer->h_vlan_encapsulated_proto;
    off = 18;
    if (proto == bpf_htons(ETH_P_8021Q)) {
      struct vlan_hdr *inner = data + 18;
      if ((void *)(inner + 1) > data_end) return XDP_DROP;
      vid = bpf_ntohs(inner->h_vlan_TCI) & 0x0fff;
      proto = inner->h_vlan_encapsulated_proto;
      off = 22;
    }
  }
  __u64 *v = bpf_map_lookup_elem(&vlan_packets, &vid);
  if (v) *v += 1;
  __u32 cls = proto == bpf_htons(ETH_P_IP) ? 0 : proto == bpf_htons(ETH_P_IPV6) ? 1 : 2;
  __u64 *p = bpf_map_lookup_elem(&inner_proto, &cls);
  if (p) *p += off;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
