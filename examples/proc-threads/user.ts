// User-space side of proc-threads: compile (or take a prebuilt object), load it, attach the task
// iterator to one process (attachIterator with { task: { pid } }: the kernel walks only that
// process's threads) and print its threads, like `ps -L -p PID`, once or every --interval seconds.
//
//   node --import tsx examples/proc-threads/user.ts [--pid PID] [--interval s --count n] [--object proc-threads.bpf.o]

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachIterator, loadObject, readIterator } from "tsbpf/runtime";

const usage = "usage: user.ts [--pid PID] [--interval seconds --count n] [--object proc-threads.bpf.o]";
const { values: opts } = parseArgs({
  options: { pid: { type: "string" }, interval: { type: "string" }, count: { type: "string" }, object: { type: "string" } },
});
const pid = opts.pid === undefined ? process.pid : Number(opts.pid);
const interval = opts.interval === undefined ? 0 : Number(opts.interval);
const count = opts.count === undefined ? (interval > 0 ? Number.POSITIVE_INFINITY : 1) : Number(opts.count);
if (!Number.isInteger(pid) || pid <= 0 || !(interval >= 0) || !(count >= 1)) {
  console.error(`bad arguments\n${usage}`);
  process.exit(2);
}

async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./proc-threads.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

using obj = loadObject(await objectFile(), { name: "proc_threads" });
// Needs Linux 6.1 for iterator parameters; an older kernel answers EINVAL (the AttachError says so).
using link = attachIterator(obj.programs.get("threads")!, { task: { pid } });
console.log(`attached to ${link.target}`);

for (let round = 0; round < count; round++) {
  if (round > 0) await new Promise((r) => setTimeout(r, interval * 1000));
  const rows = Buffer.from(readIterator(link))
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [tid, user, system, vol, invol, ...comm] = line.split(" ");
      return {
        tid: Number(tid),
        cpuMs: (Number(user) + Number(system)) / 1e6,
        vol: Number(vol),
        invol: Number(invol),
        comm: comm.join(" "),
      };
    })
    .sort((a, b) => a.tid - b.tid);
  if (rows.length === 0) {
    console.log(`no process ${pid}`);
    break;
  }
  console.log(
    `${"TID".padStart(8)}  ${"COMM".padEnd(16)} ${"CPU ms".padStart(10)} ${"VOLUNTARY".padStart(10)} ${"INVOLUNTARY".padStart(12)}`,
  );
  for (const r of rows)
    console.log(
      `${String(r.tid).padStart(8)}  ${r.comm.padEnd(16)} ${r.cpuMs.toFixed(1).padStart(10)} ${String(r.vol).padStart(10)} ${String(r.invol).padStart(12)}`,
    );
  console.log(`${rows.length} thread${rows.length === 1 ? "" : "s"} of process ${pid}`);
}
