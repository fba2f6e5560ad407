// C twin of icmp-echo.bpf.ts.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "../bench.h"

struct eth_words {
  __u16 d0, d1, d2, s0, s1, s2, proto;
};

struct icmp_words {
  __u16 type_code;
  __u16 checksum;
};

SEC("xdp")
int icmp_echo(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct eth_words *eth = data;
  if ((void *)(eth + 1) > data_end || eth->proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = data + 14;
  if ((void *)(ip + 1) > data_end || *(__u8 *)ip != 0x45 || ip->protocol != IPPROTO_ICMP) return XDP_PASS;
  struct icmp_words *icmp = data + 34;
  if ((void *)(icmp + 1) > data_end || icmp->type_code != bpf_htons(0x0800)) return XDP_PASS;

  __u16 d0 = eth->d0, d1 = eth->d1, d2 = eth->d2;
  eth->d0 = eth->s0;
  eth->d1 = eth->s1;
  eth->d2 = eth->s2;
  eth->s0 = d0;
  eth->s1 = d1;
  eth->s2 = d2;

  __u32 saddr = ip->saddr;
  ip->saddr = ip->daddr;
  ip->daddr = saddr;
  __u16 old_word = ip->ttl | (ip->protocol << 8);
  __u16 new_word = 64 | (ip->protocol << 8);
  ip->check = csum_replace2(ip->check, old_word, new_word);
  ip->ttl = 64;

  icmp->checksum = csum_replace2(icmp->checksum, icmp->type_code, 0);
  icmp->type_code = 0;
  return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
