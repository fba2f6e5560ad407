// Builds real Ethernet frames for BPF_PROG_TEST_RUN: IPv4 (with a correct header checksum) and IPv6.

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

/** The Internet checksum (RFC 1071) of `bytes`. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
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
