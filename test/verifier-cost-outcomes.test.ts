// Values that are one of several, against the kernel (verifier-cost-outcomes.ts, TSBPF3025): a
// base64 decoder calls a 6-result function four times per 4-byte group and compares the OR of the
// results, so the code after the calls is walked once per combination (6^4 per group). The same
// decoder with three calls, and with a lookup table instead of the function, are the controls.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, costRow, showRow } from "./support/verifier-verdict.js";

const FILE = join(import.meta.dirname, "..", "bench", "natural", "base64-decode.bpf.ts");
const SOURCE = readFileSync(FILE, "utf8");
const groups = (n: number, src = SOURCE): string => src.replace(/^const N = \d+;$/m, `const N = ${n};`);
/** The decoder with its fourth call replaced by the byte itself. */
const threeCalls = (n: number): string => groups(n).replace("const d = sextet(q.d);", "const d: u32 = q.d;");

/** The decoder with a 256-entry table in place of the function. */
function table(n: number): string {
  const entries = Array.from({ length: 256 }, (_, c) =>
    c >= 65 && c <= 90 ? c - 65 : c >= 97 && c <= 122 ? c - 71 : c >= 48 && c <= 57 ? c + 4 : c === 43 ? 62 : c === 47 ? 63 : 64,
  );
  return groups(n)
    .replace(/function sextet[\s\S]*?\n}\n/, `const SEXTET: FixedArray<u8, 256> = [${entries.join(", ")}];\n`)
    .replace(' } from "tsbpf/bpf";', ', type FixedArray } from "tsbpf/bpf";')
    .replace(/sextet\((q\.\w)\)/g, "u32(SEXTET[$1])");
}

describeKernel("verifier cost: values that are one of several results", () => {
  kernelTest(
    "a base64 decoder: 4 and 8 groups load with no diagnostic, 18 and 64 are refused after TSBPF3025; three calls per group and a lookup table load at 64 groups with none",
    () => {
      const rows = [
        ...[4, 8, 18, 64].map((n) => costRow(FILE, `${n} groups`, groups(n))),
        costRow(FILE, "three calls, 64 groups", threeCalls(64)),
        costRow(FILE, "a table, 64 groups", table(64)),
        costRow(FILE, "a table, 256 groups", table(256)),
      ];
      checkCostRows(rows, "TSBPF3025");
      const byName = new Map(rows.map((r) => [r.what, r]));
      // Measured on Linux 6.18: 103,063 and 290,874 processed; 18 and 64 groups refused (64 groups
      // were estimated at 7,770 with no warning before); three calls 360,504; the table 2,779 and 11,035.
      for (const n of [18, 64])
        expect(byName.get(`${n} groups`)!.verdict, showRow(byName.get(`${n} groups`)!)).toEqual({ refused: "BPF program is too large" });
      for (const what of ["4 groups", "8 groups", "three calls, 64 groups", "a table, 64 groups", "a table, 256 groups"]) {
        const r = byName.get(what)!;
        expect(r.codes, showRow(r)).toEqual([]);
        expect("processed" in r.verdict, showRow(r)).toBe(true);
      }
      expect((byName.get("a table, 256 groups")!.verdict as { processed: number }).processed).toBeLessThan(50_000);
    },
    300_000,
  );
});
