// What the kernel verifier says of an object: its processed count, or why it refused (the verifier-cost tests).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { compile } from "../../compiler/compile.js";
import { VERIFIER_INSN_LIMIT } from "../../compiler/frontend/verifier-cost.js";
import { loadObject, VerifierError } from "../../runtime/index.js";

/** The verifier's processed count, or why it refused. */
export function verify(object: Uint8Array): { processed: number } | { refused: string } {
  try {
    const o = loadObject(object, { logLevel: 4 });
    const log = [...o.programs.values()][0]!.verifierLog;
    o.close();
    return { processed: Number(/processed (\d+) insns/.exec(log)![1]) };
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    return { refused: /BPF program is too large|The sequence of \d+ jumps is too complex/.exec(e.log)?.[0] ?? e.log.split("\n")[0]! };
  }
}

/** One program of a verifier-cost table: its diagnostics, the compiler's estimate and the kernel's verdict. */
export interface CostRow {
  what: string;
  codes: string[];
  estimate: number;
  verdict: { processed: number } | { refused: string };
}

/** Compiles `src` keeping cost refusals as warnings (so there is an object) and loads it. */
export function costRow(file: string, what: string, src: string): CostRow {
  const r = compile(file, src, { keepCostRefused: true });
  expect(r.object, `${what}: ${r.diagnostics.map((d) => d.message).join("; ")}`).toBeDefined();
  return { what, codes: r.diagnostics.map((d) => d.code), estimate: r.programs[0]!.verifierSteps!, verdict: verify(r.object!) };
}

/** Asserts the row loaded and its estimate is within `lo` to `hi` times the kernel's processed count. */
export function expectEstimateNear(r: CostRow, lo: number, hi: number): void {
  const p = "processed" in r.verdict ? r.verdict.processed : Number.NaN;
  expect(r.estimate, showRow(r)).toBeGreaterThanOrEqual(p * lo);
  expect(r.estimate, showRow(r)).toBeLessThanOrEqual(p * hi);
}

/** A row for an assertion message. */
export const showRow = (r: CostRow): string =>
  `${r.what}: estimate ${r.estimate}, ${JSON.stringify(r.verdict)}, ${r.codes.join(",") || "no diagnostic"}`;

const COST_ERRORS = new Set(["TSBPF2202", "TSBPF2203", "TSBPF2204"]);

/**
 * The verifier-cost tables' property: a program the kernel refuses for its size has `warning` (or
 * one of them); one
 * that loads has no cost error, and any diagnostic only when its count is near the limit (40%).
 * `onlyWarning`: of a program that loads, judge `warning` alone (tables whose rows may carry other
 * diagnostics).
 */
export function checkCostRows(rows: readonly CostRow[], warning: string | readonly string[], { onlyWarning = false } = {}): void {
  const warnings: readonly string[] = typeof warning === "string" ? [warning] : warning;
  for (const r of rows) {
    const what = showRow(r);
    if ("refused" in r.verdict) {
      expect(r.verdict.refused, what).toBe("BPF program is too large");
      expect(
        r.codes.some((c) => warnings.includes(c)),
        what,
      ).toBe(true);
    } else if (onlyWarning) {
      if (r.codes.some((c) => warnings.includes(c))) expect(r.verdict.processed, what).toBeGreaterThan(0.4 * VERIFIER_INSN_LIMIT);
    } else {
      expect(
        r.codes.some((c) => COST_ERRORS.has(c)),
        what,
      ).toBe(false);
      if (r.codes.length > 0) expect(r.verdict.processed, what).toBeGreaterThan(0.4 * VERIFIER_INSN_LIMIT);
    }
  }
}

/** The rows the kernel refused, by name. */
export const refusedRows = (rows: readonly CostRow[]): string[] => rows.filter((r) => "refused" in r.verdict).map((r) => r.what);

/**
 * A verifier-cost fixture (test/fixtures/verifier-cost/`name`) that the kernel refuses for its size
 * gets `code` as its only diagnostic, a warning; with each `[from, to]` of `cuts` applied to its
 * source (fewer trips) it gets no diagnostic and loads.
 */
export function checkRefusedFixture(name: string, code: string, cuts: readonly (readonly [string, string])[]): void {
  const src = readFileSync(join(import.meta.dirname, "..", "fixtures", "verifier-cost", name), "utf8");
  const r = compile(name, src);
  expect(
    r.diagnostics.map((d) => `${d.severity} ${d.code}`),
    name,
  ).toEqual([`warning ${code}`]);
  expect(verify(r.object!), name).toEqual({ refused: "BPF program is too large" });
  for (const [from, to] of cuts) {
    expect(src, name).toContain(from);
    const cut = compile(name, src.replace(from, to));
    expect(
      cut.diagnostics.map((d) => d.code),
      `${name} with ${to}`,
    ).toEqual([]);
    expect("processed" in verify(cut.object!), `${name} with ${to}`).toBe(true);
  }
}
