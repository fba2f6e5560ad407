// Every benchmark program (bench/catalogue.ts) compiles, passes the kernel verifier and runs on the
// benchmark's packets; where clang-19 is installed, its behaviour equals its C twin's (the benchmark's
// comparison only means something if the twins agree). Keeps the benchmark valid as the compiler changes.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { loadObject } from "../runtime/index.js";
import { isLoadOnly, PROGRAMS, type BenchProgram } from "../bench/catalogue.js";
import { observe, TEST_PACKETS } from "../bench/twins.js";
import { describeKernel } from "./kernel-env.js";

const root = join(import.meta.dirname, "..");

function build(p: BenchProgram, cpu: "v3" | "v4" = "v3"): Uint8Array {
  const file = join(root, p.dir, `${p.name}.bpf.ts`);
  const r = compile(file, readFileSync(file, "utf8"), { checkIr: true, cpu });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  expect(r.ok).toBe(true);
  return r.object!;
}

const hasClang = ((): boolean => {
  try {
    execFileSync("clang-19", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const tmp = mkdtempSync(join(os.tmpdir(), `tsbpf-bench-test-${process.pid}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function clangBuild(p: BenchProgram): Uint8Array {
  const out = join(tmp, `${p.name}.o`);
  execFileSync("clang-19", [
    "-O2",
    "-g",
    "-target",
    "bpf",
    "-mcpu=v4",
    "-I/usr/include/x86_64-linux-gnu",
    "-c",
    join(root, p.dir, `${p.name}.bpf.c`),
    "-o",
    out,
  ]);
  return new Uint8Array(readFileSync(out));
}

function observed(bytes: Uint8Array, p: BenchProgram): string {
  using obj = loadObject(bytes, { name: "bench" });
  // One program per file, or several with an entry (the tail-call dispatcher and its handlers).
  expect(obj.programs.size > 1, `${p.name}: ${obj.programs.size} programs`).toBe(p.entry !== undefined);
  if (p.entry) expect(obj.programs.has(p.entry), `${p.name}: entry ${p.entry}`).toBe(true);
  for (const prog of obj.programs.values()) expect(prog.fd).toBeGreaterThan(0);
  if (isLoadOnly(p.kind)) return "";
  p.setup?.(obj);
  return observe(obj);
}

describe("benchmark programs compile", () => {
  it("there are at least 15, each with a C twin", () => {
    expect(PROGRAMS.length).toBeGreaterThanOrEqual(15);
    for (const p of PROGRAMS) expect(readFileSync(join(root, p.dir, `${p.name}.bpf.c`), "utf8")).toContain("SEC(");
  });
  for (const p of PROGRAMS) {
    it(p.name, () => {
      expect(build(p).length).toBeGreaterThan(64);
      expect(build(p, "v4").length).toBeGreaterThan(64);
    });
  }
});

describeKernel("benchmark programs in the kernel", () => {
  for (const p of PROGRAMS) {
    it(`${p.name} ${p.refusedHere ? "is refused by this kernel as expected" : "loads"}${isLoadOnly(p.kind) ? "" : " and runs the test packets"}${hasClang && !isLoadOnly(p.kind) ? " like its C twin" : ""}`, () => {
      if (p.refusedHere) {
        expect(() => observed(build(p), p)).toThrow(/EPERM|not permitted/i);
        return;
      }
      const ours = observed(build(p), p);
      const ours4 = observed(build(p, "v4"), p);
      expect(ours4).toBe(ours);
      if (isLoadOnly(p.kind)) return;
      expect(ours.split("\n").filter((l) => l.includes(": returns ")).length).toBeGreaterThanOrEqual(TEST_PACKETS.length - 2);
      if (hasClang) expect(ours).toBe(observed(clangBuild(p), p));
    });
  }
});
