// Runs in a fresh network namespace (unshare -n, from test/sockmap-kernel.test.ts): loads the
// object at argv[2], puts one listening TCP socket in its `listeners` SockMap, attaches its
// sk_lookup program to this namespace and connects to ports inside and outside the steered range;
// prints (as JSON) what each connection reached and the program's counters.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { attachNetns, loadObject, type SocketMap } from "../../runtime/index.js";

const [object] = process.argv.slice(2) as [string];
execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe" });

const seenPorts: number[] = [];
const server = createServer((s) => {
  seenPorts.push(s.localPort!);
  s.end(`hello from ${(server.address() as { port: number }).port}`);
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as { port: number }).port;

using obj = loadObject(readFileSync(object));
(obj.typed.listeners as SocketMap).add(0, server);
using _link = attachNetns(obj.programs.get("steer")!);

/** Connects to 127.0.0.1:p: what the peer sent, or the error code. */
const dial = (p: number) =>
  new Promise<string>((resolve) => {
    const c = connect(p, "127.0.0.1");
    let got = "";
    c.on("data", (d: Buffer) => (got += d.toString()));
    c.on("end", () => resolve(got));
    c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });

const results = { inRange: [await dial(7000), await dial(7009)], outside: await dial(7010), direct: await dial(port) };
const hits = obj.typed.hits!;
process.stdout.write(JSON.stringify({ port, results, seenPorts, hits: [0, 1].map((i) => String(hits.get(i))) }));
server.close();
