// Supply chain and shell hygiene: no source runs a program through a shell string, and the npm
// package ships only what users need (no tests, fixtures, scratch files or secrets).

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** Lines that would hand a string to a shell. */
const SHELL = [
  /shell\s*:\s*true/,
  /\bexecSync\s*\(/,
  /\bimport\s*\{[^}]*\bexec\b[^}]*\}\s*from\s*["'](node:)?child_process["']/,
  /child_process["']\)\.exec\b/,
  /["'](ba)?sh["']\s*,\s*\[?\s*["']-c["']/,
];

/** Known, reviewed exceptions: bash's /dev/tcp and /dev/udp are the probes; the arguments are test constants. */
const ALLOWED = new Set(["test/examples-user.test.ts"]);

describe("supply chain", () => {
  it("no source runs a program through a shell string", () => {
    const offenders: string[] = [];
    for (const dir of ["compiler", "runtime", "common", "bench", "bin", "test", "examples"]) {
      for (const f of sources(dir)) {
        if (f === "test/supply-chain.test.ts") continue;
        const text = fs.readFileSync(path.join(ROOT, f), "utf8");
        text.split("\n").forEach((line, i) => {
          if (SHELL.some((re) => re.test(line)) && !ALLOWED.has(f)) offenders.push(`${f}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the npm package ships only bin, dist, stdlib, docs, the init template, the editor plugin and the README (no tests, data or secrets)", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files.length).toBeGreaterThan(10);
    const unexpected = files.filter(
      (p) => !/^(bin|dist|stdlib|docs|templates\/init|ts-plugin)\//.test(p) && !/^(README\.md|package\.json|LICENSE)$/.test(p),
    );
    expect(unexpected).toEqual([]);
    // templates/init/test/ is the new project's own test (tsbpf init), not ours.
    const suspicious = files.filter(
      (p) =>
        !p.startsWith("templates/init/test/") &&
        /(^|\/)(test|tests|fixtures|\.tmp|bench)\/|\.(o|pem|key|p12|env)$|\.npmrc|id_rsa|secret|credential/i.test(p),
    );
    expect(suspicious).toEqual([]);
  }, 120_000);
});
