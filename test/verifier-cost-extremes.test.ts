// A strict running maximum or minimum of packet bytes, against the kernel (verifier-cost-extremes.ts,
// TSBPF3022): past 256 trips a path that updated the extreme at every trip has it at the end of the
// byte's range, and the verifier's count grows with the square of the trips past 256. With `>=` the
// extreme is the same and nothing grows.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkCostRows, costRow, refusedRows } from "./support/verifier-verdict.js";

/** The largest (or smallest) of the first n payload bytes, compared with `op`. */
const extreme = (n: number, op: ">" | "<" | ">="): string => `import { xdp, XdpAction, ArrayMap, u64, type u8, type u32 } from "tsbpf/bpf";
const results = new ArrayMap<u64>(1);
export const p = xdp((ctx) => {
  let e: u32 = ${op === "<" ? 255 : 0};
  for (let i: u32 = 0; i < ${n}; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    if (b ${op} e) e = b;
  }
  results.update(0, u64(e));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

describeKernel("verifier cost: a strict running extreme of bytes over more than 256 trips", () => {
  kernelTest(
    "maximum and minimum over 256, 300 and 400 bytes: 400 are refused and warned; with >= nothing grows",
    () => {
      const rows = [256, 300, 400].flatMap((n) => [
        costRow("extreme.bpf.ts", `max ${n}`, extreme(n, ">")),
        costRow("extreme.bpf.ts", `min ${n}`, extreme(n, "<")),
      ]);
      checkCostRows(rows, "TSBPF3022");
      // Measured on Linux 6.18: 256 trips 4,989 processed, 300 trips 368,053 (estimated at 296,325).
      expect(refusedRows(rows)).toEqual(["max 400", "min 400"]);
      for (const r of rows.filter((x) => !("refused" in x.verdict))) expect(r.codes, r.what).toEqual([]);
      const ge = costRow("extreme.bpf.ts", "max 400 with >=", extreme(400, ">="));
      expect(ge.codes).toEqual([]);
      expect("processed" in ge.verdict && ge.verdict.processed).toBeLessThan(20_000);
    },
    120_000,
  );
});
