// Nested loops whose inner loop can stop early, against the kernel. An inner loop with a `break` on a
// failed packet read or on a data comparison leaves one exit state per trip; when it changes a
// variable the enclosing loop then uses exactly (here `acc`, in a packet offset), those states do not
// prune at the enclosing loop's head and multiply with each of its trips (verifier-cost.ts, Walker.noteExits).
// The table: outer 2..8 trips, inner 4..16 trips, breaks on packet reads, on data, or both, and two
// controls (the changed variable only stored; the packet offset constant) where nothing multiplies.
// Every program the kernel refuses must get a diagnostic; no program that loads may get an error,
// and one that loads gets a warning only when the verifier's count is near the limit.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { compile } from "../compiler/compile.js";
import { VERIFIER_INSN_LIMIT } from "../compiler/frontend/verifier-cost.js";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { checkRefusedFixture, type CostRow as Row, costRow, showRow, verify } from "./support/verifier-verdict.js";

type Breaks = "packet" | "data" | "both";

/**
 * `acc` is carried across the outer trips; the inner loop decrements it (or, with `stored`, counts
 * into `t`, which is only stored); the outer loop reads the packet at `(acc & 31) + i` (with
 * `constOffset`, at `8 + i`). With `passed`, acc goes to a function after the loops (which keeps
 * a conditional write's branch: the if-convert pass takes only arithmetic, compares, offsets and
 * stores).
 */
function nested(
  outer: number,
  inner: number,
  breaks: Breaks,
  opts: { stored?: boolean; constOffset?: boolean; use?: "compare" | "key" | "index"; write?: "counter" | "data"; passed?: boolean } = {},
): string {
  const pkt = breaks !== "data" ? "const c = ctx.header<u8>(40 + j);\n      if (c === null) break;\n      " : "";
  const data = breaks !== "packet" ? "if (j >= h.b) break;\n      " : "";
  const read = opts.constOffset || opts.use ? "const b = ctx.header<u16>(8 + i);" : "const b = ctx.header<u16>((acc & 31) + i);";
  const use =
    opts.use === "compare"
      ? "if (acc > 100) results.update(2, 1);"
      : opts.use === "key"
        ? "results.update(acc & 7, 1);"
        : opts.use === "index"
          ? "const v = vals.lookup(0);\n    if (v !== null) v.arr[acc & 7] = 1;"
          : "";
  const dec = opts.write === "counter" ? "if (j === 3) acc--;" : opts.write === "data" ? "if (c > 100) acc--;" : "acc--;";
  return `import { xdp, XdpAction, ArrayMap, u64, type u16, type u8, type u32, type FixedArray } from "tsbpf/bpf";
interface In { a: u32; b: u32; c: u32 }
interface V { arr: FixedArray<u64, 8> }
const results = new ArrayMap<u64>(8);
const vals = new ArrayMap<V>(1);
${opts.passed ? "/** @noinline */\nfunction passed(x: u32): u64 {\n  return u64(x) * 3;\n}\n" : ""}export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  let acc: u32 = h.a & 255;
  for (let i: u32 = 0; i < ${outer}; i++) {
    ${read}
    if (b === null) break;
    acc += b;
    ${use}
    let t: u32 = 0;
    for (let j: u32 = 0; j < ${inner}; j++) {
      ${pkt}${data}${opts.stored ? "t++;" : dec}
    }
    results.update(1, u64(t));
  }
  results.update(0, ${opts.passed ? "passed(acc)" : "u64(acc)"});
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}

const ERRORS = new Set(["TSBPF2202", "TSBPF2203", "TSBPF2204"]);
const WARNINGS = new Set(["TSBPF3010", "TSBPF3011", "TSBPF3012"]);

const row = (what: string, src: string): Row => costRow("nested.bpf.ts", what, src);

function check(rows: Row[]): void {
  for (const r of rows) {
    const what = showRow(r);
    if ("refused" in r.verdict) {
      expect(r.verdict.refused, what).toBe("BPF program is too large");
      expect(
        r.codes.some((c) => ERRORS.has(c) || WARNINGS.has(c)),
        what,
      ).toBe(true);
    } else {
      expect(
        r.codes.some((c) => ERRORS.has(c)),
        what,
      ).toBe(false);
      // A warning on a program that loads: only when the verifier's count is near the limit.
      if (r.codes.some((c) => WARNINGS.has(c))) expect(r.verdict.processed, what).toBeGreaterThan(0.4 * VERIFIER_INSN_LIMIT);
    }
  }
}

const OUTER = [2, 4, 6, 8];
const INNER = [4, 8, 16];

describeKernel("verifier cost: nested loops whose inner loop stops early on data", () => {
  for (const breaks of ["packet", "data", "both"] as const)
    kernelTest(
      `breaks on ${breaks === "both" ? "packet reads and data" : breaks === "packet" ? "packet reads" : "data"}, the changed value used in a packet offset: outer 2..8 x inner 4..16`,
      () => {
        const rows = OUTER.flatMap((o) => INNER.map((i) => row(`${o} x ${i}`, nested(o, i, breaks))));
        check(rows);
        // The shapes multiply: some of them are refused, and those get a diagnostic (checked above).
        expect(rows.some((r) => "refused" in r.verdict)).toBe(true);
      },
      300_000,
    );

  kernelTest(
    "controls: the changed value only stored, compared, or a map key, or a constant packet offset: nothing multiplies, no diagnostic, all load",
    () => {
      // A comparison the verifier cannot decide, or a key on the stack, does not make it track the
      // value exactly, so the exits prune (measured: at most 75,286 processed for 8 x 16).
      const rows = OUTER.flatMap((o) =>
        INNER.flatMap((i) => [
          row(`${o} x ${i}, stored`, nested(o, i, "both", { stored: true })),
          row(`${o} x ${i}, constant offset`, nested(o, i, "both", { constOffset: true })),
          row(`${o} x ${i}, compared`, nested(o, i, "both", { use: "compare" })),
          row(`${o} x ${i}, map key`, nested(o, i, "both", { use: "key" })),
        ]),
      );
      check(rows);
      for (const r of rows) {
        expect(r.codes, r.what).toEqual([]);
        expect("processed" in r.verdict, r.what).toBe(true);
      }
    },
    300_000,
  );

  kernelTest(
    "other shapes: the value used as an array index multiplies like a packet offset; written only under a condition on data it multiplies more (any count up to each exit's trip); only under a condition on the counter it does not",
    () => {
      const index = [4, 6, 8].map((o) => row(`${o} x 8, index`, nested(o, 8, "both", { use: "index" })));
      // Passed to a function after the loops: the if-convert pass keeps the branch (see below).
      const onData = [4, 6].map((o) =>
        row(`${o} x 8, written under a data condition`, nested(o, 8, "both", { write: "data", passed: true })),
      );
      const converted = [4, 6].map((o) => row(`${o} x 8, written under a data condition, stored`, nested(o, 8, "both", { write: "data" })));
      const onCounter = [4, 8].flatMap((o) =>
        [8, 16].map((i) => row(`${o} x ${i}, written under a counter condition`, nested(o, i, "both", { write: "counter" }))),
      );
      check([...index, ...onData, ...converted, ...onCounter]);
      // Measured on Linux 6.18: index 4 x 8 loads (58,111), 6 and 8 x 8 are refused; written under a
      // data condition (and passed to a function), 4 x 8 loads at 928,847 (warned) and 6 x 8 is
      // refused; under a counter condition, up to 126,938 processed.
      expect(index.map((r) => "refused" in r.verdict)).toEqual([false, true, true]);
      expect(index[0]!.codes).toEqual([]);
      expect(onData.map((r) => "refused" in r.verdict)).toEqual([false, true]);
      expect(onData[0]!.codes).toEqual(["TSBPF3012"]);
      // Only stored after the loops, `if (c > 100) acc--` is `acc - c` with no branch: both load with
      // no diagnostic (4 x 8: 5,851 processed, 6 x 8: 12,780).
      for (const r of converted) {
        expect(r.codes, r.what).toEqual([]);
        expect("processed" in r.verdict, r.what).toBe(true);
      }
      for (const r of onCounter) {
        expect(r.codes, r.what).toEqual([]);
        expect("processed" in r.verdict, r.what).toBe(true);
      }
    },
    300_000,
  );

  kernelTest(
    "the differential fuzzer's seed-21 program: TSBPF3012 at the inner loop, and the kernel refuses it (too large)",
    () => {
      const src = readFileSync(join(import.meta.dirname, "fixtures", "verifier-cost", "nested-exits-seed21.bpf.ts"), "utf8");
      const r = compile("nested-exits-seed21.bpf.ts", src);
      expect(r.diagnostics.map((d) => d.code)).toEqual(["TSBPF3012"]);
      const d = r.diagnostics[0]!;
      expect(src.slice(d.start, d.start + 30)).toBe("for (let k4: u32 = 0; k4 < 12;");
      expect(d.message).toContain("up to 7 different states");
      expect(d.message).toContain("(7 trips)");
      // A warning: the object is written, and the kernel refuses it.
      expect(r.object).toBeDefined();
      expect(verify(r.object!)).toEqual({ refused: "BPF program is too large" });
      // With one outer trip fewer it loads (481,727 processed on Linux 6.18), still warned; with
      // two fewer it loads with no diagnostic.
      const six = compile("six.bpf.ts", src.replace("k1 < 24", "k1 < 21"));
      expect(six.diagnostics.map((x) => x.code)).toEqual(["TSBPF3012"]);
      expect("processed" in verify(six.object!)).toBe(true);
      const five = compile("five.bpf.ts", src.replace("k1 < 24", "k1 < 18"));
      expect(five.diagnostics.map((x) => x.code)).toEqual([]);
      expect("processed" in verify(five.object!)).toBe(true);
    },
    120_000,
  );

  kernelTest(
    "a differential-run program that loads (210 processed) gets no cost diagnostic: the inner loop's variable is declared afresh at each outer trip",
    () => {
      const src = readFileSync(join(import.meta.dirname, "fixtures", "verifier-cost", "nested-exits-loads.bpf.ts"), "utf8");
      const r = compile("nested-exits-loads.bpf.ts", src);
      // Was TSBPF2202 (an error, no object) while the refusal side counted the multiplication too,
      // then TSBPF3012 at 171M while the exits' differences were counted past the outer trip that
      // declares the variable again (the verifier finds it dead there). Now estimated at 4,309.
      expect(r.diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual([]);
      const v = verify(r.object!);
      expect("processed" in v && v.processed).toBeLessThan(r.programs[0]!.verifierSteps!);
    },
    120_000,
  );
  kernelTest(
    "seed 20261210's false alarms: an inner loop's variable declared in the outer body, and one it only sets to a constant, multiply nothing (no diagnostic; both load)",
    () => {
      // Measured: warned by TSBPF3012 at 4.6M and 333M, processed 1,984 and 2,267.
      for (const name of ["nested-fresh-seed20261210.bpf.ts", "nested-constant-seed20261210.bpf.ts"]) {
        const r = compile(name, readFileSync(join(import.meta.dirname, "fixtures", "verifier-cost", name), "utf8"));
        expect(
          r.diagnostics.map((d) => d.code),
          name,
        ).toEqual([]);
        const v = verify(r.object!);
        expect("processed" in v && v.processed, name).toBeLessThan(10_000);
      }
    },
    120_000,
  );
  kernelTest(
    "seed 20261213's false alarms: a variable only set to a constant, a global (a map value, loaded unknown), a u8 that enters the loop at its whole range: no diagnostic, all load",
    () => {
      // Measured: warned at 10M (TSBPF3013), 3.6M (TSBPF3013) and 2.8M (TSBPF3012); processed 162, 1,900 and 918.
      for (const name of ["constant-set-seed20261213.bpf.ts", "global-counter-seed20261213.bpf.ts", "whole-range-seed20261213.bpf.ts"]) {
        const r = compile(name, readFileSync(join(import.meta.dirname, "fixtures", "verifier-cost", name), "utf8"));
        expect(
          r.diagnostics.map((d) => d.code),
          name,
        ).toEqual([]);
        const v = verify(r.object!);
        expect("processed" in v && v.processed, name).toBeLessThan(10_000);
      }
    },
    120_000,
  );
  kernelTest(
    "seed 20261218 #389: a field of a stack struct as the inner loop's counter (`t0.a++`, `>> t0.a` on the way to a packet offset): TSBPF3012, refused; 5 outer trips load with no diagnostic",
    () => {
      // The verifier tracks `t0.a` on the stack like a local (an aligned spill of a known scalar),
      // so the inner loop's exits hold different counts of it, as with `let a: u8`.
      // Measured: 5 outer trips 50,892 processed (estimate 319,945); 6 trips are already warned
      // (1.6M, 197,414 processed): an upper estimate.
      checkRefusedFixture("field-counter-seed20261218.bpf.ts", "TSBPF3012", [["k2 < 31", "k2 < 16"]]);
    },
    120_000,
  );
  kernelTest(
    "fuzz:cost seed 20261267 #4940: the inner loop changes a stack struct's field through a function it passes the struct to (`s.b--` in prog0_f0(s0, …)): TSBPF3012, refused; 5 outer trips load with no diagnostic",
    () => {
      // The write is in the callee, on its parameter: the caller's struct, passed by reference. The
      // estimate followed neither the write nor the struct handed on, and put the program at 7,963.
      const src = readFileSync(join(import.meta.dirname, "fixtures", "verifier-cost", "field-param-seed20261267.bpf.ts"), "utf8");
      const d = compile("field-param-seed20261267.bpf.ts", src).diagnostics[0]!;
      expect(src.slice(d.start, d.start + 30)).toBe("for (let k6: i32 = 1; k6 < 17;");
      // Measured on Linux 6.18: 3 to 6 outer trips process 5,150, 8,836, 16,766 and 38,202; 8 trips
      // 167,389 (warned: the estimate grows faster than the count), 10 are refused.
      checkRefusedFixture("field-param-seed20261267.bpf.ts", "TSBPF3012", [["k3 < 15", "k3 < 6"]]);
    },
    120_000,
  );
  kernelTest(
    "fuzz:cost seed 20261275's false alarms: a struct made afresh in the enclosing loop handed to a function that changes it, an i16 running sum (truncated at every step), a u8 that the enclosing loop sets from data before a `++` of it: no diagnostic, all load",
    () => {
      // Measured: warned at 667 billion (TSBPF3012), 4.5M (TSBPF3017) and 1.2 billion (TSBPF3012)
      // by this session's first rules; processed 56,151, 5,958 and 6,970.
      for (const name of ["fresh-struct-arg-seed20261275.bpf.ts", "i16-sum-seed20261275.bpf.ts", "u8-restart-seed20261275.bpf.ts"]) {
        const r = compile(name, readFileSync(join(import.meta.dirname, "fixtures", "verifier-cost", name), "utf8"));
        expect(
          r.diagnostics.map((d) => d.code),
          name,
        ).toEqual([]);
        const v = verify(r.object!);
        expect("processed" in v && v.processed, name).toBeLessThan(100_000);
      }
    },
    120_000,
  );
  kernelTest(
    "a counted call: the inner loop sets `acc` from a function that steps a field of the struct it is passed, and the enclosing loop reads the packet at an offset from acc; outer 4..10 trips: TSBPF3012 on the one refused, none on those that load",
    () => {
      const src = (
        outer: number,
      ) => `import { xdp, XdpAction, ArrayMap, u64, type u8, type u16, type u32, type i8, type i64 } from "tsbpf/bpf";
interface In { a: u32; b: u32 }
interface S { b: i64; d: u32 }
const results = new ArrayMap<u64>(2);
function step(s: S): u8 {
  return ((s.d = (s.b -= 256)) + s.d) ^ 0;
}
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  const s0: S = { b: 4, d: 10 };
  let acc: u32 = h.b;
  for (let i: u32 = 1; i < ${outer + 1}; i++) {
    const w = ctx.header<u16>((acc & 31) + 14 + i);
    if (w === null) break;
    acc -= w;
    for (let j: u32 = 1; j < 9; j += 2) {
      const c = ctx.header<i8>(3 + j);
      if (c === null) break;
      if (c !== 7) break;
      acc = step(s0);
    }
  }
  results.update(1, u64(acc));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
      const rows = [4, 8, 9, 10].map((o) => row(`${o} x 4, counted call`, src(o)));
      check(rows);
      // Measured on Linux 6.18: 4, 8 and 9 outer trips process 3,239, 71,991 and 462,801 (estimated
      // 3,902, 251,881 and 712,474); 10 are refused (2.0M). Before the estimate followed the call (it
      // read `acc = step(s0)` as making acc unknown), all four were estimated under 1,500.
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, false, false, true]);
      expect(rows.slice(0, 3).map((r) => r.codes)).toEqual([[], [], []]);
      expect(rows[3]!.codes).toEqual(["TSBPF3012"]);
    },
    300_000,
  );
  kernelTest(
    "fuzz:cost seed 20261290 #5382: the same counted call in a random program (`acc1 = prog0_f0(s0, 0, 1)`): TSBPF3012, refused; 8 outer trips load with no diagnostic",
    () => {
      checkRefusedFixture("counted-call-seed20261290.bpf.ts", "TSBPF3012", [["k2 < 13", "k2 < 9"]]);
    },
    120_000,
  );
  kernelTest(
    "fuzz:cost seed 20261300 #1140: a decided count (`if (k7 >= (--s0.a)) break;` in the inner loop, s0 from a literal): TSBPF3012, refused; 10 outer trips load with no diagnostic",
    () => {
      // Measured on Linux 6.18: 10 outer trips 192,904 processed (estimate 435,514), 11 trips 603,727
      // (841,705), 12 refused (1.6M). The estimate counted only offsets and indexes, and put it at 7,590.
      checkRefusedFixture("decided-count-seed20261300.bpf.ts", "TSBPF3012", [["k4 < 15", "k4 < 13"]]);
    },
    120_000,
  );
  kernelTest(
    "the inner loop compares its counter with an expression of a variable the enclosing loop carries (`if (k >= (--v) + i64(b)) break;`): counted though the comparison is not decided",
    () => {
      // The counter offsets the packet read, so the verifier keeps it exact, and going back over a
      // comparison of two registers it keeps the other side exact too, down to v: every exit holds
      // its own v (differential seed 20261348: `(--s0.b) / k3` there, refused with no warning).
      const src = (outer: number, inner: number, cond: string) =>
        `import { xdp, XdpAction, ArrayMap, u64, i64 } from "tsbpf/bpf";
const results = new ArrayMap<u64>(12);
export const prog = xdp((ctx) => {
  let v: i64 = 4;
  for (let k1: u32 = 0; k1 < ${outer}; k1++) {
    let acc: u16 = 0;
    for (let k3: u16 = 0; k3 < ${inner * 4}; k3 += 4) {
      const b = ctx.header<i8>(20 + k3);
      if (b === null) break;
      if (${cond}) break;
      acc ^= b;
    }
    results.update(10, acc);
  }
  results.update(1, u64(v));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`.replace("import { xdp, XdpAction, ArrayMap, u64, i64 }", "import { xdp, XdpAction, ArrayMap, u16, u32, u64, i8, i64 }");
      const COND = "k3 >= (--v) + i64(b)";
      const rows = [
        ...[2, 3, 4, 5].map((o) => row(`${o} x 6, counter against v + b`, src(o, 6, COND))),
        ...[2, 3, 4, 5].map((o) => row(`${o} x 11, counter against v + b`, src(o, 11, COND))),
      ];
      // Measured on Linux 6.18: 1,386, 6,487, 34,869, 188,072; 3,686, 42,996, 516,974, refused.
      // Before, all were estimated under 1,700.
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, false, false, false, false, false, false, true]);
      expect(rows[7]!.codes).toEqual(["TSBPF3012"]);
      for (const r of rows.slice(0, 7)) {
        expect(r.codes, showRow(r)).toEqual([]);
        const p = (r.verdict as { processed: number }).processed;
        expect(r.estimate, showRow(r)).toBeGreaterThanOrEqual(p * 0.4);
        expect(r.estimate, showRow(r)).toBeLessThanOrEqual(p * 2.5);
      }
      // Controls: the counter is not one side (`k3 + b > 50 + v`: a new register), or v is compared
      // with data alone: nothing keeps v exact, and 4 x 11 converge.
      for (const cond of ["i64(k3) + i64(b) > 50 + (--v)", "b > 100 + (--v)"]) {
        const r = row(`4 x 11, ${cond}`, src(4, 11, cond));
        expect("processed" in r.verdict && r.verdict.processed < 3000, showRow(r)).toBe(true);
        expect(r.estimate, showRow(r)).toBeLessThan(3000);
      }
    },
    300_000,
  );
  kernelTest(
    "a one-trip inner loop that compares its counter with a value the enclosing loop carries from a narrow start (`j >= ((acc += 1000003) | -s0.a)`, acc an i32 from a u16, plus a byte per outer trip): TSBPF3012 at 26 outer trips, refused; 10 to 22 load with no diagnostic",
    () => {
      // Differential seed 20261349: 33 outer trips of such a loop were refused at an estimate of
      // 5,130 with no warning. A one-trip loop was not counted at all; its two exits (the read
      // failed, or acc stepped) grow the states about 1.43x per outer trip (ONE_TRIP_GROWTH). The
      // range acc starts in moves with each step, so the paths hold ranges none of which holds
      // another, as known values would.
      const src = (n: number, cond: string) => `import { xdp, XdpAction, ArrayMap, u8, u16, u64, i32 } from "tsbpf/bpf";
interface S { a: u8; b: u64 }
const results = new ArrayMap<u64>(12);
export const prog = xdp((ctx) => {
  const s0: S = { a: 1, b: 4 };
  const h = ctx.header<u16>(0);
  if (h === null) return XdpAction.ABORTED;
  let acc: i32 = h;
  for (let k: i32 = 0; k < ${n * 3}; k += 3) {
    const b = ctx.header<u8>(7 + k);
    if (b === null) break;
    acc += b;
    for (let j: u64 = 0; j < 1; j++) {
      const w = ctx.header<i32>(((s0.a % 57) & 31) + 52 + j);
      if (w === null) break;
      if (${cond}) break;
    }
  }
  results.update(3, u64(acc));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
      const COND = "j >= ((acc += 1000003) | -s0.a)";
      const rows = [10, 14, 18, 22, 26].map((n) => row(`${n} x 1, counter against acc`, src(n, COND)));
      // Measured on Linux 6.18: 5,275, 10,211, 19,738 and 335,437 processed, then refused.
      expect(rows.map((r) => "refused" in r.verdict)).toEqual([false, false, false, false, true]);
      expect(rows[4]!.codes).toEqual(["TSBPF3012"]);
      for (const r of rows.slice(0, 4)) {
        expect(r.codes, showRow(r)).toEqual([]);
        const p = (r.verdict as { processed: number }).processed;
        expect(r.estimate, showRow(r)).toBeGreaterThanOrEqual(p * 0.4);
        expect(r.estimate, showRow(r)).toBeLessThanOrEqual(p * 4);
      }
      // Control: the packet value, not the counter, on the other side: acc is not kept exact (2,993
      // processed at 26 outer trips).
      const r = row("26 x 1, data against acc", src(26, "w >= ((acc += 1000003) | -s0.a)"));
      expect("processed" in r.verdict && r.verdict.processed < 5000, showRow(r)).toBe(true);
      expect(r.codes, showRow(r)).toEqual([]);
    },
    300_000,
  );
});
