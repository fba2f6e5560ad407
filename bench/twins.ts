// Why: a size/speed comparison is only meaningful if the C twin does the same thing, so the
// benchmark runs both loaded objects on the same synthetic packets (BPF_PROG_TEST_RUN) and
// compares return values, rewritten packets, skb->mark (TC) and the contents of the maps afterwards.

import type { BpfObject, BpfProgram } from "../runtime/index.js";
import { u32le } from "../runtime/index.js";

const BPF_MAP_TYPE_HASH = 1;
const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_PERCPU_HASH = 5;
const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
const BPF_MAP_TYPE_LRU_HASH = 9;
const BPF_PROG_TYPE_SCHED_CLS = 3;
/** sizeof(struct __sk_buff); skb->mark is at offset 8. */
const SK_BUFF_SIZE = 192;

const VLAN_Q = 0x8100;
const VLAN_AD = 0x88a8;

function ethernet(etherType: number, payload: number[]): Uint8Array {
  const dst = [0x02, 0, 0, 0, 0, 0x01];
  const src = [0x02, 0, 0, 0, 0, 0x02];
  return Uint8Array.from([...dst, ...src, etherType >> 8, etherType & 0xff, ...payload]);
}

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];

/** Internet checksum of `bytes` (big-endian words), as stored in a header. */
function inetChecksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface Ip4Opts {
  saddr?: number[];
  ttl?: number;
  options?: number[];
  fragOff?: number;
}

function ipv4(protocol: number, l4: number[], o: Ip4Opts = {}): number[] {
  const opts = o.options ?? [];
  const hdrLen = 20 + opts.length;
  const totLen = hdrLen + l4.length;
  const frag = o.fragOff ?? 0x4000;
  const hdr = [
    0x40 | (hdrLen / 4),
    0,
    ...be16(totLen), // ver_ihl, tos, tot_len
    0,
    1,
    ...be16(frag), // id, frag_off
    o.ttl ?? 64,
    protocol,
    0,
    0, // ttl, protocol, check
    ...(o.saddr ?? [10, 0, 0, 1]), // saddr
    10,
    0,
    0,
    2, // daddr
    ...opts,
  ];
  const check = inetChecksum(hdr);
  hdr[10] = check >> 8;
  hdr[11] = check & 0xff;
  return [...hdr, ...l4];
}

const tcp = (sport: number, dport: number): number[] => [
  ...be16(sport),
  ...be16(dport),
  0,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
  0x50,
  0x02,
  0xff,
  0xff,
  0,
  0,
  0,
  0,
];
const udp = (sport: number, dport: number, payload: number[]): number[] => [
  ...be16(sport),
  ...be16(dport),
  ...be16(8 + payload.length),
  0,
  0,
  ...payload,
];

function icmpEcho(payloadLen: number): number[] {
  const msg = [8, 0, 0, 0, 0x12, 0x34, 0, 1, ...Array.from({ length: payloadLen }, (_, i) => i & 0xff)];
  const check = inetChecksum(msg);
  msg[2] = check >> 8;
  msg[3] = check & 0xff;
  return msg;
}

const ipv6 = (nexthdr: number, l4: number[]): number[] => [
  0x60,
  0,
  0,
  0,
  ...be16(l4.length),
  nexthdr,
  64,
  ...new Array<number>(15).fill(0),
  1,
  ...new Array<number>(15).fill(0),
  2,
  ...l4,
];
const vlan = (vid: number, inner: number): number[] => [...be16(vid), ...be16(inner)];
const payload = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** Packets that exercise the branches of the benchmark programs. */
export const TEST_PACKETS: { label: string; data: Uint8Array }[] = [
  { label: "ipv4/tcp", data: ethernet(0x0800, ipv4(6, new Array<number>(20).fill(0))) },
  { label: "ipv4/udp", data: ethernet(0x0800, ipv4(17, new Array<number>(8 + 32).fill(0x55))) },
  { label: "ipv4/icmp", data: ethernet(0x0800, ipv4(1, new Array<number>(8 + 56).fill(0xaa))) },
  { label: "ipv6", data: ethernet(0x86dd, new Array<number>(40).fill(0)) },
  { label: "arp", data: ethernet(0x0806, new Array<number>(28).fill(0)) },
  { label: "ipv4 truncated", data: ethernet(0x0800, [0x45, 0, 0, 20, 0, 0]) },
  { label: "ipv4/tcp:80", data: ethernet(0x0800, ipv4(6, tcp(40000, 80))) },
  { label: "ipv4/tcp:22", data: ethernet(0x0800, ipv4(6, tcp(40001, 22))) },
  { label: "ipv4/tcp:443 from 10.0.0.9", data: ethernet(0x0800, ipv4(6, tcp(40002, 443), { saddr: [10, 0, 0, 9] })) },
  { label: "ipv4/udp:53", data: ethernet(0x0800, ipv4(17, udp(5353, 53, payload(40, 1)))) },
  { label: "ipv4+options/udp:53", data: ethernet(0x0800, ipv4(17, udp(5354, 53, payload(24, 2)), { options: [1, 1, 1, 0] })) },
  { label: "ipv4/udp:8080 payload 100", data: ethernet(0x0800, ipv4(17, udp(1234, 8080, payload(100, 3)))) },
  { label: "ipv4/udp from 53", data: ethernet(0x0800, ipv4(17, udp(53, 50000, payload(16, 4)))) },
  { label: "ipv4/udp fragment", data: ethernet(0x0800, ipv4(17, udp(5355, 53, payload(8, 5)), { fragOff: 0x2001 })) },
  { label: "ipv4/tcp ttl 1", data: ethernet(0x0800, ipv4(6, tcp(40003, 8080), { ttl: 1 })) },
  { label: "ipv4/gre", data: ethernet(0x0800, ipv4(47, payload(24, 6))) },
  { label: "ipv4/icmp echo", data: ethernet(0x0800, ipv4(1, icmpEcho(48))) },
  { label: "ipv4/ihl 4", data: ethernet(0x0800, [0x44, ...ipv4(6, tcp(1, 2)).slice(1)]) },
  { label: "ipv4/tcp short l4", data: ethernet(0x0800, ipv4(6, tcp(40004, 80).slice(0, 10))) },
  { label: "ipv6/udp", data: ethernet(0x86dd, ipv6(17, udp(1, 53, payload(12, 7)))) },
  { label: "ipv6/icmpv6", data: ethernet(0x86dd, ipv6(58, payload(16, 8))) },
  { label: "vlan 100 ipv4/udp", data: ethernet(VLAN_Q, [...vlan(100, 0x0800), ...ipv4(17, udp(7, 53, payload(8, 9)))]) },
  { label: "qinq 7/200 ipv6", data: ethernet(VLAN_AD, [...vlan(7, VLAN_Q), ...vlan(200, 0x86dd), ...ipv6(17, udp(1, 2, []))]) },
  { label: "vlan truncated", data: ethernet(VLAN_Q, [0, 5]) },
  { label: "ipv4/udp 1600 bytes", data: ethernet(0x0800, ipv4(17, udp(9, 9, payload(1558, 10)))) },
];

/** The packet each XDP/TC program is timed on: ordinary traffic that takes its main path. */
export const TIMING_PACKET = "ipv4/udp:53";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function runOnce(prog: BpfProgram, data: Uint8Array): string {
  try {
    if (prog.type === BPF_PROG_TYPE_SCHED_CLS) {
      const r = prog.run({ data, ctx: new Uint8Array(SK_BUFF_SIZE) });
      const mark = r.ctx && r.ctx.length >= 12 ? Buffer.from(r.ctx).readUInt32LE(8) : "n/a";
      return `returns ${r.retval}, mark ${mark}${sameBytes(r.data, data) ? "" : `, packet ${hex(r.data)}`}`;
    }
    const r = prog.run({ data });
    return `returns ${r.retval}${sameBytes(r.data, data) ? "" : `, packet ${hex(r.data)}`}`;
  } catch (e) {
    // The kernel refuses some inputs for some program types (a socket filter's test run wants a
    // whole IPv4 header); that is recorded as the outcome, the same for both objects.
    return `test run refused: ${(e as Error).message.replace(/^.*failed: /, "")}`;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Global-data maps are named "<object>.<section>" (libbpf may shorten the prefix): keep the section. */
const mapLabel = (name: string): string => name.replace(/^.*\.(bss|data|rodata)$/, ".$1");

/**
 * What an object did with TEST_PACKETS: the maps it has, then per packet the return value, the
 * rewritten packet (when changed) and skb->mark (TC), then the non-zero contents of every array and
 * hash map (per-CPU values summed).
 */
export function observe(obj: BpfObject): string {
  const lines: string[] = [];
  const maps = [...obj.maps.values()].sort((a, b) => mapLabel(a.name).localeCompare(mapLabel(b.name)));
  for (const m of maps) {
    lines.push(`map ${mapLabel(m.name)}: type ${m.type}, key ${m.keySize} B, value ${m.valueSize} B, ${m.maxEntries} entries`);
  }
  for (const prog of obj.programs.values()) {
    for (const p of TEST_PACKETS) lines.push(`${prog.name} ${p.label}: ${runOnce(prog, p.data)}`);
  }
  for (const map of maps) {
    const label = mapLabel(map.name);
    if (map.type === BPF_MAP_TYPE_ARRAY || map.type === BPF_MAP_TYPE_PERCPU_ARRAY) {
      for (let i = 0; i < map.maxEntries; i++) {
        const value = map.isPerCpu ? sumPerCpu(map.lookupPerCpu(u32le(i)) ?? []) : map.lookup(u32le(i));
        if (value?.some((b) => b !== 0)) lines.push(`${label}[${i}] = ${hex(value)}`);
      }
    } else if ([BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_HASH].includes(map.type)) {
      const entries: string[] = [];
      for (const k of map.keys()) {
        const value = map.isPerCpu ? sumPerCpu(map.lookupPerCpu(k) ?? []) : map.lookup(k);
        entries.push(`${label}[${hex(k)}] = ${value ? hex(value) : "gone"}`);
      }
      lines.push(...entries.sort());
    }
  }
  return lines.join("\n");
}

/** Per-CPU copies summed as little-endian u64 words (the test runs may land on different CPUs). */
function sumPerCpu(copies: Uint8Array[]): Uint8Array {
  const size = copies[0]?.length ?? 0;
  const out = new Uint8Array(size);
  if (size % 8 !== 0) return copies[0] ?? out;
  const dv = new DataView(out.buffer);
  for (const c of copies) {
    const cv = new DataView(c.buffer, c.byteOffset, c.byteLength);
    for (let o = 0; o < size; o += 8) dv.setBigUint64(o, dv.getBigUint64(o, true) + cv.getBigUint64(o, true), true);
  }
  return out;
}

/** Test-run `label`'s packet `repeat` times; the kernel's average ns per run. */
export function timeRun(obj: BpfObject, program: string, label: string, repeat: number): number | null {
  const prog = obj.programs.get(program);
  const p = TEST_PACKETS.find((t) => t.label === label);
  if (!prog || !p) return null;
  try {
    const opts =
      prog.type === BPF_PROG_TYPE_SCHED_CLS ? { data: p.data, repeat, ctx: new Uint8Array(SK_BUFF_SIZE) } : { data: p.data, repeat };
    return prog.run(opts).duration;
  } catch {
    return null;
  }
}
