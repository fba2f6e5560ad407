// Task and inode local storage in the kernel: a tp_btf program keeps a TaskStorage value for each
// thread of one process (getCurrentTask() as the owner), read back from user space by pidfd; an LSM
// program with InodeStorage compiles, and its load is refused here (this kernel refuses LSM loads
// with EPERM) with an error that says so.

import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { DEFAULT_BTF, vmlinuxDts } from "../compiler/tools/vmlinux.js";
import { attachTracing, loadObject, pidFd } from "../runtime/index.js";
import { btfTest, describeKernel } from "./kernel-env.js";

let dir: string | undefined;

/** A temporary directory with a vmlinux.d.ts generated from this kernel's BTF (made on first use). */
function workDir(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), "tsbpf-task-storage-"));
  writeFileSync(
    join(dir, "vmlinux.d.ts"),
    vmlinuxDts(DEFAULT_BTF, ["task_struct", "file", "inode", "css_set", "cgroup", "bpf_lsm_file_open"], 1),
  );
  return dir;
}
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function build(name: string, src: string): { object?: Uint8Array; codes: string[] } {
  const file = join(workDir(), name);
  writeFileSync(file, src);
  const r = compile(file, src, { checkIr: true });
  return { object: r.object, codes: r.diagnostics.map((d) => `${d.code} ${d.message}`) };
}

const TASK_SRC = `
import { tpBtf, getCurrentTask, TaskStorage, StorageFlags, taskStorageGet, taskStorageDelete, type i32, type u32, type u64 } from "tsbpf/bpf";
import type { task_struct } from "./vmlinux";

const TARGET: u32 = 0;

interface Seen {
  syscalls: u64;
  pid: i32;
  tgid: i32;
}
const seen = new TaskStorage<Seen>();

export const count = tpBtf("sys_enter", (ctx) => {
  const task = getCurrentTask();
  if (task.tgid !== TARGET) return 0;
  const s = taskStorageGet(seen, task, { syscalls: 0, pid: task.pid, tgid: 7 }, StorageFlags.CREATE);
  if (s === null) return 0;
  s.syscalls += 1;
  s.tgid = task.tgid;
  // Never true here; it shows the delete passes the verifier.
  if (s.syscalls > 1000000000) taskStorageDelete(seen, task);
  return 0;
});

export const LICENSE = "GPL";
`;

describeKernel("task storage in the kernel", () => {
  it("a tp_btf program keeps a value per task of one process, read back by pidfd", async () => {
    const { object, codes } = build("task.bpf.ts", TASK_SRC);
    expect(codes).toEqual([]);
    // A shell that waits for input, runs builtins (syscalls) and waits again: alive while we read.
    const child = spawn("/bin/sh", ["-c", "read a; i=0; while [ $i -lt 20 ]; do i=$((i+1)); echo $i > /dev/null; done; read b"], {
      stdio: ["pipe", "ignore", "ignore"],
    });
    await new Promise((r) => child.on("spawn", r));
    try {
      using obj = loadObject(object!, { rodata: { TARGET: child.pid } });
      using _link = attachTracing(obj.programs.get("count")!);
      child.stdin!.write("go\n");
      await new Promise((r) => setTimeout(r, 300));
      const seen = obj.typed.seen!;
      const fd = pidFd(child.pid!);
      const mine = pidFd(process.pid);
      try {
        const v = seen.get(fd) as { syscalls: bigint; pid: number; tgid: number };
        expect(v.pid).toBe(child.pid);
        expect(v.tgid).toBe(child.pid); // set after creation, replacing init's 7
        expect(v.syscalls).toBeGreaterThan(20n); // 20 redirections open and close /dev/null
        // This process is not the target: it has no value.
        expect(seen.get(mine)).toBeUndefined();
      } finally {
        closeSync(fd);
        closeSync(mine);
      }
    } finally {
      child.kill();
    }
  });
});

const INODE_SRC = `
import { lsm, InodeStorage, StorageFlags, inodeStorageGet, type u64 } from "tsbpf/bpf";
import type { file } from "./vmlinux";

const opens = new InodeStorage<u64>();

export const on_open = lsm("file_open", (f) => {
  if (f === null) return 0;
  const inode = f.f_inode;
  if (inode === null) return 0;
  const n = inodeStorageGet(opens, inode, null, StorageFlags.CREATE);
  if (n !== null) n.value += 1;
  return 0;
});

export const LICENSE = "GPL";
`;

describeKernel("inode storage", () => {
  it("an LSM program with InodeStorage compiles; this kernel refuses the load with EPERM, reported as such", () => {
    const { object, codes } = build("inode.bpf.ts", INODE_SRC);
    expect(codes).toEqual([]);
    let err: unknown;
    try {
      loadObject(object!).close();
    } catch (e) {
      err = e;
    }
    // A kernel that accepts LSM programs would load it; this one refuses every LSM load.
    if (err === undefined) return;
    // Not BpfPermissionError: this process may load BPF; the kernel refuses this kind of program.
    expect((err as Error).name).toBe("Error");
    expect((err as Error).message).toMatch(/EPERM/);
    expect((err as Error).message).toMatch(/refused LSM program 'on_open' \(section 'lsm\/file_open'\)/);
    expect((err as Error).message).toMatch(/BPF LSM/);
  });
});

btfTest("a task that is not a trusted pointer is TSBPF2112", () => {
  const src = TASK_SRC.replace("import type { task_struct }", "import { type task_struct }")
    .replace("tpBtf, getCurrentTask,", "tpBtf, getCurrentTask, kernelPtr,")
    .replace(
      "  s.tgid = task.tgid;\n",
      "  s.tgid = task.tgid;\n  const other = kernelPtr<task_struct>(ctx.arg(0));\n  if (other !== null) taskStorageDelete(seen, other);\n",
    );
  const { object, codes } = build("task-untrusted.bpf.ts", src);
  expect(object).toBeUndefined();
  expect(codes).toEqual(["TSBPF2112 the task must be a trusted kernel pointer (e.g. getCurrentTask()), not a value read from memory"]);
});

const CGRP_SRC = `
import { tpBtf, getCurrentTask, CgrpStorage, StorageFlags, cgrpStorageGet, type u32, type u64 } from "tsbpf/bpf";
import type { task_struct } from "./vmlinux";

const TARGET: u32 = 0;
const syscalls = new CgrpStorage<u64>();

export const count = tpBtf("sys_enter", (ctx) => {
  const task = getCurrentTask();
  if (task.tgid !== TARGET) return 0;
  const css = task.cgroups;
  if (css === null) return 0;
  const cg = css.dfl_cgrp;
  if (cg === null) return 0;
  const n = cgrpStorageGet(syscalls, cg, null, StorageFlags.CREATE);
  if (n !== null) n.value += 1;
  return 0;
});

export const LICENSE = "GPL";
`;

describeKernel("cgroup local storage (CGRP_STORAGE) in the kernel", () => {
  it("a tp_btf program counts one process's syscalls in its cgroup's value, read back by the cgroup directory's fd", async () => {
    const { object, codes } = build("cgrp.bpf.ts", CGRP_SRC);
    expect(codes).toEqual([]);
    const child = spawn("/bin/sh", ["-c", "read a; i=0; while [ $i -lt 20 ]; do i=$((i+1)); echo $i > /dev/null; done; read b"], {
      stdio: ["pipe", "ignore", "ignore"],
    });
    await new Promise((r) => child.on("spawn", r));
    try {
      using obj = loadObject(object!, { rodata: { TARGET: child.pid } });
      using _link = attachTracing(obj.programs.get("count")!);
      child.stdin!.write("go\n");
      await new Promise((r) => setTimeout(r, 300));
      // The child's cgroup v2 path, from /proc (line "0::/path").
      const rel = readFileSync(`/proc/${child.pid}/cgroup`, "utf8").match(/^0::(.*)$/m)![1]!;
      const root = existsSync("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
      const fd = openSync(join(root, rel), "r");
      try {
        expect(obj.typed.syscalls!.get(fd)).toBeGreaterThan(20n);
      } finally {
        closeSync(fd);
      }
    } finally {
      child.kill();
    }
  });
});
