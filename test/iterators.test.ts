// BPF iterators (section "iter/<target>", BPF_PROG_TYPE_TRACING with BPF_TRACE_ITER). The callback
// is typed from the kernel's bpf_iter_<target> prototype (a vmlinux.d.ts generated here). This
// kernel refuses TRACING loads (EPERM, as for fentry/fexit), so the kernel test checks what can be
// checked: the section and program type, libbpf resolving the iterator's BTF target and its CO-RE
// relocations, and a clear error from loadObject (not a crash) when the kernel refuses the load.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readElf } from "../common/read-elf.js";
import { sectionType } from "../common/program-types.js";
import { compile } from "../compiler/compile.js";
import { programKind } from "../compiler/tools/oci-image.js";
import { DEFAULT_BTF, vmlinuxDts } from "../compiler/tools/vmlinux.js";
import { loadObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const SRC = `import { iter, seqPrintf, seqWrite, ArrayMap, u32, type u64 } from "tsbpf/bpf";
import type {} from "./vmlinux";

/** 0: tasks seen, 1: the largest pid. */
const stats = new ArrayMap<u64>(2);

export const tasks = iter("task", (meta, task) => {
  if (task === null || meta === null) return 0; // the final call, after the last task
  const n = stats.lookup(0);
  if (n !== null) n.value += 1;
  const m = stats.lookup(1);
  if (m !== null && u32(task.pid) > m.value) m.value = u32(task.pid);
  const seq = meta.seq;
  if (seq === null) return 0;
  const pid: u64 = u32(task.pid);
  seqPrintf(seq, "%d %s\\n", task.pid, task.comm);
  seqWrite(seq, pid);
  return 0;
});

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

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsbpf-iter-"));
  writeFileSync(join(dir, "vmlinux.d.ts"), vmlinuxDts(DEFAULT_BTF, ["bpf_iter_task", "bpf_iter_bpf_map_elem"], 1));
  const file = join(dir, "iter.bpf.ts");
  writeFileSync(file, SRC);
  const r = compile(file, SRC, { checkIr: true });
  expect(r.diagnostics).toEqual([]);
  object = r.object!;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("compiles to iter/<target> sections of program type TRACING, attach type TRACE_ITER", () => {
  const names = readElf(object).sections.map((s) => s.name);
  expect(names).toContain("iter/task");
  expect(names).toContain("iter/bpf_map_elem");
  expect(sectionType("iter/task")).toMatchObject({ type: "TRACING", attach: "TRACE_ITER" });
});

it("types the callback from bpf_iter_<target>: tsc refuses a field the kernel struct does not have", () => {
  const file = join(dir, "bad.bpf.ts");
  const src = SRC.replace("u32(task.pid) > m.value", "task.no_such_field > m.value");
  writeFileSync(file, src);
  expect(compile(file, src).diagnostics.map((d) => d.code)).toEqual(["TS2339"]);
});

describeKernel("iterators in the kernel", () => {
  it("libbpf resolves the iterator target and relocations; this kernel refuses TRACING loads with a clear error", () => {
    let log: string[];
    try {
      // A kernel that allows TRACING programs loads it.
      const o = loadObject(object, { name: "iter", libbpfDebug: true });
      log = o.libbpfLog;
      expect(o.programs.get("tasks")!.type).toBe(26);
      o.close();
    } catch (e) {
      const err = e as Error & { libbpfLog?: string[] };
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/tasks|elems/);
      expect(err.message).toMatch(/EPERM|Operation not permitted/);
      expect(err.message).toMatch(
        /refused to load a TRACING\/TRACE_ITER program \(section 'iter\/(task|bpf_map_elem)'\) before verifying it/,
      );
      log = err.libbpfLog ?? [];
    }
    // task.pid was relocated against the running kernel's struct task_struct.
    expect(log.join("\n")).toMatch(/prog 'tasks': relo #\d+: patched insn #\d+ \(LDX\/ST\/STX\) off \d+ -> \d+/);
    expect(log.join("\n")).not.toMatch(/failed to resolve CO-RE relocation/);
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
