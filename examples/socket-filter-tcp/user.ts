// User-space side of socket-filter-tcp: compile (or take a prebuilt object), load, open two packet
// sockets on an interface, attach the filter to one of them, and print every second what each
// socket has received: the filtered one only gets TCP over IPv4, the other one everything. The
// filter is detached and the sockets closed on Ctrl-C or after --duration seconds.
//
//   node --import tsx examples/socket-filter-tcp/user.ts <interface> [--duration s] [--object file.bpf.o]
//
// Node has no packet sockets, so the few libc calls come through koffi (a dependency of tsbpf).

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import koffi from "koffi";
import { attachSocketFilter, ifindexOf } from "tsbpf/runtime";
import { load } from "./socket-filter-tcp.skel.js";

const usage = "usage: user.ts <interface> [--duration seconds] [--object socket-filter-tcp.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: { duration: { type: "string" }, object: { type: "string" } },
  allowPositionals: true,
});
const iface = positionals[0];
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (positionals.length !== 1 || !iface || (duration !== undefined && !(duration > 0))) {
  console.error(usage);
  process.exit(2);
}

/** The object file given with --object, or the bytes of socket-filter-tcp.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./socket-filter-tcp.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

// ---- packet sockets (AF_PACKET, SOCK_DGRAM: each read starts at the network header) ----

const AF_PACKET = 17;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const ETH_P_ALL = 0x0003;
const EAGAIN = 11;
const htons = (v: number): number => ((v & 0xff) << 8) | (v >> 8);

const libc = koffi.load("libc.so.6");
const sockaddr_ll = koffi.struct("sockaddr_ll", {
  sll_family: "uint16_t",
  sll_protocol: "uint16_t", // EtherType, network byte order
  sll_ifindex: "int",
  sll_hatype: "uint16_t",
  sll_pkttype: "uint8_t",
  sll_halen: "uint8_t",
  sll_addr: koffi.array("uint8_t", 8),
});
const socket = libc.func("int socket(int domain, int type, int protocol)");
const bind = libc.func("int bind(int fd, const sockaddr_ll *addr, uint32_t len)");
const recvfrom = libc.func(
  "long recvfrom(int fd, _Out_ uint8_t *buf, size_t len, int flags, _Out_ sockaddr_ll *from, _Inout_ uint32_t *fromlen)",
);
const close = libc.func("int close(int fd)");

interface PacketSocket {
  fd: number;
  /** Packets received so far, by kind ("TCP", "ICMP", "ARP", ...). */
  seen: Map<string, number>;
  [Symbol.dispose](): void;
}

/** A non-blocking packet socket that receives every packet on `ifname`, in and out. */
function packetSocket(ifname: string): PacketSocket {
  const fd: number = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) throw new Error(`socket(AF_PACKET): errno ${koffi.errno()}`);
  const addr = { sll_family: AF_PACKET, sll_protocol: htons(ETH_P_ALL), sll_ifindex: ifindexOf(ifname) };
  if (bind(fd, addr, koffi.sizeof(sockaddr_ll)) < 0) {
    const errno = koffi.errno();
    close(fd);
    throw new Error(`bind to ${ifname}: errno ${errno}`);
  }
  return { fd, seen: new Map(), [Symbol.dispose]: () => close(fd) };
}

const ETHERTYPES: Record<number, string> = { 0x0806: "ARP", 0x86dd: "IPv6" };
const IP_PROTOCOLS: Record<number, string> = { 1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP" };

/** Read everything queued on the socket and count it by kind. */
function drain(sock: PacketSocket): void {
  const buf = Buffer.alloc(2048);
  for (;;) {
    const from: Record<string, unknown> = {};
    const n = Number(recvfrom(sock.fd, buf, buf.length, 0, from, [koffi.sizeof(sockaddr_ll)]));
    if (n < 0) {
      const errno = koffi.errno();
      if (errno === EAGAIN) return;
      throw new Error(`recvfrom: errno ${errno}`);
    }
    const ethertype = htons(from.sll_protocol as number);
    // IPv4: the protocol is byte 9 of the IP header, where a SOCK_DGRAM read starts.
    const kind =
      ethertype === 0x0800 && n >= 20
        ? (IP_PROTOCOLS[buf[9]!] ?? `IP proto ${buf[9]}`)
        : (ETHERTYPES[ethertype] ?? `ethertype 0x${ethertype.toString(16).padStart(4, "0")}`);
    sock.seen.set(kind, (sock.seen.get(kind) ?? 0) + 1);
  }
}

const format = (seen: Map<string, number>): string =>
  seen.size === 0
    ? "nothing"
    : [...seen]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, n]) => `${kind} ${n}`)
        .join(", ");

using obj = load(await objectFile());
using filtered = packetSocket(iface);
using unfiltered = packetSocket(iface);
{
  using _filter = attachSocketFilter(obj.programs.socket_filter_tcp, filtered.fd); // detached at the end of the block
  // Packets that arrived between socket() and the attach went through unfiltered: start afresh,
  // before saying so (traffic started on that line must all be counted).
  drain(filtered);
  drain(unfiltered);
  filtered.seen.clear();
  unfiltered.seen.clear();
  console.log(`attached socket_filter_tcp to a packet socket on ${iface}; a second one stays unfiltered. Ctrl-C to stop`);

  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  if (duration !== undefined) setTimeout(() => stop.abort(), duration * 1000).unref();

  const report = (label: string): void => {
    drain(filtered);
    drain(unfiltered);
    console.log(`${label}  filtered socket: ${format(filtered.seen)} | unfiltered socket: ${format(unfiltered.seen)}`);
  };
  let seconds = 0;
  try {
    for await (const _ of every(1000, undefined, { signal: stop.signal })) report(`${String(++seconds).padStart(4)}s`);
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  }
  report("total");
}
console.log("detached");
