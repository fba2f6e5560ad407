// step-floor: a loop-carried packet offset moved by a constant on one path and by a value from data
// on another gets the value through an `and` with all ones, so the verifier forgets the value's
// floor and the trips' ranges nest (compiler/passes/step-floor.ts). On IR: where the mask goes and
// where it does not; in the kernel: a TCP options walk over 40 options, refused with no warning
// before the pass (24 already were), loads in about 10,000 instructions and finds what a JavaScript
// walk of the same packets finds; with a ceiling on the offset (`if (off > 94) break;`) the states
// still grow with the cube of the trips, and TSBPF3013 warns where the kernel refuses.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { checkFunc } from "../compiler/ir/check.js";
import { parseFunc } from "../compiler/ir/parse.js";
import { printFunc } from "../compiler/ir/print.js";
import { stepFloor } from "../compiler/passes/step-floor.js";
import { loadObject, readU64, u32le, u64le } from "../runtime/index.js";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { runIr } from "./support/ir-interp.js";
import { checkCostRows, costRow, refusedRows, verify } from "./support/verifier-verdict.js";

/** A loop over a packet whose offset %2 moves by 1 (b5) or by a length read from data (b6: `step`). */
const walk = (step: string, use = "%6:ptr = ptradd %4, %2") => `func f(%0:ptr) {
b0:
  %4:ptr = ctxptr %0, 0
  %5:ptr = ctxptr %0, 4
  br b1
b1:
  %1:i32 = phi [b0: 0], [b7: %20]
  %2:i32 = phi [b0: 54], [b7: %21]
  cbr ult.32 %1, 10 -> b2, b4
b2:
  ${use}
  %7:ptr = ptradd %4, %2
  %8:ptr = ptradd %7, 2
  cbr ugt.64 %8, %5 -> b4, b3
b3:
  %9:i32 = load.1 %7, 0
  cbr eq.32 %9, 1 -> b5, b8
b8:
  %14:i32 = load.1 %7, 1
  cbr ult.32 %14, 2 -> b4, b6
b5:
  %13:i32 = add %2, 1
  br b7
b6:
  ${step}
  br b7
b7:
  %21:i32 = phi [b5: %13], [b6: %16]
  %20:i32 = add %1, 1
  br b1
b4:
  ret %2
}`;

describe("step-floor on IR", () => {
  it("masks the length a packet offset is moved by when another path moves it by a constant, once", () => {
    const f = parseFunc(walk("%16:i32 = add %2, %14"));
    expect(checkFunc(f)).toEqual([]);
    expect(stepFloor(f)).toBe(true);
    expect(checkFunc(f)).toEqual([]);
    const text = printFunc(f);
    expect(text).toMatch(/%(\d+):i32 = and %14, -1\n {2}%16:i32 = add %2, %\1/);
    expect(stepFloor(f)).toBe(false);
  });

  it("takes the length on either side of the add, and a length plus a constant", () => {
    expect(printFunc(withPass(walk("%16:i32 = add %14, %2")))).toMatch(/and %14, -1\n {2}%16:i32 = add %\d+, %2/);
    expect(printFunc(withPass(walk("%15:i32 = add 2, %14\n  %16:i32 = add %2, %15")))).toMatch(/and %15, -1/);
  });

  it("leaves a loop whose every path moves the offset by the same step (a TLV walk: one range per trip)", () => {
    const f = parseFunc(
      walk("%16:i32 = add %2, %14")
        .replace("cbr eq.32 %9, 1 -> b5, b8", "br b8")
        .replace("b5:\n  %13:i32 = add %2, 1\n  br b7\n", "")
        .replace("[b5: %13], ", ""),
    );
    expect(checkFunc(f)).toEqual([]);
    expect(stepFloor(f)).toBe(false);
  });

  it("leaves an offset that never reaches a packet pointer (the verifier need not track it exactly)", () => {
    const text = walk("%16:i32 = add %2, %14")
      .replace("%7:ptr = ptradd %4, %2", "%7:ptr = ptradd %4, 54")
      .replace("  %6:ptr = ptradd %4, %2\n", "");
    const f = parseFunc(text);
    expect(checkFunc(f)).toEqual([]);
    expect(stepFloor(f)).toBe(false);
  });

  it("changes no result: the mask is the identity on every value of its width", () => {
    const ones = parseFunc(`func f(%0:i32, %1:i64) {
b0:
  %2:i32 = and %0, -1
  %3:i64 = and %1, -1
  %4:i64 = zext %2
  %5:i64 = xor %4, %3
  ret %5
}`);
    expect(checkFunc(ones)).toEqual([]);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (a, b) => {
        expect(runIr(ones, { args: [a, b] })).toBe(a ^ b);
      }),
      { numRuns: 500 },
    );
  });
});

function withPass(text: string) {
  const f = parseFunc(text);
  expect(checkFunc(f)).toEqual([]);
  expect(stepFloor(f)).toBe(true);
  expect(checkFunc(f)).toEqual([]);
  return f;
}

/** TCP options after a 54-byte header: NOPs skipped, the MSS kept, the end or a bad length stops. */
const OPTIONS = (n: number) => `import { xdp, XdpAction, ArrayMap, u64, u32, type u8 } from "tsbpf/bpf";
const N = ${n};
interface Opt { kind: u8; len: u8 }
interface Mss { kind: u8; len: u8; hi: u8; lo: u8 }
const results = new ArrayMap<u64>(4);
export const prog = xdp((ctx) => {
  let off: u32 = 54;
  let count: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const o = ctx.header<Opt>(off);
    if (o === null) break;
    if (o.kind === 0) break;
    if (o.kind === 1) { off++; continue; }
    if (o.kind === 2) {
      const m = ctx.header<Mss>(off);
      if (m === null) break;
      results.update(0, u64(m.hi) * 256 + u64(m.lo));
    }
    if (o.len < 2) break;
    off += o.len;
    count++;
  }
  results.update(1, u64(count));
  results.update(2, u64(off));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

/** The same walk in JavaScript: [mss or 0, count, off]. */
function walkOptions(pkt: Uint8Array, n: number): [number, number, number] {
  let off = 54;
  let count = 0;
  let mss = 0;
  for (let i = 0; i < n; i++) {
    if (off + 2 > pkt.length) break;
    const kind = pkt[off]!;
    if (kind === 0) break;
    if (kind === 1) {
      off++;
      continue;
    }
    if (kind === 2) {
      if (off + 4 > pkt.length) break;
      mss = pkt[off + 2]! * 256 + pkt[off + 3]!;
    }
    if (pkt[off + 1]! < 2) break;
    off += pkt[off + 1]!;
    count++;
  }
  return [mss, count, off];
}

/** Options as a sender lays them out: NOP runs, MSS, window scale, SACK permitted, timestamps; sometimes a bad length. */
const option = fc.oneof(
  fc.constant([1]),
  fc.constant([1, 1, 1]),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map(([h, l]) => [2, 4, h, l]),
  fc.integer({ min: 0, max: 14 }).map((s) => [3, 3, s]),
  fc.constant([4, 2]),
  fc.constant([8, 10, 1, 2, 3, 4, 5, 6, 7, 8]),
  fc.integer({ min: 0, max: 1 }).map((l) => [30, l]),
);
const packets = fc.tuple(fc.array(option, { maxLength: 30 }), fc.boolean()).map(([opts, end]) => {
  const body = [...opts.flat(), ...(end ? [0] : [])];
  return Uint8Array.from([...new Array(54).fill(0x45), ...body]);
});

describeKernel("step-floor in the kernel", () => {
  kernelTest(
    "a TCP options walk over 40 options loads in about 10,000 verifier instructions (refused before the pass from 24) and reads what JavaScript reads",
    () => {
      const r = compile("tcp-options.bpf.ts", OPTIONS(40));
      expect(r.diagnostics).toEqual([]);
      const v = verify(r.object!);
      // Measured on Linux 6.18: 10,219 (422,969 at 20 options before the pass; 24 refused).
      expect("processed" in v && v.processed, JSON.stringify(v)).toBeLessThan(30_000);
      const obj = loadObject(r.object!);
      try {
        const prog = obj.programs.get("prog")!;
        const results = obj.maps.get("results")!;
        fc.assert(
          fc.property(packets, (pkt) => {
            results.update(u32le(0), u64le(0n));
            prog.run({ data: pkt });
            const got = [0, 1, 2].map((k) => Number(readU64(results.lookup(u32le(k))!)));
            expect(got, Buffer.from(pkt.subarray(54)).toString("hex")).toEqual(walkOptions(pkt, 40));
          }),
          { numRuns: 300 },
        );
      } finally {
        obj.close();
      }
    },
  );
});

/** A walk of NOPs and lengths with a ceiling on its offset. */
const CEILING = (n: number, ceiling: number) => `import { xdp, XdpAction, ArrayMap, u64, u32, type u8 } from "tsbpf/bpf";
interface Opt { kind: u8; len: u8 }
const results = new ArrayMap<u64>(4);
export const prog = xdp((ctx) => {
  let off: u32 = 54;
  for (let i: u32 = 0; i < ${n}; i++) {
    const o = ctx.header<Opt>(off);
    if (o === null) break;
    if (o.kind === 0) break;
    if (o.kind === 1) { off++; continue; }
    if (o.len < 2) break;
    off += o.len;
    if (off > ${ceiling}) break;
  }
  results.update(0, u64(off));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

describeKernel("an offset with a ceiling in the kernel", () => {
  kernelTest(
    "TSBPF3013 warns where the kernel refuses a ceilinged walk (140 trips) and not where it loads (40, 100), whatever the ceiling",
    () => {
      const rows = [40, 100, 140].flatMap((n) =>
        [94, 1000].map((c) => costRow("ceiling.bpf.ts", `${n} trips, ceiling ${c}`, CEILING(n, c))),
      );
      checkCostRows(rows, "TSBPF3013");
      // Measured on Linux 6.18: 140 trips refused at either ceiling; 100 load with about 230,000.
      expect(refusedRows(rows)).toEqual(["140 trips, ceiling 94", "140 trips, ceiling 1000"]);
    },
  );
});
