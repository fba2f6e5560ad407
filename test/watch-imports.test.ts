// `tsbpf build --watch` follows the local modules the entry imports: saving one rebuilds (the
// entry's own text unchanged), with the bytes of a cold build of the edited files; an error there is
// shown and its fix rebuilds; a module the entry stops importing is no longer watched.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { ensureDist } from "./support/dist.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "bin", "tsbpf.js");

const ENTRY = (imp: boolean) => `import { xdp, XdpAction, type u32 } from "tsbpf/bpf";
${imp ? 'import { LIMIT, scale } from "./lib/shared.ts";' : "const LIMIT = 7;\nfunction scale(x: u32): u32 {\n  return x;\n}"}
export const prog = xdp((ctx) => {
  const x: u32 = scale(ctx.len);
  return x > LIMIT ? XdpAction.PASS : XdpAction.DROP;
});
export const LICENSE = "GPL";
`;
const SHARED = (limit: string, factor = 3) => `import type { u32 } from "tsbpf/bpf";
export const LIMIT = ${limit};
export function scale(x: u32): u32 {
  return x * ${factor};
}
`;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsbpf-watch-imports-${process.pid}-`));
  ensureDist();
}, 120_000);
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The watcher's output lines, and a way to wait for the next one that matches. */
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

describe("tsbpf build --watch with local modules", () => {
  it("rebuilds when an imported module is saved, with a cold build's bytes", async () => {
    const entry = path.join(tmp, "main.bpf.ts");
    const shared = path.join(tmp, "lib", "shared.ts");
    const out = path.join(tmp, "main.o");
    fs.mkdirSync(path.dirname(shared));
    fs.writeFileSync(shared, SHARED("5"));
    fs.writeFileSync(entry, ENTRY(true));
    const cold = () => Buffer.from(compile(entry, fs.readFileSync(entry, "utf8")).object!);
    const child = spawn(process.execPath, [BIN, "build", "--watch", entry, "-o", out], { env: { ...process.env, NO_COLOR: "1" } });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const { next, lines } = follow(child);
    try {
      await next(/^built main\.o in [\d.]+ ms/);
      const first = fs.readFileSync(out);
      expect(first.equals(cold())).toBe(true);

      // The module's constant and its function body: each save rebuilds, the object follows.
      fs.writeFileSync(shared, SHARED("9"));
      await next(/^rebuilt main\.o in [\d.]+ ms/);
      expect(fs.readFileSync(out).equals(cold())).toBe(true);
      expect(fs.readFileSync(out).equals(first)).toBe(false);
      fs.writeFileSync(shared, SHARED("9", 4));
      await next(/^rebuilt main\.o in [\d.]+ ms/);
      expect(fs.readFileSync(out).equals(cold())).toBe(true);

      // An error in the module is shown, the object left alone; the fix rebuilds.
      const before = fs.readFileSync(out);
      fs.writeFileSync(shared, SHARED("true"));
      const failed = await next(/error; no object written; watching for changes/);
      expect(failed.join("\n")).toMatch(/error TS2365|error TS2322|error TS/);
      expect(fs.readFileSync(out).equals(before)).toBe(true);
      fs.writeFileSync(shared, SHARED("11", 2));
      await next(/^rebuilt main\.o in [\d.]+ ms/);
      expect(fs.readFileSync(out).equals(cold())).toBe(true);

      // The entry stops importing it: a later save of the module rebuilds nothing.
      fs.writeFileSync(entry, ENTRY(false));
      await next(/^rebuilt main\.o in [\d.]+ ms/);
      expect(fs.readFileSync(out).equals(cold())).toBe(true);
      const mark = lines.length;
      fs.writeFileSync(shared, SHARED("12"));
      await new Promise((r) => setTimeout(r, 500));
      expect(lines.slice(mark)).toEqual([]);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 180_000);
});
