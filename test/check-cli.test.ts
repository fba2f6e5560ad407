// `tsbpf check`, `--format=json` and `--quiet` as users run them: bin/tsbpf.js over dist/ (built
// once here), argument arrays, no shell.

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

function tsbpf(args: string[], env: Record<string, string> = { NO_COLOR: "1" }) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: tmp,
    encoding: "utf8",
    env: { ...process.env, TSBPF_DEBUG: "", NO_COLOR: "", ...env },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

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

beforeAll(() => {
  ensureDist();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsbpf-check-"));
  fs.writeFileSync(path.join(tmp, "bad.bpf.ts"), BAD);
  fs.writeFileSync(path.join(tmp, "nolicense.bpf.ts"), NO_LICENSE);
  fs.copyFileSync(EXAMPLE, path.join(tmp, "good.bpf.ts"));
}, 300_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("tsbpf check", () => {
  it("a clean file exits 0, writes no object, says so in one line", () => {
    const r = tsbpf(["check", "good.bpf.ts"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("1 file checked: no errors\n");
    expect(r.stdout).toBe("");
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith(".o"))).toEqual([]);
  });

  it("checks every file, reports each error in the build format, exits 1", () => {
    const r = tsbpf(["check", "good.bpf.ts", "bad.bpf.ts", "nolicense.bpf.ts"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("bad.bpf.ts:5:10 - error TSBPF2001: this loop's bound is not a compile-time constant");
    expect(r.stderr).toContain("nolicense.bpf.ts:1:1 - warning TSBPF3001");
    expect(r.stderr).toContain("1 error, 1 warning in 3 files");
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith(".o"))).toEqual([]);
  });

  it("warnings alone exit 0; --quiet hides them and the summary", () => {
    expect(tsbpf(["check", "nolicense.bpf.ts"]).status).toBe(0);
    const q = tsbpf(["check", "--quiet", "nolicense.bpf.ts"]);
    expect(q.status).toBe(0);
    expect(q.stderr).toBe("");
  });

  it("an unreadable file is a TSBPF2300 diagnostic and the others are still checked", () => {
    const r = tsbpf(["check", "missing.bpf.ts", "bad.bpf.ts", "--format=json"]);
    expect(r.status).toBe(1);
    const diags = JSON.parse(r.stdout);
    expect(diags.map((d: { code: string }) => d.code)).toEqual(["TSBPF2300", "TSBPF2001"]);
    expect(diags[0].message).toBe("cannot read missing.bpf.ts: no such file");
  });

  it("usage errors exit 2", () => {
    expect(tsbpf(["check"]).status).toBe(2);
    expect(tsbpf(["check", "good.bpf.ts", "--format=xml"]).stderr).toContain("--format takes text or json, not 'xml'");
    expect(tsbpf(["check", "good.bpf.ts", "--bogus"]).status).toBe(2);
  });
});

describe("--format=json", () => {
  it("check: one object per diagnostic with file, both ends of the span, code, severity, message, hint", () => {
    const r = tsbpf(["check", "bad.bpf.ts", "nolicense.bpf.ts", "--format=json"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([
      {
        file: "bad.bpf.ts",
        line: 5,
        col: 10,
        endLine: 5,
        endCol: 21,
        code: "TSBPF2001",
        severity: "error",
        message: "this loop's bound is not a compile-time constant",
        hint: "loop as for (let i = A; i < N; i++) with constant A and N and no other writes to i",
      },
      expect.objectContaining({ file: "nolicense.bpf.ts", line: 1, col: 1, code: "TSBPF3001", severity: "warning" }),
    ]);
  });

  it("tsc's own errors carry a null hint and tsc's span", () => {
    fs.writeFileSync(path.join(tmp, "typeerr.bpf.ts"), BAD.replace("let x: u32 = 0;", "let x: u32 = unknownName;"));
    const r = tsbpf(["check", "typeerr.bpf.ts", "--format=json"]);
    const [d] = JSON.parse(r.stdout);
    expect(d).toMatchObject({ code: "TS2304", severity: "error", hint: null, line: 4, col: 16, endLine: 4, endCol: 27 });
  });

  it("build: the array alone on stdout, no object on errors, the object and [] when clean", () => {
    const bad = tsbpf(["build", "bad.bpf.ts", "--format=json", "-o", "bad.o"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("");
    expect(JSON.parse(bad.stdout)).toHaveLength(1);
    expect(fs.existsSync(path.join(tmp, "bad.o"))).toBe(false);
    const good = tsbpf(["build", "good.bpf.ts", "--format=json", "-o", "good.o"]);
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual([]);
    expect(fs.existsSync(path.join(tmp, "good.o"))).toBe(true);
  });
});

describe("build --quiet and colour", () => {
  it("--quiet prints nothing for a clean build and only errors for a bad one", () => {
    const good = tsbpf(["build", "nolicense.bpf.ts", "--quiet", "-o", "q.o"]);
    expect(good.status).toBe(0);
    expect(good.stdout + good.stderr).toBe("");
    const bad = tsbpf(["build", "bad.bpf.ts", "--quiet"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("error TSBPF2001");
    expect(bad.stderr).not.toContain("no object written");
  });

  it("no escape codes when stderr is not a terminal, even without NO_COLOR", () => {
    const r = tsbpf(["check", "bad.bpf.ts"], {});
    expect(r.stderr).toContain("TSBPF2001");
    expect(r.stderr).not.toContain("\x1b[");
  });
});
