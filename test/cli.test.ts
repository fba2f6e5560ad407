// The `tsbpf` command as users run it: bin/tsbpf.js over the compiled dist/ (built once here), with
// argument arrays (no shell). Checks exit codes, what is written to disk, and the diagnostic format.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDist } from "./support/dist.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "bin", "tsbpf.js");
const EXAMPLE = path.join(ROOT, "examples", "xdp-counter", "xdp-counter.bpf.ts");

let tmp: string;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with an argument array (no shell). spawnSync is execFileSync's non-throwing sibling:
 * it also returns stderr when the exit code is 0 (warnings).
 */
function tsbpf(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: tmp,
    encoding: "utf8",
    env: { ...process.env, TSBPF_DEBUG: "", NO_COLOR: "1" },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  ensureDist();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsbpf-cli-"));
}, 300_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const BAD = [
  `import { xdp, XdpAction, type u32 } from "tsbpf/bpf";`,
  ``,
  `export const prog = xdp((ctx) => {`,
  `  let x: u32 = 0;`,
  `  while (x < ctx.len) { x++; }`,
  `  return XdpAction.PASS;`,
  `});`,
  ``,
  `export const LICENSE = "GPL";`,
  ``,
].join("\n");

const NO_LICENSE = [`import { xdp, XdpAction } from "tsbpf/bpf";`, `export const prog = xdp(() => XdpAction.PASS);`, ``].join("\n");

/** ELF magic and the eBPF machine number (EM_BPF = 247). */
function expectBpfElf(file: string): void {
  const b = fs.readFileSync(file);
  expect([...b.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
  expect(b.readUInt16LE(18)).toBe(247);
}

describe("tsbpf build", () => {
  it("compiles an example to the -o path and exits 0", () => {
    const out = path.join(tmp, "counter.o");
    const r = tsbpf("build", EXAMPLE, "-o", out);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expectBpfElf(out);
    expect(r.stdout).toMatch(/counter\.o: xdp xdp_counter: \d+ instructions, \d+ bytes of stack/);
  });

  it("writes <name>.bpf.o next to the input without -o", () => {
    const src = path.join(tmp, "pass.bpf.ts");
    fs.copyFileSync(path.join(ROOT, "examples", "xdp-pass", "xdp-pass.bpf.ts"), src);
    const r = tsbpf("build", src);
    expect(r.status).toBe(0);
    expectBpfElf(path.join(tmp, "pass.bpf.o"));
  });

  it("reports an error as file:line:col - error CODE: message, a code frame and the hint; exits 1; writes nothing", () => {
    const src = path.join(tmp, "bad.bpf.ts");
    const out = path.join(tmp, "bad.o");
    fs.writeFileSync(src, BAD);
    const r = tsbpf("build", src, "-o", out);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(path.join(tmp, "bad.bpf.o"))).toBe(false);
    const lines = r.stderr.split("\n");
    expect(lines[0]).toBe(`${src}:5:10 - error TSBPF2001: this loop's bound is not a compile-time constant`);
    // The code frame: the offending line with its number, then the span underlined.
    const frame = lines.indexOf("5   while (x < ctx.len) { x++; }");
    expect(frame).toBeGreaterThan(0);
    expect(lines[frame + 1]).toBe("    " + " ".repeat("while (".length) + "~".repeat("x < ctx.len".length));
    expect(r.stderr).toContain("hint: loop as for (let i = A; i < N; i++) with constant A and N and no other writes to i");
    expect(r.stderr).toMatch(/1 error; no object written/);
    // No stack trace, no colour codes when not on a terminal.
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(r.stderr).not.toMatch(/\.ts:\d+:\d+\)|node:internal|internal error/);
    expect(r.stderr).not.toContain("\x1b[");
  });

  it("reports tsc's own errors in the same format", () => {
    const src = path.join(tmp, "typeerr.bpf.ts");
    fs.writeFileSync(src, BAD.replace("let x: u32 = 0;", "let x: u8 = ktimeGetNs();").replace("type u32", "type u8, ktimeGetNs"));
    const r = tsbpf("build", src, "-o", path.join(tmp, "typeerr.o"));
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(new RegExp(`^${src.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4:7 - error TS2322: `));
    expect(fs.existsSync(path.join(tmp, "typeerr.o"))).toBe(false);
  });

  it("prints the LICENSE warning but still writes the object", () => {
    const src = path.join(tmp, "nolicense.bpf.ts");
    const out = path.join(tmp, "nolicense.o");
    fs.writeFileSync(src, NO_LICENSE);
    const r = tsbpf("build", src, "-o", out);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${src}:1:1 - warning TSBPF3001: no LICENSE export`);
    expect(r.stderr).toContain(`hint: export const LICENSE = "GPL";`);
    expectBpfElf(out);
  });

  it("a missing input file is a clear error with exit 1", () => {
    const missing = path.join(tmp, "does-not-exist.bpf.ts");
    const r = tsbpf("build", missing, "-o", path.join(tmp, "x.o"));
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: cannot read ${missing}: no such file`);
    expect(fs.existsSync(path.join(tmp, "x.o"))).toBe(false);
  });

  it("without an input prints the usage and exits 2", () => {
    const r = tsbpf("build");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage:");
  });

  it("rejects an unknown option", () => {
    const r = tsbpf("build", EXAMPLE, "--frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option --frobnicate");
  });
});

describe("tsbpf disasm", () => {
  it("prints the instructions of a built object", () => {
    const out = path.join(tmp, "dis.o");
    expect(tsbpf("build", EXAMPLE, "-o", out).status).toBe(0);
    const r = tsbpf("disasm", out);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Disassembly of section xdp:");
    expect(r.stdout).toMatch(/<xdp_counter>:/);
    // llvm-objdump style lines: index, raw bytes, instruction.
    expect(r.stdout).toMatch(/^\s+0:\t(?:[0-9a-f]{2} ){7}[0-9a-f]{2}\t\S/m);
    expect(r.stdout).toMatch(/\bexit\b/);
    expect(r.stdout).toMatch(/call 0x1\b/); // bpf_map_lookup_elem
    expect(r.stdout).toMatch(/R_BPF_64_64\tcounters/);
  });

  it("a file that is not an ELF object is an error with exit 1", () => {
    const r = tsbpf("disasm", EXAMPLE);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a missing object is an error with exit 1", () => {
    const r = tsbpf("disasm", path.join(tmp, "missing.o"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no such file");
  });
});

describe("tsbpf", () => {
  it("--help prints the usage and exits 0", () => {
    const r = tsbpf("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("tsbpf build <file.bpf.ts>");
    expect(r.stdout).toContain("tsbpf disasm <file.o>");
  });

  it("an unknown command prints the usage and exits 2", () => {
    const r = tsbpf("frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage:");
  });
});
