// User-space side of sockmap-redirect: compile (or take a prebuilt object), load, attach the sk_msg
// program to the SockHash and the sock_ops program to a cgroup v2 directory, print the counters
// every second, and detach on Ctrl-C or after --duration. TCP connections made by the cgroup's
// processes after that (both ends in the cgroup, IPv4) then move their data socket to socket.
//
//   node --import tsx examples/sockmap-redirect/user.ts <cgroup-dir> [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachCgroup, attachSockMap } from "tsbpf/runtime";
import { load } from "./sockmap-redirect.skel.js";

const usage = "usage: user.ts <cgroup-dir> [--duration seconds] [--object sockmap-redirect.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: { duration: { type: "string" }, object: { type: "string" } },
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

/** The object file given with --object, or the bytes of sockmap-redirect.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./sockmap-redirect.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

using obj = load(await objectFile());
const { sockets, stats } = obj.maps;
const format = (): string =>
  `sockets ${stats.get(0) ?? 0n} | redirected ${stats.get(1) ?? 0n} | passed ${stats.get(2) ?? 0n} | in map ${[...sockets.keys()].length}`;

{
  // The message program first: a socket gets the map's programs when it is added.
  using msgLink = attachSockMap(obj.programs.redirect_to_peer, sockets);
  using opsLink = attachCgroup(obj.programs.add_established, cgroup);
  console.log(`attached redirect_to_peer to ${msgLink.target} and add_established to ${opsLink.target}; Ctrl-C to stop`);

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
