// The generated reference tables in docs/language.md (compiler/tools/docs-tables.ts): the committed
// docs must be what `npm run docs:gen` writes from the intrinsics and map-kind tables, and every
// helper row must carry what its catalogue line says (first kernel, a one-line description).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED, helperRows, helperTable, regenerate } from "../compiler/tools/docs-tables.js";
import { PROGRAM_KIND_DOCS, PROGRAM_KINDS } from "../compiler/frontend/program-kinds.js";

const ROOT = join(import.meta.dirname, "..");
const DOC = join(ROOT, "docs", "language.md");

describe("generated docs tables", () => {
  it("docs/language.md holds the current tables (run `npm run docs:gen` after changing a helper row or map kind)", () => {
    const text = readFileSync(DOC, "utf8");
    expect(regenerate(text)).toBe(text);
  });

  it("every helper row names its first kernel and has a one-line description", () => {
    const rows = helperRows();
    expect(rows.length).toBeGreaterThan(30);
    for (const [name, row] of rows) {
      expect(row.since, name).toMatch(/^\d+\.\d+$/);
      expect(row.doc, name).toBeTruthy();
      expect(row.doc, name).not.toMatch(/\n/);
    }
  });

  it("every program kind has a docs entry, and a grouped one names a documented row", () => {
    for (const name of Object.keys(PROGRAM_KINDS)) {
      const d = PROGRAM_KIND_DOCS[name];
      expect(d, name).toBeDefined();
      if ("with" in d) expect("call" in PROGRAM_KIND_DOCS[d.with], `${name} -> ${d.with}`).toBe(true);
      if ("call" in d) expect(d.call, name).toContain(`\`${name}`);
    }
    expect(Object.keys(PROGRAM_KIND_DOCS).sort()).toEqual(Object.keys(PROGRAM_KINDS).sort());
  });

  it("rewrites a stale region and refuses a file without the markers", () => {
    const text = readFileSync(DOC, "utf8");
    const stale = text.replace("| `ktimeGetNs` |", "| `ktimeGetNsOld` |");
    expect(stale).not.toBe(text);
    expect(regenerate(stale)).toBe(text);
    expect(() => regenerate("# no tables here\n")).toThrow(/no generated region 'helpers'/);
    expect(Object.keys(GENERATED)).toEqual(["helpers", "map-kinds", "program-kinds"]);
    // A pipe in a description would split the cell; it is escaped.
    expect(helperTable()).toContain("<< 32 \\| thread id");
  });

  it("`npm run docs:gen -- --check` exits 0 on the committed docs and 1 on stale ones", () => {
    const script = join(ROOT, "compiler", "tools", "docs-tables.ts");
    execFileSync(process.execPath, ["--import", "tsx", script, "--check"], { cwd: ROOT, stdio: "pipe" });
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-docs-"));
    const tmp = join(dir, "language.md");
    writeFileSync(tmp, readFileSync(DOC, "utf8").replace("| `ktimeGetNs` |", "| `x` |"));
    let status = 0;
    try {
      execFileSync(process.execPath, ["--import", "tsx", script, "--check", tmp], { cwd: ROOT, stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    rmSync(dir, { recursive: true, force: true });
    expect(status).toBe(1);
  });
});
