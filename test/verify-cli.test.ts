// `tsbpf build --verify` and `tsbpf check --verify` as users run them: the compiled object is loaded
// into the running kernel (nothing attached) and the verifier's verdict is reported; a refusal is an
// error at the TypeScript line the kernel stopped at and no object is written. Without bpf() the flag
// is an error that says why (run here as nobody with setpriv when the tests run as root).

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bpfAvailable } from "../runtime/index.js";
import { kernelTest } from "./kernel-env.js";
import { ensureDist } from "./support/dist.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const EXAMPLE = path.join(ROOT, "examples", "xdp-counter", "xdp-counter.bpf.ts");
/**
 * A program the compiler accepts with no cost warning and the kernel refuses ("BPF program is too
 * large"): a gap of the estimate --verify closes.
 */
const REFUSED = path.join(ROOT, "test", "fixtures", "verifier-cost", "unwarned-seed20261290-3067.bpf.ts");

let tmp: string;

function tsbpf(args: string[], bin = "tsbpf.js", prefix: string[] = []) {
  const cmd = bin === "tsbpf.js" ? [process.execPath, path.join(ROOT, "bin", bin)] : [path.join(ROOT, "bin", bin)];
  const all = [...prefix, ...cmd, ...args];
  const r = spawnSync(all[0]!, all.slice(1), { cwd: tmp, encoding: "utf8", env: { ...process.env, TSBPF_DEBUG: "", NO_COLOR: "1" } });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const objects = () => fs.readdirSync(tmp).filter((f) => f.endsWith(".o"));

beforeAll(() => {
  ensureDist();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsbpf-verify-"));
  fs.chmodSync(tmp, 0o777); // the unprivileged run below writes here
  fs.copyFileSync(EXAMPLE, path.join(tmp, "good.bpf.ts"));
  fs.copyFileSync(REFUSED, path.join(tmp, "refused.bpf.ts"));
  for (const f of fs.readdirSync(tmp)) fs.chmodSync(path.join(tmp, f), 0o644);
}, 300_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("--verify", () => {
  kernelTest("build --verify: the kernel's processed count beside each program, and the object", () => {
    for (const bin of ["tsbpf.js", "tsbpf"]) {
      const r = tsbpf(["build", "--verify", "good.bpf.ts", "-o", "good.o"], bin);
      expect(r.stderr, bin).toBe("");
      expect(r.status, bin).toBe(0);
      expect(r.stdout, bin).toMatch(
        /^good\.o: xdp \w+: \d+ instructions, \d+ bytes of stack; verified by the kernel: \d+ instructions processed, \d+ states\n$/,
      );
      expect(objects()).toEqual(["good.o"]);
      fs.rmSync(path.join(tmp, "good.o"));
    }
  });

  kernelTest(
    "build --verify: a program the kernel refuses is TSBPF2205 at the line it stopped at, and no object is written",
    () => {
      // Without --verify the compiler writes it with no diagnostic (the estimate's known gap).
      const plain = tsbpf(["build", "refused.bpf.ts", "-o", "plain.o"]);
      expect(plain.status).toBe(0);
      expect(plain.stderr).toBe("");
      fs.rmSync(path.join(tmp, "plain.o"));
      const r = tsbpf(["build", "--verify", "refused.bpf.ts", "-o", "refused.o"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^refused\.bpf\.ts:\d+:\d+ - error TSBPF2205: the kernel's verifier refused 'prog0': BPF program is too large/,
      );
      expect(r.stderr).toContain("hint: the verifier walked more than 1M instructions");
      expect(r.stderr).toContain("1 error; no object written");
      expect(objects()).toEqual([]);
    },
    120_000,
  );

  kernelTest(
    "check --verify: a line per verified program, TSBPF2205 for the refused one, exit 1",
    () => {
      const r = tsbpf(["check", "--verify", "good.bpf.ts", "refused.bpf.ts"]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^good\.bpf\.ts: \w+ verified by the kernel: \d+ instructions processed, \d+ states\n$/);
      expect(r.stderr).toContain("error TSBPF2205: the kernel's verifier refused 'prog0'");
      expect(r.stderr).toContain("1 error, 0 warnings in 2 files");
      expect(objects()).toEqual([]);
    },
    120_000,
  );

  kernelTest(
    "build --watch --verify: each build is verified; a refused rebuild is TSBPF2205 and leaves the last object",
    async () => {
      fs.copyFileSync(path.join(tmp, "good.bpf.ts"), path.join(tmp, "watched.bpf.ts"));
      const child = spawn(
        process.execPath,
        [path.join(ROOT, "bin", "tsbpf.js"), "build", "--watch", "--verify", "watched.bpf.ts", "-o", "watched.o"],
        {
          cwd: tmp,
          env: { ...process.env, NO_COLOR: "1" },
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const until = async (what: () => boolean, ms: number): Promise<void> => {
        for (const end = Date.now() + ms; !what(); ) {
          if (Date.now() > end) throw new Error(`timed out; stdout: ${stdout}\nstderr: ${stderr}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      try {
        await until(() => /built watched\.o in/.test(stdout), 60_000);
        expect(stdout).toMatch(
          /watched\.o: xdp \w+: \d+ instructions, \d+ bytes of stack; verified by the kernel: \d+ instructions processed/,
        );
        const first = fs.readFileSync(path.join(tmp, "watched.o"));
        fs.copyFileSync(path.join(tmp, "refused.bpf.ts"), path.join(tmp, "watched.bpf.ts"));
        await until(() => /no object written; watching for changes/.test(stderr), 60_000);
        expect(stderr).toContain("error TSBPF2205: the kernel's verifier refused 'prog0': BPF program is too large");
        expect(fs.readFileSync(path.join(tmp, "watched.o")).equals(first)).toBe(true);
      } finally {
        child.kill("SIGTERM");
        fs.rmSync(path.join(tmp, "watched.o"), { force: true });
      }
    },
    150_000,
  );

  it("without bpf(): --verify is an error that says why, and no object is written", () => {
    // As root, drop to nobody (no CAP_BPF); otherwise this process already has no bpf().
    const asRoot = process.getuid?.() === 0;
    if (asRoot && spawnSync("setpriv", ["--version"]).error) {
      console.warn("skipped: setpriv (util-linux) is not installed, so the test cannot drop root");
      return;
    }
    if (!asRoot && bpfAvailable().ok) return; // a non-root user with CAP_BPF: nothing to drop here
    const prefix = asRoot ? ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"] : [];
    const r = tsbpf(["build", "--verify", "good.bpf.ts", "-o", "nobody.o"], "tsbpf.js", prefix);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: --verify needs the bpf\(\) system call, and this process cannot use it: /);
    expect(objects()).toEqual([]);
  });
});
