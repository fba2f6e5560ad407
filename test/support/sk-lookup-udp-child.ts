// Runs in a fresh network namespace (unshare -n, from test/sk-lookup-udp.test.ts): loads the object
// at argv[2], binds one UDP socket with bindUdpSocket, puts its fd in the `target` SockMap and hands
// the same fd to a Node dgram socket, attaches the sk_lookup program to this namespace, then sends
// datagrams to ports inside and outside the steered range (and connects over TCP to one inside);
// prints (as JSON) what the socket received and the program's counters.

import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { attachNetns, bindUdpSocket, loadObject, type SocketMap } from "../../runtime/index.js";

const [object] = process.argv.slice(2) as [string];
execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe" });

using obj = loadObject(readFileSync(object));
const fd = bindUdpSocket({ address: "127.0.0.1" });
const socks = obj.typed.target as SocketMap;
socks.add(0, fd);
const cookie = String(socks.cookie(0));

const received: string[] = [];
const server = dgram.createSocket("udp4");
server.on("message", (m) => received.push(m.toString()));
await new Promise<void>((r) => server.bind({ fd }, r));
const port = server.address().port;

const fd6 = bindUdpSocket({ address: "::1" });
socks.add(1, fd6);
const received6: string[] = [];
const server6 = dgram.createSocket({ type: "udp6", ipv6Only: true });
server6.on("message", (m) => received6.push(m.toString()));
await new Promise<void>((r) => server6.bind({ fd: fd6 }, r));
const port6 = server6.address().port;

const client = dgram.createSocket("udp4");
const client6 = dgram.createSocket("udp6");
const send6 = (p: number) => new Promise<void>((r) => client6.send(`to ${p}`, p, "::1", () => r()));
const send = (p: number) => new Promise<void>((r) => client.send(`to ${p}`, p, "127.0.0.1", () => r()));
// Before the program is attached: nothing listens on 7100.
await send(7100);
await new Promise((r) => setTimeout(r, 100));
const receivedBefore = [...received];

using _link = attachNetns(obj.programs.get("steer_udp")!);
for (const p of [7100, 7105, 7109, 7110, port]) await send(p);
for (const p of [7100, 7109, 7110, port6]) await send6(p);
const tcp = await new Promise<string>((resolve) => {
  const c = connect(7100, "127.0.0.1");
  c.on("connect", () => resolve("connected"));
  c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
});
for (let i = 0; i < 40 && (received.length < 4 || received6.length < 3); i++) await new Promise((r) => setTimeout(r, 25));
await new Promise((r) => setTimeout(r, 100)); // anything late (7110 must not arrive)

const stats = obj.typed.stats!;
process.stdout.write(
  JSON.stringify({ port, port6, cookie, receivedBefore, received, received6, tcp, stats: [0, 1, 2, 3].map((i) => String(stats.get(i))) }),
);
client.close();
client6.close();
server.close();
server6.close();
