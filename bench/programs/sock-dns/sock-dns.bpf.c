// C twin of sock-dns.bpf.ts.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
int sock_dns(struct __sk_buff *skb) {
  if (skb->protocol != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr ip;
  if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET)) return 0;
  if (ip.protocol != IPPROTO_UDP && ip.protocol != IPPROTO_TCP) return 0;
  if (ip.frag_off & bpf_htons(0x1fff)) return 0;
  struct udphdr ports;
  if (bpf_skb_load_bytes_relative(skb, ip.ihl * 4, &ports, sizeof(ports), BPF_HDR_START_NET)) return 0;
  if (ports.dest == bpf_htons(53) || ports.source == bpf_htons(53)) return skb->len;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
