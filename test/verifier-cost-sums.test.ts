// Running sums against the kernel (verifier-cost-sums.ts): a packet loop that adds the byte or word
// it reads to `acc` and compares `acc` with a constant. Each trip's comparison leaves the sum in
// ranges the next trips do not reach again, so the verifier's states grow with the trip and its
// count with the square (or, for an unsigned sum stepped down, the cube) of the trips. Before
// TSBPF3017 these were refused with no warning at estimates of 4,456 to 21,284.
// Every refused program must be warned; a warned one that loads must be near the limit.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, type CostRow, costRow, showRow } from "./support/verifier-verdict.js";

/** `n` trips of `acc OP b` (`b` a `step` read from the packet), then `if (CMP) SIDE`. */
function sum(n: number, acc: string, step: string, op: string, cmp: string, side = "results.update(1, 1);"): string {
  return `import { xdp, XdpAction, ArrayMap, u64, type u8, type u16, type u32 } from "tsbpf/bpf";
interface In { a: u16; b: u32; c: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  let acc: ${acc} = h.a;
  for (let i: u32 = 0; i < ${n}; i++) {
    const b = ctx.header<${step}>(16 + i);
    if (b === null) break;
    acc ${op} b;
    if (${cmp}) ${side}
  }
  results.update(0, u64(acc));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}

const row = (what: string, src: string): CostRow => costRow("sums.bpf.ts", what, src);
const check = (rows: CostRow[]): void => checkCostRows(rows, "TSBPF3017", { onlyWarning: true });

describeKernel("verifier cost: running sums compared with a constant in a packet loop", () => {
  kernelTest(
    "a u32 sum of bytes against 1000: 200 and 400 trips load with no diagnostic, 480 are refused after TSBPF3017",
    () => {
      const rows = [200, 400, 480].map((n) => row(`${n} trips`, sum(n, "u32", "u8", "+=", "acc > 1000")));
      check(rows);
      // Measured on Linux 6.18: 225,240 and 828,240 processed; 480 trips refused.
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, false, true]);
      expect(rows.map((r) => r.codes)).toEqual([[], [], ["TSBPF3017"]]);
      // The estimate follows the square of the trips: within a third of the count where it loads.
      for (const r of rows.slice(0, 2)) {
        const v = r.verdict as { processed: number };
        expect(r.estimate / v.processed, showRow(r)).toBeGreaterThan(0.66);
        expect(r.estimate / v.processed, showRow(r)).toBeLessThan(1.5);
      }
    },
    300_000,
  );

  kernelTest(
    "an unsigned sum stepped down (u64 -= u32) against 0x8b grows with the cube: 64 trips load, 100 are refused after TSBPF3017, also with no helper call in the comparison's side",
    () => {
      const rows = [
        row("64 trips", sum(64, "u64", "u32", "-=", "acc < 0x8b")),
        row("100 trips", sum(100, "u64", "u32", "-=", "acc < 0x8b")),
        row("100 trips, a packet store on the side", sum(100, "u64", "u32", "-=", "acc < 0x8b", "h.c++;")),
      ];
      check(rows);
      // Measured: 246,726 processed at 64 trips; 751,482 at 90.
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, true, true]);
      expect(rows[0]!.codes).toEqual([]);
    },
    300_000,
  );

  kernelTest(
    "against the loop's counter (`acc > i`): 40 trips load with no diagnostic, 50 are refused after TSBPF3017; unsigned `acc -= b` with `acc < i` as with a constant: 64 trips load, 100 are refused after TSBPF3017",
    () => {
      const rows = [
        row("acc > i, 40 trips", sum(40, "u32", "u8", "+=", "acc > i", "h.c++;")),
        row("acc > i, 50 trips", sum(50, "u32", "u8", "+=", "acc > i", "h.c++;")),
        row("acc < i, 64 trips", sum(64, "u64", "u32", "-=", "acc < i", "h.c++;")),
        row("acc < i, 100 trips", sum(100, "u64", "u32", "-=", "acc < i", "h.c++;")),
      ];
      check(rows);
      // Measured on Linux 6.18: 240,725 and 263,249 processed where they load (erratic for `acc >
      // i`: 25 trips 18,526, 30 trips 204,475).
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, true, false, true]);
      expect(rows.map((r) => r.codes)).toEqual([[], ["TSBPF3017"], [], ["TSBPF3017"]]);
    },
    300_000,
  );

  kernelTest(
    "controls: the comparison after the loop, a step as wide as the sum (u32 += u32: unknown at once), or a comparison that ends the loop, add nothing: no diagnostic, all load",
    () => {
      const after = sum(480, "u32", "u8", "+=", "false", "results.update(1, 1);").replace(
        "results.update(0, u64(acc));",
        "if (acc > 1000) results.update(1, 1);\n  results.update(0, u64(acc));",
      );
      const rows = [
        row("480 trips, compared after the loop", after),
        row("480 trips, u32 += u32, the comparison's side a packet store", sum(480, "u32", "u32", "+=", "acc > 1000", "h.c++;")),
        // One side leaves the loop: one range goes on (4,342 processed).
        row("480 trips, the loop stops when the sum passes 1000", sum(480, "u32", "u8", "+=", "acc > 1000", "break;")),
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
