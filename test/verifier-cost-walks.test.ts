// Two loop shapes the verifier-cost estimate used to warn about at every size, against the kernel:
// a UTF-8 continuation count (set to constants, counted down under `need > 0`: a few values, each
// constant forgets the path) and an IPv4 options walk bounded by the header length (a ceiling that is
// a value from data, not a constant). Both load in linear time; the options walk, with its map call
// on one side of a condition, is warned (TSBPF3018) where the kernel refuses it. And a query string's
// longest value, compared only in an `if` that if-convert replaces (its comparison decides nothing).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, costRow, showRow } from "./support/verifier-verdict.js";

const natural = (name: string) => join(import.meta.dirname, "..", "bench", "natural", `${name}.bpf.ts`);
const sized = (file: string, n: number): string => readFileSync(file, "utf8").replace(/^const N = \d+;$/m, `const N = ${n};`);

describeKernel("verifier cost: a state count and a data-bound ceiling", () => {
  kernelTest(
    "a UTF-8 check at 64 and 512 bytes, an IPv4 options walk at 40 and 400 trips and a query string at 64 and 256 bytes load with no diagnostic; the walk at 450 trips is refused after TSBPF3018",
    () => {
      const utf8 = natural("utf8-check");
      const options = natural("ipv4-options");
      const rows = [
        ...[64, 512].map((n) => costRow(utf8, `utf8 ${n} bytes`, sized(utf8, n))),
        ...[40, 400, 450].map((n) => costRow(options, `options ${n} trips`, sized(options, n))),
      ];
      const query = natural("query-params");
      rows.push(...[64, 256].map((n) => costRow(query, `query ${n} bytes`, sized(query, n))));
      checkCostRows(rows, "TSBPF3018");
      // 5,853 and 19,975 processed; warned as TSBPF3013 at 9 x 10^13 before.
      for (const r of rows.slice(5)) {
        expect(r.codes, showRow(r)).toEqual([]);
        expect("processed" in r.verdict, showRow(r)).toBe(true);
      }
      // Measured on Linux 6.18: 13,502 and 105,541; 14,616 and 791,104; 450 refused. Before, all were
      // warned as TSBPF3013 (at 10^14 and 3.7 x 10^13), and the options walk at 450 trips not at all.
      for (const r of rows.slice(0, 4)) {
        expect(r.codes, showRow(r)).toEqual([]);
        expect("processed" in r.verdict, showRow(r)).toBe(true);
      }
      expect(rows[4]!.verdict, showRow(rows[4]!)).toEqual({ refused: "BPF program is too large" });
    },
    300_000,
  );
});
