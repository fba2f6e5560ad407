// Shared helpers for the benchmark's C twins: the same RFC 1624 incremental checksum update
// tsbpf's csumReplace2/csumReplace4 compute.
#pragma once
#include <linux/types.h>

static __always_inline __u16 csum_fold32(__u32 sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)(sum ^ 0xffff);
}

static __always_inline __u16 csum_replace2(__u16 check, __u16 from, __u16 to) {
  return csum_fold32((__u32)(check ^ 0xffff) + (__u32)(from ^ 0xffff) + to);
}

static __always_inline __u16 csum_replace4(__u16 check, __u32 from, __u32 to) {
  __u32 nf = ~from;
  return csum_fold32((__u32)(check ^ 0xffff) + (nf & 0xffff) + (nf >> 16) + (to & 0xffff) + (to >> 16));
}
