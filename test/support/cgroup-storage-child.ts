// Runs in a fresh network namespace (unshare -n, from test/sockmap-kernel.test.ts) with a cgroup of
// its own (argv[3]): makes two child cgroups, attaches the object's (argv[2]) cgroupSkb egress
// program to both, sends 3 UDP datagrams from the first and 5 from the second (moving itself between
// them; a socket belongs to the cgroup it was created in), and prints each cgroup's CgroupStorage and
// PerCpuCgroupStorage values, read by cgroup id.

import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { attachCgroup, cgroupId, loadObject } from "../../runtime/index.js";

const [object, cgroup] = process.argv.slice(2) as [string, string];
execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe" });
const groups = ["a", "b"].map((n) => join(cgroup, n));
for (const g of groups) mkdirSync(g);

const sink = createSocket("udp4");
await new Promise<void>((r) => sink.bind(0, "127.0.0.1", r));
const port = sink.address().port;

const out: Record<string, unknown> = {};
{
  using obj = loadObject(readFileSync(object));
  const links = groups.map((g) => attachCgroup(obj.programs.get("count")!, g));
  for (const [g, n] of [
    [groups[0]!, 3],
    [groups[1]!, 5],
  ] as const) {
    writeFileSync(join(g, "cgroup.procs"), String(process.pid));
    const s = createSocket("udp4");
    for (let i = 0; i < n; i++) await new Promise((r) => s.send("x", port, "127.0.0.1", r));
    s.close();
  }
  const shared = obj.typed.perCgroup!;
  const perCpu = obj.typed.perCgroupPerCpu!;
  const num = (v: unknown) => JSON.parse(JSON.stringify(v ?? null, (_k, x) => (typeof x === "bigint" ? Number(x) : x)));
  out.ids = groups.map((g) => String(cgroupId(g)));
  out.values = groups.map((g) => num(shared.get(cgroupId(g))));
  out.perCpuSums = groups.map((g) => (perCpu.get(cgroupId(g)) as bigint[]).reduce((a, b) => a + b, 0n).toString());
  out.keys = [...shared.keys()].map(String).sort();
  shared.set(cgroupId(groups[0]!), { packets: 7n, bytes: 8n });
  out.written = num(shared.get(cgroupId(groups[0]!)));
  try {
    out.deleted = shared.delete(cgroupId(groups[0]!));
  } catch (e) {
    out.deleted = (e as Error).message;
  }
  for (const l of links) l.close();
}
writeFileSync(join(cgroup, "cgroup.procs"), String(process.pid));
for (const g of groups) rmdirSync(g);
sink.close();
process.stdout.write(JSON.stringify(out));
