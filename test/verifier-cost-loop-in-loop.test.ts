// A loop() call inside a loop the verifier walks trip by trip (TSBPF3027). Once the verifier has
// walked the call's body to where its state repeats, the kernel (6.16 on) counts that loop's
// liveness marks incomplete until every path through it is done, and compares its states by
// every value they hold: a branch that leaves a running value different on its two sides stops
// merging. The estimate does not model how far that goes (it swings with the order of the walk);
// the warning says where it can happen.

import { expect } from "vitest";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { costRow, showRow } from "./support/verifier-verdict.js";

/** A packet loop of `trips` trips with one `if` on the byte; `call`: where a loop() call goes. */
const program = (
  trips: number,
  call: "top" | "after" | "none",
) => `import { xdp, XdpAction, ArrayMap, loop, u64, u32, u8, i64 } from "tsbpf/bpf";
interface St { n: u64 }
const results = new ArrayMap<u64>(4);
function body(i: u32, s: St): i64 { return 0; }
export const prog = xdp((ctx) => {
  const s: St = { n: 0 };
  let acc: u32 = 0;
  for (let k: u32 = 0; k < ${trips}; k++) {
    ${call === "top" ? "loop(4, body, s);" : ""}
    const p = ctx.header<u8>(k);
    if (p === null) break;
    const b: u32 = p;
    if (b > 20) { acc += b; } else { acc ^= 1; }
  }
  ${call === "after" ? "loop(4, body, s);" : ""}
  results.update(0, acc);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

const processed = (v: { processed: number } | { refused: string }): number => ("processed" in v ? v.processed : Infinity);

describeKernel("verifier cost: a loop() call inside a loop walked trip by trip (TSBPF3027)", () => {
  kernelTest("the call in each of 16 trips multiplies the loop's states, and is warned", () => {
    const row = costRow("loop-in-loop.bpf.ts", "loop(4) at the top of each of 16 trips", program(16, "top"));
    expect(row.codes, showRow(row)).toEqual(["TSBPF3027"]);
    // Measured on Linux 6.18: 683,078 processed; 514 without the call.
    expect(processed(row.verdict), showRow(row)).toBeGreaterThan(100_000);
    const none = costRow("loop-in-loop.bpf.ts", "no call", program(16, "none"));
    expect(none.codes, showRow(none)).toEqual([]);
    expect(processed(none.verdict), showRow(none)).toBeLessThan(2_000);
  });

  kernelTest("from 14 trips: the call in each of 14 trips is warned, 13 are not", () => {
    // Differential seed 20261353 had loop() calls inside 14 and 15 trips (with map calls and packet
    // reads) refused with no warning when the warning started at 16.
    const row = costRow("loop-in-loop.bpf.ts", "loop(4) at the top of each of 14 trips", program(14, "top"));
    expect(row.codes, showRow(row)).toEqual(["TSBPF3027"]);
    // Measured on Linux 6.18: 13,908 processed, 50 times the 16 trips' count without the call.
    expect(processed(row.verdict), showRow(row)).toBeGreaterThan(5_000);
    const below = costRow("loop-in-loop.bpf.ts", "loop(4) at the top of each of 13 trips", program(13, "top"));
    expect(below.codes, showRow(below)).toEqual([]);
  });

  kernelTest("the same call after the loop, or in a loop of 4 trips, is neither costly nor warned", () => {
    const after = costRow("loop-in-loop.bpf.ts", "loop(4) after the 16 trips", program(16, "after"));
    expect(after.codes, showRow(after)).toEqual([]);
    expect(processed(after.verdict), showRow(after)).toBeLessThan(2_000);
    const short = costRow("loop-in-loop.bpf.ts", "loop(4) at the top of each of 4 trips", program(4, "top"));
    expect(short.codes, showRow(short)).toEqual([]);
    expect(processed(short.verdict), showRow(short)).toBeLessThan(2_000);
  });
});
