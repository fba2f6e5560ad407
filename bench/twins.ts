// Why: a size/speed comparison is only meaningful if the C twin does the same thing, so the
// benchmark runs both loaded objects on the same synthetic packets (BPF_PROG_TEST_RUN) and
// compares return values and the contents of every array map afterwards.

import type { BpfObject } from "../runtime/index.js";
import { u32le } from "../runtime/index.js";

const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_PERCPU_ARRAY = 6;

function ethernet(etherType: number, payload: number[]): Uint8Array {
  const dst = [0x02, 0, 0, 0, 0, 0x01];
  const src = [0x02, 0, 0, 0, 0, 0x02];
  return Uint8Array.from([...dst, ...src, etherType >> 8, etherType & 0xff, ...payload]);
}

function ipv4(protocol: number, l4: number[]): number[] {
  const totLen = 20 + l4.length;
  return [
    0x45, 0, totLen >> 8, totLen & 0xff, // ver_ihl, tos, tot_len
    0, 1, 0x40, 0, // id, frag_off (DF)
    64, protocol, 0, 0, // ttl, protocol, check (not verified by these programs)
    10, 0, 0, 1, // saddr
    10, 0, 0, 2, // daddr
    ...l4,
  ];
}

/** Packets that exercise every branch of the examples. */
export const TEST_PACKETS: { label: string; data: Uint8Array }[] = [
  { label: "ipv4/tcp", data: ethernet(0x0800, ipv4(6, new Array<number>(20).fill(0))) },
  { label: "ipv4/udp", data: ethernet(0x0800, ipv4(17, new Array<number>(8 + 32).fill(0x55))) },
  { label: "ipv4/icmp", data: ethernet(0x0800, ipv4(1, new Array<number>(8 + 56).fill(0xaa))) },
  { label: "ipv6", data: ethernet(0x86dd, new Array<number>(40).fill(0)) },
  { label: "arp", data: ethernet(0x0806, new Array<number>(28).fill(0)) },
  { label: "ipv4 truncated", data: ethernet(0x0800, [0x45, 0, 0, 20, 0, 0]) },
];

/** What an object did with TEST_PACKETS: return values, then array-map contents (per-CPU summed). */
export function observe(obj: BpfObject): string {
  const lines: string[] = [];
  for (const m of obj.maps.values()) {
    lines.push(`map ${m.name}: type ${m.type}, key ${m.keySize} B, value ${m.valueSize} B, ${m.maxEntries} entries`);
  }
  for (const prog of obj.programs.values()) {
    for (const p of TEST_PACKETS) {
      let outcome: string;
      try {
        outcome = `returns ${prog.run({ data: p.data }).retval}`;
      } catch (e) {
        // The kernel refuses some inputs for some program types (a socket filter's test run wants a
        // whole IPv4 header); that is recorded as the outcome, the same for both objects.
        outcome = `test run refused: ${(e as Error).message.replace(/^.*failed: /, "")}`;
      }
      lines.push(`${prog.name} ${p.label}: ${outcome}`);
    }
  }
  for (const map of obj.maps.values()) {
    if (map.type !== BPF_MAP_TYPE_ARRAY && map.type !== BPF_MAP_TYPE_PERCPU_ARRAY) continue;
    for (let i = 0; i < map.maxEntries; i++) {
      const value = map.isPerCpu ? sumPerCpu(map.lookupPerCpu(u32le(i)) ?? []) : map.lookup(u32le(i));
      if (value && value.some((b) => b !== 0)) lines.push(`${map.name}[${i}] = ${Buffer.from(value).toString("hex")}`);
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
