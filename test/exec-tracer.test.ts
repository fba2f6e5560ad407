// examples/exec-tracer in the kernel: the example object (CO-RE reads on a tp_btf tracepoint) reports
// an exec this test starts with the pid, parent pid, comm and filename /proc gives; its user.ts,
// run as users run it, prints that exec.

import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { attachTracing } from "../runtime/attach.js";
import { loadObject, RingBuffer } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const root = resolve(import.meta.dirname, "..");
const source = join(root, "examples", "exec-tracer", "exec-tracer.bpf.ts");

const cString = (b: Uint8Array): string => Buffer.from(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0))).toString();
const decode = (b: Uint8Array) => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { pid: v.getInt32(0, true), ppid: v.getInt32(4, true), comm: cString(b.subarray(8, 24)), filename: cString(b.subarray(24, 88)) };
};

describeKernel("examples/exec-tracer", () => {
  it("reports an exec with the pid, parent pid, comm and filename /proc gives", async () => {
    const r = compile(source, readFileSync(source, "utf8"), { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!, { name: "exec_tracer" });
    using link = attachTracing(obj.programs.get("exec_tracer")!);
    expect(link.fd).toBeGreaterThan(0);
    using events = new RingBuffer(obj.maps.get("events")!, { decode, intervalMs: 5 });
    const child = spawn("/bin/sleep", ["5"], { stdio: "ignore" });
    try {
      const deadline = Date.now() + 5000;
      let mine: ReturnType<typeof decode> | undefined;
      while (!mine && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 20));
        mine = events.drain().find((e) => e.pid === child.pid);
      }
      const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      expect(mine).toEqual({ pid: child.pid, ppid, comm, filename: "/bin/sleep" });
      expect(ppid).toBe(process.pid);
    } finally {
      child.kill();
    }
  });

  it("user.ts prints the execs it sees", async () => {
    const user = join(root, "examples", "exec-tracer", "user.ts");
    const out = new Promise<string>((res, rej) =>
      execFile(process.execPath, ["--import", "tsx", user, "--duration", "3"], { cwd: root, encoding: "utf8" }, (err, stdout, stderr) =>
        err ? rej(new Error(`${err.message}\n${stderr}`)) : res(stdout),
      ),
    );
    // Exec a recognisable child now and then while user.ts runs (it needs a moment to compile and attach).
    const marker = spawn("/bin/sh", ["-c", "while :; do /bin/sleep 0.3; done"], { stdio: "ignore" });
    let text: string;
    try {
      text = await out;
    } finally {
      marker.kill();
    }
    expect(text).toMatch(/^attached to tracing:tp_btf\/sched_process_exec/);
    expect(text).toMatch(new RegExp(`^\\s*\\d+\\s+${marker.pid}\\s+sleep\\s+/bin/sleep$`, "m"));
    expect(text.trimEnd().endsWith("detached")).toBe(true);
  }, 60_000);
});
