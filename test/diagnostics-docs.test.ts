// docs/language.md is the user's reference: it must list every diagnostic code the compiler has,
// with the table's message, in its diagnostics table.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DIAGNOSTICS } from "../compiler/diagnostics-table.js";

const DOC = fs.readFileSync(path.resolve(import.meta.dirname, "..", "docs", "language.md"), "utf8");

/** Rows of the diagnostics table: code -> [message, how to fix]. */
function tableRows(): Map<string, [string, string]> {
  const rows = new Map<string, [string, string]>();
  for (const line of DOC.split("\n")) {
    const m = /^\| (TSBPF\d{4}) \| (.*) \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1], [m[2].replace(/\\\|/g, "|"), m[3]]);
  }
  return rows;
}

describe("docs/language.md", () => {
  const codes = Object.keys(DIAGNOSTICS) as (keyof typeof DIAGNOSTICS)[];

  it("mentions every diagnostic code", () => {
    const missing = codes.filter((c) => !DOC.includes(c));
    expect(missing).toEqual([]);
  });

  it("has a table row for every code, with the table's message and a fix", () => {
    const rows = tableRows();
    for (const c of codes) {
      const row = rows.get(c);
      expect(row, `no table row for ${c}`).toBeDefined();
      expect(row![0], c).toBe(DIAGNOSTICS[c].message);
      expect(row![1].trim().length, `${c} has no fix`).toBeGreaterThan(10);
    }
  });

  it("documents no code the compiler does not have", () => {
    const known = new Set<string>(codes);
    const stale = [...new Set(DOC.match(/TSBPF\d{4}/g) ?? [])].filter((c) => !known.has(c));
    expect(stale).toEqual([]);
  });
});
