// User-space side of sk-lookup-ports: compile (or take a prebuilt object), load, start a TCP server
// on one port, put its listening socket in the `target` SockMap, set the port range, attach the
// sk_lookup program to this process's network namespace, print the counters every second, and detach
// on Ctrl-C or after --duration. Connections to any port of the range reach the one server, which
// answers with the port that was dialled.
//
//   node --import tsx examples/sk-lookup-ports/user.ts --ports 7000-7009 [--listen 127.0.0.1:0]
//                                                      [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachNetns } from "tsbpf/runtime";
import { load } from "./sk-lookup-ports.skel.js";

const usage = "usage: user.ts --ports FIRST-LAST [--listen host:port] [--duration seconds] [--object sk-lookup-ports.bpf.o]";
const { values: opts } = parseArgs({
  options: {
    ports: { type: "string" },
    listen: { type: "string", default: "127.0.0.1:0" },
    duration: { type: "string" },
    object: { type: "string" },
  },
});
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};
const port = (p: string): number => (/^\d+$/.test(p) && Number(p) > 0 && Number(p) < 65536 ? Number(p) : fail(`not a port: ${p}`));
const [first, last] = (opts.ports ?? fail("give the range with --ports FIRST-LAST")).split("-").map(port);
if (first === undefined || last === undefined || first > last) fail(`bad --ports ${opts.ports}`);
const at = opts.listen.lastIndexOf(":");
const host = opts.listen.slice(0, at);
const listenPort = opts.listen.slice(at + 1) === "0" ? 0 : port(opts.listen.slice(at + 1));
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (duration !== undefined && !(duration > 0)) fail(`bad --duration ${opts.duration}`);

/** The object file given with --object, or the bytes of sk-lookup-ports.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./sk-lookup-ports.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

// The server: one listening socket; each connection is told which local port it reached.
const server = createServer((s) => s.end(`port ${s.localPort}\n`));
await new Promise<void>((resolve) => server.listen(listenPort, host, resolve));
const bound = server.address() as { address: string; port: number };

using obj = load(await objectFile());
const { target, range, stats } = obj.maps;
target.add(0, server);
range.set(0, { first: first!, last: last! });

const format = (): string => `steered ${stats.get(0) ?? 0n} | refused ${stats.get(1) ?? 0n} | no socket ${stats.get(2) ?? 0n}`;

{
  using link = attachNetns(obj.programs.steer_ports);
  console.log(`attached steer_ports to ${link.target}: ports ${first}-${last} -> ${bound.address}:${bound.port}; Ctrl-C to stop`);

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
server.close();
console.log("detached");
