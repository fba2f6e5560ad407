import { describe, it } from "vitest";
import { bitFold } from "../compiler/passes/bit-fold.js";
import { expectPass } from "./support/ir-pass.js";

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
});
