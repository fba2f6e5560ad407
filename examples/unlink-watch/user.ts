// User-space side of unlink-watch: compile (or take a prebuilt object), load it, attach the fexit
// program and print one line per file deletion until Ctrl-C or --duration. Kernels that refuse
// fentry/fexit programs (EPERM at load, as on the machine tsbpf is tested on) get a clear message.
//
//   node --import tsx examples/unlink-watch/user.ts [--duration s] [--object unlink-watch.bpf.o]

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachTracing, loadObject, RingBuffer } from "tsbpf/runtime";

const { values: opts } = parseArgs({ options: { duration: { type: "string" }, object: { type: "string" } } });
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (duration !== undefined && !(duration > 0)) {
  console.error(`bad --duration ${opts.duration}\nusage: user.ts [--duration seconds] [--object unlink-watch.bpf.o]`);
  process.exit(2);
}

async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./unlink-watch.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

/** struct UnlinkEvent { u32 pid; i32 ret; u8 comm[16]; u8 name[64]; } (88 bytes). */
const cString = (b: Uint8Array): string => Buffer.from(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0))).toString("utf8");
const decode = (b: Uint8Array) => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { pid: v.getUint32(0, true), ret: v.getInt32(4, true), comm: cString(b.subarray(8, 24)), name: cString(b.subarray(24, 88)) };
};

let obj: ReturnType<typeof loadObject>;
try {
  obj = loadObject(await objectFile(), { name: "unlink_watch" });
} catch (e) {
  console.error(`cannot load unlink-watch: ${(e as Error).message}`);
  console.error("(kernels without BPF trampoline support, or with a lockdown policy, refuse fentry/fexit programs with EPERM)");
  process.exit(1);
}
using _obj = obj;
using link = attachTracing(obj.programs.get("unlink_watch")!);
using events = new RingBuffer(obj.maps.get("events")!, { decode });
console.log(`attached to ${link.target}; Ctrl-C to stop`);
const stop = (): void => events.close();
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
if (duration !== undefined) setTimeout(stop, duration * 1000).unref();
for await (const e of events)
  console.log(`${String(e.pid).padStart(7)} ${e.comm.padEnd(16)} ${e.ret === 0 ? "ok    " : `err ${e.ret}`} ${e.name}`);
console.log("detached");
