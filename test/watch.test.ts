// `tsbpf build --watch` through the CLI, as users run it: the first build, a rebuild after an edit
// (same bytes as a fresh compile of the new text), an edit with an error (diagnostics, the object
// left alone, still watching), the fix, and a clean exit on SIGTERM.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { ensureDist } from "./support/dist.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "bin", "tsbpf.js");

const source = (verdict: string) => `import { xdp, XdpAction, ArrayMap, type u32 } from "tsbpf/bpf";
const seen = new ArrayMap<u32>(4);
export const prog = xdp((ctx) => {
  const s = seen.lookup(0);
  if (s !== null) s.value += 1;
  return ${verdict};
});
export const LICENSE = "GPL";
`;

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsbpf-watch-${process.pid}-`));
  ensureDist();
}, 120_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The watcher's output, line by line, with a way to wait for the next line that matches. */
function follow(child: ChildProcessWithoutNullStreams) {
  const lines: string[] = [];
  let seen = 0;
  const waiters: (() => void)[] = [];
  const feed = (chunk: string) => {
    lines.push(...chunk.split("\n").filter((l) => l.length > 0));
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.setEncoding("utf8").on("data", feed);
  child.stderr.setEncoding("utf8").on("data", feed);
  const next = (re: RegExp, timeoutMs = 60_000): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${lines.join("\n")}`)), timeoutMs);
      const check = () => {
        const i = lines.findIndex((l, k) => k >= seen && re.test(l));
        if (i < 0) return void waiters.push(check);
        clearTimeout(timer);
        const got = lines.slice(seen, i + 1);
        seen = i + 1;
        resolve(got);
      };
      check();
    });
  return { next, lines };
}

describe("tsbpf build --watch", () => {
  it("rebuilds on each change, reports the time, survives errors and stops on SIGTERM", async () => {
    const file = path.join(tmp, "prog.bpf.ts");
    const out = path.join(tmp, "prog.o");
    fs.writeFileSync(file, source("XdpAction.PASS"));
    const child = spawn(process.execPath, [BIN, "build", "--watch", file, "-o", out], { env: { ...process.env, NO_COLOR: "1" } });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const { next, lines } = follow(child);
    try {
      const first = await next(/^built prog\.o in [\d.]+ ms \(CPU [\d.]+ ms\); watching/);
      expect(first.some((l) => /^prog\.o: xdp prog: \d+ instructions/.test(l))).toBe(true);
      expect(Buffer.from(fs.readFileSync(out)).equals(Buffer.from(compile(file, source("XdpAction.PASS")).object!))).toBe(true);

      fs.writeFileSync(file, source("XdpAction.DROP"));
      await next(/^rebuilt prog\.o in [\d.]+ ms/);
      expect(Buffer.from(fs.readFileSync(out)).equals(Buffer.from(compile(file, source("XdpAction.DROP")).object!))).toBe(true);

      const before = fs.readFileSync(out);
      fs.writeFileSync(file, source("notAVerdict"));
      const failed = await next(/error; no object written; watching for changes/);
      expect(failed.join("\n")).toMatch(/prog\.bpf\.ts:\d+:\d+ - error TS2304/);
      expect(fs.readFileSync(out).equals(before)).toBe(true);

      fs.writeFileSync(file, source("XdpAction.TX"));
      await next(/^rebuilt prog\.o in [\d.]+ ms/);
      expect(Buffer.from(fs.readFileSync(out)).equals(Buffer.from(compile(file, source("XdpAction.TX")).object!))).toBe(true);

      // A save the watcher may read half-written (two writes): no error shown, the full file's object.
      const full = source("XdpAction.PASS");
      const mark = lines.length;
      fs.writeFileSync(file, full.slice(0, full.length >> 1));
      fs.writeFileSync(file, full);
      await next(/^rebuilt prog\.o in [\d.]+ ms/);
      await new Promise((r) => setTimeout(r, 200));
      expect(lines.slice(mark).filter((l) => /error/.test(l))).toEqual([]);
      expect(Buffer.from(fs.readFileSync(out)).equals(Buffer.from(compile(file, full).object!))).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 180_000);

  it("takes exactly one file", () => {
    const r = spawnSync(process.execPath, [BIN, "build", "--watch", "a.bpf.ts", "b.bpf.ts"], { cwd: tmp, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--watch takes one file");
  });
});
