import { describe, it } from "vitest";
import { hoistCommon } from "../compiler/passes/hoist-common.js";
import { expectPass } from "./support/ir-pass.js";

// IR in, IR out for hoist-common (random functions through it, with an interpreter, are in
// passes.test.ts).

describe("hoist-common (textual)", () => {
  it("computes the TCP and UDP header address once above the protocol tests, not past a helper call", () => {
    // b1 and b3 both compute %2 * 4 and data + that; they move to b0 (their nearest common
    // dominator). b4's copy comes after a helper call, so it keeps its own.
    expectPass(
      hoistCommon,
      `func f(%0:ptr, %1:ptr, %2:i32, %3:i32) {
b0:
  cbr eq.32 %3, 6 -> b1, b2
b1:
  %4:i32 = mul %2, 4
  %5:ptr = ptradd %1, %4
  %6:i32 = load.2 %5, 16
  ret %6
b2:
  cbr eq.32 %3, 17 -> b3, b4
b3:
  %7:i32 = mul %2, 4
  %8:ptr = ptradd %1, %7
  %9:i32 = load.2 %8, 2
  ret %9
b4:
  %10:i64 = call 7 (%2)
  %11:i32 = mul %2, 4
  ret %11
}`,
      `func f(%0:ptr, %1:ptr, %2:i32, %3:i32) {
b0:
  %7:i32 = mul %2, 4
  %8:ptr = ptradd %1, %7
  cbr eq.32 %3, 6 -> b1, b2
b1:
  %6:i32 = load.2 %8, 16
  ret %6
b2:
  cbr eq.32 %3, 17 -> b3, b4
b3:
  %9:i32 = load.2 %8, 2
  ret %9
b4:
  %10:i64 = call 7 (%2)
  %11:i32 = mul %2, 4
  ret %11
}`,
    );
  });

  it("does not move a use of a value above a branch between the common dominator and the use that tests it", () => {
    // b3's `%2 * 4` sits below b1's test of %2; hoisting it to b0 would lose the verifier's narrowed
    // range of %2 (the 10,000-program differential run: arr[i] past its bounds test).
    const src = `func f(%0:ptr, %1:i64, %2:i64) {
b0:
  cbr eq.64 %1, 0 -> b1, b2
b1:
  cbr ult.64 %2, 8 -> b3, b4
b2:
  %6:i64 = mul %2, 4
  ret %6
b3:
  %3:i64 = mul %2, 4
  ret %3
b4:
  ret 0
}`;
    expectPass(hoistCommon, src, src);
  });
});
