// A loop that moves a variable by a constant on every trip and orders it against a constant, against
// the kernel (verifier-cost-steps.ts, TSBPF3024). Each trip's comparison cuts the variable's range
// in two and the step moves the next cut; once a piece holds one value the comparisons on it are
// decided, the verifier tracks the variable exactly and keeps the pieces apart, so the count grows
// with the square of the trips. Controls: a start at one value, a comparison that leaves the loop.
// Every program the kernel refuses must get the warning; one that loads gets it only near the limit.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, type CostRow as Row, costRow, refusedRows } from "./support/verifier-verdict.js";

/**
 * `trips` packet bytes, one per trip; `v` starts at `start`, is stepped by `++v` and compared with
 * `if (${cmp}) t += 3;` (or, with `leave`, `if (${cmp}) break;`); `offset`: v is also in the packet
 * offset (`(v & 31) + 8 + k`).
 */
function stepped(trips: number, o: { start: string; type: string; cmp: string; offset?: boolean; leave?: boolean }): string {
  return `import { xdp, XdpAction, ArrayMap, u64, i64, type u8, type u32 } from "tsbpf/bpf";
interface In { a: u32; b: u32 }
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  let v: ${o.type} = ${o.start};
  let t: u64 = 0;
  for (let k: u32 = 0; k < ${trips}; k++) {
    const b = ctx.header<u8>(${o.offset ? "(v & 31) + 8 + k" : "8 + k"});
    if (b === null) break;
    if (${o.cmp}) ${o.leave ? "break" : "t += 3"};
    ++v;
  }
  results.update(1, t);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}

const row = (what: string, src: string): Row => costRow("stepped.bpf.ts", what, src);
const I64 = { start: "i64(h.a) - 1000", type: "i64", cmp: "v >= 0" };

describeKernel("verifier cost: a value stepped by a constant and compared with one", () => {
  kernelTest(
    "an i64 from a field, in the packet offset or not, and a u32 field at its whole range: 128 and 256 trips load with no diagnostic, 400 are refused or near the limit, and warned when refused",
    () => {
      const rows = [128, 256, 400].flatMap((n) => [
        row(`${n} trips, in the offset`, stepped(n, { ...I64, offset: true })),
        row(`${n} trips, not in the offset`, stepped(n, I64)),
        row(`${n} trips, a u32 field`, stepped(n, { start: "h.a", type: "u32", cmp: "v >= 100", offset: true })),
      ]);
      checkCostRows(rows, "TSBPF3024");
      // Measured on Linux 6.18: in the offset 116,119, 461,591, refused; not in it 66,708, 264,468,
      // 643,620; the u32 field 175,414, 486,646, refused. Estimated before TSBPF3024 at 3,033 to 12,157.
      expect(refusedRows(rows)).toEqual(["400 trips, in the offset", "400 trips, a u32 field"]);
      for (const r of rows.slice(0, 6)) expect(r.codes, r.what).toEqual([]);
    },
    300_000,
  );

  kernelTest(
    "controls: a start at one value (the comparisons are decided) and a comparison that leaves the loop: 400 trips load cheaply with no diagnostic",
    () => {
      const rows = [
        row("a constant start", stepped(400, { ...I64, start: "-1000", offset: true })),
        row("a comparison that breaks", stepped(400, { ...I64, offset: true, leave: true })),
      ];
      // Measured: 5,222 and 7,623 processed.
      for (const r of rows) {
        expect(r.codes, r.what).toEqual([]);
        expect("processed" in r.verdict && r.verdict.processed, r.what).toBeLessThan(20_000);
      }
    },
    120_000,
  );
});
