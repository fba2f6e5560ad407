// `tsbpf init`: the files it writes, that it never overwrites silently, and end to end the way a
// user installs: `npm pack` of this repository, `npm install <tarball>` in the new project (npm's
// cache first), `npm test` there builds, generates the skeleton and runs the template's test.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDist } from "./support/dist.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "bin", "tsbpf.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsbpf-init-"));

const tsbpf = (args: string[], cwd = tmp) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

beforeAll(() => {
  ensureDist();
}, 300_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const FILES = [
  ".gitignore",
  "README.md",
  "bpf/counter.bpf.ts",
  "bpf/tsconfig.json",
  "package.json",
  "src/user.ts",
  "test/counter.test.ts",
  "tsconfig.json",
];

describe("tsbpf init", () => {
  it("writes a small project named after its directory", () => {
    const r = tsbpf(["init", "My App"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("created 8 files in My App");
    const dir = path.join(tmp, "My App");
    for (const f of FILES) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg.name).toBe("my-app");
    expect(pkg.type).toBe("module");
    expect(Object.keys(pkg.scripts)).toEqual(expect.arrayContaining(["build", "gen", "test", "check", "start"]));
    expect(pkg.dependencies.tsbpf).toBe(`^${JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version}`);
    expect(
      JSON.parse(fs.readFileSync(path.join(dir, "bpf", "tsconfig.json"), "utf8").replace(/^\s*\/\/.*$/gm, "")).compilerOptions.plugins,
    ).toEqual([{ name: "tsbpf/ts-plugin" }]);
    // The template's program compiles as it stands.
    expect(tsbpf(["check", "bpf/counter.bpf.ts"], dir).status).toBe(0);
  });

  it("never overwrites: an existing file stops it (exit 1, nothing written); --force overwrites", () => {
    const dir = path.join(tmp, "existing");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "package.json"), "{}\n");
    const r = tsbpf(["init", "existing"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("already has package.json; nothing written");
    expect(fs.readdirSync(dir)).toEqual(["package.json"]);
    expect(tsbpf(["init", "existing", "--force"]).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "package.json"), "utf8")).toContain('"tsbpf"');
  });

  it("usage errors exit 2", () => {
    expect(tsbpf(["init", "a", "b"]).status).toBe(2);
    expect(tsbpf(["init", "--bogus"]).status).toBe(2);
  });
});

describe("tsbpf init, end to end from a packed tarball", () => {
  it("npm pack; tsbpf init; npm install <tarball>; npm test passes", () => {
    const pack = path.join(tmp, "pack");
    fs.mkdirSync(pack);
    const t0 = Date.now();
    const out = execFileSync("npm", ["pack", "--pack-destination", pack, "--silent"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tarball = path.join(pack, out.trim().split("\n").pop()!);
    expect(fs.existsSync(tarball)).toBe(true);
    const dir = path.join(tmp, "e2e");
    expect(tsbpf(["init", "e2e"]).status).toBe(0);
    const t1 = Date.now();
    const npm = (args: string[]) => spawnSync("npm", args, { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    const install = npm(["install", "--prefer-offline", "--no-audit", "--no-fund", tarball]);
    expect(install.status, install.stderr).toBe(0);
    const t2 = Date.now();
    const test = npm(["test"]);
    expect(test.status, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toContain("counter.bpf.o: xdp count_packets");
    expect(test.stdout).toContain("src/counter.skel.ts: 1 map, 1 program");
    expect(test.stdout).toMatch(/Tests\s+1 (passed|skipped)/);
    const check = npm(["run", "check"]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    if (process.getuid?.() === 0) {
      // Without privileges the kernel test skips with one line saying why, and the run passes.
      for (let d = dir; d !== path.dirname(tmp); d = path.dirname(d)) fs.chmodSync(d, 0o755);
      const vitest = spawnSync(
        "setpriv",
        [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          "--inh-caps=-all",
          process.execPath,
          "node_modules/vitest/vitest.mjs",
          "run",
          "--cache=false",
        ],
        {
          cwd: dir,
          encoding: "utf8",
          env: { ...process.env, HOME: os.tmpdir(), CI: "", NO_COLOR: "1" },
        },
      );
      expect(vitest.status, vitest.stdout + vitest.stderr).toBe(0);
      expect(vitest.stdout + vitest.stderr).toMatch(/skipping kernel tests: bpf\(\) not permitted/);
      expect(vitest.stdout).toMatch(/Tests\s+1 skipped/);
    }
    console.log(`init-to-green: npm pack ${t1 - t0} ms, npm install ${t2 - t1} ms, npm test ${Date.now() - t2} ms`);
  }, 600_000);
});
