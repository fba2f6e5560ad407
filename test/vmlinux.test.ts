// `tsbpf vmlinux`: this kernel's BTF to TypeScript declarations. Pins the generated declarations of a
// few well-known types and checks that the full output and a `--only` subset type-check with tsc.

import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describeWithBtf } from "./kernel-env.js";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { DEFAULT_BTF, vmlinuxCommand, vmlinuxDts } from "../compiler/tools/vmlinux.js";

const ROOT = resolve(import.meta.dirname, "..");
// Needs the running kernel's BTF: fails under CI=true without it, skips with a line elsewhere.
const d = describeWithBtf;

/** The lines of the declaration `export <kw> <name> ...` up to its closing brace. */
function declarationOf(text: string, head: string): string {
  const start = text.indexOf(`\n${head} `);
  if (start < 0) throw new Error(`no '${head}' in the output`);
  const end = text.indexOf("\n}", start);
  return text.slice(start + 1, end + 2);
}

/** tsc's errors for a project of one declaration file plus stdlib (as a user's editor sees it). */
function tscErrors(file: string, skipLibCheck: boolean): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    noLib: true,
    types: [],
    skipLibCheck,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    paths: { "tsbpf/bpf": [join(ROOT, "stdlib", "bpf.d.ts")] },
  };
  const program = ts.createProgram([file, join(ROOT, "stdlib", "globals.d.ts")], options);
  return ts.getPreEmitDiagnostics(program).map((x) => ts.flattenDiagnosticMessageText(x.messageText, "\n"));
}

d("tsbpf vmlinux", () => {
  const full = existsSync(DEFAULT_BTF) ? vmlinuxDts(DEFAULT_BTF) : "";

  it("declares task_struct with typed members, nullable kernel pointers and layout tags", () => {
    const task = declarationOf(full, "export interface task_struct");
    expect(full).toMatch(/\/\*\* struct task_struct, \d+ bytes\. @btf struct task_struct \d+ \*\/\nexport interface task_struct \{/);
    expect(task).toMatch(/\/\*\* offset \d+ @btf \d+@\d+ \*\/\n {2}readonly pid: pid_t;/);
    expect(task).toMatch(/readonly tgid: pid_t;/);
    expect(task).toMatch(/readonly real_parent: KernelPtr<task_struct> \| null;/);
    expect(task).toMatch(/readonly comm: FixedArray<u8, 16>;/);
    expect(task).toMatch(/readonly mm: KernelPtr<mm_struct> \| null;/);
    // A bitfield: one bit, with its bit position.
    expect(task).toMatch(/\/\*\* bits (\d+)\.\.\1 @btf \d+@\1 bits=1 \*\/\n {2}readonly in_execve: u32;/);
    expect(full).toMatch(/\nexport type pid_t = __kernel_pid_t;\n/);
    expect(full).toMatch(/\nexport type __kernel_pid_t = i32;\n/);
  });

  it("declares enums as const enums with their C size", () => {
    expect(declarationOf(full, "export declare const enum pid_type")).toBe(
      [
        "export declare const enum pid_type {",
        "  PIDTYPE_PID = 0,",
        "  PIDTYPE_TGID = 1,",
        "  PIDTYPE_PGID = 2,",
        "  PIDTYPE_SID = 3,",
        "  PIDTYPE_MAX = 4,",
        "}",
      ].join("\n"),
    );
    expect(full).toContain("/** @btf enum pid_type 4 */\nexport declare const enum pid_type {");
  });

  it("declares kernel functions and BTF tracepoints for typed program arguments", () => {
    expect(full).toContain("\n    do_unlinkat(dfd: i32, name: KernelPtr<filename> | null): i32;\n");
    expect(full).toMatch(
      /\n {4}sched_process_exec\(arg0: KernelPtr<task_struct> \| null, arg1: pid_t, arg2: KernelPtr<linux_binprm> \| null\): void;\n/,
    );
    expect(full).toMatch(/\n {4}bpf_lsm_file_open\(file: KernelPtr<file> \| null\): i32;\n/);
  });

  it("handles flexible arrays, anonymous members and names TypeScript reserves", () => {
    const fname = declarationOf(full, "export interface filename");
    expect(fname).toMatch(/flexible array .*\n {2}readonly iname: FixedArray<u8, 0>;/);
    // Members of anonymous unions/structs are flattened, with the path through them in the tag.
    expect(full).toMatch(/@btf \d+@\d+:(struct|union):\d+\/\d+@\d+ \*\//);
    // `struct module` and `struct class` become `module_` and `class_`.
    expect(full).toContain("\nexport interface module_ {");
    expect(full).toContain("\nexport interface class_ {");
    expect(full).toMatch(/readonly owner: KernelPtr<module_> \| null;/);
  });

  it("the full output type-checks with tsc (strict, without skipLibCheck)", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-vmlinux-"));
    const file = join(dir, "vmlinux.d.ts");
    writeFileSync(file, full);
    expect(tscErrors(file, false)).toEqual([]);
  }, 120_000);

  it("--only writes the selected types, what they hold and point to, and opaque stubs beyond", () => {
    const small = vmlinuxDts(DEFAULT_BTF, ["task_struct", "do_unlinkat", "sched_process_exec"], 1);
    expect(small.length).toBeLessThan(full.length / 20);
    expect(declarationOf(small, "export interface task_struct")).toBe(declarationOf(full, "export interface task_struct"));
    expect(small).toContain("\n    do_unlinkat(dfd: i32, name: KernelPtr<filename> | null): i32;\n");
    expect(small).not.toContain("\n    do_rmdir(");
    expect(small).toMatch(/not generated \(add it to `tsbpf vmlinux --only`/);
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-vmlinux-"));
    const file = join(dir, "kernel.d.ts");
    writeFileSync(file, small);
    expect(tscErrors(file, false)).toEqual([]);
    expect(() => vmlinuxDts(DEFAULT_BTF, ["no_such_type_xyz"])).toThrow(/no type, function or tracepoint named 'no_such_type_xyz'/);
  }, 60_000);
});

d("tsbpf vmlinux command line", () => {
  it("writes into a directory, takes --only/--depth, and rejects bad arguments", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-vmlinux-cli-"));
    const write = process.stdout.write;
    const errors: string[] = [];
    const errWrite = process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = ((t: string) => (errors.push(String(t)), true)) as typeof process.stderr.write;
    try {
      expect(vmlinuxCommand(["--only", "do_unlinkat", "--depth", "0", "-o", dir])).toBe(0);
      expect(readFileSync(join(dir, "vmlinux.d.ts"), "utf8")).toContain("do_unlinkat(dfd: i32, name: KernelPtr<filename> | null): i32;");
      expect(vmlinuxCommand(["-o"])).toBe(2);
      expect(vmlinuxCommand(["--depth", "-1", "-o", join(dir, "x.d.ts")])).toBe(2);
      expect(vmlinuxCommand(["--btf", join(dir, "missing.btf"), "-o", join(dir, "x.d.ts")])).toBe(1);
      expect(vmlinuxCommand(["--btf", join(dir, "vmlinux.d.ts"), "-o", join(dir, "x.d.ts")])).toBe(1);
      expect(vmlinuxCommand(["--only", "no_such_thing_here", "-o", join(dir, "x.d.ts")])).toBe(1);
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
    }
    expect(errors.join("")).toMatch(/missing\.btf: no such file/);
    expect(errors.join("")).toMatch(/invalid BTF: bad magic/);
    expect(errors.join("")).toMatch(/no type, function or tracepoint named 'no_such_thing_here'/);
  });
});
