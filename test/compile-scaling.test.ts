// The synthetic programs of the compile-time benchmark (bench/synthetic.ts): at a small size each
// shape compiles and passes the kernel verifier, so the benchmark measures real programs; and a
// flat body too long for tsc's control-flow analysis (TS2563) gets tsbpf's hint. Timings are
// measured by `npm run bench:compile`, not here.

import { describe, expect, it } from "vitest";
import { SHAPES, type Shape } from "../bench/synthetic.js";
import { compile } from "../compiler/compile.js";
import { loadObject } from "../runtime/index.js";
import { kernelTest } from "./kernel-env.js";

describe("synthetic compile-time programs", () => {
  for (const shape of Object.keys(SHAPES) as Shape[]) {
    kernelTest(`${shape}, 500 lines: compiles with the IR checker on and passes the verifier`, () => {
      const src = SHAPES[shape](500);
      expect(src.split("\n").length).toBeGreaterThan(450);
      const r = compile(`${shape}.bpf.ts`, src, { checkIr: true });
      expect(r.diagnostics).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.programs.length).toBe(shape === "programs" ? 50 : 1);
      using obj = loadObject(r.object!);
      expect(obj.programs.size).toBe(r.programs.length);
    });
  }

  it("a flat body too long for tsc's flow analysis fails with TS2563 and a hint to split it", () => {
    const r = compile("flat.bpf.ts", SHAPES.flat(6000));
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.code === "TS2563");
    expect(d?.hint).toMatch(/split the long body into functions/);
    // The same amount of code split into inlined functions compiles.
    expect(compile("inlined.bpf.ts", SHAPES.inlined(6000)).ok).toBe(true);
  });
});
