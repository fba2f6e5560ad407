// One record per program wrapper in stdlib: its libbpf section, the context struct's readable
// fields (offset and size as the kernel's uapi headers lay them out) and how packet access works.
// Adding a program kind touches this file only (plus its declaration in stdlib/bpf.d.ts).

export interface CtxField {
  offset: number;
  size: 4 | 8;
}

export interface ProgramKind {
  /** Wrapper function name in stdlib. */
  wrapper: string;
  /** libbpf section name. */
  section: string;
  /** Name of the context interface in stdlib (for messages). */
  ctxName: string;
  /** Kernel struct the context pointer points to (BTF of the ctx parameter). */
  ctxStruct: string;
  fields: Record<string, CtxField>;
  /** Offsets of the packet data/data_end pointers, for direct packet access (XDP, TC). */
  packet?: { data: number; dataEnd: number };
  /** Packet copies through bpf_skb_load_bytes_relative (socket filters). */
  loadRelative?: boolean;
}

export const PROGRAM_KINDS: Record<string, ProgramKind> = {
  xdp: {
    wrapper: "xdp",
    section: "xdp",
    ctxName: "XdpContext",
    ctxStruct: "xdp_md",
    fields: {
      ingress_ifindex: { offset: 12, size: 4 },
      rx_queue_index: { offset: 16, size: 4 },
      egress_ifindex: { offset: 20, size: 4 },
    },
    packet: { data: 0, dataEnd: 4 },
  },
  socketFilter: {
    wrapper: "socketFilter",
    section: "socket",
    ctxName: "SkBuffContext",
    ctxStruct: "__sk_buff",
    fields: {
      len: { offset: 0, size: 4 },
      pkt_type: { offset: 4, size: 4 },
      mark: { offset: 8, size: 4 },
      queue_mapping: { offset: 12, size: 4 },
      protocol: { offset: 16, size: 4 },
      vlan_present: { offset: 20, size: 4 },
      vlan_tci: { offset: 24, size: 4 },
      priority: { offset: 32, size: 4 },
      ingress_ifindex: { offset: 36, size: 4 },
      ifindex: { offset: 40, size: 4 },
      hash: { offset: 68, size: 4 },
    },
    loadRelative: true,
  },
};
