// The verifier-cost estimate asks the compiled IR which `if`s still branch (verifier-cost-ir.ts): a
// quoted-strings state machine, whose inner `if`s if-convert takes out, is not warned, and the same
// machine with its count also stored (a call: the pass keeps that branch) is warned and refused.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { branchSites } from "../compiler/frontend/verifier-cost-ir.js";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, costRow, showRow } from "./support/verifier-verdict.js";

const FILE = join(import.meta.dirname, "..", "bench", "natural", "quoted-strings.bpf.ts");
const SOURCE = readFileSync(FILE, "utf8");
const sized = (n: number, stored = false): string => {
  const s = SOURCE.replace(/^const N = \d+;$/m, `const N = ${n};`);
  return stored ? s.replace("        fields++;\n", "        fields++;\n        results.update(2, u64(fields));\n") : s;
};
/** The 1-based line and column of the `if` that starts with `text`. */
const at = (src: string, text: string): string => {
  const lines = src.split("\n");
  const line = lines.findIndex((l) => l.includes(text));
  return `${FILE}:${line + 1}:${lines[line]!.indexOf(text) + 1}`;
};

describe("branch facts", () => {
  it("list the `if`s that keep a branch after the passes, not the ones if-convert took out", () => {
    const src = sized(24);
    const r = compile(FILE, src);
    const kept = branchSites(r.programs[0]!.ir!)!;
    expect(kept.has(at(src, "if (state === 0)"))).toBe(true);
    expect(kept.has(at(src, "if (fields > 8) break;"))).toBe(true);
    expect(kept.has(at(src, "if (b === 34) state = 1;"))).toBe(false);
    expect(kept.has(at(src, "if (b === 92) state = 2;"))).toBe(false);
    const stored = sized(24, true);
    expect(branchSites(compile(FILE, stored).programs[0]!.ir!)!.has(at(stored, "if (b === 92) state = 2;"))).toBe(true);
  });

  it("decide the estimate: the converted machine is not warned at 24 bytes, the one that keeps its branch is", () => {
    const converted = compile(FILE, sized(24));
    expect(converted.diagnostics.map((d) => d.code)).toEqual([]);
    expect(converted.programs[0]!.verifierSteps!).toBeLessThan(10_000);
    const stored = compile(FILE, sized(24, true), { keepCostRefused: true });
    expect(stored.diagnostics.map((d) => d.code)).toEqual(["TSBPF3013"]);
  });
});

describeKernel("branch facts against the kernel", () => {
  kernelTest("the state machine loads unwarned at 8 to 64 bytes; with its count stored it is warned where the kernel refuses it", () => {
    const rows = [8, 16, 24, 64].flatMap((n) => [
      costRow(FILE, `converted, ${n} bytes`, sized(n)),
      costRow(FILE, `stored, ${n} bytes`, sized(n, true)),
    ]);
    checkCostRows(rows, "TSBPF3013");
    const byName = new Map(rows.map((r) => [r.what, r]));
    for (const n of [8, 16, 24, 64])
      expect(byName.get(`converted, ${n} bytes`)!.codes, showRow(byName.get(`converted, ${n} bytes`)!)).toEqual([]);
    expect("refused" in byName.get("stored, 24 bytes")!.verdict, showRow(byName.get("stored, 24 bytes")!)).toBe(true);
  });
});
