// One record per program wrapper in stdlib: its libbpf section (built from the wrapper's string
// arguments), how the body sees its context, and the context's readable/writable fields (offset and
// size as the kernel's uapi headers lay them out), and its docs row (PROGRAM_KIND_DOCS, written into
// docs/language.md by `npm run docs:gen`). Adding a program kind touches this file and its
// declaration in stdlib/bpf.d.ts; the runtime's section table (common/program-types.ts) too when
// libbpf does not know the section.

import { INT_TYPES, type CInt, type CStruct, type CType } from "../../common/ctypes.js";
import type { ProgTypeName } from "../../common/program-types.js";

export interface CtxField {
  offset: number;
  /** 2: a 16-bit member (read zero-extended into a u32). */
  size: 2 | 4 | 8;
  writable?: boolean;
  /** A pointer field: reading it gives a reference to this struct (the flow dissector's flow_keys). */
  points?: CStruct;
  /** A trusted BTF pointer to this kernel struct (netfilter's state, skb): read through a vmlinux.d.ts view. */
  kernel?: string;
}

export type CtxShape =
  /** Named fields of a kernel struct (xdp_md, __sk_buff). */
  | { kind: "fields"; fields: Record<string, CtxField> }
  /** The context is a struct the user declares (tracepoint records), given as the type argument. */
  | { kind: "typed" }
  /** An array of u64 arguments (raw tracepoints, tp_btf, fentry/fexit, LSM): ctx.arg(i). */
  | { kind: "args" }
  /** struct pt_regs (kprobes, uprobes): ctx.arg(i) maps to the calling convention's registers. */
  | { kind: "pt_regs" };

export interface ProgramKind {
  /** Wrapper function name in stdlib. */
  wrapper: string;
  /** Number of leading string-literal arguments (attach point) before the callback. */
  nameArgs: number;
  /** libbpf section name from those arguments. */
  section(args: string[]): string;
  /** Name of the context interface in stdlib (for messages). */
  ctxName: string;
  /** The kernel's program type (decides which helpers it may call); none for context-free subprograms. */
  type?: ProgTypeName;
  ctx: CtxShape;
  /** The kernel struct the context fields come from (test/program-kinds.test.ts checks offsets against vmlinux BTF). */
  ctxStruct?: string;
  /** Offsets of the packet data/data_end pointers, for direct packet access (XDP, TC). */
  packet?: { data: number; dataEnd: number };
  /** Packet copies through bpf_skb_load_bytes_relative (socket filters, TC, cgroup skb). */
  loadRelative?: boolean;
  ret: CInt;
}

// struct xdp_md (data/data_end are the packet bounds, reached through ctx.header).
const XDP_CTX: CtxShape = {
  kind: "fields",
  fields: {
    ingress_ifindex: { offset: 12, size: 4 },
    rx_queue_index: { offset: 16, size: 4 },
    egress_ifindex: { offset: 20, size: 4 },
  },
};

// struct __sk_buff, as programs attached to sockets, TC and cgroups see it.
const SKB_FIELDS: Record<string, CtxField> = {
  len: { offset: 0, size: 4 },
  pkt_type: { offset: 4, size: 4 },
  mark: { offset: 8, size: 4 },
  queue_mapping: { offset: 12, size: 4 },
  protocol: { offset: 16, size: 4 },
  vlan_present: { offset: 20, size: 4 },
  vlan_tci: { offset: 24, size: 4 },
  vlan_proto: { offset: 28, size: 4 },
  priority: { offset: 32, size: 4 },
  ingress_ifindex: { offset: 36, size: 4 },
  ifindex: { offset: 40, size: 4 },
  tc_index: { offset: 44, size: 4 },
  hash: { offset: 68, size: 4 },
  tc_classid: { offset: 72, size: 4 },
};

const writable = (f: Record<string, CtxField>, names: string[]) =>
  Object.fromEntries(Object.entries(f).map(([k, v]) => [k, names.includes(k) ? { ...v, writable: true } : v]));

// struct bpf_sock_addr: what cgroup connect/bind/sendmsg/... programs see of the address being used.
// Reading or writing the other family's address, or msg_src_* outside sendmsg, is refused by the
// verifier, so each family (and sendmsg) is its own kind with only its own fields.
const SOCK_ADDR_COMMON: Record<string, CtxField> = {
  user_family: { offset: 0, size: 4 },
  user_port: { offset: 24, size: 4, writable: true },
  family: { offset: 28, size: 4 },
  type: { offset: 32, size: 4 },
  protocol: { offset: 36, size: 4 },
};
const IP6 = (name: string, at: number, w: boolean): Record<string, CtxField> =>
  Object.fromEntries([0, 1, 2, 3].map((i) => [`${name}_${i}`, { offset: at + 4 * i, size: 4 as const, writable: w }]));
const SOCK_ADDR4 = { ...SOCK_ADDR_COMMON, user_ip4: { offset: 4, size: 4 as const, writable: true } };
const SOCK_ADDR6 = { ...SOCK_ADDR_COMMON, ...IP6("user_ip6", 8, true) };

// struct bpf_sock as cgroup sock programs see it: socket creation and release may set the device,
// mark and priority; post-bind hooks read the bound address (the verifier refuses it elsewhere).
const SOCK_FIELDS: Record<string, CtxField> = {
  bound_dev_if: { offset: 0, size: 4, writable: true },
  family: { offset: 4, size: 4 },
  type: { offset: 8, size: 4 },
  protocol: { offset: 12, size: 4 },
  mark: { offset: 16, size: 4, writable: true },
  priority: { offset: 20, size: 4, writable: true },
};
const readOnly = (f: Record<string, CtxField>) =>
  Object.fromEntries(Object.entries(f).map(([k, v]) => [k, { offset: v.offset, size: v.size }]));
const POST_BIND4 = { ...readOnly(SOCK_FIELDS), src_ip4: { offset: 24, size: 4 as const }, src_port: { offset: 44, size: 4 as const } };
const POST_BIND6 = { ...readOnly(SOCK_FIELDS), ...IP6("src_ip6", 28, false), src_port: { offset: 44, size: 4 as const } };

// struct bpf_sock_ops: TCP events (connection set up, RTT, state changes) of the cgroup's sockets.
const u32s = (names: string[], at: number): Record<string, CtxField> =>
  Object.fromEntries(names.map((n, i) => [n, { offset: at + 4 * i, size: 4 as const }]));
const SOCK_OPS_FIELDS: Record<string, CtxField> = {
  op: { offset: 0, size: 4 },
  ...u32s(["args_0", "args_1", "args_2", "args_3"], 4),
  reply: { offset: 4, size: 4, writable: true },
  ...u32s(["family", "remote_ip4", "local_ip4"], 20),
  ...IP6("remote_ip6", 32, false),
  ...IP6("local_ip6", 48, false),
  ...u32s(
    [
      "remote_port",
      "local_port",
      "is_fullsock",
      "snd_cwnd",
      "srtt_us",
      "bpf_sock_ops_cb_flags",
      "state",
      "rtt_min",
      "snd_ssthresh",
      "rcv_nxt",
      "snd_nxt",
      "snd_una",
      "mss_cache",
      "ecn_flags",
      "rate_delivered",
      "rate_interval_us",
      "packets_out",
      "retrans_out",
      "total_retrans",
      "segs_in",
      "data_segs_in",
      "segs_out",
      "data_segs_out",
      "lost_out",
      "sacked_out",
    ],
    64,
  ),
  sk_txhash: { offset: 164, size: 4, writable: true },
  bytes_received: { offset: 168, size: 8 },
  bytes_acked: { offset: 176, size: 8 },
};

// sk_skb programs see __sk_buff without mark and tc_classid (the verifier refuses them there) and
// may set tc_index and priority; sk_msg programs see struct sk_msg_md (its data/data_end are 64-bit
// pointers, which ctx.header does not read yet, so no packet access).
const { mark: _mark, tc_classid: _classid, ...SK_SKB_BASE } = SKB_FIELDS;
const SK_SKB_FIELDS = writable(SK_SKB_BASE, ["tc_index", "priority"]);
const SK_MSG_FIELDS: Record<string, CtxField> = {
  ...u32s(["family", "remote_ip4", "local_ip4"], 16),
  ...IP6("remote_ip6", 28, false),
  ...IP6("local_ip6", 44, false),
  ...u32s(["remote_port", "local_port", "size"], 60),
};

// struct bpf_flow_keys: what a flow dissector fills in. Laid out by hand because of its union: the
// IPv4 addresses share bytes 16..23 with the first IPv6 address.
const FLOW_KEYS: CStruct = (() => {
  const { u8, u16, u32 } = INT_TYPES;
  const addr6: CType = { kind: "array", elem: u32, len: 4 };
  const f = (name: string, type: CType, offset: number) => ({ name, type, offset });
  return {
    kind: "struct",
    name: "bpf_flow_keys",
    fields: [
      f("nhoff", u16, 0),
      f("thoff", u16, 2),
      f("addr_proto", u16, 4),
      f("is_frag", u8, 6),
      f("is_first_frag", u8, 7),
      f("is_encap", u8, 8),
      f("ip_proto", u8, 9),
      f("n_proto", u16, 10),
      f("sport", u16, 12),
      f("dport", u16, 14),
      f("ipv4_src", u32, 16),
      f("ipv4_dst", u32, 20),
      f("ipv6_src", addr6, 16),
      f("ipv6_dst", addr6, 32),
      f("flags", u32, 48),
      f("flow_label", u32, 52),
    ],
    size: 56,
    align: 4,
  };
})();

/** stdlib interfaces whose C layout is not sequential (a union inside): the type mapper uses these. */
export const STDLIB_LAYOUTS: Readonly<Record<string, CStruct>> = { BpfFlowKeys: FLOW_KEYS };

/** Offsets of the x86-64 argument registers in struct pt_regs (di, si, dx, cx, r8, r9), and ax. */
export const PT_REGS_ARGS = [112, 104, 96, 88, 72, 64];
export const PT_REGS_RET = 80;

const simple = (
  wrapper: string,
  type: ProgTypeName | undefined,
  section: string,
  ctxName: string,
  ctx: CtxShape,
  extra: Partial<ProgramKind> = {},
): ProgramKind => ({
  wrapper,
  type,
  nameArgs: 0,
  section: () => section,
  ctxName,
  ctx,
  ret: INT_TYPES.i32,
  ...extra,
});

const named = (
  wrapper: string,
  type: ProgTypeName,
  nameArgs: number,
  section: (a: string[]) => string,
  ctxName: string,
  ctx: CtxShape,
  extra: Partial<ProgramKind> = {},
): ProgramKind => ({
  wrapper,
  type,
  nameArgs,
  section,
  ctxName,
  ctx,
  ret: INT_TYPES.i32,
  ...extra,
});

export const PROGRAM_KINDS: Record<string, ProgramKind> = {
  xdp: simple("xdp", "XDP", "xdp", "XdpContext", XDP_CTX, { packet: { data: 0, dataEnd: 4 }, ctxStruct: "xdp_md" }),
  socketFilter: simple(
    "socketFilter",
    "SOCKET_FILTER",
    "socket",
    "SkBuffContext",
    { kind: "fields", fields: SKB_FIELDS },
    { loadRelative: true, ret: INT_TYPES.u32, ctxStruct: "__sk_buff" },
  ),
  tc: simple(
    "tc",
    "SCHED_CLS",
    "tc",
    "TcContext",
    {
      kind: "fields",
      fields: writable(SKB_FIELDS, ["mark", "priority", "tc_index", "tc_classid", "queue_mapping"]),
    },
    { packet: { data: 76, dataEnd: 80 }, loadRelative: true, ctxStruct: "__sk_buff" },
  ),
  cgroupSkb: named(
    "cgroupSkb",
    "CGROUP_SKB",
    1,
    ([dir]) => `cgroup_skb/${dir}`,
    "CgroupSkbContext",
    { kind: "fields", fields: SKB_FIELDS },
    { ctxStruct: "__sk_buff" },
  ),
  tracepoint: named("tracepoint", "TRACEPOINT", 2, ([cat, name]) => `tp/${cat}/${name}`, "tracepoint record", { kind: "typed" }),
  rawTracepoint: named("rawTracepoint", "RAW_TRACEPOINT", 1, ([name]) => `raw_tp/${name}`, "ArgsContext", { kind: "args" }),
  tpBtf: named("tpBtf", "TRACING", 1, ([name]) => `tp_btf/${name}`, "ArgsContext", { kind: "args" }),
  fentry: named("fentry", "TRACING", 1, ([fn]) => `fentry/${fn}`, "ArgsContext", { kind: "args" }),
  fexit: named("fexit", "TRACING", 1, ([fn]) => `fexit/${fn}`, "ArgsContext", { kind: "args" }),
  lsm: named("lsm", "LSM", 1, ([hook]) => `lsm/${hook}`, "ArgsContext", { kind: "args" }),
  iter: named("iter", "TRACING", 1, ([target]) => `iter/${target}`, "ArgsContext", { kind: "args" }),
  kprobe: named("kprobe", "KPROBE", 1, ([fn]) => `kprobe/${fn}`, "PtRegsContext", { kind: "pt_regs" }),
  kretprobe: named("kretprobe", "KPROBE", 1, ([fn]) => `kretprobe/${fn}`, "PtRegsContext", { kind: "pt_regs" }),
  uprobe: named("uprobe", "KPROBE", 2, ([path, fn]) => `uprobe/${path}:${fn}`, "PtRegsContext", { kind: "pt_regs" }),
  uretprobe: named("uretprobe", "KPROBE", 2, ([path, fn]) => `uretprobe/${path}:${fn}`, "PtRegsContext", { kind: "pt_regs" }),
  cgroupSockAddr4: named(
    "cgroupSockAddr4",
    "CGROUP_SOCK_ADDR",
    1,
    ([hook]) => `cgroup/${hook}`,
    "SockAddr4Context",
    { kind: "fields", fields: SOCK_ADDR4 },
    { ctxStruct: "bpf_sock_addr" },
  ),
  cgroupSockAddr6: named(
    "cgroupSockAddr6",
    "CGROUP_SOCK_ADDR",
    1,
    ([hook]) => `cgroup/${hook}`,
    "SockAddr6Context",
    { kind: "fields", fields: SOCK_ADDR6 },
    { ctxStruct: "bpf_sock_addr" },
  ),
  cgroupSendmsg4: simple(
    "cgroupSendmsg4",
    "CGROUP_SOCK_ADDR",
    "cgroup/sendmsg4",
    "Sendmsg4Context",
    {
      kind: "fields",
      fields: { ...SOCK_ADDR4, msg_src_ip4: { offset: 40, size: 4, writable: true } },
    },
    { ctxStruct: "bpf_sock_addr" },
  ),
  cgroupSendmsg6: simple(
    "cgroupSendmsg6",
    "CGROUP_SOCK_ADDR",
    "cgroup/sendmsg6",
    "Sendmsg6Context",
    {
      kind: "fields",
      fields: { ...SOCK_ADDR6, ...IP6("msg_src_ip6", 44, true) },
    },
    { ctxStruct: "bpf_sock_addr" },
  ),
  cgroupSock: named(
    "cgroupSock",
    "CGROUP_SOCK",
    1,
    ([hook]) => `cgroup/${hook}`,
    "SockContext",
    { kind: "fields", fields: SOCK_FIELDS },
    { ctxStruct: "bpf_sock" },
  ),
  cgroupPostBind4: simple(
    "cgroupPostBind4",
    "CGROUP_SOCK",
    "cgroup/post_bind4",
    "PostBind4Context",
    { kind: "fields", fields: POST_BIND4 },
    { ctxStruct: "bpf_sock" },
  ),
  cgroupPostBind6: simple(
    "cgroupPostBind6",
    "CGROUP_SOCK",
    "cgroup/post_bind6",
    "PostBind6Context",
    { kind: "fields", fields: POST_BIND6 },
    { ctxStruct: "bpf_sock" },
  ),
  sockOps: simple(
    "sockOps",
    "SOCK_OPS",
    "sockops",
    "SockOpsContext",
    { kind: "fields", fields: SOCK_OPS_FIELDS },
    { ctxStruct: "bpf_sock_ops" },
  ),
  cgroupSysctl: simple(
    "cgroupSysctl",
    "CGROUP_SYSCTL",
    "cgroup/sysctl",
    "SysctlContext",
    {
      kind: "fields",
      fields: { write: { offset: 0, size: 4 }, file_pos: { offset: 4, size: 4, writable: true } },
    },
    { ctxStruct: "bpf_sysctl" },
  ),
  xdpFrags: simple("xdpFrags", "XDP", "xdp.frags", "XdpContext", XDP_CTX, { packet: { data: 0, dataEnd: 4 }, ctxStruct: "xdp_md" }),
  perfEvent: simple(
    "perfEvent",
    "PERF_EVENT",
    "perf_event",
    "PerfEventContext",
    {
      kind: "fields",
      fields: { sample_period: { offset: 168, size: 8 }, addr: { offset: 176, size: 8 } },
    },
    { ctxStruct: "bpf_perf_event_data" },
  ),
  skSkb: named(
    "skSkb",
    "SK_SKB",
    1,
    ([hook]) => (hook === "verdict" ? "sk_skb" : `sk_skb/${hook}`),
    "SkSkbContext",
    { kind: "fields", fields: SK_SKB_FIELDS },
    {
      packet: { data: 76, dataEnd: 80 },
      ctxStruct: "__sk_buff",
    },
  ),
  skLookup: simple(
    "skLookup",
    "SK_LOOKUP",
    "sk_lookup",
    "SkLookupContext",
    {
      kind: "fields",
      fields: {
        family: { offset: 8, size: 4 },
        protocol: { offset: 12, size: 4 },
        remote_ip4: { offset: 16, size: 4 },
        ...IP6("remote_ip6", 20, false),
        remote_port: { offset: 36, size: 2 },
        local_ip4: { offset: 40, size: 4 },
        ...IP6("local_ip6", 44, false),
        local_port: { offset: 60, size: 4 },
        ingress_ifindex: { offset: 64, size: 4 },
      },
    },
    { ctxStruct: "bpf_sk_lookup" },
  ),
  skMsg: simple("skMsg", "SK_MSG", "sk_msg", "SkMsgContext", { kind: "fields", fields: SK_MSG_FIELDS }, { ctxStruct: "sk_msg_md" }),
  flowDissector: simple(
    "flowDissector",
    "FLOW_DISSECTOR",
    "flow_dissector",
    "FlowDissectorContext",
    { kind: "fields", fields: { flow_keys: { offset: 144, size: 8, points: FLOW_KEYS } } },
    { packet: { data: 76, dataEnd: 80 }, ctxStruct: "__sk_buff" },
  ),
  netfilter: simple(
    "netfilter",
    "NETFILTER",
    "netfilter",
    "NetfilterContext",
    {
      kind: "fields",
      fields: { state: { offset: 0, size: 8, kernel: "nf_hook_state" }, skb: { offset: 8, size: 8, kernel: "sk_buff" } },
    },
    { ctxStruct: "bpf_nf_ctx" },
  ),
  cgroupDevice: simple(
    "cgroupDevice",
    "CGROUP_DEVICE",
    "cgroup/dev",
    "DeviceContext",
    {
      kind: "fields",
      fields: { access_type: { offset: 0, size: 4 }, major: { offset: 4, size: 4 }, minor: { offset: 8, size: 4 } },
    },
    { ctxStruct: "bpf_cgroup_dev_ctx" },
  ),
};

/** Context fields of a kind (empty for kinds without named fields). */
export function ctxFields(k: ProgramKind): Record<string, CtxField> {
  return k.ctx.kind === "fields" ? k.ctx.fields : {};
}

/** The "kind" of a subprogram that takes no context: no fields, no packet access. */
export const NO_CONTEXT: ProgramKind = simple("", undefined, ".text", "(no context)", { kind: "fields", fields: {} });

/**
 * The program-kind table of docs/language.md ("Other program kinds"), one entry per wrapper, written
 * into the docs by `npm run docs:gen`: a wrapper documented in another's row names it in `with`; xdp
 * and socketFilter have their own sections. test/docs-tables.test.ts checks every kind has an entry.
 */
export type ProgramKindDoc = { call: string; section: string; context: string; notes: string } | { with: string } | { ownSection: true };

export const PROGRAM_KIND_DOCS: Record<string, ProgramKindDoc> = {
  xdp: { ownSection: true },
  socketFilter: { ownSection: true },
  tc: {
    call: "`tc((ctx) => ...)`",
    section: "`tc`",
    context: "`TcContext`",
    notes:
      "TC classifier (clsact, direct action); returns a `TcAction` (`OK`, `SHOT`, `REDIRECT`, ...). Fields as for socket filters plus `vlan_proto`, `tc_index`, `tc_classid`; `mark`, `priority`, `queue_mapping`, `tc_index` and `tc_classid` are writable. Both `ctx.header<T>(off)` (from the MAC header) and `ctx.load<T>(off, start?)`.",
  },
  cgroupSkb: {
    call: '`cgroupSkb("ingress" \\| "egress", (ctx) => ...)`',
    section: "`cgroup_skb/<dir>`",
    context: "`CgroupSkbContext`",
    notes:
      "read-only `len`, `pkt_type`, `mark`, `protocol`, `priority`, `ingress_ifindex`, `ifindex`, `hash`; return 1 to allow, 0 to drop.",
  },
  tracepoint: {
    call: "`tracepoint<T>(category, name, (ctx) => ...)`",
    section: "`tp/<category>/<name>`",
    context: "`T`",
    notes:
      "`T` is an interface you declare, describing the record as in `/sys/kernel/tracing/events/<category>/<name>/format`, common header included; its fields are read as `ctx.field`.",
  },
  rawTracepoint: {
    call: "`rawTracepoint(name, ...)`, `tpBtf(name, ...)`",
    section: "`raw_tp/<name>`, `tp_btf/<name>`",
    context: "`ArgsContext`",
    notes: "`ctx.arg(i)`: the i-th raw argument as `u64`",
  },
  tpBtf: { with: "rawTracepoint" },
  fentry: {
    call: "`fentry(fn, ...)`, `fexit(fn, ...)`",
    section: "`fentry/<fn>`, `fexit/<fn>`",
    context: "`ArgsContext`",
    notes: "`ctx.arg(i)`; `fexit` sees the return value as the argument after the function's own",
  },
  fexit: { with: "fentry" },
  lsm: {
    call: "`lsm(hook, ...)`",
    section: "`lsm/<hook>`",
    context: "`ArgsContext`",
    notes: "`ctx.arg(i)`; return 0 to allow, a negative errno to deny",
  },
  iter: {
    call: "`iter(target, ...)`",
    section: "`iter/<target>` (`task`, `bpf_map_elem`, `tcp`, ...)",
    context: "`ArgsContext`, or typed arguments",
    notes:
      "a BPF iterator (TRACING, attach type `TRACE_ITER`): called for each object the target walks and once more with the object null at the end; with a `vmlinux.d.ts` (`tsbpf vmlinux --only bpf_iter_task`) the callback takes `bpf_iter_<target>`'s arguments (`(meta, task) => ...`) and writes its output with `seqPrintf(meta.seq, fmt, ...args)` (up to 12 arguments, the format checked as `bpfPrintk`'s) and `seqWrite(meta.seq, value)` (TSBPF2170, TSBPF2171). Return 0. Run it from user space with `attachIterator(prog, target?)` and `readIterator(link)`; `target` narrows or names what it walks (`{ task: { pid } }`, `{ map }`, `{ cgroup: { path, order } }`, docs/runtime.md). Tested here: a task iterator lists every task (`seqPrintf` and `seqWrite`, checked against `/proc`), or one process's threads, files or memory maps with `{ task: { pid } }`; this kernel refuses a `bpf_map_elem` iterator at load (EPERM), which `loadObject` reports as a refusal before verification.",
  },
  kprobe: {
    call: "`kprobe(fn, ...)`, `kretprobe(fn, ...)`",
    section: "`kprobe/<fn>`, `kretprobe/<fn>`",
    context: "`PtRegsContext`",
    notes: "`ctx.arg(i)` for `i` in 0..5 (x86-64 argument registers), `ctx.ret()` (the return value, in kretprobes)",
  },
  kretprobe: { with: "kprobe" },
  uprobe: {
    call: "`uprobe(path, fn, ...)`, `uretprobe(path, fn, ...)`",
    section: "`uprobe/<path>:<fn>`, `uretprobe/<path>:<fn>`",
    context: "`PtRegsContext`",
    notes: "as for kprobes, on function `fn` of the executable or library at `path`",
  },
  uretprobe: { with: "uprobe" },
  cgroupSockAddr4: {
    call: "`cgroupSockAddr4(hook, ...)`",
    section: "`cgroup/<hook>`: `connect4`, `bind4`, `recvmsg4`, `getpeername4`, `getsockname4`",
    context: "`SockAddr4Context`",
    notes:
      "`struct bpf_sock_addr` of an IPv4 socket call: `user_ip4` and `user_port` (network order; writable: rewrite to redirect), read-only `user_family`, `family`, `type`, `protocol`; return 1 to allow, 0 to refuse (EPERM). Example: [connect4-policy](../examples/connect4-policy/README.md).",
  },
  cgroupSockAddr6: {
    call: "`cgroupSockAddr6(hook, ...)`",
    section: "`cgroup/<hook>`: `connect6`, `bind6`, `recvmsg6`, `getpeername6`, `getsockname6`",
    context: "`SockAddr6Context`",
    notes: "as above with the IPv6 address as `user_ip6_0` .. `user_ip6_3` (network-order words)",
  },
  cgroupSendmsg4: {
    call: "`cgroupSendmsg4(...)`, `cgroupSendmsg6(...)`",
    section: "`cgroup/sendmsg4`, `cgroup/sendmsg6`",
    context: "`Sendmsg4Context`, `Sendmsg6Context`",
    notes: "UDP `sendmsg()`: the destination as above plus the writable source `msg_src_ip4` / `msg_src_ip6_0..3`",
  },
  cgroupSendmsg6: { with: "cgroupSendmsg4" },
  cgroupSock: {
    call: "`cgroupSock(hook, ...)`",
    section: "`cgroup/sock_create`, `cgroup/sock_release`",
    context: "`SockContext`",
    notes:
      "`struct bpf_sock` at `socket()` / close: read-only `family`, `type`, `protocol`, writable `bound_dev_if`, `mark`, `priority`; return 0 to make `socket()` fail (EPERM)",
  },
  cgroupPostBind4: {
    call: "`cgroupPostBind4(...)`, `cgroupPostBind6(...)`",
    section: "`cgroup/post_bind4`, `cgroup/post_bind6`",
    context: "`PostBind4Context`, `PostBind6Context`",
    notes:
      "after `bind()`: read-only socket fields plus `src_ip4` / `src_ip6_0..3` (network order) and `src_port` (host order); return 0 to make `bind()` fail",
  },
  cgroupPostBind6: { with: "cgroupPostBind4" },
  sockOps: {
    call: "`sockOps(...)`",
    section: "`sockops`",
    context: "`SockOpsContext`",
    notes:
      "`struct bpf_sock_ops`: TCP events of the cgroup's sockets (`op`: a `SockOpsOp` such as `TCP_CONNECT_CB`, `ACTIVE_ESTABLISHED_CB`, `STATE_CB`), addresses, ports and TCP state (`snd_cwnd`, `srtt_us`, ...); writable `reply` and `sk_txhash`; `ctx.setCbFlags(SockOpsCbFlags.STATE \\| ...)` asks for more events (`bpf_sock_ops_cb_flags_set`); return 1. Attach with `attachCgroup`.",
  },
  cgroupSysctl: {
    call: "`cgroupSysctl(...)`",
    section: "`cgroup/sysctl`",
    context: "`SysctlContext`",
    notes:
      "a sysctl access: `write` (1 for writes), writable `file_pos`; return 0 to refuse (EPERM). Reading the sysctl's name and value needs helpers not offered yet.",
  },
  xdpFrags: {
    call: "`xdpFrags(...)`",
    section: "`xdp.frags`",
    context: "`XdpContext`",
    notes: "an XDP program that accepts multi-buffer packets (jumbo frames, GRO); `ctx.header` reaches the first buffer",
  },
  perfEvent: {
    call: "`perfEvent(...)`",
    section: "`perf_event`",
    context: "`PerfEventContext`",
    notes:
      "runs on each sample of a perf event: `sample_period`, `addr` (the registers are not exposed yet). Attach with the runtime's `attachPerfEvent(prog, { type, config, samplePeriod, pid, cpu })` (a software CPU clock of this process by default in the test).",
  },
  skSkb: {
    call: "`skSkb(hook, ...)`",
    section:
      '`sk_skb/stream_parser`, `sk_skb/stream_verdict`, `sk_skb` (hook `"verdict"`, Linux 5.13: libbpf 1.1 knows no `sk_skb/verdict`)',
    context: "`SkSkbContext`",
    notes:
      "programs on the received data of a `SockMap`/`SockHash`'s sockets: `__sk_buff` without `mark`/`tc_classid` (`ctx.len` is `__sk_buff.len`, the whole message, unlike XDP's bounds difference), writable `priority` and `tc_index`, `ctx.header<T>(off)`, `loadBytes`, `storeBytes`; the parser returns the next message's length, the verdicts an `SkAction` (`skRedirectMap`/`skRedirectHash` send the data to another socket). Attach with the runtime's `attachSockMap(prog, map)`.",
  },
  skLookup: {
    call: "`skLookup(...)`",
    section: "`sk_lookup`",
    context: "`SkLookupContext`",
    notes:
      "`struct bpf_sk_lookup` (Linux 5.9): runs when the network namespace looks up a listening TCP or unconnected UDP socket for an incoming packet: `family`, `protocol`, `local_ip4`/`local_ip6_0..3`, `local_port` (host order), `remote_*` (`remote_port` in network order), `ingress_ifindex`; `skAssign(sk)` picks the socket (a `SockMap`/`SockHash` lookup); returns an `SkAction`. Attach with the runtime's `attachNetns(prog)`. Example: [sk-lookup-ports](../examples/sk-lookup-ports/README.md).",
  },
  skMsg: {
    call: "`skMsg(...)`",
    section: "`sk_msg`",
    context: "`SkMsgContext`",
    notes:
      "`struct sk_msg_md` of a `sendmsg()` on a socket of a `SockMap`/`SockHash`: addresses, ports, `size`; returns an `SkAction` (`msgRedirectMap`/`msgRedirectHash` send the message to another socket). No packet access yet (its data pointers are 64-bit fields). Attach with `attachSockMap(prog, map)`.",
  },
  flowDissector: {
    call: "`flowDissector(...)`",
    section: "`flow_dissector`",
    context: "`FlowDissectorContext`",
    notes:
      "replaces the kernel's flow dissector in a network namespace: parse the packet with `ctx.header<T>(off)` (offsets from the data start; the network header is at `ctx.flow_keys.nhoff`) or `ctx.loadBytes` (real traffic only: under `BPF_PROG_TEST_RUN` the kernel's helper has no `sk_buff` and fails), fill `ctx.flow_keys` (a `BpfFlowKeys`, `struct bpf_flow_keys`, written in place: `nhoff`, `thoff`, `addr_proto`, `ip_proto`, `n_proto`, `sport`, `dport`, `ipv4_src`/`ipv4_dst` or `ipv6_src`/`ipv6_dst` (a C union), `is_frag`, ...), return a `FlowDissectorAction` (`OK`, `DROP`, `CONTINUE`: use the kernel's own). Attach with `attachFlowDissector(prog, netnsPath)`; `prog.run({ data })` returns the filled keys as its output. Tested here with test runs on IPv4/IPv6 TCP/UDP frames and attached to a namespace with RPS on `lo`.",
  },
  netfilter: {
    call: "`netfilter(...)`",
    section: "`netfilter`",
    context: "`NetfilterContext`",
    notes:
      "runs at a netfilter hook chosen when attaching (`attachNetfilter(prog, { family, hook, priority })`, kernel 6.4), beside iptables/nftables; returns an `NfVerdict` (`ACCEPT`, `DROP`). `ctx.state` (`struct nf_hook_state`: `hook`, `pf`, devices) and `ctx.skb` (`struct sk_buff`) are trusted kernel pointers, read field by field with CO-RE once a `vmlinux.d.ts` (`tsbpf vmlinux --only sk_buff,nf_hook_state`) is imported; packet bytes through `probeReadKernel<T>(skb.head + skb.network_header)`. libbpf 1.1 does not know the section; the tsbpf runtime sets the program type itself. Tested here: dropping UDP to one port at IPv4 LOCAL_OUT in a namespace.",
  },
  cgroupDevice: {
    call: "`cgroupDevice(...)`",
    section: "`cgroup/dev`",
    context: "`DeviceContext`",
    notes:
      "device access by the cgroup's processes: `access_type` (`(access << 16) \\| type`, access a `DeviceAccess` mask, type 1 block / 2 char), `major`, `minor`; return 0 to refuse (EPERM)",
  },
};
