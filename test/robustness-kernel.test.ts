// "If it compiles, it verifies", for verifier cost: a 64-iteration loop of n comparisons on an unknown
// value is processed by the verifier about 64 x (n+1) x body times. At n = 101 the kernel refuses it
// ("BPF program is too large. Processed 1000001 insn"); the compiler must say so first (TSBPF3010),
// and refuse outright when the estimate is far past the limit (TSBPF2202).

import { expect } from "vitest";
import { compile } from "../compiler/compile.js";
import { loadObject, VerifierError } from "../runtime/index.js";
import { describeKernel, kernelTest } from "./kernel-env.js";

function loopOfComparisons(n: number): string {
  const cmp = Array.from({ length: n }, (_, k) => `    if (a > ${k * 7}) s += ${k + 1};`).join("\n");
  return `import { xdp, XdpAction, ArrayMap, type u32, type u64 } from "tsbpf/bpf";
interface In { a: u32; b: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  const a = h.a;
  let s: u64 = 0;
  for (let i = 0; i < 64; i++) {
    s += a ^ i;
${cmp}
  }
  results.update(0, s);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}

describeKernel("verifier cost estimate", () => {
  kernelTest(
    "20 comparisons: no warning, and the kernel loads it",
    () => {
      const r = compile("cost20.bpf.ts", loopOfComparisons(20));
      expect(r.ok).toBe(true);
      expect(r.diagnostics).toEqual([]);
      loadObject(r.object!).close();
    },
    60_000,
  );

  kernelTest(
    "101 comparisons: TSBPF3010 at compile time, and the kernel indeed refuses it",
    () => {
      const r = compile("cost101.bpf.ts", loopOfComparisons(101));
      expect(r.ok).toBe(true);
      expect(r.diagnostics.map((d) => d.code)).toEqual(["TSBPF3010"]);
      expect(r.diagnostics[0].line).toBe(9); // the for loop
      expect(r.diagnostics[0].message).toMatch(/^'p' may need about [\d,]+ verifier steps; the kernel stops at 1,000,000$/);
      let err: unknown;
      try {
        loadObject(r.object!).close();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VerifierError);
      expect((err as VerifierError).log).toMatch(/BPF program is too large\. Processed 1000001 insn/);
    },
    120_000,
  );

  kernelTest(
    "straight-line branches that re-merge are never refused: 1500 copies of `if (x > 3) x--` build and load",
    () => {
      // The estimate cannot see that these states prune (the kernel processes ~5 instructions per if),
      // so it may warn; only loops are trusted enough for TSBPF2202.
      const src = `import { xdp, XdpAction, type u32 } from "tsbpf/bpf";
export const prog = xdp((ctx) => {
  let x: u32 = ctx.len;
${"  if (x > 3) { x = x - 1; }\n".repeat(1500)}  return x === 7 ? XdpAction.PASS : XdpAction.DROP;
});
export const LICENSE = "GPL";
`;
      const r = compile("ifs1500.bpf.ts", src);
      expect(r.ok).toBe(true);
      expect(r.diagnostics.every((d) => d.code === "TSBPF3010")).toBe(true);
      loadObject(r.object!).close();
    },
    120_000,
  );

  kernelTest(
    "250 comparisons: TSBPF2202, no object",
    () => {
      const r = compile("cost250.bpf.ts", loopOfComparisons(250));
      expect(r.ok).toBe(false);
      expect(r.object).toBeUndefined();
      expect(r.diagnostics.map((d) => d.code)).toEqual(["TSBPF2202"]);
    },
    60_000,
  );
});
