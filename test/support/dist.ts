// Tests that spawn bin/tsbpf or bin/tsbpf.js need dist/ compiled from the current sources. tsc
// rewrites every file of dist/ even when nothing changed, which makes the start-up snapshot look
// older than dist/ to bin/tsbpf (it then starts without it and says so); so compile only when a
// source is newer than its output, as after an edit.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..", "..");
/** tsconfig.json's include. */
const SOURCE_DIRS = ["common", "compiler", "runtime", "testing"];

function stale(dir: string): boolean {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) {
      if (stale(rel)) return true;
      continue;
    }
    if (!e.name.endsWith(".ts") || e.name.endsWith(".d.ts") || e.name.endsWith(".bpf.ts")) continue;
    const out = join(ROOT, "dist", rel.replace(/\.ts$/, ".js"));
    if (!existsSync(out) || statSync(join(ROOT, rel)).mtimeMs > statSync(out).mtimeMs) return true;
  }
  return false;
}

/** Runs tsc -p tsconfig.json when dist/ is missing or older than a source. */
export function ensureDist(): void {
  if (!SOURCE_DIRS.some(stale)) return;
  execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
    cwd: ROOT,
    stdio: "pipe",
  });
}
