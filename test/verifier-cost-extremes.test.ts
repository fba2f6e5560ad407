// A strict running maximum or minimum of packet bytes, against the kernel (verifier-cost-extremes.ts,
// TSBPF3022): past 256 trips a path that updated the extreme at every trip has it at the end of the
// byte's range, and the verifier's count grows with the square of the trips past 256. With `>=` the
// extreme is the same and nothing grows. Alone in its `if` (`if (b > mx) mx = b;`) the if-convert
// pass computes it without a branch and nothing grows either; beside a count of the rises
// (`{ mx = b; ups++; }`, a count only stored) the branch stays. Used as an index after the loop it
// is needed exactly at every exit, and the count grows long before the type's end.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, costRow, refusedRows } from "./support/verifier-verdict.js";

/**
 * The largest (or smallest) of the first n payload bytes, compared with `op`; with `ups`, the rises
 * counted beside it; with `index`, also used as an index after the loop.
 */
const extreme = (
  n: number,
  op: ">" | "<" | ">=",
  ups: boolean,
  index = false,
): string => `import { xdp, XdpAction, ArrayMap, u64, type u8, type u32, type FixedArray } from "tsbpf/bpf";
const results = new ArrayMap<u64>(2);
interface T { v: FixedArray<u64, 256> }
const tables = new ArrayMap<T>(1);
export const p = xdp((ctx) => {
  let e: u32 = ${op === "<" ? 255 : 0};
  let ups: u32 = 0;
  for (let i: u32 = 0; i < ${n}; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (b ${op} e) ${ups ? "{ e = b; ups++; }" : "e = b;"}
  }
  results.update(0, u64(e));
  results.update(1, u64(ups));${index ? "\n  const t = tables.lookup(0);\n  if (t !== null) t.v[e & 255] += 1;" : ""}
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

describeKernel("verifier cost: a strict running extreme of bytes over more than 256 trips", () => {
  kernelTest(
    "maximum and minimum with a count of rises over 256, 300 and 400 bytes: 400 are refused and warned; with >= nothing grows",
    () => {
      const rows = [256, 300, 400].flatMap((n) => [
        costRow("extreme.bpf.ts", `max ${n}`, extreme(n, ">", true)),
        costRow("extreme.bpf.ts", `min ${n}`, extreme(n, "<", true)),
      ]);
      checkCostRows(rows, "TSBPF3022");
      // Measured on Linux 6.18: 256 trips 5,525 processed, 300 trips 422,505 (estimated at 311,510).
      expect(refusedRows(rows)).toEqual(["max 400", "min 400"]);
      for (const r of rows.filter((x) => !("refused" in x.verdict))) expect(r.codes, r.what).toEqual([]);
      const ge = costRow("extreme.bpf.ts", "max 400 with >=", extreme(400, ">=", true));
      expect(ge.codes).toEqual([]);
      expect("processed" in ge.verdict && ge.verdict.processed).toBeLessThan(20_000);
    },
    120_000,
  );

  kernelTest("alone in its if, the extreme is computed without a branch: 400 and 1,000 bytes load with no warning", () => {
    const rows = [400, 1000].flatMap((n) => [
      costRow("extreme.bpf.ts", `max ${n}`, extreme(n, ">", false)),
      costRow("extreme.bpf.ts", `min ${n}`, extreme(n, "<", false)),
    ]);
    // Measured on Linux 6.18: 400 bytes 5,217 processed (refused with the branch).
    for (const r of rows) {
      expect(r.codes, r.what).toEqual([]);
      expect("processed" in r.verdict && r.verdict.processed, r.what).toBeLessThan(50_000);
    }
  });

  kernelTest(
    "used as an index after the loop, the extreme is needed at every exit: 32 and 48 bytes load, 64 are refused and warned; with >= it stays cheap",
    () => {
      const rows = [32, 48, 64].flatMap((n) => [
        costRow("extreme.bpf.ts", `max ${n}, index`, extreme(n, ">", false, true)),
        costRow("extreme.bpf.ts", `min ${n}, index`, extreme(n, "<", false, true)),
      ]);
      checkCostRows(rows, "TSBPF3022");
      // Measured on Linux 6.18: 42,830 and 223,279 processed (56 bytes: 469,177); 64 refused.
      expect(refusedRows(rows)).toEqual(["max 64, index", "min 64, index"]);
      const ge = costRow("extreme.bpf.ts", "max 64, index, with >=", extreme(64, ">=", false, true));
      expect(ge.codes).toEqual([]);
      expect("processed" in ge.verdict && ge.verdict.processed).toBeLessThan(20_000);
    },
  );
});
