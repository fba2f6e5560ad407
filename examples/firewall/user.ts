// User-space side of the firewall: compile (or take a prebuilt object), load, fill the rule maps
// from the command line with the typed map API, attach to an interface in generic XDP mode, print
// the hits of every rule (summed over CPUs) every second, and detach on Ctrl-C or after --duration.
//
//   node --import tsx examples/firewall/user.ts <interface> [--block-source IPv4]... [--block-port N]...
//                                               [--duration s] [--object file.bpf.o]
//
// Rules are numbered from 1 in the order sources, then ports; rule 0 counts the IPv4 packets passed.

import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load } from "./firewall.skel.js";

const usage = "usage: user.ts <interface> [--block-source IPv4]... [--block-port port]... [--duration seconds] [--object firewall.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: {
    "block-source": { type: "string", multiple: true, default: [] },
    "block-port": { type: "string", multiple: true, default: [] },
    duration: { type: "string" },
    object: { type: "string" },
  },
  allowPositionals: true,
});
const iface = positionals[0];
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};
if (positionals.length !== 1 || !iface) fail("name one interface");
if (duration !== undefined && !(duration > 0)) fail(`bad --duration ${opts.duration}`);

interface Rule {
  id: number;
  text: string;
}
const sources = opts["block-source"].map((addr) => (isIPv4(addr) ? addr : fail(`not an IPv4 address: ${addr}`)));
const ports = opts["block-port"].map((p) => (/^\d+$/.test(p) && Number(p) < 65536 ? Number(p) : fail(`not a port: ${p}`)));
if (sources.length + ports.length > 255) fail("at most 255 rules (rule_hits has 256 entries, 0 counts passed packets)");
const rules: Rule[] = [
  { id: 0, text: "passed" },
  ...sources.map((addr, i) => ({ id: 1 + i, text: `drop from ${addr}` })),
  ...ports.map((port, i) => ({ id: 1 + sources.length + i, text: `drop TCP/UDP to port ${port}` })),
];

/** The object file given with --object, or the bytes of firewall.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./firewall.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

/**
 * The `blocked_sources` key of an address: the program looks up `ip.saddr`, the four address bytes
 * as they are in the packet read as one host-order u32, which is what a Uint32Array over them gives.
 */
const sourceKey = (addr: string): number => new Uint32Array(new Uint8Array(addr.split(".").map(Number)).buffer)[0]!;

using obj = load(await objectFile());
const { blocked_sources, blocked_ports, rule_hits } = obj.maps;
sources.forEach((addr, i) => blocked_sources.set(sourceKey(addr), 1 + i));
ports.forEach((port, i) => blocked_ports.set(port, 1 + sources.length + i));

/** Packets counted under `rule`, summed over CPUs (rule_hits is a per-CPU array of u64). */
const hits = (rule: number): bigint => (rule_hits.get(rule) ?? []).reduce((a, b) => a + b, 0n);
const format = (): string => rules.map((r) => `${r.id === 0 ? "passed" : `rule ${r.id}`}: ${hits(r.id)}`).join(" | ");

{
  using link = attachXdp(obj.programs.firewall, iface, { mode: "generic" });
  console.log(`attached firewall to ${link.target} with ${rules.length - 1} rule${rules.length === 2 ? "" : "s"}; Ctrl-C to stop`);
  for (const r of rules.slice(1)) console.log(`  rule ${r.id}: ${r.text}`);

  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  if (duration !== undefined) setTimeout(() => stop.abort(), duration * 1000).unref();

  let seconds = 0;
  try {
    for await (const _ of every(1000, undefined, { signal: stop.signal })) console.log(`${String(++seconds).padStart(4)}s  ${format()}`);
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  }
  console.log(`total  ${format()}`);
}
console.log("detached");
