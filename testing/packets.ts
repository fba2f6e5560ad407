// Packet builders for BPF_PROG_TEST_RUN: real frames with correct lengths, EtherTypes, next-protocol
// numbers and checksums, composed from layers:
//
//   packet(eth(), vlan(100), ipv4({ daddr: "10.0.0.2", options: 4 }), udp({ dport: 53 }), payload(32))
//
// Every builder returns plain bytes; nothing here needs the kernel.

/** One header (or the payload) of a frame; `packet()` fills in what depends on the layers after it. */
export interface Layer {
  readonly kind: "eth" | "vlan" | "ipv4" | "ipv6" | "tcp" | "udp" | "icmp" | "payload";
  /** Header bytes (payload: the bytes). */
  bytes(next: Layer | undefined, rest: Uint8Array): Uint8Array;
}

export type Mac = string | ArrayLike<number>;
export type Ipv4Addr = string | number;
export type Ipv6Addr = string | ArrayLike<number>;

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** TCP flag bits for `tcp({ flags })`. */
export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export function mac(m: Mac): Uint8Array {
  if (typeof m !== "string") return Uint8Array.from(m);
  const parts = m.split(":");
  if (parts.length !== 6) throw new Error(`bad MAC address '${m}'`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function ipv4Addr(a: Ipv4Addr): number {
  if (typeof a === "number") return a >>> 0;
  const parts = a.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 address '${a}'`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function ipv6Addr(a: Ipv6Addr): Uint8Array {
  if (typeof a !== "string") return Uint8Array.from(a);
  const [head, tail] = a.split("::");
  const groups = (s: string | undefined) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`bad IPv6 address '${a}'`);
  const out = new Uint8Array(16);
  all.forEach((g, i) => new DataView(out.buffer).setUint16(i * 2, g));
  return out;
}

/** The Internet checksum (RFC 1071) of `bytes`. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const etherTypeOf = (next: Layer | undefined): number =>
  next?.kind === "ipv6" ? ETH_P_IPV6 : next?.kind === "vlan" ? ETH_P_8021Q : ETH_P_IP;
const protoOf = (next: Layer | undefined, v6: boolean): number =>
  next?.kind === "tcp"
    ? IPPROTO_TCP
    : next?.kind === "udp"
      ? IPPROTO_UDP
      : next?.kind === "icmp"
        ? v6
          ? IPPROTO_ICMPV6
          : IPPROTO_ICMP
        : v6
          ? 59
          : 255;

/** Ethernet II. `type` defaults to what follows (IPv4, IPv6 or 802.1Q). */
export function eth(o: { src?: Mac; dst?: Mac; type?: number } = {}): Layer {
  return {
    kind: "eth",
    bytes(next) {
      const b = new Uint8Array(14);
      b.set(mac(o.dst ?? "02:00:00:00:00:02"), 0);
      b.set(mac(o.src ?? "02:00:00:00:00:01"), 6);
      new DataView(b.buffer).setUint16(12, o.type ?? etherTypeOf(next));
      return b;
    },
  };
}

/** An 802.1Q tag (4 bytes after the MAC addresses' EtherType): VLAN id, priority, inner EtherType. */
export function vlan(id: number, o: { pcp?: number; type?: number } = {}): Layer {
  return {
    kind: "vlan",
    bytes(next) {
      const b = new Uint8Array(4);
      const v = new DataView(b.buffer);
      v.setUint16(0, ((o.pcp ?? 0) << 13) | (id & 0xfff));
      v.setUint16(2, o.type ?? etherTypeOf(next));
      return b;
    },
  };
}

/**
 * IPv4 with a correct header checksum. `options`: raw option bytes, or a number of 4-byte words of
 * NOP options (IHL = 5 + words). `proto` defaults to the next layer's protocol.
 */
export function ipv4(
  o: {
    saddr?: Ipv4Addr;
    daddr?: Ipv4Addr;
    ttl?: number;
    proto?: number;
    id?: number;
    tos?: number;
    flags?: number;
    options?: Uint8Array | number;
  } = {},
): Layer {
  return {
    kind: "ipv4",
    bytes(next, rest) {
      const opts = typeof o.options === "number" ? new Uint8Array(o.options * 4).fill(1) : (o.options ?? new Uint8Array(0));
      if (opts.length % 4 || opts.length > 40) throw new Error("IPv4 options must be a multiple of 4 bytes, at most 40");
      const b = new Uint8Array(20 + opts.length);
      const v = new DataView(b.buffer);
      b[0] = 0x40 | (b.length / 4);
      b[1] = o.tos ?? 0;
      v.setUint16(2, b.length + rest.length);
      v.setUint16(4, o.id ?? 0x1234);
      v.setUint16(6, (o.flags ?? 0) << 13);
      b[8] = o.ttl ?? 64;
      b[9] = o.proto ?? protoOf(next, false);
      v.setUint32(12, ipv4Addr(o.saddr ?? "10.0.0.1"));
      v.setUint32(16, ipv4Addr(o.daddr ?? "10.0.0.2"));
      b.set(opts, 20);
      v.setUint16(10, checksum(b));
      return b;
    },
  };
}

/** IPv6 (no extension headers); `nextHeader` defaults to the next layer's protocol. */
export function ipv6(o: { saddr?: Ipv6Addr; daddr?: Ipv6Addr; hopLimit?: number; nextHeader?: number; flowLabel?: number } = {}): Layer {
  return {
    kind: "ipv6",
    bytes(next, rest) {
      const b = new Uint8Array(40);
      const v = new DataView(b.buffer);
      v.setUint32(0, (6 << 28) | ((o.flowLabel ?? 0) & 0xfffff));
      v.setUint16(4, rest.length);
      b[6] = o.nextHeader ?? protoOf(next, true);
      b[7] = o.hopLimit ?? 64;
      b.set(ipv6Addr(o.saddr ?? "fd00::1"), 8);
      b.set(ipv6Addr(o.daddr ?? "fd00::2"), 24);
      return b;
    },
  };
}

export function tcp(o: { sport?: number; dport?: number; seq?: number; ack?: number; flags?: number; window?: number } = {}): Layer {
  return {
    kind: "tcp",
    bytes() {
      const b = new Uint8Array(20);
      const v = new DataView(b.buffer);
      v.setUint16(0, o.sport ?? 40000);
      v.setUint16(2, o.dport ?? 80);
      v.setUint32(4, o.seq ?? 1000);
      v.setUint32(8, o.ack ?? 0);
      b[12] = 5 << 4;
      b[13] = o.flags ?? TCP.SYN;
      v.setUint16(14, o.window ?? 65535);
      return b;
    },
  };
}

export function udp(o: { sport?: number; dport?: number } = {}): Layer {
  return {
    kind: "udp",
    bytes(_next, rest) {
      const b = new Uint8Array(8);
      const v = new DataView(b.buffer);
      v.setUint16(0, o.sport ?? 40000);
      v.setUint16(2, o.dport ?? 53);
      v.setUint16(4, 8 + rest.length);
      return b;
    },
  };
}

/** ICMP (over IPv4) or, after ipv6(), ICMPv6; type 8 (echo request) unless given (ICMPv6 echo request: 128). */
export function icmp(o: { type?: number; code?: number; id?: number; seq?: number } = {}): Layer {
  return {
    kind: "icmp",
    bytes() {
      const b = new Uint8Array(8);
      const v = new DataView(b.buffer);
      b[0] = o.type ?? 8;
      b[1] = o.code ?? 0;
      v.setUint16(4, o.id ?? 1);
      v.setUint16(6, o.seq ?? 1);
      return b;
    },
  };
}

/** Payload bytes: given, or `n` bytes of a counting pattern. */
export function payload(data: number | ArrayLike<number>): Layer {
  const bytes = typeof data === "number" ? Uint8Array.from({ length: data }, (_, i) => i & 0xff) : Uint8Array.from(data);
  return { kind: "payload", bytes: () => bytes };
}

/**
 * A frame from its layers, innermost last. Lengths, EtherTypes, protocol numbers and the IPv4,
 * TCP, UDP and ICMP checksums (with the IPv4 or IPv6 pseudo-header) are filled in.
 */
export function packet(...layers: Layer[]): Uint8Array {
  const parts: Uint8Array[] = new Array(layers.length);
  let rest: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    const h = l.bytes(layers[i + 1], rest);
    parts[i] = h;
    rest = concat([h, rest]);
  }
  const frame = concat(parts);
  // Transport checksums cover the IP pseudo-header, built after them: patch them in now.
  fillTransportChecksums(frame, layers, parts);
  return frame;
}

function fillTransportChecksums(frame: Uint8Array, layers: Layer[], parts: Uint8Array[]): void {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let off = 0;
  const offsets = parts.map((p) => {
    const o = off;
    off += p.length;
    return o;
  });
  layers.forEach((l, i) => {
    if (l.kind !== "tcp" && l.kind !== "udp" && l.kind !== "icmp") return;
    const at = offsets[i];
    const seg = frame.subarray(at);
    const csumAt = l.kind === "tcp" ? 16 : l.kind === "udp" ? 6 : 2;
    let ipIdx = -1;
    for (let j = i - 1; j >= 0; j--)
      if (layers[j].kind === "ipv4" || layers[j].kind === "ipv6") {
        ipIdx = j;
        break;
      }
    const ip = ipIdx >= 0 ? frame.subarray(offsets[ipIdx], offsets[ipIdx] + parts[ipIdx].length) : undefined;
    const v6 = ipIdx >= 0 && layers[ipIdx].kind === "ipv6";
    v.setUint16(at + csumAt, 0);
    let sum: number;
    if (l.kind === "icmp" && !v6) sum = checksum(seg);
    else if (!ip) sum = checksum(seg);
    else {
      const proto = v6 ? ip[6] : ip[9];
      const pseudo = v6 ? new Uint8Array(40) : new Uint8Array(12);
      const pv = new DataView(pseudo.buffer);
      if (v6) {
        pseudo.set(ip.subarray(8, 40), 0);
        pv.setUint32(32, seg.length);
        pseudo[39] = proto;
      } else {
        pseudo.set(ip.subarray(12, 20), 0);
        pseudo[9] = proto;
        pv.setUint16(10, seg.length);
      }
      sum = checksum(concat([pseudo, seg]));
      if (l.kind === "udp" && sum === 0) sum = 0xffff;
    }
    v.setUint16(at + csumAt, sum);
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Whether a frame's IPv4 header checksum and TCP/UDP/ICMP checksum verify (for output packets). */
export function checksumsOk(frame: Uint8Array): boolean {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let off = 12;
  let type = v.getUint16(off);
  while (type === ETH_P_8021Q || type === ETH_P_8021AD) {
    off += 4;
    type = v.getUint16(off);
  }
  off += 2;
  if (type === ETH_P_IP) {
    const ihl = (frame[off] & 0xf) * 4;
    if (checksum(frame.subarray(off, off + ihl)) !== 0) return false;
    const proto = frame[off + 9];
    const seg = frame.subarray(off + ihl, off + v.getUint16(off + 2));
    if (proto === IPPROTO_ICMP) return checksum(seg) === 0;
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return true;
    const pseudo = new Uint8Array(12);
    pseudo.set(frame.subarray(off + 12, off + 20), 0);
    pseudo[9] = proto;
    new DataView(pseudo.buffer).setUint16(10, seg.length);
    return checksum(concat([pseudo, seg])) === 0;
  }
  if (type === ETH_P_IPV6) {
    const proto = frame[off + 6];
    const seg = frame.subarray(off + 40, off + 40 + v.getUint16(off + 4));
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP && proto !== IPPROTO_ICMPV6) return true;
    const pseudo = new Uint8Array(40);
    pseudo.set(frame.subarray(off + 8, off + 40), 0);
    new DataView(pseudo.buffer).setUint32(32, seg.length);
    pseudo[39] = proto;
    return checksum(concat([pseudo, seg])) === 0;
  }
  return true;
}

// One-call frames with fixed shapes (the layer builders above compose any other).

const MAC_DST = [0x02, 0, 0, 0, 0, 0x02];
const MAC_SRC = [0x02, 0, 0, 0, 0, 0x01];

/** An Ethernet + IPv4 frame of `total` bytes carrying IP protocol `proto`. */
export function ipv4Packet(proto: number, total: number, opts: { saddr?: number; daddr?: number; ttl?: number } = {}): Uint8Array {
  if (total < 34) throw new Error("an IPv4 frame needs at least 34 bytes");
  const p = new Uint8Array(total);
  const v = new DataView(p.buffer);
  p.set(MAC_DST, 0);
  p.set(MAC_SRC, 6);
  v.setUint16(12, 0x0800);
  p[14] = 0x45;
  v.setUint16(16, total - 14);
  v.setUint16(18, 0x1234);
  p[22] = opts.ttl ?? 64;
  p[23] = proto;
  v.setUint32(26, opts.saddr ?? 0x0a000001);
  v.setUint32(30, opts.daddr ?? 0x0a000002);
  v.setUint16(24, checksum(p.subarray(14, 34)));
  for (let i = 34; i < total; i++) p[i] = i & 0xff;
  return p;
}

/** An Ethernet + IPv6 frame of `total` bytes (next header UDP). */
export function ipv6Packet(total: number): Uint8Array {
  if (total < 54) throw new Error("an IPv6 frame needs at least 54 bytes");
  const p = new Uint8Array(total);
  const v = new DataView(p.buffer);
  p.set(MAC_DST, 0);
  p.set(MAC_SRC, 6);
  v.setUint16(12, 0x86dd);
  p[14] = 0x60;
  v.setUint16(18, total - 54);
  p[20] = 17;
  p[21] = 64;
  p[37] = 1;
  p[53] = 2;
  return p;
}

/** An Ethernet + IPv4 (+ `ipOptions` 4-byte words) + TCP frame with valid IP and TCP checksums. */
export function tcpPacket(opts: { sport: number; dport: number; ttl?: number; ipOptions?: number; payload?: number }): Uint8Array {
  const ihl = 5 + (opts.ipOptions ?? 0);
  const ipLen = ihl * 4;
  const total = 14 + ipLen + 20 + (opts.payload ?? 8);
  const p = new Uint8Array(total);
  const v = new DataView(p.buffer);
  p.set(MAC_DST, 0);
  p.set(MAC_SRC, 6);
  v.setUint16(12, 0x0800);
  p[14] = 0x40 | ihl;
  v.setUint16(16, total - 14);
  p[22] = opts.ttl ?? 64;
  p[23] = 6;
  v.setUint32(26, 0x0a000001);
  v.setUint32(30, 0x0a000002);
  for (let i = 34; i < 14 + ipLen; i++) p[i] = 1; // NOP options
  v.setUint16(24, checksum(p.subarray(14, 14 + ipLen)));
  const t = 14 + ipLen;
  v.setUint16(t, opts.sport);
  v.setUint16(t + 2, opts.dport);
  v.setUint32(t + 4, 1000);
  p[t + 12] = 5 << 4;
  p[t + 13] = 0x02;
  v.setUint16(t + 14, 65535);
  for (let i = t + 20; i < total; i++) p[i] = (i * 7) & 0xff;
  v.setUint16(t + 16, tcpChecksum(p));
  return p;
}

/** The TCP checksum of a frame built by tcpPacket (0 when the stored checksum is right). */
export function tcpChecksum(p: Uint8Array): number {
  const ihl = p[14] & 0x0f;
  const t = 14 + ihl * 4;
  const len = p.length - t;
  const pseudo = new Uint8Array(12 + len);
  pseudo.set(p.subarray(26, 34), 0);
  pseudo[9] = 6;
  new DataView(pseudo.buffer).setUint16(10, len);
  pseudo.set(p.subarray(t), 12);
  return checksum(pseudo);
}
