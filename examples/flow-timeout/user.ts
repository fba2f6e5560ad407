// User-space side of flow-timeout: compile (or take a prebuilt object), load with the idle time
// from the command line (a .rodata constant, fixed at load), attach to an interface in generic XDP
// mode and print the live flows every second; the kernel's timers remove idle flows by themselves.
// Detaches on Ctrl-C or after --duration.
//
//   node --import tsx examples/flow-timeout/user.ts <interface> [--idle seconds] [--duration s]
//                                                   [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load, type FlowKey } from "./flow-timeout.skel.js";

const usage = "usage: user.ts <interface> [--idle seconds] [--duration seconds] [--object flow-timeout.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: {
    idle: { type: "string", default: "10" },
    duration: { type: "string" },
    object: { type: "string" },
  },
  allowPositionals: true,
});
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};
const iface = positionals[0];
const idle = Number(opts.idle);
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (positionals.length !== 1 || !iface) fail("name one interface");
if (!(idle > 0)) fail(`bad --idle ${opts.idle}`);
if (duration !== undefined && !(duration > 0)) fail(`bad --duration ${opts.duration}`);

async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./flow-timeout.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

/** Addresses and ports are stored as they are in the packet (network order). */
const ip = (a: number): string => [a & 0xff, (a >>> 8) & 0xff, (a >>> 16) & 0xff, a >>> 24].join(".");
const port = (p: number): number => ((p & 0xff) << 8) | (p >>> 8);
const PROTOS: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp" };
const flowName = (k: FlowKey): string =>
  k.sport || k.dport
    ? `${PROTOS[k.proto] ?? k.proto} ${ip(k.saddr)}:${port(k.sport)} > ${ip(k.daddr)}:${port(k.dport)}`
    : `${PROTOS[k.proto] ?? k.proto} ${ip(k.saddr)} > ${ip(k.daddr)}`;

using obj = load(await objectFile(), { rodata: { IDLE_NS: BigInt(Math.round(idle * 1e9)) } });
const { flows, stats } = obj.maps;

const summary = (): string => `${[...flows.keys()].length} live, ${stats.get(0) ?? 0n} seen, ${stats.get(1) ?? 0n} expired`;

{
  using link = attachXdp(obj.programs.flow_timeout, iface, { mode: "generic" });
  console.log(`attached flow_timeout to ${link.target}, flows expire after ${idle}s idle; Ctrl-C to stop`);
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  if (duration !== undefined) setTimeout(() => stop.abort(), duration * 1000).unref();
  let seconds = 0;
  try {
    for await (const _ of every(1000, undefined, { signal: stop.signal })) {
      console.log(`${String(++seconds).padStart(4)}s  ${summary()}`);
      for (const [k, f] of flows.entries()) console.log(`        ${flowName(k)}  ${f.packets} packets, ${f.bytes} bytes`);
    }
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  }
  console.log(`total  ${summary()}`);
}
console.log("detached");
