// User-space side of xdp-counter: compile (or take a prebuilt object), load, attach to an interface
// in generic XDP mode, print per-protocol packet and byte counts summed over CPUs every second, and
// detach on Ctrl-C or after --duration seconds.
//
//   node --import tsx examples/xdp-counter/user.ts <interface> [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load, type Counter } from "./xdp-counter.skel.js";

const usage = "usage: user.ts <interface> [--duration seconds] [--object xdp-counter.bpf.o]";
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

/** The object file given with --object, or the bytes of xdp-counter.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./xdp-counter.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

const PROTOCOLS: Record<number, string> = { 1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP", 132: "SCTP" };

/** Non-zero counters by protocol number, each the sum of the per-CPU copies. */
function totals(perProtocol: Iterable<[number, Counter[]]>): Map<number, Counter> {
  const out = new Map<number, Counter>();
  for (const [proto, perCpu] of perProtocol) {
    const sum: Counter = { packets: 0n, bytes: 0n };
    for (const c of perCpu) {
      sum.packets += c.packets;
      sum.bytes += c.bytes;
    }
    if (sum.packets > 0n) out.set(proto, sum);
  }
  return out;
}

function format(counts: Map<number, Counter>): string {
  if (counts.size === 0) return "no IPv4 packets yet";
  return [...counts]
    .map(
      ([proto, c]) => `${PROTOCOLS[proto] ?? `proto ${proto}`}: ${c.packets} ${c.packets === 1n ? "packet" : "packets"}, ${c.bytes} bytes`,
    )
    .join(" | ");
}

using obj = load(await objectFile());
const counters = obj.maps.counters; // PerCpuTypedMap<number, Counter>: one Counter per possible CPU
{
  using link = attachXdp(obj.programs.xdp_counter, iface, { mode: "generic" });
  console.log(`attached xdp_counter to ${link.target}; counting received IPv4 packets, Ctrl-C to stop`);

  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  if (duration !== undefined) setTimeout(() => stop.abort(), duration * 1000).unref();

  let seconds = 0;
  try {
    for await (const _ of every(1000, undefined, { signal: stop.signal })) {
      console.log(`${String(++seconds).padStart(4)}s  ${format(totals(counters.readAll()))}`);
    }
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  }
  console.log(`total  ${format(totals(counters.readAll()))}`);
}
console.log("detached");
