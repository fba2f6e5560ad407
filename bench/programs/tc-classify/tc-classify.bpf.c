// C twin of tc-classify.bpf.ts.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int tc_classify(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return TC_ACT_OK;
  __u32 mark;
  switch (ip->protocol) {
  case IPPROTO_TCP: mark = 0x10; break;
  case IPPROTO_UDP: mark = 0x20; break;
  case IPPROTO_ICMP: mark = 0x30; break;
  case 47: mark = 0x40; break;
  case 50: mark = 0x50; break;
  default: return TC_ACT_OK;
  }
  if (mark <= 0x20) {
    struct udphdr *l4 = (void *)ip + ip->ihl * 4;
    if ((void *)(l4 + 1) <= data_end) {
      switch (bpf_ntohs(l4->dest)) {
      case 22: mark |= 1; break;
      case 53: mark |= 2; break;
      case 80:
      case 443: mark |= 3; break;
      case 8080: mark |= 4; break;
      }
    }
  }
  skb->mark = mark;
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
