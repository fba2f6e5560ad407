// BPF iterators (section "iter/<target>", BPF_PROG_TYPE_TRACING with BPF_TRACE_ITER). The callback
// is typed from the kernel's bpf_iter_<target> prototype (a vmlinux.d.ts generated here). On this
// kernel task iterators load: the test attaches them (attachIterator), reads their output
// (readIterator: BPF_ITER_CREATE and read()) and checks it against /proc; a bpf_map_elem iterator
// is refused at load with EPERM, and the test checks that loadObject says so clearly.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readElf } from "../common/read-elf.js";
import { sectionType } from "../common/program-types.js";
import { compile } from "../compiler/compile.js";
import { disassembleObject } from "../compiler/elf/disasm-object.js";
import { programKind } from "../compiler/tools/oci-image.js";
import { DEFAULT_BTF, vmlinuxDts } from "../compiler/tools/vmlinux.js";
import { attachIterator, loadObject, readIterator, u32le } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const SRC = `import { iter, seqPrintf, seqWrite, ArrayMap, u32, type u64 } from "tsbpf/bpf";
import type {} from "./vmlinux";

/** 0: tasks seen, 1: the largest pid. */
const stats = new ArrayMap<u64>(2);

/** One line per task: "pid tgid comm". */
export const tasks = iter("task", (meta, task) => {
  if (task === null || meta === null) return 0; // the final call, after the last task
  const n = stats.lookup(0);
  if (n !== null) n.value += 1;
  const m = stats.lookup(1);
  if (m !== null && u32(task.pid) > m.value) m.value = u32(task.pid);
  const seq = meta.seq;
  if (seq === null) return 0;
  seqPrintf(seq, "%d %d %s\\n", task.pid, task.tgid, task.comm);
  return 0;
});

/** Each task's pid as 4 raw bytes. */
export const task_pids = iter("task", (meta, task) => {
  if (task === null || meta === null) return 0;
  const seq = meta.seq;
  if (seq === null) return 0;
  const pid: u32 = u32(task.pid);
  seqWrite(seq, pid);
  return 0;
});
export const LICENSE = "GPL";
`;

const ELEMS_SRC = `import { iter, ArrayMap, type u64 } from "tsbpf/bpf";
import type {} from "./vmlinux";
const stats = new ArrayMap<u64>(1);
export const elems = iter("bpf_map_elem", (meta, map, key, value) => {
  if (key === 0) return 0; // key and value are addresses (void *): 0 at the end
  const n = stats.lookup(0);
  if (n !== null) n.value += 1;
  return 0;
});
export const LICENSE = "GPL";
`;

let dir: string;
let object: Uint8Array;
let elemsObject: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsbpf-iter-"));
  writeFileSync(join(dir, "vmlinux.d.ts"), vmlinuxDts(DEFAULT_BTF, ["bpf_iter_task", "bpf_iter_bpf_map_elem"], 1));
  const file = join(dir, "iter.bpf.ts");
  writeFileSync(file, SRC);
  const r = compile(file, SRC, { checkIr: true });
  expect(r.diagnostics).toEqual([]);
  object = r.object!;
  const elemsFile = join(dir, "elems.bpf.ts");
  writeFileSync(elemsFile, ELEMS_SRC);
  const e = compile(elemsFile, ELEMS_SRC, { checkIr: true });
  expect(e.diagnostics).toEqual([]);
  elemsObject = e.object!;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("compiles to iter/<target> sections of program type TRACING, attach type TRACE_ITER", () => {
  expect(readElf(object).sections.map((s) => s.name)).toContain("iter/task");
  expect(readElf(elemsObject).sections.map((s) => s.name)).toContain("iter/bpf_map_elem");
  expect(sectionType("iter/task")).toMatchObject({ type: "TRACING", attach: "TRACE_ITER" });
});

it("a %s of a kernel array (task.comm) passes its address: seqPrintf reads it itself, no copy to the stack", () => {
  const r = compile(join(dir, "iter.bpf.ts"), SRC);
  const calls = r.programs
    .find((p) => p.name === "tasks")!
    .ir!.blocks.flatMap((b) => b.insts)
    .flatMap((i) => (i.op === "call" ? [i.helper] : []));
  expect(calls).toContain(126); // bpf_seq_printf
  expect(calls).not.toContain(113); // bpf_probe_read_kernel
  // The address is the task pointer plus comm's relocated offset, added as an immediate that
  // carries the CO-RE relocation (as clang emits `&task->comm`), not a mov of it first.
  const text = disassembleObject(r.object!);
  expect(text).toMatch(/r\d \+= 0x[0-9a-f]+\n\s+[0-9a-f]+:\s+CO-RE <byte_off> \[\d+\] struct task_struct::comm/);
});

it("types the callback from bpf_iter_<target>: tsc refuses a field the kernel struct does not have", () => {
  const file = join(dir, "bad.bpf.ts");
  const src = SRC.replace("u32(task.pid) > m.value", "task.no_such_field > m.value");
  writeFileSync(file, src);
  expect(compile(file, src).diagnostics.map((d) => d.code)).toEqual(["TS2339"]);
});

describeKernel("iterators in the kernel", () => {
  it("a task iterator loads, attaches and lists every task with seqPrintf, as /proc does", () => {
    using obj = loadObject(object, { name: "iter", libbpfDebug: true });
    // task.pid, tgid and comm were relocated against the running kernel's struct task_struct.
    expect(obj.libbpfLog.join("\n")).toMatch(/prog 'tasks': relo #\d+: patched insn #\d+ \(LDX\/ST\/STX\) off \d+ -> \d+/);
    const prog = obj.programs.get("tasks")!;
    expect(prog.type).toBe(26); // TRACING
    using link = attachIterator(prog);
    expect(link.target).toBe("iter:task");
    const text = Buffer.from(readIterator(link)).toString("utf8");
    const lines = text.trimEnd().split("\n");
    // This very thread is listed, with its comm as /proc shows it.
    const comm = readFileSync("/proc/self/comm", "utf8").trim();
    expect(lines).toContain(`${process.pid} ${process.pid} ${comm}`);
    // One line per task (threads included): each one "pid tgid comm", and about as many as /proc has.
    for (const l of lines) expect(l).toMatch(/^\d+ \d+ /);
    const procTasks = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).length;
    expect(lines.length).toBeGreaterThanOrEqual(procTasks / 2);
    const seen = () => new DataView(obj.maps.get("stats")!.lookup(u32le(0))!.buffer).getBigUint64(0, true);
    expect(seen()).toBe(BigInt(lines.length));
    // Each read runs the program again.
    const again = Buffer.from(readIterator(link)).toString("utf8").trimEnd().split("\n");
    expect(seen()).toBe(BigInt(lines.length + again.length));
  });

  it("seqWrite output is raw bytes: one u32 pid per task", () => {
    using obj = loadObject(object, { name: "iter" });
    using link = attachIterator(obj.programs.get("task_pids")!);
    const out = readIterator(link);
    expect(out.length % 4).toBe(0);
    const pids = new Set(Array.from({ length: out.length / 4 }, (_, i) => new DataView(out.buffer, out.byteOffset).getUint32(i * 4, true)));
    expect(pids.has(process.pid)).toBe(true);
    expect(pids.size).toBe(out.length / 4);
    // attachIterator refuses a program that is not an iterator.
    expect(() => attachIterator({ ...obj.programs.get("task_pids")!, section: "tp_btf/x", name: "x", type: 26, fd: 3 } as never)).toThrow(
      /only iterators/,
    );
  });

  it("a bpf_map_elem iterator: this kernel refuses the load (EPERM) and loadObject says so clearly", () => {
    try {
      // A kernel that allows it loads it.
      loadObject(elemsObject, { name: "elems" }).close();
    } catch (e) {
      const err = e as Error;
      expect(err.message).toMatch(/'elems'/);
      expect(err.message).toMatch(/EPERM|Operation not permitted/);
      expect(err.message).toMatch(/refused to load a TRACING\/TRACE_ITER program \(section 'iter\/bpf_map_elem'\) before verifying it/);
    }
  });
});

it("seqPrintf/seqWrite: the seq_file argument, the program kind and the format are checked at compile time", () => {
  const codes = (body: string, wrapper = 'iter("task", (meta, task) => {') => {
    const file = join(dir, "seq.bpf.ts");
    const src = `import { iter, xdp, seqPrintf, seqWrite, XdpAction, type u64 } from "tsbpf/bpf";
import type {} from "./vmlinux";
export const p = ${wrapper}
  if (meta === null || task === null) return 0;
  const seq = meta.seq;
  if (seq === null) return 0;
${body}
  return 0;
});
export const LICENSE = "GPL";
`;
    writeFileSync(file, src);
    return compile(file, src).diagnostics.map((d) => d.code);
  };
  expect(codes('  seqPrintf(seq, "%d %llu\\n", task.pid, task.start_time);')).toEqual([]);
  // Not the seq_file: the task itself.
  expect(codes('  seqPrintf(task, "%d\\n", task.pid);')).toEqual(["TSBPF2170"]);
  // A format the kernel refuses, and a count mismatch.
  expect(codes('  seqPrintf(seq, "%q\\n", task.pid);')).toEqual(["TSBPF2151"]);
  expect(codes('  seqPrintf(seq, "%d %d\\n", task.pid);')).toEqual(["TSBPF2152"]);
  // 13 conversions: bpf_seq_printf takes at most 12.
  expect(codes(`  seqPrintf(seq, "${"%d".repeat(13)}", ${Array(13).fill("task.pid").join(", ")});`)).toEqual(["TSBPF2151"]);
  expect(codes("  const v: u64 = 7;\n  seqWrite(seq, v);")).toEqual([]);
});

it("seqPrintf outside an iterator is a compile-time error", () => {
  const file = join(dir, "seq-xdp.bpf.ts");
  const src = `import { tpBtf, seqPrintf } from "tsbpf/bpf";
import type {} from "./vmlinux";
export const p = tpBtf("sched_switch", (ctx) => {
  seqPrintf(ctx, "x\\n");
  return 0;
});
export const LICENSE = "GPL";
`;
  writeFileSync(file, src);
  expect(compile(file, src).diagnostics.map((d) => d.code)).toEqual(["TSBPF2171"]);
});

it("tsbpf image names the new kinds as bpfman does", () => {
  expect(programKind("iter/task")).toBe("tracing");
  expect(programKind("flow_dissector")).toBe("flow_dissector");
  expect(programKind("netfilter")).toBe("netfilter");
});
