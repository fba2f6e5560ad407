// User-space side of the LPM blocklist: compile (or take a prebuilt object), load, insert the
// blocked prefixes from the command line into the LPM trie with the typed map API, attach to an
// interface in generic XDP mode, print the drops per prefix every second, detach on Ctrl-C or after
// --duration.
//
//   node --import tsx examples/lpm-blocklist/user.ts <interface> --block 10.0.0.0/8 [--block CIDR]...
//                                                    [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load, type Ipv4Prefix } from "./lpm-blocklist.skel.js";

const usage = "usage: user.ts <interface> --block A.B.C.D/N [--block A.B.C.D/N]... [--duration seconds] [--object lpm-blocklist.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: {
    block: { type: "string", multiple: true, default: [] },
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
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (positionals.length !== 1 || !iface) fail("name one interface");
if (duration !== undefined && !(duration > 0)) fail(`bad --duration ${opts.duration}`);

/**
 * "10.0.0.0/8" as the trie's key. `addr` holds the four address bytes in packet order read as one
 * host-order u32 (what the program reads from `ip.saddr`), which a Uint32Array over them gives.
 */
function prefix(cidr: string): Ipv4Prefix {
  const [addr, len] = cidr.split("/");
  const prefixlen = len === undefined ? 32 : Number(len);
  if (!addr || !isIPv4(addr) || !/^\d+$/.test(len ?? "32") || prefixlen > 32) return fail(`not an IPv4 prefix: ${cidr}`);
  return { prefixlen, addr: new Uint32Array(new Uint8Array(addr.split(".").map(Number)).buffer)[0]! };
}
const prefixes = opts.block.map((cidr) => ({ cidr, key: prefix(cidr) }));
if (prefixes.length === 0) fail("give at least one --block prefix");

async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./lpm-blocklist.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

using obj = load(await objectFile());
const { blocklist, stats } = obj.maps;
for (const p of prefixes) blocklist.set(p.key, 0n);

const sum = (i: number): bigint => (stats.get(i) ?? []).reduce((a, b) => a + b, 0n);
const format = (): string =>
  `passed ${sum(0)}, dropped ${sum(1)}: ` + prefixes.map((p) => `${p.cidr} ${blocklist.get(p.key) ?? 0n}`).join(", ");

{
  using link = attachXdp(obj.programs.lpm_blocklist, iface, { mode: "generic" });
  console.log(`attached lpm_blocklist to ${link.target} blocking ${prefixes.map((p) => p.cidr).join(", ")}; Ctrl-C to stop`);
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
