// Forked ceilings against the kernel (verifier-cost-forks.ts): a loop reading the packet at its
// counter, calling a helper, and forking on data into a side that stops at a constant bound of the
// counter and a side that stops on data. Differential seed 20261349 had one (a 39-trip loop breaking
// on `k4 >= i16(acc3 <= p.u64b ? 0x4f : b5)`) refused with no warning at an estimate of 17,631. The
// kernel's count for the shape jumps between neighbouring bounds: TSBPF3028 says so, with no estimate.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { type CostRow, costRow, showRow } from "./support/verifier-verdict.js";

/** 33 trips over the packet; `fork` is the fork (it may use `k`, `b`, `acc`, `p` and the bound `C`). */
function forked(bound: number, fork: string, call = "results.update(3, 5);"): string {
  return `import { xdp, XdpAction, ArrayMap, i16, u16, u64, type i32, type i64 } from "tsbpf/bpf";
interface In { x: u64; y: u64; z: u16 }
const results = new ArrayMap<u64>(8);
const C = ${bound};
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  const q: In = h;
  let acc: i64 = u16(0x8f % q.z);
  for (let k: i32 = 2; k < 134; k += 4) {
    const b = ctx.header<u16>(66 + k);
    if (b === null) break;
    ${fork}
    acc ^= b;
    ${call}
  }
  results.update(4, u64(acc));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}

const IF_ELSE = "if (acc <= q.y) { if (k >= C) break; } else if (b > 300) break;";
const ROW = (what: string, src: string): CostRow => costRow("forks.bpf.ts", what, src);

describeKernel("verifier cost: a loop forking on data into a side that stops at a bound of its counter and one that stops on data", () => {
  kernelTest(
    "`if (acc <= q.y) { if (k >= C) break; } else if (b > 300) break;` with a map update, 33 trips: the bound past 10, 14 and 20 trips warns TSBPF3028 (93,954 processed, then refused twice); past 1, 22 and all trips, no diagnostic",
    () => {
      const rows = [39, 55, 79].map((c) => ROW(`bound ${c}`, forked(c, IF_ELSE)));
      const quiet = [7, 87, 135].map((c) => ROW(`bound ${c}`, forked(c, IF_ELSE)));
      // Measured on Linux 6.18: 93,954 processed; refused; refused. And 1,058, 2,090 and 2,496.
      expect(rows.map((r) => ("refused" in r.verdict ? "refused" : "loaded"))).toEqual(["loaded", "refused", "refused"]);
      for (const r of rows) expect(r.codes, showRow(r)).toEqual(["TSBPF3028"]);
      for (const r of quiet) {
        expect(r.codes, showRow(r)).toEqual([]);
        expect("processed" in r.verdict && r.verdict.processed, showRow(r)).toBeLessThan(5_000);
      }
    },
    300_000,
  );

  kernelTest(
    "the bound in a `?:` (`if (k >= i16(acc <= q.y ? C : b)) break;`): refused past 19 of 33 trips, after TSBPF3028",
    () => {
      const r = ROW("?: bound 75", forked(75, "if (k >= i16((acc <= q.y) ? C : b)) break;"));
      expect(r.verdict, showRow(r)).toEqual({ refused: "BPF program is too large" });
      expect(r.codes, showRow(r)).toEqual(["TSBPF3028"]);
    },
    120_000,
  );

  kernelTest(
    "controls at a refused bound: no helper call in the loop (only the update after it), or only one side stopping (no `else`, an `else` that goes on, or a side that goes on where the bound was): no diagnostic, all load under 5,000",
    () => {
      const rows = [
        ROW("no call", forked(55, IF_ELSE, "")),
        ROW("one side", forked(55, "if (acc <= q.y) { if (k >= C) break; }")),
        ROW("an else that goes on", forked(55, "if (acc <= q.y) { if (k >= C) break; } else { acc += 1; }")),
        ROW("the other side bounded", forked(55, "if (acc <= q.y) { acc += C; } else if (b > 300) break;")),
      ];
      for (const r of rows) {
        expect(r.codes, showRow(r)).toEqual([]);
        expect("processed" in r.verdict && r.verdict.processed, showRow(r)).toBeLessThan(5_000);
      }
    },
    120_000,
  );
});
