// The fast start of `tsbpf build`: bin/tsbpf (a shell launcher) runs node from the V8 start-up
// snapshot built by compiler/tools/build-snapshot.ts, and falls back to bin/tsbpf.js whenever the
// snapshot is missing, stale or for another node. Either way the output must be the same.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { V8_FLAGS } from "../compiler/tools/v8-flags.js";
import { ensureDist } from "./support/dist.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const FIREWALL = path.join(ROOT, "examples", "firewall", "firewall.bpf.ts");
const FROM_SNAPSHOT = "tsbpf: started from the start-up snapshot";

// The package is copied to a temporary directory first: other test files recompile dist/ in place,
// which (rightly) makes the launcher treat a snapshot in the source tree as stale.
let tmp: string;
let PKG: string;
let LAUNCHER: string;
let JS_ENTRY: string;
let BLOB: string;

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd: tmp, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", TSBPF_DEBUG: "1", ...env } });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsbpf-startup-${process.pid}-`));
  ensureDist();
  PKG = path.join(tmp, "pkg");
  for (const part of ["bin", "dist", "stdlib", "package.json"]) {
    fs.cpSync(path.join(ROOT, part), path.join(PKG, part), {
      recursive: true,
      filter: (src) => src !== path.join(ROOT, "dist", "snapshot"),
    });
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(PKG, "node_modules"));
  LAUNCHER = path.join(PKG, "bin", "tsbpf");
  JS_ENTRY = path.join(PKG, "bin", "tsbpf.js");
  BLOB = path.join(PKG, "dist", "snapshot", "tsbpf.blob");
  const out = execFileSync(process.execPath, [path.join(PKG, "dist", "compiler", "tools", "build-snapshot.js")], {
    cwd: PKG,
    encoding: "utf8",
  });
  expect(out).toMatch(/start-up snapshot: built/);
  expect(fs.existsSync(BLOB)).toBe(true);
}, 120_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("bin/tsbpf start-up snapshot", () => {
  it("builds the same object as the plain JavaScript entry, from the snapshot", () => {
    const fast = run(LAUNCHER, ["build", FIREWALL, "-o", path.join(tmp, "fast.o")]);
    expect(fast.status).toBe(0);
    expect(fast.stderr).toContain(FROM_SNAPSHOT);
    const plain = run(process.execPath, [JS_ENTRY, "build", FIREWALL, "-o", path.join(tmp, "plain.o")]);
    expect(plain.status).toBe(0);
    expect(plain.stderr).not.toContain(FROM_SNAPSHOT);
    expect(fast.stdout.replace("fast.o", "plain.o")).toBe(plain.stdout);
    expect(fs.readFileSync(path.join(tmp, "fast.o")).equals(fs.readFileSync(path.join(tmp, "plain.o")))).toBe(true);
  });

  it("passes the V8 flags the snapshot was built under (compiler/tools/v8-flags.ts), so it starts from it", () => {
    const launcher = fs.readFileSync(LAUNCHER, "utf8");
    expect(launcher).toContain(`"$node" ${V8_FLAGS.join(" ")} --snapshot-blob`);
  });

  it("reports diagnostics and exit codes like the plain entry", () => {
    const bad = path.join(tmp, "bad.bpf.ts");
    fs.writeFileSync(
      bad,
      `import { xdp, XdpAction } from "tsbpf/bpf";\nexport const p = xdp((ctx) => { const s = "no"; return XdpAction.PASS; });\n`,
    );
    const fast = run(LAUNCHER, ["build", bad]);
    const plain = run(process.execPath, [JS_ENTRY, "build", bad]);
    expect(fast.status).toBe(1);
    expect(plain.status).toBe(1);
    expect(fast.stderr.replace(FROM_SNAPSHOT + "\n", "")).toBe(plain.stderr);
    expect(run(LAUNCHER, ["build", path.join(tmp, "missing.bpf.ts")]).status).toBe(1);
  });

  it("runs other commands, and builds with TSBPF_NO_SNAPSHOT, without the snapshot", () => {
    const help = run(LAUNCHER, ["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("tsbpf build");
    const off = run(LAUNCHER, ["build", FIREWALL, "-o", path.join(tmp, "off.o")], { TSBPF_NO_SNAPSHOT: "1" });
    expect(off.status).toBe(0);
    expect(off.stderr).not.toContain(FROM_SNAPSHOT);
  });

  it("a TERM sent to the launcher alone ends the watcher it started (no orphaned node process)", async () => {
    const file = path.join(tmp, "watched.bpf.ts");
    fs.copyFileSync(FIREWALL, file);
    const child = spawn(LAUNCHER, ["build", "--watch", file, "-o", path.join(tmp, "watched.o")], {
      cwd: tmp,
      env: { ...process.env, NO_COLOR: "1", TSBPF_DEBUG: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    for (let i = 0; i < 300 && !out.includes("watching"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain("watching");
    // The launcher's children: the node process running the watcher from the snapshot.
    const kids = () =>
      fs
        .readdirSync("/proc")
        .filter((d) => /^\d+$/.test(d))
        .filter((d) => {
          try {
            return fs.readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(child.pid);
          } catch {
            return false;
          }
        });
    const node = kids();
    expect(node).toHaveLength(1);
    child.kill("SIGTERM");
    await exited; // the watcher ends cleanly on TERM; the launcher passes its status on
    for (let i = 0; i < 50 && fs.existsSync(`/proc/${node[0]}`); i++) await new Promise((r) => setTimeout(r, 20));
    expect(fs.existsSync(`/proc/${node[0]}`)).toBe(false);
  }, 60_000);

  it("falls back to the plain entry when the snapshot is older than dist/ or was built by another node", () => {
    const cli = path.join(PKG, "dist", "compiler", "tools", "cli.js");
    const blobTime = fs.statSync(BLOB).mtime;
    const sidecar = fs.readFileSync(`${BLOB}.node`, "utf8");
    try {
      fs.utimesSync(cli, new Date(), new Date(blobTime.getTime() + 5000));
      const stale = run(LAUNCHER, ["build", FIREWALL, "-o", path.join(tmp, "stale.o")]);
      expect(stale.status).toBe(0);
      expect(stale.stderr).not.toContain(FROM_SNAPSHOT);
      // Not silently: the launcher says why this build is slower.
      expect(stale.stderr).toContain("start-up snapshot is older than dist/");
      fs.utimesSync(cli, new Date(), new Date(blobTime.getTime() - 5000));
      fs.writeFileSync(`${BLOB}.node`, "/nonexistent/node\n");
      const other = run(LAUNCHER, ["build", FIREWALL, "-o", path.join(tmp, "other.o")]);
      expect(other.status).toBe(0);
      expect(other.stderr).not.toContain(FROM_SNAPSHOT);
      expect(fs.readFileSync(path.join(tmp, "other.o")).equals(fs.readFileSync(path.join(tmp, "stale.o")))).toBe(true);
    } finally {
      fs.writeFileSync(`${BLOB}.node`, sidecar);
      fs.utimesSync(cli, new Date(), new Date(blobTime.getTime() - 5000));
    }
  });
});
