// Program types, attach types and the libbpf section names that select them, in the one place both
// the compiler (which program type a wrapper makes, which helpers it may call) and the runtime (which
// programs each attach function accepts, `tsbpf run --attach`) read them. Numbers are the kernel's
// uapi enums (enum bpf_prog_type, enum bpf_attach_type); test/intrinsics.test.ts checks them against
// /sys/kernel/btf/vmlinux.

/** enum bpf_prog_type, without the BPF_PROG_TYPE_ prefix. */
export const BPF_PROG_TYPE = {
  SOCKET_FILTER: 1,
  KPROBE: 2,
  SCHED_CLS: 3,
  SCHED_ACT: 4,
  TRACEPOINT: 5,
  XDP: 6,
  PERF_EVENT: 7,
  CGROUP_SKB: 8,
  CGROUP_SOCK: 9,
  LWT_IN: 10,
  LWT_OUT: 11,
  LWT_XMIT: 12,
  SOCK_OPS: 13,
  SK_SKB: 14,
  CGROUP_DEVICE: 15,
  SK_MSG: 16,
  RAW_TRACEPOINT: 17,
  CGROUP_SOCK_ADDR: 18,
  LWT_SEG6LOCAL: 19,
  LIRC_MODE2: 20,
  SK_REUSEPORT: 21,
  FLOW_DISSECTOR: 22,
  CGROUP_SYSCTL: 23,
  RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25,
  TRACING: 26,
  STRUCT_OPS: 27,
  EXT: 28,
  LSM: 29,
  SK_LOOKUP: 30,
  SYSCALL: 31,
  NETFILTER: 32,
} as const;
export type ProgTypeName = keyof typeof BPF_PROG_TYPE;

/** enum bpf_attach_type, without the BPF_ prefix (the ones tsbpf's sections use). */
export const BPF_ATTACH_TYPE = {
  CGROUP_INET_INGRESS: 0,
  CGROUP_INET_EGRESS: 1,
  CGROUP_INET_SOCK_CREATE: 2,
  CGROUP_SOCK_OPS: 3,
  SK_SKB_STREAM_PARSER: 4,
  SK_SKB_STREAM_VERDICT: 5,
  CGROUP_DEVICE: 6,
  SK_MSG_VERDICT: 7,
  CGROUP_INET4_BIND: 8,
  CGROUP_INET6_BIND: 9,
  CGROUP_INET4_CONNECT: 10,
  CGROUP_INET6_CONNECT: 11,
  CGROUP_INET4_POST_BIND: 12,
  CGROUP_INET6_POST_BIND: 13,
  CGROUP_UDP4_SENDMSG: 14,
  CGROUP_UDP6_SENDMSG: 15,
  FLOW_DISSECTOR: 17,
  CGROUP_SYSCTL: 18,
  CGROUP_UDP4_RECVMSG: 19,
  CGROUP_UDP6_RECVMSG: 20,
  CGROUP_GETSOCKOPT: 21,
  CGROUP_SETSOCKOPT: 22,
  TRACE_RAW_TP: 23,
  TRACE_FENTRY: 24,
  TRACE_FEXIT: 25,
  LSM_MAC: 27,
  TRACE_ITER: 28,
  CGROUP_INET4_GETPEERNAME: 29,
  CGROUP_INET6_GETPEERNAME: 30,
  CGROUP_INET4_GETSOCKNAME: 31,
  CGROUP_INET6_GETSOCKNAME: 32,
  CGROUP_INET_SOCK_RELEASE: 34,
  SK_LOOKUP: 36,
  XDP: 37,
  SK_SKB_VERDICT: 38,
  PERF_EVENT: 41,
  NETFILTER: 45,
  TCX_INGRESS: 46,
  TCX_EGRESS: 47,
} as const;
export type AttachTypeName = keyof typeof BPF_ATTACH_TYPE;

/** How the runtime attaches a program of a section (runtime/attach.ts has one function for each). */
export type AttachVia =
  | "xdp"
  | "tc"
  | "socket"
  | "cgroup"
  | "tracepoint"
  | "raw_tp"
  | "tracing"
  | "kprobe"
  | "uprobe"
  | "netns"
  | "netfilter"
  | "sockmap"
  | "none";

export interface SectionType {
  /** Section name, or its prefix when it ends in '/' (the rest names the attach point). */
  section: string;
  type: ProgTypeName;
  /** Expected attach type the loader passes to the kernel (libbpf does the same from the name). */
  attach?: AttachTypeName;
  via: AttachVia;
}

/** The sections tsbpf emits (and libbpf understands), most specific first. */
export const SECTION_TYPES: readonly SectionType[] = [
  { section: "xdp.frags", type: "XDP", attach: "XDP", via: "xdp" },
  { section: "xdp", type: "XDP", attach: "XDP", via: "xdp" },
  { section: "tc", type: "SCHED_CLS", via: "tc" },
  { section: "classifier", type: "SCHED_CLS", via: "tc" },
  { section: "action", type: "SCHED_ACT", via: "tc" },
  { section: "socket", type: "SOCKET_FILTER", via: "socket" },
  { section: "cgroup_skb/ingress", type: "CGROUP_SKB", attach: "CGROUP_INET_INGRESS", via: "cgroup" },
  { section: "cgroup_skb/egress", type: "CGROUP_SKB", attach: "CGROUP_INET_EGRESS", via: "cgroup" },
  { section: "cgroup/sock_create", type: "CGROUP_SOCK", attach: "CGROUP_INET_SOCK_CREATE", via: "cgroup" },
  { section: "cgroup/sock_release", type: "CGROUP_SOCK", attach: "CGROUP_INET_SOCK_RELEASE", via: "cgroup" },
  { section: "cgroup/post_bind4", type: "CGROUP_SOCK", attach: "CGROUP_INET4_POST_BIND", via: "cgroup" },
  { section: "cgroup/post_bind6", type: "CGROUP_SOCK", attach: "CGROUP_INET6_POST_BIND", via: "cgroup" },
  { section: "cgroup/connect4", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_INET4_CONNECT", via: "cgroup" },
  { section: "cgroup/connect6", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_INET6_CONNECT", via: "cgroup" },
  { section: "cgroup/bind4", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_INET4_BIND", via: "cgroup" },
  { section: "cgroup/bind6", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_INET6_BIND", via: "cgroup" },
  { section: "cgroup/sendmsg4", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_UDP4_SENDMSG", via: "cgroup" },
  { section: "cgroup/sendmsg6", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_UDP6_SENDMSG", via: "cgroup" },
  { section: "cgroup/recvmsg4", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_UDP4_RECVMSG", via: "cgroup" },
  { section: "cgroup/recvmsg6", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_UDP6_RECVMSG", via: "cgroup" },
  { section: "cgroup/getpeername4", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_INET4_GETPEERNAME", via: "cgroup" },
  { section: "cgroup/getpeername6", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_INET6_GETPEERNAME", via: "cgroup" },
  { section: "cgroup/getsockname4", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_INET4_GETSOCKNAME", via: "cgroup" },
  { section: "cgroup/getsockname6", type: "CGROUP_SOCK_ADDR", attach: "CGROUP_INET6_GETSOCKNAME", via: "cgroup" },
  { section: "cgroup/dev", type: "CGROUP_DEVICE", attach: "CGROUP_DEVICE", via: "cgroup" },
  { section: "cgroup/sysctl", type: "CGROUP_SYSCTL", attach: "CGROUP_SYSCTL", via: "cgroup" },
  { section: "cgroup/getsockopt", type: "CGROUP_SOCKOPT", attach: "CGROUP_GETSOCKOPT", via: "cgroup" },
  { section: "cgroup/setsockopt", type: "CGROUP_SOCKOPT", attach: "CGROUP_SETSOCKOPT", via: "cgroup" },
  { section: "sockops", type: "SOCK_OPS", attach: "CGROUP_SOCK_OPS", via: "cgroup" },
  { section: "sk_skb/stream_parser", type: "SK_SKB", attach: "SK_SKB_STREAM_PARSER", via: "sockmap" },
  { section: "sk_skb/stream_verdict", type: "SK_SKB", attach: "SK_SKB_STREAM_VERDICT", via: "sockmap" },
  // libbpf 1.1 loads plain "sk_skb" without an expected attach type; the runtime attaches it as BPF_SK_SKB_VERDICT.
  { section: "sk_skb", type: "SK_SKB", attach: "SK_SKB_VERDICT", via: "sockmap" },
  { section: "sk_msg", type: "SK_MSG", attach: "SK_MSG_VERDICT", via: "sockmap" },
  { section: "sk_lookup", type: "SK_LOOKUP", attach: "SK_LOOKUP", via: "netns" },
  { section: "tp/", type: "TRACEPOINT", via: "tracepoint" },
  { section: "tracepoint/", type: "TRACEPOINT", via: "tracepoint" },
  { section: "raw_tp/", type: "RAW_TRACEPOINT", via: "raw_tp" },
  { section: "raw_tracepoint/", type: "RAW_TRACEPOINT", via: "raw_tp" },
  { section: "raw_tp.w/", type: "RAW_TRACEPOINT_WRITABLE", via: "raw_tp" },
  { section: "tp_btf/", type: "TRACING", attach: "TRACE_RAW_TP", via: "tracing" },
  { section: "fentry/", type: "TRACING", attach: "TRACE_FENTRY", via: "tracing" },
  { section: "fexit/", type: "TRACING", attach: "TRACE_FEXIT", via: "tracing" },
  { section: "iter/", type: "TRACING", attach: "TRACE_ITER", via: "tracing" },
  { section: "lsm/", type: "LSM", attach: "LSM_MAC", via: "tracing" },
  { section: "kprobe/", type: "KPROBE", via: "kprobe" },
  { section: "kretprobe/", type: "KPROBE", via: "kprobe" },
  { section: "uprobe/", type: "KPROBE", via: "uprobe" },
  { section: "uretprobe/", type: "KPROBE", via: "uprobe" },
  { section: "perf_event", type: "PERF_EVENT", via: "none" },
  { section: "flow_dissector", type: "FLOW_DISSECTOR", attach: "FLOW_DISSECTOR", via: "netns" },
  { section: "netfilter", type: "NETFILTER", attach: "NETFILTER", via: "netfilter" },
];

/** The section record a section name matches, or undefined for a section tsbpf does not know. */
export function sectionType(section: string): SectionType | undefined {
  return SECTION_TYPES.find((s) => (s.section.endsWith("/") ? section.startsWith(s.section) : section === s.section));
}

/** Program type numbers of every section attached with `via`. */
export function progTypesFor(...via: AttachVia[]): number[] {
  return [...new Set(SECTION_TYPES.filter((s) => via.includes(s.via)).map((s) => BPF_PROG_TYPE[s.type]))];
}

/** A readable name of a program type number ("XDP", "SCHED_CLS"), for messages. */
export function progTypeName(type: number): string {
  return Object.entries(BPF_PROG_TYPE).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
}
