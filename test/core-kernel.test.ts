// CO-RE in the kernel: a program reading task_struct fields through kernel pointers (direct loads on
// getCurrentTask()'s trusted pointer, probe reads on a raw tracepoint argument) loads with libbpf
// applying its relocations, and on sched_process_exec reports the pid, parent tgid and comm that
// /proc gives for a child this test starts.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { DEFAULT_BTF, vmlinuxDts } from "../compiler/tools/vmlinux.js";
import { attachRawTracepoint, attachTracing } from "../runtime/attach.js";
import { loadObject, parseBtf, readU32, u32le, type BpfObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { moveMembers } from "./support/btf-edit.js";

const PROGRAM = `
import { rawTracepoint, tpBtf, ArrayMap, getCurrentTask, kernelPtr, u32, type i32, type FixedArray, type u8 } from "tsbpf/bpf";
import type { task_struct } from "./vmlinux";

/** Only children of this process count (set before load). */
const PARENT: u32 = 0;

interface Seen {
  pid: i32;
  tgid: i32;
  ppid: i32;
  comm: FixedArray<u8, 16>;
}

/** [0]: tp_btf with direct loads, [1]: raw_tp with probe reads. */
const seen = new ArrayMap<Seen>(2);

export const exec_btf = tpBtf("sched_process_exec", (ctx) => {
  const task = getCurrentTask();
  // Filter on the ptrace parent (the real parent for an untraced child); record real_parent's tgid.
  const tracer = task.parent;
  if (tracer === null || u32(tracer.tgid) !== PARENT) return 0;
  const parent = task.real_parent;
  if (parent === null) return 0;
  const s = seen.lookup(0);
  if (s === null) return 0;
  s.pid = task.pid;
  s.tgid = task.tgid;
  s.ppid = parent.tgid;
  s.comm = task.comm;
  return 0;
});

export const exec_raw = rawTracepoint("sched_process_exec", (ctx) => {
  const task = kernelPtr<task_struct>(ctx.arg(0));
  if (!task) return 0;
  const tracer = task.parent;
  if (!tracer || u32(tracer.tgid) !== PARENT) return 0;
  const parent = task.real_parent;
  if (!parent) return 0;
  const s = seen.lookup(1);
  if (s === null) return 0;
  s.pid = task.pid;
  s.tgid = task.tgid;
  s.ppid = parent.tgid;
  s.comm = task.comm;
  return 0;
});

export const LICENSE = "GPL";
`;

let dir: string;
let object: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsbpf-core-"));
  writeFileSync(join(dir, "vmlinux.d.ts"), vmlinuxDts(DEFAULT_BTF, ["task_struct", "mm_struct", "pid_type"], 1));
  const file = join(dir, "exec.bpf.ts");
  writeFileSync(file, PROGRAM);
  const r = compile(file, PROGRAM, { checkIr: true });
  expect(r.diagnostics).toEqual([]);
  object = r.object!;
});

/** Attaches both programs, starts `sleep`, and returns what each recorded for it, with its pid. */
async function observeExec(
  obj: BpfObject,
): Promise<{ pid: number; btf: ReturnType<typeof decode>; raw: ReturnType<typeof decode>; proc: { comm: string; ppid: number } }> {
  const links = [attachTracing(obj.programs.get("exec_btf")!), attachRawTracepoint(obj.programs.get("exec_raw")!, "sched_process_exec")];
  const child = spawn("/bin/sleep", ["5"], { stdio: "ignore" });
  try {
    const seen = obj.maps.get("seen")!;
    let btf = decode(seen.lookup(u32le(0))!);
    let raw = decode(seen.lookup(u32le(1))!);
    for (let i = 0; i < 100 && (btf.pid === 0 || raw.pid === 0); i++) {
      await new Promise((r) => setTimeout(r, 20));
      btf = decode(seen.lookup(u32le(0))!);
      raw = decode(seen.lookup(u32le(1))!);
    }
    return { pid: child.pid!, btf, raw, proc: procStat(child.pid!) };
  } finally {
    child.kill();
    for (const l of links) l.close();
  }
}

/** /proc/<pid>/stat: comm and ppid. */
function procStat(pid: number): { comm: string; ppid: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const close = stat.lastIndexOf(")");
  const rest = stat.slice(close + 2).split(" ");
  return { comm: stat.slice(stat.indexOf("(") + 1, close), ppid: Number(rest[1]) };
}

function decode(v: Uint8Array): { pid: number; tgid: number; ppid: number; comm: string } {
  const comm = Buffer.from(v.subarray(12, 28));
  return { pid: readU32(v, 0), tgid: readU32(v, 4), ppid: readU32(v, 8), comm: comm.subarray(0, comm.indexOf(0)).toString() };
}

describeKernel("CO-RE field reads in the kernel", () => {
  let obj: BpfObject | undefined;
  afterAll(() => obj?.close());

  it("loads with libbpf applying the CO-RE relocations", () => {
    obj = loadObject(object, { name: "core", rodata: { PARENT: process.pid }, libbpfDebug: true });
    const relos = obj.libbpfLog.filter((l) => /CO-RE relocating|relo #\d+: patched insn/.test(l));
    // tp_btf: real_parent, tgid (twice), pid, tgid, comm: patched loads; raw_tp: patched immediates.
    expect(relos.some((l) => /exec_btf.*patched insn #\d+ \(LDX\/ST\/STX\) off \d+ -> \d+/.test(l))).toBe(true);
    expect(relos.some((l) => /exec_raw.*patched insn #\d+ \(ALU\/ALU64\) imm \d+ -> \d+/.test(l))).toBe(true);
    expect(obj.libbpfLog.some((l) => /\[\d+\] struct task_struct\.real_parent \(0:\d+ @ offset \d+\)/.test(l))).toBe(true);
  });

  it("reads pid, tgid, parent tgid and comm of an exec'd child as /proc shows them", async () => {
    const { pid, btf, raw, proc } = await observeExec(obj!);
    const expected = { pid, tgid: pid, ppid: process.pid, comm: proc.comm };
    expect(proc.ppid).toBe(process.pid);
    expect(proc.comm).toBe("sleep");
    expect(btf).toEqual(expected);
    expect(raw).toEqual(expected);
  });
});

describeKernel("CO-RE portability: one object relocated against another kernel's BTF", () => {
  // "Another kernel": this kernel's BTF with task_struct.real_parent moved to where group_leader
  // is. The unchanged object, relocated against it, must read real_parent from the new place; for a
  // single-threaded child that is the child itself, so "parent tgid" becomes the child's own pid.
  let obj: BpfObject | undefined;
  afterAll(() => obj?.close());

  it("follows the moved field (libbpf patches the new offset; the reads return what is there)", async () => {
    const btfFile = join(dir, "moved.btf");
    writeFileSync(btfFile, moveMembers(new Uint8Array(readFileSync(DEFAULT_BTF)), "task_struct", { real_parent: "group_leader" }));
    obj = loadObject(object, { name: "core_moved", rodata: { PARENT: process.pid }, libbpfDebug: true, btfCustomPath: btfFile });
    const patched = obj.libbpfLog.filter((l) => /real_parent/.test(l) || /patched insn/.test(l)).join("\n");
    const m =
      /exec_btf': relo #\d+: <byte_off> \[\d+\] struct task_struct\.real_parent \(0:\d+ @ offset (\d+)\)\n.*matching candidate #0 <byte_off> \[\d+\] struct task_struct\.real_parent \(0:\d+ @ offset (\d+)\)/.exec(
        patched,
      );
    expect(m, patched).not.toBeNull();
    const [local, target] = [Number(m![1]), Number(m![2])];
    expect(target).not.toBe(local);
    expect(patched).toContain(`off ${local} -> ${target}`);
    expect(patched).toContain(`imm ${local} -> ${target}`);

    const { pid, btf, raw, proc } = await observeExec(obj);
    expect(proc.ppid).toBe(process.pid);
    const expected = { pid, tgid: pid, ppid: pid, comm: "sleep" };
    expect(btf).toEqual(expected);
    expect(raw).toEqual(expected);
  });
});

const QUERIES = `
import { rawTracepoint, ArrayMap, kernelPtr, coreFieldExists, coreFieldSize, coreTypeExists, coreTypeSize, coreEnumValue, coreEnumValueExists, u32, type i64 } from "tsbpf/bpf";
import { type task_struct, type mm_struct, pid_type } from "./vmlinux";

const PARENT: u32 = 0;
/** [0] exists(pid) [1] size(comm) [2] exists(real_parent) [3] typeExists(mm_struct) [4] typeSize(mm_struct)
 *  [5] enumExists(PIDTYPE_SID) [6] enumValue(PIDTYPE_SID) [7] set when the program ran
 *  [8] the bitfield in_execve (1 during exec) [9] the bitfield sched_reset_on_fork (0) */
const q = new ArrayMap<i64>(10);

function put(i: u32, v: i64): void {
  const c = q.lookup(i);
  if (c !== null) c.value = v;
}

export const queries = rawTracepoint("sched_process_exec", (ctx) => {
  const task = kernelPtr<task_struct>(ctx.arg(0));
  if (task === null) return 0;
  const tracer = task.parent;
  if (tracer === null || u32(tracer.tgid) !== PARENT) return 0;
  put(0, coreFieldExists(task, "pid") ? 1 : 0);
  put(1, coreFieldSize(task, "comm"));
  put(2, coreFieldExists(task, "real_parent") ? 1 : 0);
  put(3, coreTypeExists<mm_struct>() ? 1 : 0);
  put(4, coreTypeSize<mm_struct>());
  put(5, coreEnumValueExists(pid_type.PIDTYPE_SID) ? 1 : 0);
  put(6, coreEnumValue(pid_type.PIDTYPE_SID));
  put(7, 1);
  put(8, task.in_execve);
  put(9, task.sched_reset_on_fork);
  return 0;
});
export const LICENSE = "GPL";
`;

describeKernel("CO-RE queries resolved by libbpf", () => {
  async function run(opts: { btfCustomPath?: string }): Promise<number[]> {
    const file = join(dir, "queries.bpf.ts");
    writeFileSync(file, QUERIES);
    const r = compile(file, QUERIES, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!, { name: "queries", rodata: { PARENT: process.pid }, ...opts });
    using link = attachRawTracepoint(obj.programs.get("queries")!, "sched_process_exec");
    expect(link.fd).toBeGreaterThan(0);
    const child = spawn("/bin/true", [], { stdio: "ignore" });
    await new Promise((res) => child.on("exit", res));
    const q = obj.maps.get("q")!;
    return Array.from({ length: 10 }, (_, i) => Number(readU32(q.lookup(u32le(i))!, 0)));
  }

  it("give this kernel's answers", async () => {
    const btf = parseBtf(new Uint8Array(readFileSync(DEFAULT_BTF)));
    const mm = btf.types.find((t) => t.kind === "STRUCT" && t.name === "mm_struct")!;
    const sid = btf.types.find((t) => t.kind === "ENUM" && t.name === "pid_type");
    const sidValue = sid?.kind === "ENUM" ? sid.values.find((v) => v.name === "PIDTYPE_SID")!.value : -1;
    expect(await run({})).toEqual([1, 16, 1, 1, btf.sizeOf(mm.id), 1, sidValue, 1, 1, 0]);
  });

  it("follow another kernel's BTF: a renamed field no longer exists", async () => {
    // "real_parent" renamed to "real_parenx" (same length): FIELD_EXISTS is 0 there.
    const raw = new Uint8Array(readFileSync(DEFAULT_BTF));
    const at = Buffer.from(raw).indexOf(Buffer.from("\0real_parent\0"));
    expect(at).toBeGreaterThan(0);
    raw[at + "real_paren".length] = "x".charCodeAt(0);
    const btfFile = join(dir, "renamed.btf");
    writeFileSync(btfFile, raw);
    const got = await run({ btfCustomPath: btfFile });
    expect(got[2]).toBe(0);
    expect(got[0]).toBe(1);
    expect(got[7]).toBe(1);
  });
});
