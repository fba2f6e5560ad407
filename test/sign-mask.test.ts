// sign-mask: an `and`, `or` or narrowing of a value that is -1 or 0 (an arithmetic shift leaving
// only the sign) becomes a multiply by the sign as 0 or 1, since the verifier forks its state at
// such an `and`/`or` (compiler/passes/sign-mask.ts). On IR: which values it takes and that every
// result is unchanged; in the kernel: a 64-trip packet loop whose offset adds `(q.a >> 31) & 31`,
// 280,033 instructions before the pass, loads in under 2,000 and reads what JavaScript reads.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { checkFunc } from "../compiler/ir/check.js";
import { parseFunc } from "../compiler/ir/parse.js";
import { printFunc } from "../compiler/ir/print.js";
import { signMask } from "../compiler/passes/sign-mask.js";
import { loadObject, readU64, u32le } from "../runtime/index.js";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { runIr } from "./support/ir-interp.js";
import { costRow, showRow } from "./support/verifier-verdict.js";

const MASKS = `func f(%0:i32, %1:i64, %2:i32) {
b0:
  %3:i32 = ashr %0, 31
  %4:i32 = and %3, 31
  %5:i32 = sext.8 %2
  %6:i32 = ashr %5, 16
  %7:i32 = trunc.8 %6
  %8:i32 = or %3, 5
  %9:i64 = ashr %1, 63
  %10:i64 = and %1, %9
  %11:i64 = or %9, %1
  %12:i32 = and %3, %2
  %25:i32 = or %3, 4294967295
  %13:i64 = zext %4
  %14:i64 = zext %7
  %15:i64 = zext %8
  %16:i64 = zext %12
  %17:i64 = xor %13, %10
  %18:i64 = mul %14, 3
  %19:i64 = xor %17, %18
  %20:i64 = mul %15, 7
  %21:i64 = add %19, %20
  %22:i64 = xor %21, %11
  %23:i64 = mul %16, 11
  %24:i64 = add %22, %23
  %26:i64 = zext %25
  %27:i64 = xor %24, %26
  ret %27
}`;

describe("sign-mask on IR", () => {
  it("turns every and, or and narrowing of a sign into a multiply, and changes no result", () => {
    const before = parseFunc(MASKS);
    const after = parseFunc(MASKS);
    expect(checkFunc(after)).toEqual([]);
    expect(signMask(after)).toBe(true);
    expect(checkFunc(after)).toEqual([]);
    const text = printFunc(after);
    expect(text).not.toMatch(/= (and|or) %(3|9),|= (and|or) %\d+, %(3|9)\n|trunc\.8 %6/);
    expect(text).toMatch(/lshr %0, 31/);
    expect(text).toMatch(/lshr %1, 63/);
    expect(text).toMatch(/lshr %5, 31/);
    expect(signMask(after)).toBe(false);
    const u32 = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.constantFrom(0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn));
    const u64 = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n));
    fc.assert(
      fc.property(u32, u64, u32, (a, b, c) => {
        expect(runIr(after, { args: [a, b, c] })).toBe(runIr(before, { args: [a, b, c] }));
      }),
      { numRuns: 2000 },
    );
  });

  it("leaves a shift that keeps more than the sign, and a mask of anything else", () => {
    const f = parseFunc(`func f(%0:i32) {
b0:
  %1:i32 = ashr %0, 30
  %2:i32 = and %1, 31
  %3:i32 = sext.16 %0
  %4:i32 = ashr %3, 14
  %5:i32 = or %4, 5
  %6:i32 = lshr %0, 31
  %7:i32 = and %6, 31
  %8:i32 = add %2, %5
  %9:i32 = add %8, %7
  ret %9
}`);
    expect(checkFunc(f)).toEqual([]);
    expect(signMask(f)).toBe(false);
  });
});

/** A 64-trip packet loop whose offset adds 31 when the i32 at the trip's start is negative. */
const LOOP = (m: string) => `import { xdp, XdpAction, ArrayMap, u64, u32, u8, i32 } from "tsbpf/bpf";
interface H { a: i32; b: u32 }
const results = new ArrayMap<u64>(4);
export const prog = xdp((ctx) => {
  let acc: u32 = 0;
  let n: u32 = 0;
  for (let k: u32 = 0; k < 64; k++) {
    const q = ctx.header<H>(k);
    if (q === null) break;
    const m: u32 = ${m};
    const p = ctx.header<u8>(8 + k + m);
    if (p === null) break;
    acc = acc * 31 + p;
    n++;
  }
  results.update(0, acc);
  results.update(1, n);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

describeKernel("sign-mask in the kernel", () => {
  kernelTest("a sign mask in a 64-trip loop's packet offset: no fork per trip, and the same bytes read", () => {
    const row = costRow("sign-mask.bpf.ts", "(q.a >> 31) & 31 in the offset, 64 trips", LOOP("u32((q.a >> 31) & 31)"));
    // Before the pass: 280,033 processed (the same loop with `q.a < 0 ? 31 : 0`: 1,426).
    expect("processed" in row.verdict && row.verdict.processed < 5_000, showRow(row)).toBe(true);
    const r = compile("sign-mask.bpf.ts", LOOP("u32((q.a >> 31) & 31)"));
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const obj = loadObject(r.object!);
    try {
      const prog = obj.programs.get("prog")!;
      const results = obj.maps.get("results")!;
      const packets = fc.uint8Array({ minLength: 14, maxLength: 120 });
      fc.assert(
        fc.property(packets, (pkt) => {
          prog.run({ data: pkt });
          // The same walk in JavaScript: q.a little-endian at k, the byte at 8 + k + (q.a < 0 ? 31 : 0).
          let acc = 0;
          let n = 0;
          for (let k = 0; k < 64 && k + 8 <= pkt.length; k++) {
            const at = 8 + k + (new DataView(pkt.buffer, pkt.byteOffset).getInt32(k, true) < 0 ? 31 : 0);
            if (at + 1 > pkt.length) break;
            acc = (Math.imul(acc, 31) + pkt[at]!) >>> 0;
            n++;
          }
          const got = [0, 1].map((k) => readU64(results.lookup(u32le(k))!));
          expect(got, Buffer.from(pkt).toString("hex")).toEqual([BigInt(acc), BigInt(n)]);
        }),
        { numRuns: 300 },
      );
    } finally {
      obj.close();
    }
  });
});
