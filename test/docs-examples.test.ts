// docs/language.md is the user's reference: every complete program in it must compile. A ```ts
// block is a complete program when it imports from "tsbpf/bpf" and exports a program
// (`export const name = ...`, other than LICENSE). A block that demonstrates an error carries a
// `// error TSBPFnnnn` marker and must report exactly that code (and no other error).

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";

const DOC_PATH = path.resolve(import.meta.dirname, "..", "docs", "language.md");
const DOC = fs.readFileSync(DOC_PATH, "utf8");

interface Example {
  /** 1-based line of the block's first code line in language.md. */
  line: number;
  text: string;
  /** The code a `// error TSBPFnnnn` marker says the block reports. */
  expectError?: string;
}

/** The ```ts blocks of a markdown text (fences may be indented, e.g. inside list items). */
function tsBlocks(md: string): { line: number; text: string }[] {
  const lines = md.split("\n");
  const blocks: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ts\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(Math.min(indent, lines[j].search(/\S|$/))));
    blocks.push({ line: i + 2, text: body.join("\n") + "\n" });
    i = j;
  }
  return blocks;
}

function isCompleteProgram(text: string): boolean {
  return text.includes(`from "tsbpf/bpf"`) && /^export const (?!LICENSE\b)\w+\s*=/m.test(text);
}

const examples: Example[] = tsBlocks(DOC)
  .filter((b) => isCompleteProgram(b.text))
  .map((b) => {
    const markers = [...new Set([...b.text.matchAll(/\/\/ error (TSBPF\d{4})\b/g)].map((m) => m[1]))];
    if (markers.length > 1) throw new Error(`docs/language.md:${b.line}: one error marker per example, found ${markers.join(", ")}`);
    return { ...b, expectError: markers[0] };
  });

describe("docs/language.md examples", () => {
  it("has complete programs to check, including error examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(examples.some((e) => e.expectError)).toBe(true);
  });

  for (const ex of examples) {
    const title = ex.expectError ? `line ${ex.line} reports ${ex.expectError}` : `line ${ex.line} compiles`;
    it(title, () => {
      const r = compile(`docs-example-${ex.line}.bpf.ts`, ex.text, { checkIr: true });
      const errors = r.diagnostics.filter((d) => d.severity !== "warning");
      const show = errors.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`);
      if (ex.expectError) {
        expect(r.ok).toBe(false);
        expect(errors.length, "the example reports no error").toBeGreaterThan(0);
        expect([...new Set(errors.map((d) => d.code))], show.join("\n")).toEqual([ex.expectError]);
        // The marker sits on the line the diagnostic points at.
        const marked = ex.text.split("\n").flatMap((l, i) => (l.includes(`// error ${ex.expectError}`) ? [i + 1] : []));
        expect(marked, show.join("\n")).toContain(errors[0].line);
      } else {
        expect(show).toEqual([]);
        expect(r.ok).toBe(true);
        expect(r.object).toBeDefined();
      }
    });
  }
});
