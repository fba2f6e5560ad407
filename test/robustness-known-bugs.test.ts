// Compiled programs the kernel verifier still rejects, found by `npm run fuzz:hostile` (seed 515151)
// and minimised. Each is `it.fails`: the test body asserts the correct behaviour (an object the kernel
// loads, or a compile-time diagnostic), so vitest reports it as an expected failure until the bug
// is fixed, and as a failure once it is (then drop `.fails`).
// Both below are fixed (plain `it` now: regression tests); behaviour tests are in compiles-verifies.test.ts.
//   1. loop(): a body returning a constant other than 0/1 compiles; the kernel wants R0 in [0, 1].
//   2. ctx.header<T>(variable offset) whose offset can exceed 65535 (e.g. `(ihl & 0xf) * 0x7fffffff`)
//      compiles; the bounds check passes but the verifier refuses the access ("offset is outside of
//      the packet"). The lowering should bound the offset (or reject it) first.
//   (Also seen, not minimised here: a mutant of test/lang/functions.bpf.ts hit the verifier's
//   "sequence of 8193 jumps is too complex" limit, which the cost estimate does not model.)

import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { loadObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

/** Compiles; then either a diagnostic was reported, or the kernel must accept the object. */
function compilesOnlyIfItVerifies(src: string): void {
  const r = compile("known.bpf.ts", src);
  if (!r.ok) {
    expect(r.diagnostics.some((d) => d.severity === "error")).toBe(true);
    return;
  }
  loadObject(r.object!).close();
}

describeKernel("known: compiled but refused by the verifier", () => {
  it("loop() body returning 0x7fffffff", () => {
    compilesOnlyIfItVerifies(`import { xdp, XdpAction, loop, type u32 } from "tsbpf/bpf";
interface S { n: u32 }
function step(i: u32, s: S): u32 { s.n += i; return 0x7fffffff; }
export const p = xdp(() => { const s: S = { n: 0 }; loop(10, step, s); return s.n === 3 ? XdpAction.PASS : XdpAction.DROP; });
export const LICENSE = "GPL";
`);
  });

  it("ctx.header at a variable offset that can pass 65535", () => {
    compilesOnlyIfItVerifies(`import { xdp, XdpAction, type u8, type u16, type EthHdr } from "tsbpf/bpf";
interface H { a: u8; b: u8 }
export const p = xdp((ctx) => {
  const h = ctx.header<H>(0);
  if (h === null) return XdpAction.PASS;
  const t = ctx.header<EthHdr>(14 + (h.a & 0x0f) * 0x7fffffff);
  if (t === null) return XdpAction.PASS;
  return t.h_proto === 8 ? XdpAction.DROP : XdpAction.PASS;
});
export const LICENSE = "GPL";
`);
  });
});
