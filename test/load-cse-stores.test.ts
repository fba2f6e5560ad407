import { describe, it } from "vitest";
import { loadCse } from "../compiler/passes/load-cse.js";
import { expectPass } from "./support/ir-pass.js";

// IR in, IR out for load-cse (stores that cannot overlap a load; the rest is in passes.test.ts).

describe("load-cse across stores (textual)", () => {
  it("keeps a load across stores through the same base at other bytes, forgets it at overlapping bytes or another base", () => {
    // %4 is %2 (the store at 0..2 misses 34..36); the store at 32..36 overlaps, so %5 stays; the
    // store through %9 might point anywhere, so %6 is loaded again.
    expectPass(
      loadCse,
      `func f(%0:ptr, %1:ptr, %9:ptr) {
b0:
  %2:i32 = load.2 %1, 34
  %3:i32 = load.2 %1, 6
  store.2 %1, 0, %3
  %4:i32 = load.2 %1, 34
  store.4 %1, 32, 0
  %5:i32 = load.2 %1, 34
  store.2 %9, 0, 0
  %6:i32 = load.2 %1, 6
  %7:i32 = add %4, %5
  %8:i32 = add %7, %6
  ret %8
}`,
      `func f(%0:ptr, %1:ptr, %9:ptr) {
b0:
  %2:i32 = load.2 %1, 34
  %3:i32 = load.2 %1, 6
  store.2 %1, 0, %3
  store.4 %1, 32, 0
  %5:i32 = load.2 %1, 34
  store.2 %9, 0, 0
  %6:i32 = load.2 %1, 6
  %7:i32 = add %2, %5
  %8:i32 = add %7, %6
  ret %8
}`,
    );
  });
});
