// Why: end-to-end correctness of the compiler against the real kernel. Every fixture in
// test/fixtures/ is compiled with the IR checker on, loaded (so the verifier accepts it), run with
// BPF_PROG_TEST_RUN on crafted packets, and its return value and map contents are compared with an
// independent BigInt reference computed here from the same inputs (test/support/fixture-ref.ts).

import { readdirSync } from "node:fs";
import { expect, it } from "vitest";
import { ARITH_SLOTS, arithExpected } from "./support/fixture-arith.js";
import { HAND_CASES } from "./support/fixture-cases.js";
import { generatedFixtures } from "./support/fixture-generated.js";
import { expectSlots, FIXTURE_DIR, fixtureText, poisonResults, readResults, run, withFixture, XDP } from "./support/fixture-harness.js";
import { ALL_TYPES, cv, edges, packStruct, Rng, type IntT, T } from "./support/fixture-ref.js";
import { TABLES, tableExpected, type Inputs } from "./support/fixture-tables.js";
import { describeKernel } from "./kernel-env.js";

/** The expression stored in each results slot, read from the fixture source (for failure messages). */
function slotLabels(file: string): string[] {
  const labels: string[] = [];
  for (const m of fixtureText(file).matchAll(/results\.update\((\d+), (.*)\);/g)) labels[Number(m[1])] = m[2]!;
  return labels;
}

const SHIFTS = [0, 1, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 200, 255];

function arithInputs(t: IntT): [bigint, bigint, bigint][] {
  const rng = new Rng(t.bits * 7 + (t.signed ? 1 : 0));
  const e = edges(t);
  const out: [bigint, bigint, bigint][] = [];
  for (const a of e) for (const b of e) out.push([a, b, BigInt(SHIFTS[out.length % SHIFTS.length]!)]);
  for (let i = 0; i < 40; i++) out.push([rng.of(t), rng.of(t), BigInt(rng.below(256))]);
  return out;
}

describeKernel("kernel fixtures", () => {
  it("generated fixtures are current (npx tsx test/support/fixture-gen.ts)", () => {
    for (const [file, text] of generatedFixtures()) expect(fixtureText(file), file).toBe(text);
  });

  it("has a test case for every fixture file", () => {
    const files = readdirSync(FIXTURE_DIR)
      .filter((f) => f.endsWith(".bpf.ts"))
      .sort();
    const covered = new Set([...generatedFixtures().keys(), ...HAND_CASES.map((c) => c.file)]);
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  for (const t of ALL_TYPES) {
    const file = `arith-${t.name}.bpf.ts`;
    it(file, () => {
      const labels = slotLabels(file);
      withFixture(file, (obj) => {
        for (const [a, b, s] of arithInputs(t)) {
          poisonResults(obj, ARITH_SLOTS);
          const res = run(
            obj,
            `arith_${t.name}`,
            packStruct([
              [t, a],
              [t, b],
              [T.u8, s],
            ]),
          );
          expect(res.retval).toBe(XDP.PASS);
          expectSlots(readResults(obj, ARITH_SLOTS), arithExpected(t, a, b, s), labels, `a=${a} b=${b} s=${s}`);
        }
      });
    });
  }

  for (const f of TABLES) {
    it(f.file, () => {
      const labels = slotLabels(f.file);
      const rng = new Rng(f.file.length * 31);
      const vectors: bigint[][] = (f.vectors ?? []).map((v) => v.map(BigInt));
      // Edge values in every field, rotated so fields see different combinations.
      const fieldEdges = f.fields.map(([, t]) => edges(t));
      for (let k = 0; k < 12; k++) vectors.push(fieldEdges.map((e, j) => e[(k + j * 3) % e.length]!));
      // Pairs of equal values (comparisons' boundary) and random ones.
      for (let k = 0; k < 8; k++) {
        const v = rng.next64();
        vectors.push(f.fields.map(([, t]) => cv(t, v).v));
      }
      for (let k = 0; k < 60; k++) vectors.push(f.fields.map(([, t]) => rng.of(t)));
      withFixture(f.file, (obj) => {
        for (const vec of vectors) {
          const inputs: Inputs = Object.fromEntries(f.fields.map(([n, t], j) => [n, cv(t, vec[j]!)]));
          poisonResults(obj, f.rows.length);
          const res = run(obj, f.prog, packStruct(f.fields.map(([, t], j) => [t, vec[j]!] as const)));
          expect(res.retval).toBe(XDP.PASS);
          const desc = f.fields.map(([n], j) => `${n}=${vec[j]}`).join(" ");
          expectSlots(readResults(obj, f.rows.length), tableExpected(f, inputs), labels, desc);
        }
      });
    });
  }

  for (const c of HAND_CASES) {
    it(c.file, () => withFixture(c.file, (obj) => c.run(obj)));
  }
});
