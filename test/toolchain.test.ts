// Our objects through the standard tools: bpftool reads their BTF and loads them, and llvm-objdump
// disassembles them exactly as `tsbpf disasm` does.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { disassembleObject } from "../compiler/elf/disasm-object.js";
import { ensureBpffs } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const examples = join(import.meta.dirname, "..", "examples");
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-toolchain-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function have(tool: string): boolean {
  return spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
}

/** Runs `fn` when `tool` is installed; otherwise skips with one line, or fails under CI=true. */
function withTool(tool: string, name: string, fn: () => void): void {
  if (have(tool)) return void it(name, fn);
  if (process.env.CI === "true") return void it(name, () => expect.fail(`${tool} is not installed`));
  console.warn(`skipping '${name}': ${tool} not installed`);
  it.skip(name, fn);
}

const objects = readdirSync(examples).map((name) => {
  const src = join(examples, name, `${name}.bpf.ts`);
  const r = compile(src, readFileSync(src, "utf8"));
  const path = join(tmp, `${name}.o`);
  writeFileSync(path, r.object!);
  return { name, path, bytes: r.object! };
});

describe("llvm-objdump agrees with tsbpf disasm", () => {
  const norm = (text: string) =>
    text
      .split("\n")
      .map((l) => l.trim().replace(/\s+/g, " "))
      .filter((l) => /^\d+: /.test(l) || l.startsWith("R_BPF") || /R_BPF_/.test(l));
  for (const o of objects) {
    withTool("llvm-objdump-19", o.name, () => {
      const theirs = execFileSync("llvm-objdump-19", ["-dr", o.path], { encoding: "utf8" });
      const ours = disassembleObject(o.bytes);
      expect(norm(ours).length).toBeGreaterThan(0);
      expect(norm(ours)).toEqual(norm(theirs));
    });
  }
});

describeKernel("bpftool reads and loads our objects", () => {
  for (const o of objects) {
    withTool("bpftool", o.name, () => {
      const btf = execFileSync("bpftool", ["btf", "dump", "file", o.path], { encoding: "utf8" });
      expect(btf).toMatch(/FUNC '/);
      const source = readFileSync(join(examples, o.name, `${o.name}.bpf.ts`), "utf8");
      if (/new (HashMap|ArrayMap|PerCpuArray)/.test(source)) {
        expect(btf).toMatch(/DATASEC '\.maps'/);
      }
      // This kernel refuses fentry/fexit/LSM loads with EPERM: bpftool gets as far as CO-RE relocation.
      const refused = /\b(fentry|fexit|lsm)\(/.test(source);
      const pin = join(ensureBpffs(), `tsbpf-toolchain-${process.pid}-${o.name}`);
      try {
        const r = spawnSync("bpftool", ["-d", "prog", "loadall", o.path, pin], { encoding: "utf8" });
        if (refused) {
          expect(r.stderr).toMatch(/Operation not permitted/);
          expect(r.stderr).toMatch(/patched insn .* -> /);
        } else {
          expect(r.status, r.stderr.split("\n").slice(-20).join("\n")).toBe(0);
        }
        expect(r.stderr).not.toMatch(/BTF is optional, ignoring/);
      } finally {
        rmSync(pin, { recursive: true, force: true });
      }
    });
  }
});
