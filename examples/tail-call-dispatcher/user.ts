// User-space side of the tail-call dispatcher: compile (or take a prebuilt object), load (libbpf
// fills the TCP and UDP slots of `handlers`), optionally rearrange slots at run time, attach the
// dispatcher to an interface in generic XDP mode and print the packets taken by each path every
// second; detach on Ctrl-C or after --duration.
//
//   node --import tsx examples/tail-call-dispatcher/user.ts <interface> [--route PROTO=tcp|udp|none]...
//                                                          [--duration s] [--object file.bpf.o]
//
// --route 1=udp sends ICMP (protocol 1) to handle_udp; --route 17=none empties the UDP slot, so UDP
// falls through the tail call.

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load } from "./tail-call-dispatcher.skel.js";

const usage = "usage: user.ts <interface> [--route PROTO=tcp|udp|none]... [--duration seconds] [--object tail-call-dispatcher.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: {
    route: { type: "string", multiple: true, default: [] },
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
const routes = opts.route.map((r) => {
  const m = /^(\d+)=(tcp|udp|none)$/.exec(r);
  if (!m || Number(m[1]) > 255) return fail(`bad --route ${r}`);
  return { proto: Number(m[1]), to: m[2] as "tcp" | "udp" | "none" };
});

async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./tail-call-dispatcher.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

using obj = load(await objectFile());
const { handlers, stats } = obj.maps;
const { dispatcher, handle_tcp, handle_udp } = obj.programs;
for (const r of routes) {
  if (r.to === "none") handlers.delete(r.proto);
  else handlers.setProgram(r.proto, r.to === "tcp" ? handle_tcp : handle_udp);
}
const all = [handle_tcp, handle_udp];
const slots = [...handlers.entries()].map(([proto]) => `${proto} -> ${handlers.program(proto, all)?.name ?? "?"}`);
const sum = (i: number): bigint => (stats.get(i) ?? []).reduce((a, b) => a + b, 0n);
const format = (): string => `tcp handler ${sum(1)} | udp handler ${sum(2)} | no handler ${sum(0)}`;

{
  using link = attachXdp(dispatcher, iface, { mode: "generic" });
  console.log(`attached dispatcher to ${link.target}; slots: ${slots.join(", ") || "none"}; Ctrl-C to stop`);
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
