// A loop that sets variables from one another under a condition on data (a binary search), against
// the kernel (verifier-cost-halving.ts, TSBPF3013). They start at constants and every write
// computes from constants and each other, so the verifier knows them exactly on every path, a map
// key keeps the paths apart, and each trip doubles them. Here a count of the right turns beside
// `lo` keeps the branch; a lone `lo = mid + 1` / `hi = mid` is computed without it by if-convert,
// and is cheap. Control: the same halving on the counter's bits (every compare decided: one path).
// Every program the kernel refuses must get the warning; one that loads gets it only near the limit.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, costRow, refusedRows, showRow } from "./support/verifier-verdict.js";

/** A binary search of a sorted array map of 2^`trips` ports; `cond` picks the half; `rights` counts the right turns. */
const search = (
  trips: number,
  rights: boolean,
  cond = "v.value < port",
) => `import { xdp, XdpAction, ArrayMap, u64, u32, u16 } from "tsbpf/bpf";
const sorted = new ArrayMap<u32>(${2 ** trips});
const results = new ArrayMap<u64>(4);
interface Ports { src: u16; dst: u16 }
export const p = xdp((ctx) => {
  const t = ctx.header<Ports>(34);
  if (t === null) return XdpAction.PASS;
  const port = u32(t.dst);
  let lo: u32 = 0;
  let hi: u32 = ${2 ** trips};
  let rights: u32 = 0;
  for (let i: u32 = 0; i < ${trips}; i++) {
    if (lo >= hi) break;
    const mid = (lo + hi) >> 1;
    const v = sorted.lookup(mid);
    if (v === null) break;
    if (v.value === port) { results.update(0, u64(mid)); return XdpAction.DROP; }
    if (${cond}) ${rights ? "{ lo = mid + 1; rights++; }" : "lo = mid + 1;"}
    else hi = mid;
  }
  results.update(1, u64(rights));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

describeKernel("verifier cost: halvings", () => {
  kernelTest(
    "a binary search of 2^17 ports counting its right turns is warned (TSBPF3013) and refused; 2^9 and 2^13 load with no warning; halving on the counter's bits loads with none",
    () => {
      const rows = [
        ...[9, 13, 17].map((n) => costRow("search.bpf.ts", `${n} trips`, search(n, true))),
        costRow("search.bpf.ts", "17 trips on the counter", search(17, true, "(i & 1) === 1")),
      ];
      checkCostRows(rows, "TSBPF3013");
      // Measured on Linux 6.18: 11,100 and 176,237 processed, then refused; on the counter, one path.
      expect(refusedRows(rows)).toEqual(["17 trips"]);
      expect(rows[3]!.codes).toEqual([]);
    },
  );

  kernelTest("a lone binary search is computed without a branch: 2^17 and 2^20 ports load with no warning", () => {
    // Measured on Linux 6.18: 647 and 755 processed (2^17 was refused with the branch).
    for (const n of [17, 20]) {
      const r = costRow("search.bpf.ts", `${n} trips, lone`, search(n, false));
      expect(r.codes, showRow(r)).toEqual([]);
      expect("processed" in r.verdict && r.verdict.processed, showRow(r)).toBeLessThan(20_000);
    }
  });
});
