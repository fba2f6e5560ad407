// Why: a SockMap (and so an sk_lookup program) takes a socket by fd, and Node's dgram sockets do not
// expose theirs. The way round that uses only public APIs: create and bind the UDP socket here with
// socket(2)/bind(2), put its fd in the map, and hand the same fd to Node, whose
// dgram.Socket#bind({ fd }) adopts an existing socket (and then owns it: closing the Node socket
// closes the fd).

import { isIPv4, isIPv6 } from "node:net";
import { bindSocket, closeFd, errnoText, lastErrno, openSocket } from "./libbpf.js";

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_UDP = 17;

export interface UdpSocketOptions {
  /** Local address (IPv4 or IPv6 literal); default "0.0.0.0", or "::" with `family: 6`. */
  address?: string;
  /** Local port; default 0 (the kernel picks one: read it from Node's `socket.address().port`). */
  port?: number;
  /** Address family when `address` is not given; default 4. */
  family?: 4 | 6;
}

/**
 * socket(2) + bind(2): a bound, unconnected UDP socket, returned as its fd. Put it in a SockMap
 * (`obj.typed.socks.add(key, fd)`), then give it to Node to receive on:
 * `dgram.createSocket("udp4").bind({ fd })` (Node owns it from then on; close it through Node).
 * An fd never handed to Node is closed with `fs.closeSync(fd)`.
 */
export function bindUdpSocket(opts: UdpSocketOptions = {}): number {
  const address = opts.address ?? (opts.family === 6 ? "::" : "0.0.0.0");
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bad UDP port ${port}`);
  const sa = sockaddr(address, port);
  const fd = openSocket(sa.length === 16 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) throw new Error(`socket(UDP) failed: ${errnoText(lastErrno())}`);
  if (bindSocket(fd, sa) !== 0) {
    const errno = lastErrno();
    closeFd(fd);
    throw new Error(`cannot bind a UDP socket to ${address.includes(":") ? `[${address}]` : address}:${port}: ${errnoText(errno)}`);
  }
  return fd;
}

/** struct sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) for an address literal. */
function sockaddr(address: string, port: number): Uint8Array {
  if (isIPv4(address)) {
    const sa = Buffer.alloc(16);
    sa.writeUInt16LE(AF_INET, 0);
    sa.writeUInt16BE(port, 2);
    address.split(".").forEach((b, i) => sa.writeUInt8(Number(b), 4 + i));
    return sa;
  }
  if (!isIPv6(address) || address.includes(".") || address.includes("%"))
    throw new TypeError(`not an IPv4 or IPv6 address literal: '${address}' (embedded IPv4 and zone ids are not supported)`);
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const sa = Buffer.alloc(28);
  sa.writeUInt16LE(AF_INET6, 0);
  sa.writeUInt16BE(port, 2);
  groups.forEach((g, i) => sa.writeUInt16BE(Number.parseInt(g, 16), 8 + 2 * i));
  return sa;
}
