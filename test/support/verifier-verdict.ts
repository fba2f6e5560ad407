// What the kernel verifier says of an object: its processed count, or why it refused (the verifier-cost tests).

import { expect } from "vitest";
import { compile } from "../../compiler/compile.js";
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

/** A row for an assertion message. */
export const showRow = (r: CostRow): string =>
  `${r.what}: estimate ${r.estimate}, ${JSON.stringify(r.verdict)}, ${r.codes.join(",") || "no diagnostic"}`;
