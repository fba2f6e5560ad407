// Runs in a fresh network namespace (unshare -n, from test/sockmap-redirect.test.ts) with a cgroup of
// its own (argv[3]): starts examples/sockmap-redirect/user.ts (object argv[2]) on the cgroup, moves
// itself into the cgroup once it has attached, makes a TCP connection on loopback and sends 100
// messages each way, and prints (as JSON) what arrived and user.ts's output.

import { execFile, execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { join } from "node:path";

const [object, cgroup] = process.argv.slice(2) as [string, string];
const root = join(import.meta.dirname, "..", "..");
execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe" });

const user = join(root, "examples", "sockmap-redirect", "user.ts");
const child = execFile(process.execPath, ["--import", "tsx", user, cgroup, "--duration", "3", "--object", object], {
  cwd: root,
  timeout: 30_000,
});
let stdout = "";
child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
child.stderr!.on("data", (d: Buffer) => process.stderr.write(d));
const exited = new Promise<number | null>((r) => child.on("close", r));
for (let i = 0; i < 300 && !/^attached /m.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
writeFileSync(join(cgroup, "cgroup.procs"), String(process.pid));

let atServer = "";
let atClient = "";
let serverSide: Socket | undefined;
const server = createServer((s) => {
  serverSide = s;
  s.on("data", (d: Buffer) => (atServer += d.toString()));
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const client = connect((server.address() as { port: number }).port, "127.0.0.1");
client.on("data", (d: Buffer) => (atClient += d.toString()));
await new Promise((r) => client.once("connect", r));
while (!serverSide) await new Promise((r) => setTimeout(r, 5));
await new Promise((r) => setTimeout(r, 50)); // both ends are in the map once established
const want = Array.from({ length: 100 }, (_, i) => `m${i};`).join("");
for (let i = 0; i < 100; i++) {
  client.write(`m${i};`);
  serverSide.write(`m${i};`);
  await new Promise((r) => setImmediate(r));
}
for (let i = 0; i < 200 && (atServer.length < want.length || atClient.length < want.length); i++)
  await new Promise((r) => setTimeout(r, 10));
const intact = atServer === want && atClient === want;
client.destroy();
serverSide.destroy();
server.close();
const code = await exited;
process.stdout.write(JSON.stringify({ intact, atServer: atServer.length, atClient: atClient.length, code, stdout }));
