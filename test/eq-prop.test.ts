import { describe, it } from "vitest";
import { eqProp } from "../compiler/passes/eq-prop.js";
import { expectPass } from "./support/ir-pass.js";

// IR in, IR out for eq-prop (random functions through it, with an interpreter, are in passes.test.ts).

describe("eq-prop (textual)", () => {
  it("uses the constant a value was compared equal to, in the blocks the equal edge dominates and the phis it feeds", () => {
    // b2 is entered only where %2 == 8: a const 8 at its start replaces %2 there and in the phi
    // incoming from b2 (const-fold then folds what it feeds); b4 is not dominated by b2.
    expectPass(
      eqProp,
      `func f(%0:ptr, %1:i64) {
b0:
  %2:i32 = load.2 %0, 34
  cbr ne.32 %2, 8 -> b1, b2
b1:
  ret 2
b2:
  %3:i32 = xor %2, 65535
  %4:i32 = add %3, 1
  store.2 %0, 36, %4
  %5:i64 = zext %2
  cbr ugt.64 %1, 5 -> b3, b4
b3:
  %6:i64 = phi [b2: %5], [b4: %1]
  %7:i32 = phi [b2: %2], [b4: 0]
  %8:i64 = zext %7
  %9:i64 = add %6, %8
  ret %9
b4:
  br b3
}`,
      `func f(%0:ptr, %1:i64) {
b0:
  %2:i32 = load.2 %0, 34
  cbr ne.32 %2, 8 -> b1, b2
b1:
  ret 2
b2:
  %10:i32 = const 8
  %3:i32 = xor %10, 65535
  %4:i32 = add %3, 1
  store.2 %0, 36, %4
  %5:i64 = zext %10
  cbr ugt.64 %1, 5 -> b3, b4
b3:
  %6:i64 = phi [b2: %5], [b4: %1]
  %7:i32 = phi [b2: %10], [b4: 0]
  %8:i64 = zext %7
  %9:i64 = add %6, %8
  ret %9
b4:
  br b3
}`,
    );
  });

  it("leaves compares at another width than the value's, and branches whose targets are the same, alone", () => {
    expectPass(
      eqProp,
      `func f(%0:ptr, %1:i64) {
b0:
  %2:i64 = load.8 %0, 0
  cbr eq.32 %1, 8 -> b1, b2
b1:
  ret %1
b2:
  %3:i32 = load.4 %0, 8
  cbr eq.32 %3, 8 -> b3, b3
b3:
  ret %2
}`,
      `func f(%0:ptr, %1:i64) {
b0:
  %2:i64 = load.8 %0, 0
  cbr eq.32 %1, 8 -> b1, b2
b1:
  ret %1
b2:
  %3:i32 = load.4 %0, 8
  cbr eq.32 %3, 8 -> b3, b3
b3:
  ret %2
}`,
    );
  });
});
