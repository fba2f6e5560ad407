// "If it compiles, it verifies": programs the hostile fuzzer found that compiled but were refused by
// the kernel verifier, now compiled into objects the kernel loads (and checked for behaviour), or
// refused at compile time with a diagnostic.

import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { bpfAvailable, loadObject } from "../runtime/index.js";

function build(src: string): Uint8Array {
  const r = compile("verify.bpf.ts", src);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.object!;
}

/** An XDP program whose loop() body counts its calls in s.n; the program returns PASS iff n === want. */
const loopProgram = (body: string, want: number) => `import { xdp, XdpAction, loop, type u32 } from "tsbpf/bpf";
interface S { n: u32 }
function step(i: u32, s: S): u32 { s.n += 1; ${body} }
export const p = xdp(() => { const s: S = { n: 0 }; loop(10, step, s); return s.n === ${want} ? XdpAction.PASS : XdpAction.DROP; });
export const LICENSE = "GPL";
`;

describe.runIf(bpfAvailable().ok)("loop() body results are stop flags (verifier wants r0 in [0, 1])", () => {
  const cases: [string, string, number][] = [
    ["a constant other than 0/1 stops at once", "return 0x7fffffff;", 1],
    ["0 continues to the end", "return 0;", 10],
    ["a variable result stops on the first non-zero", "return i >= 3 ? i * 7 : 0;", 4],
    ["a wrapped-around variable result (2^32 -> 0) does not stop", "return i * 0x80000000 * 2;", 10],
  ];
  for (const [what, body, want] of cases) {
    it(what, () => {
      using obj = loadObject(build(loopProgram(body, want)));
      expect(obj.programs.get("p")!.run({ data: new Uint8Array(64) }).retval).toBe(2); // XDP_PASS
    });
  }
});
