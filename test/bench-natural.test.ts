// The natural programs of `npm run cost:natural` (bench/natural/*.bpf.ts) at the size each file sets:
// every one compiles with no error and the kernel loads it. (Their larger sizes, some of which the
// kernel refuses, are the benchmark's business.)

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { compile } from "../compiler/compile.js";
import { loadObject } from "../runtime/index.js";
import { describeKernel, kernelTest } from "./kernel-env.js";

const DIR = join(import.meta.dirname, "..", "bench", "natural");

describeKernel("bench/natural programs at their own sizes", () => {
  for (const f of readdirSync(DIR).filter((x) => x.endsWith(".bpf.ts")))
    kernelTest(`${f} compiles and loads`, () => {
      const path = join(DIR, f);
      const r = compile(path, readFileSync(path, "utf8"));
      expect(
        r.diagnostics.filter((d) => d.severity !== "warning").map((d) => `${d.code} ${d.message}`),
        f,
      ).toEqual([]);
      using obj = loadObject(r.object!);
      expect(obj.programs.size, f).toBe(1);
    });
});
