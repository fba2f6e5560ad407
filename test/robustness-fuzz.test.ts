// A bounded slice of `npm run fuzz:hostile` (bench/fuzz-hostile.ts): 300 hostile inputs from a fixed
// seed (grammar programs, mutations of every example and fixture, size attacks, arbitrary bytes).
// Each must end in an object or in diagnostics with file, position and code; every object must pass
// the kernel verifier ("if it compiles, it verifies").

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bpfAvailable, loadObject } from "../runtime/index.js";
import { checkInput, hostileArb, seedSources } from "./support/hostile-gen.js";
import { kernelTest } from "./kernel-env.js";

const inputs = fc.sample(hostileArb(seedSources()), { numRuns: 300, seed: 20261204 });
const objects: Uint8Array[] = [];

describe("hostile inputs (300, fixed seed)", () => {
  it("every input gives an object or well-formed diagnostics, never an internal error", () => {
    const problems: string[] = [];
    for (const input of inputs) {
      const v = checkInput("/tmp/hostile.bpf.ts", input.text);
      if (v.problem) problems.push(`${input.kind}: ${v.problem}\n${input.text.slice(0, 400)}`);
      else if (v.result?.object) objects.push(v.result.object);
    }
    expect(problems).toEqual([]);
    // The mix reaches all four kinds, and some mutants still compile.
    expect(new Set(inputs.map((i) => i.kind))).toEqual(new Set(["grammar", "mutation", "size", "bytes"]));
    expect(objects.length).toBeGreaterThan(0);
  }, 300_000);

  kernelTest(
    "every object that compiled passes the verifier",
    () => {
      expect(bpfAvailable().ok).toBe(true);
      const rejected: string[] = [];
      for (const o of objects) {
        try {
          loadObject(o).close();
        } catch (e) {
          // fentry/fexit/LSM are refused with EPERM where the kernel lacks trampolines (docs/runtime.md).
          if (!/EPERM/.test((e as Error).message)) rejected.push((e as Error).message.slice(0, 300));
        }
      }
      expect(rejected).toEqual([]);
    },
    120_000,
  );
});
