import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkFunc } from "../compiler/ir/check.js";
import { parseFunc } from "../compiler/ir/parse.js";
import { printFunc } from "../compiler/ir/print.js";
import { bitFold } from "../compiler/passes/bit-fold.js";
import { expectPass } from "./support/ir-pass.js";
import { runIr } from "./support/ir-interp.js";

// IR in, IR out for bit-fold (random functions through it, with an interpreter, are in passes.test.ts).

describe("bit-fold (textual)", () => {
  it("turns ~(byte | 0x100) into byte ^ 0xfeff, drops a mask a 16-bit load already satisfies, leaves unknown bits alone", () => {
    // %3 is left for dce; %1 (a parameter) may have bit 8 set, so its or stays.
    expectPass(
      bitFold,
      `func f(%0:ptr, %1:i32) {
b0:
  %2:i32 = load.1 %0, 22
  %3:i32 = or %2, 256
  %4:i32 = xor %3, 65535
  %5:i32 = load.2 %0, 24
  %6:i32 = and %5, 65535
  %7:i32 = or %1, 256
  %8:i32 = xor %7, 65535
  %9:i32 = add %4, %6
  %10:i32 = add %9, %8
  ret %10
}`,
      `func f(%0:ptr, %1:i32) {
b0:
  %2:i32 = load.1 %0, 22
  %3:i32 = xor %2, 256
  %4:i32 = xor %2, 65279
  %5:i32 = load.2 %0, 24
  %6:i32 = copy %5
  %7:i32 = or %1, 256
  %8:i32 = xor %7, 65535
  %9:i32 = add %4, %6
  %10:i32 = add %9, %8
  ret %10
}`,
    );
  });

  it("folds a mask into the if-convert pass's select by a 0/1 value, so the verifier never sees an and of a -1-or-0 value with a constant", () => {
    // `(c ? 0x7fffffffffffffff : 0) & 31` and `(c ? K : 5) & 31` as if-convert leaves them.
    expectPass(
      bitFold,
      `func f(%0:i64) {
b0:
  %1:i64 = lshr %0, 63
  %2:i64 = const 9223372036854775807
  %3:i64 = mul %2, %1
  %4:i64 = and %3, 31
  %5:i64 = mul %1, %2
  %6:i64 = xor %5, 5
  %7:i64 = and %6, 31
  %8:i64 = add %4, %7
  ret %8
}`,
      `func f(%0:i64) {
b0:
  %1:i64 = lshr %0, 63
  %2:i64 = const 9223372036854775807
  %3:i64 = mul %2, %1
  %4:i64 = mul %1, 31
  %5:i64 = mul %1, %2
  %6:i64 = mul %1, 31
  %7:i64 = xor %6, 5
  %8:i64 = add %4, %7
  ret %8
}`,
    );
  });

  it("keeps the value of `and (xor (mul c, K), Y), C` for c 0 or 1 and any K, Y and C, at 32 and 64 bits", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: -(1n << 31n), max: (1n << 31n) - 1n }),
        fc.bigInt({ min: -(1n << 31n), max: (1n << 31n) - 1n }),
        fc.constantFrom("i32", "i64"),
        (x, k, y, c, ty) => {
          const w = ty === "i32" ? 32n : 64n;
          const c01 = ty === "i32" ? "%11" : "%1";
          const text = `func f(%0:i64) {
b0:
  %10:i32 = trunc.32 %0
  %1:i64 = lshr %0, 63
  %11:i32 = lshr %10, 31
  %2:${ty} = const ${BigInt.asIntN(Number(w), k)}
  %3:${ty} = mul %2, ${c01}
  %4:${ty} = xor %3, ${y}
  %5:${ty} = and %4, ${c}
  %6:${ty} = mul ${c01}, %2
  %7:${ty} = and %6, ${c}
  %8:${ty} = add %5, %7
  ret %8
}`;
          const f = parseFunc(text);
          const before = runIr(f, { args: [x] });
          bitFold(f);
          expect(checkFunc(f)).toEqual([]);
          expect(runIr(f, { args: [x] })).toBe(before);
          // Both masks folded, wherever K & C fits an immediate (always, for C >= 0).
          if (c >= 0n) expect(printFunc(f)).not.toMatch(/= and %[346],/);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
