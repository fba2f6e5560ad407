import { describe, it } from "vitest";
import { sameStackStore } from "../compiler/passes/same-stack-store.js";
import { expectPass } from "./support/ir-pass.js";

// IR in, IR out for same-stack-store (random functions through it, with an interpreter, are in
// passes.test.ts).

describe("same-stack-store (textual)", () => {
  it("drops the second store of a key after a lookup, keeps stores after an overlapping write or a helper that writes the slot", () => {
    // b2 (single predecessor b0) still holds %1 at s0[0..4) after the lookup (helper 1 only reads
    // its key): the first store in b2 goes. The store.2 at s0[2..4) overlaps, so the next store of
    // %1 stays; get_current_comm (16) writes s1, so s1's second store stays.
    expectPass(
      sameStackStore,
      `func f(%0:ptr, %1:i64) slots [s0: 8 align 8, s1: 8 align 8] {
b0:
  %2:ptr = stackaddr s0
  store.4 %2, 0, %1
  %3:ptr = mapaddr @m
  %4:ptr = call 1 (%3, %2)
  cbr ne.64 %4, 0 -> b1, b2
b1:
  ret 1
b2:
  %5:ptr = stackaddr s0
  store.4 %5, 0, %1
  store.2 %5, 2, 7
  store.4 %5, 0, %1
  %6:ptr = stackaddr s1
  store.8 %6, 0, 1
  %7:i64 = call 16 (%6, 8)
  store.8 %6, 0, 1
  %8:i64 = call 2 (%3, %5, %6, 1)
  ret 0
}`,
      `func f(%0:ptr, %1:i64) slots [s0: 8 align 8, s1: 8 align 8] {
b0:
  %2:ptr = stackaddr s0
  store.4 %2, 0, %1
  %3:ptr = mapaddr @m
  %4:ptr = call 1 (%3, %2)
  cbr ne.64 %4, 0 -> b1, b2
b1:
  ret 1
b2:
  %5:ptr = stackaddr s0
  store.2 %5, 2, 7
  store.4 %5, 0, %1
  %6:ptr = stackaddr s1
  store.8 %6, 0, 1
  %7:i64 = call 16 (%6, 8)
  store.8 %6, 0, 1
  %8:i64 = call 2 (%3, %5, %6, 1)
  ret 0
}`,
    );
  });
});
