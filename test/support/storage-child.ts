// Runs in a fresh network namespace (unshare -n, from test/sockmap-kernel.test.ts) inside a child
// cgroup of its own (argv[3]): loads the object at argv[2], attaches its cgroup programs (egress,
// connect4), makes one TCP connection that sends 1000 bytes and a second one whose value connect4
// deletes (its port is in the `config` map), and prints (as JSON) each socket's SkStorage value, read from user space by the socket's fd.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { join } from "node:path";
import { attachCgroup, loadObject, socketFd } from "../../runtime/index.js";

const [object, cgroup] = process.argv.slice(2) as [string, string];
execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe" });
writeFileSync(join(cgroup, "cgroup.procs"), String(process.pid));

using obj = loadObject(readFileSync(object));
using _egress = attachCgroup(obj.programs.get("egress")!, cgroup);
using _connect = attachCgroup(obj.programs.get("connect")!, cgroup);

let got = 0;
let serverSide: Socket | undefined;
const server = createServer((s) => {
  serverSide = s;
  s.on("data", (d: Buffer) => (got += d.length));
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as { port: number }).port;

const client = connect(port, "127.0.0.1");
await new Promise((r) => client.once("connect", r));
client.write(Buffer.alloc(1000, 1));
while (got < 1000) await new Promise((r) => setTimeout(r, 5));

const other = createServer(() => {});
await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
const otherPort = (other.address() as { port: number }).port;
obj.typed.config!.set(0, ((otherPort & 0xff) << 8) | (otherPort >> 8)); // network order, as ctx.user_port
const deleted = connect(otherPort, "127.0.0.1");
await new Promise((r) => deleted.once("connect", r));
await new Promise((r) => setTimeout(r, 50));

const usage = obj.typed.usage!;
const show = (v: unknown) => JSON.parse(JSON.stringify(v ?? null, (_k, x) => (typeof x === "bigint" ? Number(x) : x)));
const out = {
  port,
  client: show(usage.get(socketFd(client))),
  server: show(usage.get(socketFd(serverSide!))),
  listener: show(usage.get(socketFd(server))),
  deleted: show(usage.get(socketFd(deleted))),
  written: null as unknown,
};
// User space writes a socket's value by fd too.
usage.set(socketFd(deleted), { packets: 7n, bytes: 8n, connects: 9, port: 10 });
out.written = show(usage.get(socketFd(deleted)));
client.destroy();
serverSide!.destroy();
deleted.destroy();
server.close();
other.close();
process.stdout.write(JSON.stringify(out));
