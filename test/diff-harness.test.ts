// The differential harness's own bookkeeping (test/support/diff-harness.ts), without the kernel.

import { expect, it } from "vitest";
import { costWarned, isCostRefusal, tscRejected } from "./support/diff-harness.js";

it("a refusal's detail says whether the compiler warned of the cost, with or without the program kind in front", () => {
  // The tracing kinds put the kind first: differential seed 20261350's warned tracepoint refusal was
  // counted as one with no warning when only "compiler warned" at the start was read.
  const refused = "verifier rejected program 'prog0' (E2BIG): BPF program is too large. Processed 1000001 insn";
  expect(costWarned(`compiler warned: TSBPF3026 79:34 'prog0' may need ...\n${refused}`)).toBe(true);
  expect(costWarned(`tracepoint: compiler warned: TSBPF3026 79:34 'prog0' may need ...\n${refused}`)).toBe(true);
  expect(costWarned(`rawTracepoint: compiler warned: TSBPF3013 ...\n${refused}`)).toBe(true);
  expect(costWarned(`no compiler warning\n${refused}`)).toBe(false);
  expect(costWarned(`tpBtf: no compiler warning\n${refused}`)).toBe(false);
  expect(isCostRefusal(refused)).toBe(true);
  expect(isCostRefusal("verifier rejected program 'prog0': R1 invalid mem access")).toBe(false);
});

it("a compile failure with only tsc's diagnostics is the generator's, with or without the program kind in front", () => {
  // Differential seed 20261351's tracing case 1843 (a comparison of literals tsc rejects) failed the
  // run: the tracing kinds' details start with the kind.
  const ts2367 =
    "TS2367 99:28 This comparison appears to be unintentional because the types '8081231477210280000' and '3' have no overlap.";
  expect(tscRejected({ kind: "compile", detail: ts2367 })).toBe(true);
  expect(tscRejected({ kind: "compile", detail: `rawTracepoint: ${ts2367}` })).toBe(true);
  expect(tscRejected({ kind: "compile", detail: `TS2322 3:1 Type '32' is not assignable\n  to type 'u8'.` })).toBe(true);
  expect(tscRejected({ kind: "compile", detail: `rawTracepoint: ${ts2367}\nTSBPF2011 4:2 the expression ...` })).toBe(false);
  expect(tscRejected({ kind: "load", detail: ts2367 })).toBe(false);
});
