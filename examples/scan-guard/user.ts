// User-space side of scan-guard: compile (or take a prebuilt object), load with the probe limit
// (a .rodata variable, fixed at load), attach to an interface in generic XDP mode, print the
// counters and the sources that probed closed ports every second, and detach on Ctrl-C or after
// --duration.
//
//   node --import tsx examples/scan-guard/user.ts <interface> [--limit N] [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load } from "./scan-guard.skel.js";

const usage = "usage: user.ts <interface> [--limit probes] [--duration seconds] [--object scan-guard.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: {
    limit: { type: "string" },
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
if (positionals.length !== 1 || !iface) fail("name one interface");
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (duration !== undefined && !(duration > 0)) fail(`bad --duration ${opts.duration}`);
const limit = opts.limit === undefined ? undefined : /^\d{1,9}$/.test(opts.limit) ? BigInt(opts.limit) : fail(`bad --limit ${opts.limit}`);

/** The object file given with --object, or the bytes of scan-guard.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./scan-guard.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

/** A `probes` key back to dotted form: the address bytes as they are in the packet, read as a host-order u32. */
const address = (key: number): string => [...new Uint8Array(Uint32Array.of(key).buffer)].join(".");

using obj = load(await objectFile(), limit === undefined ? {} : { rodata: { LIMIT: limit } });
const { probes, stats } = obj.maps;
const max = obj.globals.rodata("LIMIT");

const format = (): string => {
  const sources = [...probes.entries()]
    .sort((a, b) => Number(b[1] - a[1]))
    .slice(0, 5)
    .map(([k, n]) => `${address(k)} ${n}${n >= max ? " (blocked)" : ""}`);
  return (
    `to listening ports ${stats.get(0) ?? 0n} | probes ${stats.get(1) ?? 0n} | dropped ${stats.get(2) ?? 0n}` +
    (sources.length ? ` | ${sources.join(", ")}` : "")
  );
};

{
  using link = attachXdp(obj.programs.scan_guard, iface, { mode: "generic" });
  console.log(`attached scan_guard to ${link.target}: a source's SYNs are dropped after ${max} probes of closed ports; Ctrl-C to stop`);

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
