// Iterator target parameters (attachIterator(prog, target): the kernel's union bpf_iter_link_info,
// passed through BPF_LINK_CREATE's iter_info). On this kernel: a task iterator filtered to one
// process (by pid, tid or pidfd) lists only that process's threads, the same lines the unfiltered
// run has for it; a task_file iterator filtered to a child lists exactly its /proc/PID/fd, a task_vma
// one exactly its /proc/PID/maps; the
// cgroup iterator walks a test cgroup tree in each order. Map iterators (bpf_map_elem) are refused
// at load here (EPERM), so their { map } path is only checked up to the syscall: the test loads one
// where the kernel allows it. Bad parameters are typed AttachErrors, and no fd is left open.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { DEFAULT_BTF, vmlinuxDts } from "../compiler/tools/vmlinux.js";
import {
  AttachError,
  attachIterator,
  cgroupId,
  loadObject,
  pidFd,
  readIterator,
  u32le,
  type BpfObject,
  type IteratorTarget,
  type Link,
} from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { ensureDist } from "./support/dist.js";

const SRC = `import { iter, seqPrintf, ArrayMap, type u64 } from "tsbpf/bpf";
import type {} from "./vmlinux";

const stats = new ArrayMap<u64>(1);

/** "tid tgid comm" per task. */
export const tasks = iter("task", (meta, task) => {
  if (task === null || meta === null) return 0;
  const seq = meta.seq;
  if (seq === null) return 0;
  seqPrintf(seq, "%d %d %s\\n", task.pid, task.tgid, task.comm);
  return 0;
});

/** "tgid fd" per open file of each process. */
export const files = iter("task_file", (meta, task, fd, file) => {
  if (task === null || meta === null || file === null) return 0;
  const seq = meta.seq;
  if (seq === null) return 0;
  seqPrintf(seq, "%d %u\\n", task.tgid, fd);
  return 0;
});

/** "start-end" per memory mapping of each process. */
export const vmas = iter("task_vma", (meta, task, vma) => {
  if (task === null || meta === null || vma === null) return 0;
  const seq = meta.seq;
  if (seq === null) return 0;
  seqPrintf(seq, "%lx-%lx\\n", vma.vm_start, vma.vm_end);
  return 0;
});

/** "id level" per cgroup walked. */
export const cgroups = iter("cgroup", (meta, cgroup) => {
  if (cgroup === null || meta === null) return 0;
  const seq = meta.seq;
  if (seq === null) return 0;
  const kn = cgroup.kn;
  if (kn === null) return 0;
  seqPrintf(seq, "%llu %d\\n", kn.id, cgroup.level);
  return 0;
});
export const LICENSE = "GPL";
`;

const ELEMS_SRC = `import { iter, ArrayMap, type u64 } from "tsbpf/bpf";
import type {} from "./vmlinux";
const seen = new ArrayMap<u64>(1);
export const elems = iter("bpf_map_elem", (meta, map, key, value) => {
  if (key === 0) return 0;
  const n = seen.lookup(0);
  if (n !== null) n.value += 1;
  return 0;
});
export const LICENSE = "GPL";
`;

let dir: string;
let object: Uint8Array;
let elemsObject: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsbpf-iter-target-"));
  writeFileSync(
    join(dir, "vmlinux.d.ts"),
    vmlinuxDts(
      DEFAULT_BTF,
      ["bpf_iter_task", "bpf_iter_task_file", "bpf_iter_task_vma", "bpf_iter_cgroup", "bpf_iter_bpf_map_elem", "kernfs_node"],
      1,
    ),
  );
  for (const [name, src] of [
    ["iters", SRC],
    ["elems", ELEMS_SRC],
  ] as const) {
    const file = join(dir, `${name}.bpf.ts`);
    writeFileSync(file, src);
    const r = compile(file, src, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    if (name === "iters") object = r.object!;
    else elemsObject = r.object!;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fdCount = () => readdirSync("/proc/self/fd").length;
const lines = (link: Link) => Buffer.from(readIterator(link)).toString("utf8").trimEnd().split("\n").filter(Boolean);

describeKernel("iterator target parameters in the kernel", () => {
  let obj: BpfObject;
  let child: ChildProcess;
  beforeAll(async () => {
    obj = loadObject(object, { name: "iters" });
    // A child with several threads (node's workers) and a few open files, which waits.
    child = spawn(process.execPath, ["-e", 'require("fs").openSync("/dev/null","r");console.log("ready");setInterval(()=>{},1000)'], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  });
  afterAll(() => {
    child?.kill();
    obj?.close();
  });

  it("a task iterator filtered to one process ({ pid }) lists only its threads, as the unfiltered run does", () => {
    const pid = child.pid!;
    const prog = obj.programs.get("tasks")!;
    using all = attachIterator(prog);
    using one = attachIterator(prog, { task: { pid } });
    expect(one.target).toBe(`iter:task (pid=${pid})`);
    const threads = readdirSync(`/proc/${pid}/task`)
      .map(Number)
      .sort((a, b) => a - b);
    const everything = lines(all);
    const filtered = lines(one);
    expect(threads.length).toBeGreaterThan(1); // node runs worker threads
    // Every line of the filtered run belongs to the child; they are the child's lines of the unfiltered run.
    for (const l of filtered) expect(l.split(" ")[1]).toBe(String(pid));
    expect(filtered.slice().sort()).toEqual(everything.filter((l) => l.split(" ")[1] === String(pid)).sort());
    expect(filtered.map((l) => Number(l.split(" ")[0])).sort((a, b) => a - b)).toEqual(threads);
    expect(everything.length).toBeGreaterThan(filtered.length);
    expect(filtered.some((l) => l.split(" ")[1] === String(process.pid))).toBe(false);
  });

  it("{ tid } lists one thread and { pidFd } the process of a pidfd", () => {
    const pid = child.pid!;
    const prog = obj.programs.get("tasks")!;
    {
      using link = attachIterator(prog, { task: { tid: pid } });
      expect(lines(link)).toEqual([expect.stringMatching(new RegExp(`^${pid} ${pid} node`))]);
    }
    const pfd = pidFd(pid);
    try {
      using byFd = attachIterator(prog, { task: { pidFd: pfd } });
      using byPid = attachIterator(prog, { task: { pid } });
      expect(lines(byFd).sort()).toEqual(lines(byPid).sort());
    } finally {
      closeSync(pfd);
    }
    // A pid with no process: the kernel accepts it and the walk is empty.
    using none = attachIterator(prog, { task: { pid: 0x3ffffff } });
    expect(lines(none)).toEqual([]);
  });

  it("a task_file iterator filtered to a child lists exactly its open fds", () => {
    const pid = child.pid!;
    using link = attachIterator(obj.programs.get("files")!, { task: { pid } });
    const out = lines(link);
    for (const l of out) expect(l.split(" ")[0]).toBe(String(pid));
    const fds = [...new Set(out.map((l) => Number(l.split(" ")[1])))].sort((a, b) => a - b);
    expect(fds).toEqual(
      readdirSync(`/proc/${pid}/fd`)
        .map(Number)
        .sort((a, b) => a - b),
    );
  });

  it("a task_vma iterator filtered to a process lists exactly its mappings, as /proc/PID/maps does", async () => {
    // sleep's mappings do not change once it sleeps (a Node process maps and unmaps as it runs).
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const pid = sleeper.pid!;
      const mapsOf = () =>
        readFileSync(`/proc/${pid}/maps`, "utf8")
          .trimEnd()
          .split("\n")
          .filter((l) => !l.endsWith("[vsyscall]")) // the gate page is not one of the process's mappings
          .map((l) => l.split(" ")[0]!);
      const norm = (r: string) =>
        r
          .split("-")
          .map((h) => BigInt(`0x${h}`))
          .join("-");
      // The process maps and mprotects while exec and ld.so start it (a CI run walked it midway), so
      // compare a walk only with the maps read just before and after it, once those two agree.
      let walked: string[] = [];
      let before: string[] = [];
      for (let i = 0; i < 200; i++) {
        before = mapsOf().map(norm);
        using link = attachIterator(obj.programs.get("vmas")!, { task: { pid } });
        walked = lines(link).map(norm);
        const after = mapsOf().map(norm);
        const execed = readFileSync(`/proc/${pid}/maps`, "utf8").includes("sleep");
        if (execed && before.join() === after.join()) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(walked.length).toBeGreaterThan(5); // the binary, libc, ld.so, stack, ...
      expect(walked).toEqual(before);
    } finally {
      sleeper.kill();
    }
  });

  it("the cgroup iterator walks a test cgroup tree from a path, an id or an fd, in each order", (ctx) => {
    const root = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].find((d) => existsSync(join(d, "cgroup.controllers")));
    if (!root) return ctx.skip();
    const top = join(root, `tsbpf-iter-${process.pid}`);
    const a = join(top, "a");
    const b = join(top, "b");
    const aa = join(a, "aa");
    for (const d of [top, a, b, aa]) mkdirSync(d);
    try {
      const id = (p: string) => String(cgroupId(p));
      const ids = (t: IteratorTarget) => {
        using link = attachIterator(obj.programs.get("cgroups")!, t);
        return lines(link).map((l) => l.split(" ")[0]);
      };
      expect(ids({ cgroup: { path: top, order: "self" } })).toEqual([id(top)]);
      expect(ids({ cgroup: { path: top, order: "descendants_pre" } })).toEqual([id(top), id(a), id(aa), id(b)]);
      expect(ids({ cgroup: { path: top, order: "descendants_post" } })).toEqual([id(aa), id(a), id(b), id(top)]);
      const up = ids({ cgroup: { id: cgroupId(aa), order: "ancestors_up" } });
      expect(up.slice(0, 3)).toEqual([id(aa), id(a), id(top)]);
      expect(up.at(-1)).toBe(id(root)); // up to the root of the hierarchy
      const fd = openSync(a, "r");
      try {
        expect(ids({ cgroup: { fd, order: "self" } })).toEqual([id(a)]);
      } finally {
        closeSync(fd);
      }
      // From the cgroup v2 root by default: the test cgroups are among the descendants.
      expect(ids({ cgroup: { order: "descendants_pre" } })).toEqual(expect.arrayContaining([id(top), id(a), id(aa), id(b)]));
      // "children" (immediate children only) is newer than the other orders.
      try {
        expect(ids({ cgroup: { path: top, order: "children" } })).toEqual([id(a), id(b)]);
      } catch (e) {
        expect(e).toBeInstanceOf(AttachError);
        expect((e as AttachError).errno).toBe(22);
        console.warn(`this kernel refuses the cgroup iterator order "children": ${(e as Error).message}`);
      }
    } finally {
      for (const d of [aa, b, a, top]) rmdirSync(d);
    }
  });

  it("examples/proc-threads: user.ts --pid CHILD prints exactly the child's threads with their comm", () => {
    ensureDist(); // user.ts imports tsbpf/runtime, which is dist/
    const pid = child.pid!;
    const user = join(import.meta.dirname, "..", "examples", "proc-threads", "user.ts");
    const out = execFileSync(process.execPath, ["--import", "tsx", user, "--pid", String(pid)], {
      cwd: join(import.meta.dirname, ".."),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(out).toMatch(new RegExp(`^attached to iter:task \\(pid=${pid}\\)$`, "m"));
    const rows = out
      .split("\n")
      .filter((l) => /^\s+\d+ {2}/.test(l))
      .map((l) => l.trim().split(/\s+/));
    const threads = readdirSync(`/proc/${pid}/task`).sort((a, b) => Number(a) - Number(b));
    expect(rows.map((r) => r[0])).toEqual(threads);
    for (const r of rows) expect(r[1]).toBe(readFileSync(`/proc/${pid}/task/${r[0]}/comm`, "utf8").trim().split(/\s+/)[0]);
    expect(out).toMatch(new RegExp(`^${threads.length} threads of process ${pid}$`, "m"));
  }, 60_000);

  it("bad target parameters are AttachErrors naming the problem, and leave no fd open", () => {
    const tasks = obj.programs.get("tasks")!;
    const cgroups = obj.programs.get("cgroups")!;
    const stats = obj.maps.get("stats")!;
    const before = fdCount();
    const err = (f: () => unknown): AttachError => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(AttachError);
        return e as AttachError;
      }
      throw new Error("expected an AttachError");
    };
    // A map for a task iterator.
    let e = err(() => attachIterator(tasks, { map: stats }));
    expect(e.errno).toBe(22);
    expect(e.message).toMatch(/iter\/task takes \{ task: \{ tid \} \| \{ pid \} \| \{ pidFd \} \}, not \{ map \}/);
    // A negative pid, a fractional tid, two keys, an empty task.
    e = err(() => attachIterator(tasks, { task: { pid: -5 } }));
    expect(e.errno).toBe(22);
    expect(e.message).toMatch(/pid must be a positive integer, got -5/);
    expect(err(() => attachIterator(tasks, { task: { tid: 1.5 } })).message).toMatch(/tid must be a positive integer, got 1.5/);
    expect(err(() => attachIterator(tasks, { task: { pid: 1, tid: 1 } as never })).message).toMatch(/exactly one of/);
    expect(err(() => attachIterator(tasks, { task: {} as never })).message).toMatch(/exactly one of/);
    // A file that is not a pidfd: the kernel's EBADF, with a hint.
    const notPidfd = openSync("/dev/null", "r");
    try {
      e = err(() => attachIterator(tasks, { task: { pidFd: notPidfd } }));
      expect(e.errno).toBe(9);
      expect(e.message).toMatch(/the pidFd is not an open pidfd/);
    } finally {
      closeSync(notPidfd);
    }
    // Task parameters for the cgroup iterator, none at all, no order, two starting points, a missing directory.
    expect(err(() => attachIterator(cgroups, { task: { pid: 1 } })).message).toMatch(/iter\/cgroup takes \{ cgroup: /);
    expect(err(() => attachIterator(cgroups)).message).toMatch(/a cgroup iterator needs target parameters/);
    expect(err(() => attachIterator(cgroups, { cgroup: {} as never })).message).toMatch(/needs an order: one of self, descendants_pre/);
    expect(err(() => attachIterator(cgroups, { cgroup: { id: 1n, path: "/x", order: "self" } })).message).toMatch(/at most one/);
    e = err(() => attachIterator(cgroups, { cgroup: { path: "/sys/fs/cgroup/no-such-tsbpf", order: "self" } }));
    expect(e.errno).toBe(2);
    expect(e.message).toMatch(/cannot open the cgroup directory/);
    // A map iterator: without a map, with a map of a closed object, with the wrong kind of map. These
    // checks come before any syscall; a task iterator's handle stands in for a map iterator, which
    // this kernel refuses to load.
    const asMapIter = { ...tasks, name: "elems", section: "iter/bpf_map_elem", type: tasks.type, fd: tasks.fd, nativePtr: tasks.nativePtr };
    expect(err(() => attachIterator(asMapIter)).message).toMatch(
      /a bpf_map_elem iterator needs target parameters: attachIterator\(prog, \{ map \}\)/,
    );
    const other = loadObject(object, { name: "closed" });
    const closedMap = other.maps.get("stats")!;
    other.close();
    e = err(() => attachIterator(asMapIter, { map: closedMap }));
    expect(e.errno).toBe(9);
    expect(e.message).toMatch(/the map cannot be used: map 'stats' belongs to a closed BPF object/);
    e = err(() => attachIterator({ ...asMapIter, section: "iter/bpf_sk_storage_map" }, { map: stats }));
    expect(e.message).toMatch(/a bpf_sk_storage_map iterator walks SK_STORAGE maps; 'stats' is ARRAY/);
    expect(err(() => attachIterator(asMapIter, { map: -1 })).message).toMatch(/the map fd must be a positive integer/);
    // A typed map (obj.typed.x) is taken through its map.
    expect(err(() => attachIterator({ ...asMapIter, section: "iter/sockmap" }, { map: obj.typed.stats! })).message).toMatch(
      /a sockmap iterator walks SOCKMAP, SOCKHASH maps; 'stats' is ARRAY/,
    );
    expect(fdCount()).toBe(before);
  });

  it("a bpf_map_elem iterator with { map }: refused at load here (EPERM); walks the map where the kernel loads it", () => {
    let elems: BpfObject;
    try {
      elems = loadObject(elemsObject, { name: "elems" });
    } catch (e) {
      expect((e as Error).message).toMatch(/EPERM|Operation not permitted/);
      return; // this kernel: the { map } attach path stays untested
    }
    try {
      using link = attachIterator(elems.programs.get("elems")!, { map: elems.typed.seen });
      expect(link.target).toBe("iter:bpf_map_elem (map seen)");
      readIterator(link);
      const n = new DataView(elems.maps.get("seen")!.lookup(u32le(0))!.buffer).getBigUint64(0, true);
      expect(n).toBe(1n); // an array map of 1 element
    } finally {
      elems.close();
    }
  });
});
