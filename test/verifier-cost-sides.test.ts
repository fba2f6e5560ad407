// A map call on one side of a condition on data in a long loop, against the kernel
// (verifier-cost-sides.ts). Inside a loop the verifier stores few states and drops those that keep
// missing, so the paths that skipped the call (and its key and value on the stack) walk on through
// later trips: its count grows with the square of the trips. Before TSBPF3018, 700 trips of a byte
// read and `if (b > 100) results.update(1, 1)` were refused with no warning at an estimate of 31,027.
// Every refused program must be warned; a warned one that loads must be near the limit.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, type CostRow, costRow, showRow } from "./support/verifier-verdict.js";

/** `n` trips reading a byte `b`, then `body` (which may use `b`, `h` and `n1`, a counter). */
function scan(n: number, body: string): string {
  return `import { xdp, XdpAction, ArrayMap, u64, u32, ktimeGetNs, type u8, type u16 } from "tsbpf/bpf";
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  let n1: u32 = 0;
  for (let i: u32 = 0; i < ${n}; i++) {
    const b = ctx.header<u8>(16 + i);
    if (b === null) break;
    ${body}
  }
  results.update(0, u64(n1));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}

const row = (what: string, src: string): CostRow => costRow("sides.bpf.ts", what, src);
const check = (rows: CostRow[]): void => checkCostRows(rows, "TSBPF3018", { onlyWarning: true });

describeKernel("verifier cost: a map call on one side of a condition on data in a long loop", () => {
  kernelTest(
    "`if (b > 100) results.update(1, 1)`: 300 and 480 trips load with no diagnostic, 700 are refused after TSBPF3018; a map lookup, a header field as the condition, and an unconditional ktimeGetNs() beside it do the same",
    () => {
      const update = [300, 480, 700].map((n) => row(`${n} trips, update`, scan(n, "if (b > 100) results.update(1, 1);")));
      const others = [
        row("700 trips, lookup", scan(700, "if (b > 100) { const r = results.lookup(1); if (r !== null) n1++; }")),
        row("700 trips, on a header field", scan(700, "if (h.b > 100) results.update(1, 1);")),
        // An unconditional helper that takes nothing on the stack does not help (refused).
        row("700 trips, ktimeGetNs() first", scan(700, "const t = ktimeGetNs(); if (b > 100) results.update(1, t);")),
        // The call in the else, the then empty: the same shape (refused with no warning before).
        row("700 trips, the call in the else", scan(700, "if (b <= 100) {} else { results.update(1, 1); }")),
      ];
      check([...update, ...others]);
      // Measured on Linux 6.18: 209,958 and 518,154 processed; 700 trips refused.
      expect(update.map((r) => "refused" in r.verdict)).toEqual([false, false, true]);
      expect(update.map((r) => r.codes)).toEqual([[], [], ["TSBPF3018"]]);
      for (const r of update.slice(0, 2)) {
        const v = r.verdict as { processed: number };
        expect(r.estimate / v.processed, showRow(r)).toBeGreaterThan(0.66);
        expect(r.estimate / v.processed, showRow(r)).toBeLessThan(1.5);
      }
    },
    300_000,
  );

  kernelTest(
    "controls at 700 trips: the call on both sides, on neither (count, store once after), unconditional, under a condition on the counter, with an else side, after a lookup's null check, or only a helper that takes nothing on the stack in the side: no diagnostic, all load",
    () => {
      const rows = [
        row("both sides", scan(700, "if (b > 100) results.update(1, 1); else results.update(2, 1);")),
        row("neither side", scan(700, "if (b > 100) n1++;")),
        row("unconditional", scan(700, "results.update(1, 1);")),
        row("on the counter", scan(700, "if (i > 100) results.update(1, 1);")),
        // Measured, not derived: anything on the other side, or a lookup and its null check in the
        // trip, and the count stays linear (33,687 and 37,945 processed).
        row("an else side", scan(700, "if (b > 100) results.update(1, 1); else n1++;")),
        row("a lookup first", scan(700, "const v = results.lookup(0); if (v === null) break; if (b > 100) results.update(1, v.value);")),
        // A helper that takes nothing on the stack, alone in the side: 27,015.
        row("ktimeGetNs() in the side", scan(700, "if (b > 100) { const t = ktimeGetNs(); h.c = u32(t); }")),
      ];
      check(rows);
      for (const r of rows) {
        expect(r.codes, showRow(r)).toEqual([]);
        expect("processed" in r.verdict, showRow(r)).toBe(true);
      }
    },
    300_000,
  );
});
