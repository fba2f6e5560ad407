// User-space side of ip-sizes: compile (or take a prebuilt object), load, attach to an interface in
// generic XDP mode, print IPv4 packet counts, bytes and small packets per protocol every second, and
// detach on Ctrl-C or after --duration seconds.
//
//   node --import tsx examples/ip-sizes/user.ts <interface> [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load, type SizeStats } from "./ip-sizes.skel.js";

const usage = "usage: user.ts <interface> [--duration seconds] [--object ip-sizes.bpf.o]";
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

/** The object file given with --object, or the bytes of ip-sizes.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./ip-sizes.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

const SLOTS = ["other", "TCP", "UDP", "ICMP"];

function format(stats: Iterable<[number, SizeStats]>): string {
  const parts = [...stats]
    .filter(([, s]) => s.packets > 0n)
    .map(([slot, s]) => `${SLOTS[slot] ?? slot}: ${s.packets} packets, ${s.bytes} bytes, ${s.small} under 128 bytes`);
  return parts.length ? parts.join(" | ") : "no IPv4 packets yet";
}

using obj = load(await objectFile());
{
  using link = attachXdp(obj.programs.ip_sizes, iface, { mode: "generic" });
  console.log(`attached ip_sizes to ${link.target}; measuring received IPv4 packets, Ctrl-C to stop`);

  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  if (duration !== undefined) setTimeout(() => stop.abort(), duration * 1000).unref();

  let seconds = 0;
  try {
    for await (const _ of every(1000, undefined, { signal: stop.signal })) {
      console.log(`${String(++seconds).padStart(4)}s  ${format(obj.maps.sizes.readAll())}`);
    }
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  }
  console.log(`total  ${format(obj.maps.sizes.readAll())}`);
}
console.log("detached");
