// A value read from data, compared with the loop's counter, against the kernel
// (verifier-cost-splits.ts): `let len = h.a; for (…) if (i < len) …`. Each trip's comparison cuts
// len's range at i and both pieces go on, so the verifier's count grows with the square of the
// trips. Before TSBPF3019, 900 trips were refused with no warning at an estimate of 9,386.
// Every refused program must be warned; a warned one that loads must be near the limit.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, type CostRow, costRow, showRow } from "./support/verifier-verdict.js";

/** `len` from a header field (`decl`), then `n` trips of `body`. */
function split(n: number, body: string, decl = "let len: u32 = h.a;"): string {
  return `import { xdp, XdpAction, ArrayMap, u64, type u16, type u32 } from "tsbpf/bpf";
interface In { a: u16; b: u32; c: u32 }
const out = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  ${decl}
  let t: u64 = 0;
  for (let i: u32 = 0; i < ${n}; i++) { ${body} }
  out.update(0, t);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}

const row = (what: string, src: string): CostRow => costRow("splits.bpf.ts", what, src);
const check = (rows: CostRow[]): void => checkCostRows(rows, "TSBPF3019", { onlyWarning: true });

/** Each row's estimate within 0.8 to 1.25 times the kernel's count. */
function expectEstimateFollows(rows: CostRow[]): void {
  for (const r of rows) {
    const v = r.verdict as { processed: number };
    expect(r.estimate / v.processed, showRow(r)).toBeGreaterThan(0.8);
    expect(r.estimate / v.processed, showRow(r)).toBeLessThan(1.25);
  }
}

describeKernel("verifier cost: a value from data compared with the loop's counter", () => {
  kernelTest(
    "`if (i < len) t += i`: 200 and 600 trips load with no diagnostic, 900 are refused after TSBPF3019; the estimate follows the count",
    () => {
      const rows = [200, 600, 900].map((n) => row(`${n} trips`, split(n, "if (i < len) t += i;")));
      check(rows);
      // Measured on Linux 6.18: 61,058 and 543,258 processed; 800 trips 964,358 (warned); 900 refused.
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, false, true]);
      expect(rows.map((r) => r.codes)).toEqual([[], [], ["TSBPF3019"]]);
      expectEstimateFollows(rows.slice(0, 2));
    },
    300_000,
  );

  kernelTest(
    "with a map update every trip after the comparison: 200 and 300 trips load with no diagnostic, 400 are refused after TSBPF3019; the estimate follows the count",
    () => {
      const body = "if (len > i) t += i; out.update(i & 3, t);";
      const rows = [200, 300, 400].map((n) => row(`${n} trips, update`, split(n, body)));
      check(rows);
      // Measured on Linux 6.18: 284,106 and 636,309 processed (estimates 345,470 and 771,904); 400
      // refused. Before the call was counted (CALL_WALKS), 400 trips of the same loop with `n > j`
      // were estimated at 687,125 and refused with no warning.
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, false, true]);
      expect(rows.map((r) => r.codes)).toEqual([[], [], ["TSBPF3019"]]);
      expectEstimateFollows(rows.slice(0, 2));
    },
    300_000,
  );

  kernelTest(
    "against a value that moves with the counter (`off += 2` from a constant, a 16-bit word read per trip): 64, 256 and 400 trips load with no diagnostic, 700 are refused after TSBPF3019; the estimate follows the count",
    () => {
      const body = "const w = ctx.header<u16>(14 + 2 * i); if (w === null) break; if (off < len) t += w; off += 2;";
      const rows = [64, 256, 400, 700].map((n) => row(`${n} trips, off`, split(n, body, "let len: u32 = h.a;\n  let off: u32 = 14;")));
      check(rows);
      // Measured on Linux 6.18: 14,837, 231,848 and 563,984 processed; 700 refused. Before the
      // estimate took `off` for a counter: 6,165 at 256 trips and 16,821 at 700, with no warning.
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, false, false, true]);
      expect(rows.map((r) => r.codes)).toEqual([[], [], [], ["TSBPF3019"]]);
      expectEstimateFollows(rows.slice(1, 3));
    },
    300_000,
  );

  kernelTest(
    "controls at 900 trips: the loop stops at the value (`if (i >= len) break;`), the value read afresh each trip, or an exact value: no diagnostic, all load",
    () => {
      const rows = [
        row("stops at len", split(900, "if (i >= len) break; t += i;")),
        row("read afresh", split(900, "if (h.a > i) t += i;")),
        row("exact", split(900, "if (i < len) t += i;", "let len: u32 = 300;")),
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
