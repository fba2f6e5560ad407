// User-space side of exec-tracer: compile (or take a prebuilt object), load it (libbpf relocates the
// CO-RE field reads for this kernel), attach the tp_btf program, and print one line per exec from
// the ring buffer until Ctrl-C or --duration.
//
//   node --import tsx examples/exec-tracer/user.ts [--duration s] [--object exec-tracer.bpf.o]

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachTracing, loadObject, RingBuffer } from "tsbpf/runtime";

const { values: opts } = parseArgs({ options: { duration: { type: "string" }, object: { type: "string" } } });
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (duration !== undefined && !(duration > 0)) {
  console.error(`bad --duration ${opts.duration}\nusage: user.ts [--duration seconds] [--object exec-tracer.bpf.o]`);
  process.exit(2);
}

/** The object file given with --object, or the bytes of exec-tracer.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./exec-tracer.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

/** struct ExecEvent { i32 pid; i32 ppid; u8 comm[16]; u8 filename[64]; } (88 bytes). */
interface ExecEvent {
  pid: number;
  ppid: number;
  comm: string;
  filename: string;
}
const cString = (b: Uint8Array): string => {
  const end = b.indexOf(0);
  return Buffer.from(end < 0 ? b : b.subarray(0, end)).toString("utf8");
};
const decode = (b: Uint8Array): ExecEvent => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { pid: v.getInt32(0, true), ppid: v.getInt32(4, true), comm: cString(b.subarray(8, 24)), filename: cString(b.subarray(24, 88)) };
};

using obj = loadObject(await objectFile(), { name: "exec_tracer" });
using link = attachTracing(obj.programs.get("exec_tracer")!);
using events = new RingBuffer(obj.maps.get("events")!, { decode });
console.log(`attached to ${link.target}; Ctrl-C to stop`);
console.log(`${"PID".padStart(7)} ${"PPID".padStart(7)} ${"COMM".padEnd(16)} FILENAME`);

const stop = (): void => events.close();
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
if (duration !== undefined) setTimeout(stop, duration * 1000).unref();

for await (const e of events) {
  console.log(`${String(e.pid).padStart(7)} ${String(e.ppid).padStart(7)} ${e.comm.padEnd(16)} ${e.filename}`);
}
console.log("detached");
