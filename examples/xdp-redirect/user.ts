// User-space side of the XDP redirector: compile (or take a prebuilt object), load, put the egress
// device's ifindex in slot 0 of the devmap, attach to the ingress device in generic XDP mode, print
// frames redirected and passed every second, detach on Ctrl-C or after --duration.
//
//   node --import tsx examples/xdp-redirect/user.ts <in-interface> <out-interface> [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp, ifindexOf } from "tsbpf/runtime";
import { load } from "./xdp-redirect.skel.js";

const usage = "usage: user.ts <in-interface> <out-interface> [--duration seconds] [--object xdp-redirect.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: { duration: { type: "string" }, object: { type: "string" } },
  allowPositionals: true,
});
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};
const [ingress, egress] = positionals;
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (positionals.length !== 2 || !ingress || !egress) fail("name the ingress and the egress interface");
if (duration !== undefined && !(duration > 0)) fail(`bad --duration ${opts.duration}`);

async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./xdp-redirect.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

using obj = load(await objectFile());
const { tx_port, stats } = obj.maps;
tx_port.set(0, ifindexOf(egress!));

const sum = (i: number): bigint => (stats.get(i) ?? []).reduce((a, b) => a + b, 0n);
const format = (): string => `redirected ${sum(0)} | passed ${sum(1)}`;

{
  using link = attachXdp(obj.programs.xdp_redirect, ingress!, { mode: "generic" });
  console.log(`attached xdp_redirect to ${link.target}; IPv4 frames go out of ${egress} (ifindex ${tx_port.get(0)}); Ctrl-C to stop`);
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
