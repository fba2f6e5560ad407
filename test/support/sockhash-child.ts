// Runs in a fresh network namespace (unshare -n, from test/sockmap-kernel.test.ts) inside a child
// cgroup of its own (argv[3]): the SockHash variants at work. An sk_msg program redirects by a
// SockHash key, a stream parser + stream verdict pair redirects by another, and a sock_ops program
// puts each accepted connection in a SockMap slot with sockMapUpdate. Prints (as JSON) where the
// bytes arrived and the cookies user space reads.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { join } from "node:path";
import { attachCgroup, attachSockMap, loadObject, type SocketMap } from "../../runtime/index.js";

const [object, cgroup] = process.argv.slice(2) as [string, string];
execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe" });
writeFileSync(join(cgroup, "cgroup.procs"), String(process.pid));

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
async function pair(): Promise<[Socket, Socket]> {
  const n = accepted.length;
  const c = connect(port, "127.0.0.1");
  watch(c);
  await new Promise((r) => c.once("connect", r));
  while (accepted.length === n) await new Promise((r) => setTimeout(r, 5));
  return [c, accepted[n]!];
}

const msgHash = obj.typed.msgHash as SocketMap<number>;
const skbHash = obj.typed.skbHash as SocketMap<number>;
using _msg = attachSockMap(prog("msg"), msgHash);
using _parser = attachSockMap(prog("parser"), skbHash);
using _verdict = attachSockMap(prog("verdict"), skbHash);

const [a1, a1s] = await pair();
const [b1, b1s] = await pair();
const [a2, a2s] = await pair();
const [b2, b2s] = await pair();
// The last accepted socket is in slot 0 of `lastAccepted` (sock_ops); add it to a map of our own too.
const lastCookie = (obj.typed.lastAccepted as SocketMap).cookie(0);
const mine = obj.typed.mine as SocketMap;
mine.add(0, b2s);

// Keys are local ports; `config` says where each program sends: slot 0 for sk_msg, slot 1 for sk_skb.
msgHash.add(a1.localPort!, a1).add(b1.localPort!, b1);
skbHash.add(a2s.remotePort!, a2s).add(b2s.remotePort!, b2s);
obj.typed.config!.set(0, b1.localPort!).set(1, b2s.remotePort!);

a1.write("via-msg-hash");
a2.write("via-skb-hash");
const deadline = Date.now() + 3000;
while (Date.now() < deadline && !(received.get(b1) && received.get(b2))) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 100));

const out = {
  msg: { b1: received.get(b1), a1s: received.get(a1s), b1s: received.get(b1s) },
  skb: { b2: received.get(b2), a2s: received.get(a2s), b2s: received.get(b2s) },
  cookies: [String(lastCookie), String(mine.cookie(0))],
};
for (const s of [a1, a1s, b1, b1s, a2, a2s, b2, b2s]) s.destroy();
server.close();
process.stdout.write(JSON.stringify(out));
