// BTF-typed program arguments: tpBtf/rawTracepoint/fentry/fexit/lsm callbacks take the kernel
// prototype's arguments (`fentry("do_unlinkat", (dfd, name) => ...)`), type-checked by tsc against
// the generated vmlinux.d.ts. tp_btf and raw_tp attach here and are checked against /proc; this kernel
// refuses fentry/fexit/LSM loads (EPERM), so for those the test checks that libbpf accepted the
// object and applied its CO-RE relocations before the kernel refused the program.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { DEFAULT_BTF, vmlinuxDts } from "../compiler/tools/vmlinux.js";
import { attachRawTracepoint, attachTracing } from "../runtime/attach.js";
import { loadObject, readU64, u32le, type BpfObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const HEAD = `import { fentry, fexit, lsm, tpBtf, rawTracepoint, ArrayMap, probeReadKernelStr, u32, type i64, type u8, type FixedArray } from "tsbpf/bpf";
import type {} from "./vmlinux";
const out = new ArrayMap<i64>(8);
/** Only children of this process count. */
const PARENT: u32 = 0;
`;

const TRACEPOINTS = `${HEAD}
// sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
export const exec_tp = tpBtf("sched_process_exec", (p, old_pid, bprm) => {
  if (p === null) return 0;
  const parent = p.real_parent;
  if (parent === null || u32(parent.tgid) !== PARENT) return 0;
  const v = out.lookup(0);
  if (v !== null) v.value = p.pid;
  const w = out.lookup(1);
  if (w !== null) w.value = old_pid;
  return 0;
});

export const exec_raw = rawTracepoint("sched_process_exec", (p, old_pid, bprm) => {
  if (p === null) return 0;
  const parent = p.real_parent;
  if (parent === null || u32(parent.tgid) !== PARENT) return 0;
  const v = out.lookup(2);
  if (v !== null) v.value = p.pid;
  const w = out.lookup(3);
  if (w !== null) w.value = old_pid;
  return 0;
});
export const LICENSE = "GPL";
`;

const TRAMPOLINES = `${HEAD}
interface Name { len: i64; buf: FixedArray<u8, 32> }
const names = new ArrayMap<Name>(1);

// do_unlinkat(int dfd, struct filename *name)
export const unlink_entry = fentry("do_unlinkat", (dfd, name) => {
  if (name === null) return 0;
  const n = names.lookup(0);
  if (n !== null) n.len = probeReadKernelStr(n.buf, name.name);
  return 0;
});

export const unlink_exit = fexit("do_unlinkat", (dfd, name, ret) => {
  const v = out.lookup(4);
  if (v !== null) v.value = ret;
  return 0;
});

// file_open(struct file *file)
export const open_check = lsm("file_open", (file) => {
  if (file === null) return 0;
  const v = out.lookup(5);
  if (v !== null) v.value = file.f_flags;
  return 0;
});
export const LICENSE = "GPL";
`;

let dir: string;
const objects: Record<string, Uint8Array> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsbpf-kargs-"));
  writeFileSync(join(dir, "vmlinux.d.ts"), vmlinuxDts(DEFAULT_BTF, ["sched_process_exec", "do_unlinkat", "bpf_lsm_file_open"], 1));
  for (const [name, src] of Object.entries({ tracepoints: TRACEPOINTS, trampolines: TRAMPOLINES })) {
    const file = join(dir, `${name}.bpf.ts`);
    writeFileSync(file, src);
    const r = compile(file, src, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    objects[name] = r.object!;
  }
});

it("types the callbacks' arguments from the kernel's prototypes (tsc rejects a wrong use)", () => {
  const src = `${HEAD}
export const bad = fentry("do_unlinkat", (dfd, name) => {
  if (name === null) return 0;
  return name.no_such_field; // name is a struct filename pointer

});
export const LICENSE = "GPL";
`;
  const file = join(dir, "bad.bpf.ts");
  writeFileSync(file, src);
  const r = compile(file, src);
  expect(r.diagnostics.length).toBe(1);
  expect(r.diagnostics[0].message).toBe("Property 'no_such_field' does not exist on type 'filename'.");
});

describeKernel("BTF-typed arguments in the kernel", () => {
  let obj: BpfObject | undefined;
  afterAll(() => obj?.close());

  it("tp_btf and raw_tp receive the exec'd task and its old pid", async () => {
    obj = loadObject(objects.tracepoints, { name: "kargs", rodata: { PARENT: process.pid } });
    const links = [attachTracing(obj.programs.get("exec_tp")!), attachRawTracepoint(obj.programs.get("exec_raw")!, "sched_process_exec")];
    const child = spawn("/bin/sleep", ["5"], { stdio: "ignore" });
    try {
      const out = obj.maps.get("out")!;
      const read = (i: number) => Number(readU64(out.lookup(u32le(i))!, 0));
      for (let i = 0; i < 100 && (read(0) === 0 || read(2) === 0); i++) await new Promise((r) => setTimeout(r, 20));
      const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
      expect(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])).toBe(process.pid);
      // exec keeps the pid: old_pid is the same as the task's pid for a single-threaded process.
      expect([read(0), read(1), read(2), read(3)]).toEqual([child.pid, child.pid, child.pid, child.pid]);
    } finally {
      child.kill();
      for (const l of links) l.close();
    }
  });

  it("fentry/fexit/LSM objects pass libbpf's CO-RE relocation; this kernel then refuses the load (EPERM)", () => {
    let log: string;
    try {
      // A kernel that allows trampolines loads it: the relocations are checked the same way.
      const o = loadObject(objects.trampolines, { name: "kargs2", libbpfDebug: true });
      log = o.libbpfLog.join("\n");
      o.close();
    } catch (e) {
      const err = e as Error & { libbpfLog?: string[] };
      expect(err.message).toMatch(/Operation not permitted|EPERM/);
      log = (err.libbpfLog ?? []).join("\n");
    }
    // name.name (struct filename) in fentry and file.f_flags (struct file) in LSM were relocated.
    expect(log).toMatch(/prog 'unlink_entry': relo #\d+: patched insn #\d+ \(LDX\/ST\/STX\) off \d+ -> \d+/);
    expect(log).toMatch(/prog 'open_check': relo #\d+: patched insn #\d+ \(LDX\/ST\/STX\) off \d+ -> \d+/);
    expect(log).not.toMatch(/failed to resolve CO-RE relocation/);
  });
});
