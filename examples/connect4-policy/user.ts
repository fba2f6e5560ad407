// User-space side of connect4-policy: compile (or take a prebuilt object), load, fill the port
// tables from the command line with the typed map API, attach to a cgroup v2 directory, print the
// counters every second, and detach on Ctrl-C or after --duration.
//
//   node --import tsx examples/connect4-policy/user.ts <cgroup-dir> [--block PORT]... [--redirect FROM:TO]...
//                                                      [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachCgroup } from "tsbpf/runtime";
import { load } from "./connect4-policy.skel.js";

const usage = "usage: user.ts <cgroup-dir> [--block port]... [--redirect from:to]... [--duration seconds] [--object connect4-policy.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: {
    block: { type: "string", multiple: true, default: [] },
    redirect: { type: "string", multiple: true, default: [] },
    duration: { type: "string" },
    object: { type: "string" },
  },
  allowPositionals: true,
});
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};
const cgroup = positionals[0];
if (positionals.length !== 1 || !cgroup) fail("name one cgroup directory, e.g. /sys/fs/cgroup/mygroup");
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (duration !== undefined && !(duration > 0)) fail(`bad --duration ${opts.duration}`);
const port = (p: string): number => (/^\d+$/.test(p) && Number(p) > 0 && Number(p) < 65536 ? Number(p) : fail(`not a port: ${p}`));
const blocked = opts.block.map(port);
const redirects = opts.redirect.map((r) => {
  const [from, to] = r.split(":");
  return [port(from ?? ""), port(to ?? "")] as const;
});

/** The object file given with --object, or the bytes of connect4-policy.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./connect4-policy.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

using obj = load(await objectFile());
const { blocked_ports, redirect_ports, stats } = obj.maps;
for (const p of blocked) blocked_ports.set(p, 1);
for (const [from, to] of redirects) redirect_ports.set(from, to);

const format = (): string => `refused ${stats.get(0) ?? 0n} | redirected ${stats.get(1) ?? 0n} | passed ${stats.get(2) ?? 0n}`;

{
  using link = attachCgroup(obj.programs.connect4_policy, cgroup);
  console.log(
    `attached connect4_policy to ${link.target}: blocking [${blocked.join(", ")}], redirecting [${redirects.map(([f, t]) => `${f}->${t}`).join(", ")}]; Ctrl-C to stop`,
  );

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
