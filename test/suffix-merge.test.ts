import { describe, it } from "vitest";
import { suffixMerge } from "../compiler/passes/suffix-merge.js";
import { expectPass } from "./support/ir-pass.js";

// IR in, IR out for suffix-merge (random twins with an interpreter are in passes.test.ts).

describe("suffix-merge (textual)", () => {
  it("shares an inlined account(key): the keys differ, the lookup and the atomic adds after it are one copy", () => {
    // b2 keeps its own start (the dead add) and jumps to b1, whose store takes the key from a phi; the
    // exclusive successor b4 (B's atomic adds) goes with it.
    expectPass(
      suffixMerge,
      `func f(%0:ptr, %1:i32, %2:i64) slots [s0: 8 align 8] {
b0:
  %3:ptr = stackaddr s0
  cbr eq.32 %1, 6 -> b1, b2
b1:
  store.4 %3, 0, 2
  %4:ptr = mapaddr @stats
  %5:ptr = call 1 (%4, %3)
  cbr ne.64 %5, 0 -> b3, b5
b3:
  atomic.add.8 %5, 0, 1
  atomic.add.8 %5, 8, %2
  br b5
b2:
  %6:i64 = add %2, 14
  store.4 %3, 0, 1
  %7:ptr = mapaddr @stats
  %8:ptr = call 1 (%7, %3)
  cbr ne.64 %8, 0 -> b4, b5
b4:
  atomic.add.8 %8, 0, 1
  atomic.add.8 %8, 8, %2
  br b5
b5:
  ret 1
}`,
      `func f(%0:ptr, %1:i32, %2:i64) slots [s0: 8 align 8] {
b0:
  %3:ptr = stackaddr s0
  cbr eq.32 %1, 6 -> b1, b2
b1:
  %9:i32 = phi [b0: 2], [b2: 1]
  store.4 %3, 0, %9
  %4:ptr = mapaddr @stats
  %5:ptr = call 1 (%4, %3)
  cbr ne.64 %5, 0 -> b3, b5
b3:
  atomic.add.8 %5, 0, 1
  atomic.add.8 %5, 8, %2
  br b5
b2:
  %6:i64 = add %2, 14
  br b1
b5:
  ret 1
}`,
    );
  });

  it("moves the common end into a new block when both blocks keep a start of their own", () => {
    // The loads differ (a phi takes them); the stack address, redone on each side, is one definition.
    expectPass(
      suffixMerge,
      `func f(%0:ptr, %1:i32, %2:i64) slots [s0: 8 align 8] {
b0:
  cbr eq.32 %1, 6 -> b1, b2
b1:
  %3:i32 = load.4 %0, 0
  %4:ptr = stackaddr s0
  store.4 %4, 0, 2
  %5:ptr = mapaddr @stats
  %6:i64 = call 1 (%5, %4)
  %13:i64 = zext %3
  %7:i64 = add %2, %13
  ret %7
b2:
  %8:i32 = load.4 %0, 4
  %9:ptr = stackaddr s0
  store.4 %9, 0, 2
  %10:ptr = mapaddr @stats
  %11:i64 = call 1 (%10, %9)
  %14:i64 = zext %8
  %12:i64 = add %2, %14
  ret %12
}`,
      `func f(%0:ptr, %1:i32, %2:i64) slots [s0: 8 align 8] {
b0:
  cbr eq.32 %1, 6 -> b1, b2
b1:
  %3:i32 = load.4 %0, 0
  br b3
b3:
  %15:i32 = phi [b1: %3], [b2: %8]
  %4:ptr = stackaddr s0
  store.4 %4, 0, 2
  %5:ptr = mapaddr @stats
  %6:i64 = call 1 (%5, %4)
  %13:i64 = zext %15
  %7:i64 = add %2, %13
  ret %7
b2:
  %8:i32 = load.4 %0, 4
  br b3
}`,
    );
  });

  it("lets the join's phi take the shared value once", () => {
    expectPass(
      suffixMerge,
      `func f(%0:ptr, %1:i32, %2:i64) {
b0:
  cbr eq.32 %1, 6 -> b1, b2
b1:
  %3:i64 = add %2, 1
  %4:i64 = mul %2, 3
  %5:i64 = call 7 (%4)
  cbr ne.64 %5, 0 -> b3, b4
b2:
  %6:i64 = add %2, 2
  %7:i64 = mul %2, 3
  %8:i64 = call 7 (%7)
  cbr ne.64 %8, 0 -> b3, b4
b3:
  %9:i64 = phi [b1: %4], [b2: %7]
  ret %9
b4:
  ret 0
}`,
      `func f(%0:ptr, %1:i32, %2:i64) {
b0:
  cbr eq.32 %1, 6 -> b1, b2
b1:
  %3:i64 = add %2, 1
  br b5
b5:
  %4:i64 = mul %2, 3
  %5:i64 = call 7 (%4)
  cbr ne.64 %5, 0 -> b3, b4
b2:
  %6:i64 = add %2, 2
  br b5
b3:
  %9:i64 = phi [b5: %4]
  ret %9
b4:
  ret 0
}`,
    );
  });

  it("leaves blocks that branch to a loop header alone", () => {
    expectPass(
      suffixMerge,
      `func f(%0:ptr, %1:i64) {
b0:
  br b1
b1:
  %2:i64 = phi [b0: 0], [b2: %4], [b3: %6]
  cbr ugt.64 %2, 100 -> b4, b5
b5:
  cbr eq.64 %1, 3 -> b2, b3
b2:
  %3:i64 = add %2, 1
  %4:i64 = call 7 (%3)
  br b1
b3:
  %5:i64 = add %2, 1
  %6:i64 = call 7 (%5)
  br b1
b4:
  ret %2
}`,
      `func f(%0:ptr, %1:i64) {
b0:
  br b1
b1:
  %2:i64 = phi [b0: 0], [b2: %4], [b3: %6]
  cbr ugt.64 %2, 100 -> b4, b5
b5:
  cbr eq.64 %1, 3 -> b2, b3
b2:
  %3:i64 = add %2, 1
  %4:i64 = call 7 (%3)
  br b1
b3:
  %5:i64 = add %2, 1
  %6:i64 = call 7 (%5)
  br b1
b4:
  ret %2
}`,
    );
  });

  it("never lets two different maps meet in one register (the verifier would stop inlining the lookups)", () => {
    const text = `func f(%0:ptr, %1:i32) slots [s0: 8 align 8] {
b0:
  %2:ptr = stackaddr s0
  store.4 %2, 0, %1
  cbr eq.32 %1, 6 -> b1, b2
b1:
  %3:ptr = mapaddr @tcp_hits
  %4:ptr = call 1 (%3, %2)
  cbr ne.64 %4, 0 -> b3, b5
b3:
  atomic.add.8 %4, 0, 1
  br b5
b2:
  %5:ptr = mapaddr @udp_hits
  %6:ptr = call 1 (%5, %2)
  cbr ne.64 %6, 0 -> b4, b5
b4:
  atomic.add.8 %6, 0, 1
  br b5
b5:
  ret 2
}`;
    expectPass(suffixMerge, text, text);
  });
});
