// No import cycles in the compiler and common/ (type-only imports count too): Biome's
// noImportCycles rule, as biome.json configures it, over those folders. A second case builds a
// two-file type-only cycle in a scratch folder to show the rule, so configured, does catch one.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const biome = join(root, "node_modules", ".bin", "biome");
const tmp = mkdtempSync(join(tmpdir(), `tsbpf-cycles-${process.pid}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface BiomeDiagnostic {
  category: string;
  message: string;
  location?: { path?: string; start?: { line: number } };
}

/** Runs the cycle rule on `dirs` (relative to `cwd`, whose biome.json applies). */
function cycles(cwd: string, dirs: string[]): BiomeDiagnostic[] {
  const r = spawnSync(biome, ["lint", ...dirs, "--only=suspicious/noImportCycles", "--reporter=json", "--max-diagnostics=none"], {
    cwd,
    encoding: "utf8",
  });
  if (r.error) throw r.error;
  const json = r.stdout.slice(r.stdout.indexOf("{"));
  const out = JSON.parse(json) as { diagnostics: BiomeDiagnostic[] };
  return out.diagnostics.filter((d) => d.category === "lint/suspicious/noImportCycles");
}

describe("import cycles", () => {
  it("compiler/, common/, runtime/ and testing/ have none", () => {
    const found = cycles(root, ["compiler", "common", "runtime", "testing"]).map((d) => `${d.location?.path}:${d.location?.start?.line}`);
    expect(found).toEqual([]);
  });

  it("the rule as configured reports a type-only cycle", () => {
    copyFileSync(join(root, "biome.json"), join(tmp, "biome.json"));
    mkdirSync(join(tmp, "compiler"));
    writeFileSync(join(tmp, "compiler", "a.ts"), 'import type { B } from "./b.js";\nexport interface A { b?: B }\n');
    writeFileSync(join(tmp, "compiler", "b.ts"), 'import type { A } from "./a.js";\nexport interface B { a?: A }\n');
    const found = cycles(tmp, ["compiler"]).map((d) => d.location?.path);
    expect(found.sort()).toEqual(["compiler/a.ts", "compiler/b.ts"]);
  });
});
