// Runs in a fresh network namespace (unshare -n, from test/sockmap-kernel.test.ts) inside a child
// cgroup of its own (argv[3]): loads the object at argv[2], attaches its sock_ops program to the
// cgroup and its sk_msg / sk_skb verdict programs to their socket maps, opens four TCP connections
// on loopback, sends one message on two of them and prints (as JSON) where the bytes arrived and
// what the programs left in their maps.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { join } from "node:path";
import { attachCgroup, attachSockMap, loadObject, type SocketMap } from "../../runtime/index.js";

const [object, cgroup] = process.argv.slice(2) as [string, string];
execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe" });
writeFileSync(join(cgroup, "cgroup.procs"), String(process.pid)); // sockets made from now on are the cgroup's

using obj = loadObject(readFileSync(object));
const prog = (name: string) => obj.programs.get(name)!;
using _ops = attachCgroup(prog("ops"), cgroup);

const received = new Map<Socket, string>();
const watch = (s: Socket) => {
  received.set(s, "");
  s.on("data", (d: Buffer) => received.set(s, received.get(s)! + d.toString()));
  s.on("error", () => {});
};
const accepted: Socket[] = [];
const server = createServer((s) => {
  watch(s);
  accepted.push(s);
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as { port: number }).port;

/** A connection: the client socket and the server's accepted socket. */
async function pair(): Promise<[Socket, Socket]> {
  const n = accepted.length;
  const c = connect(port, "127.0.0.1");
  watch(c);
  await new Promise((r) => c.once("connect", r));
  while (accepted.length === n) await new Promise((r) => setTimeout(r, 5));
  return [c, accepted[n]!];
}
const [a1, a1s] = await pair();
const [b1, b1s] = await pair();
const [a2, a2s] = await pair();
const [b2, b2s] = await pair();

// sk_msg on `msgSocks`: what a1 sends goes to the receive queue of b1 (slot 1) instead of to a1s.
// Programs attach to the map before the sockets go in: a socket gets the map's programs when it is added.
const msgSocks = obj.typed.msgSocks as SocketMap;
using _msg = attachSockMap(prog("msg"), msgSocks);
msgSocks.add(0, a1).add(1, b1);
// sk_skb verdict on `skbSocks`: what a2s receives is sent out of b2s (slot 1), so b2 gets it.
const skbSocks = obj.typed.skbSocks as SocketMap;
using _skb = attachSockMap(prog("verdict"), skbSocks);
skbSocks.add(0, a2s).add(1, b2s);

a1.write("via-sk-msg");
a2.write("via-sk-skb");
const deadline = Date.now() + 3000;
while (Date.now() < deadline && !(received.get(b1) && received.get(b2))) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 100)); // anything that went the ordinary way would be here by now

const hash = obj.typed.established as SocketMap<{ local_port: number; remote_port: number }>;
const counts = obj.typed.counts;
const out = {
  port,
  msg: { b1: received.get(b1), a1s: received.get(a1s), b1s: received.get(b1s) },
  skb: { b2: received.get(b2), a2s: received.get(a2s), b2s: received.get(b2s) },
  msgCookies: [msgSocks.cookie(0)?.toString(), msgSocks.cookie(1)?.toString()],
  established: [...hash.keys()].map((k) => ({ ...k, cookie: hash.cookie(k)?.toString() })),
  clientPorts: [a1, b1, a2, b2].map((s) => s.localPort),
  links: [_msg.target, _skb.target, _msg.fd >= 0, _skb.fd >= 0],
  counts: [0, 1, 2, 3].map((i) => String(counts.get(i))),
};
for (const s of [a1, a1s, b1, b1s, a2, a2s, b2, b2s]) s.destroy();
server.close();
process.stdout.write(JSON.stringify(out));
