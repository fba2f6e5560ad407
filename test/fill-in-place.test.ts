import { describe, it } from "vitest";
import { deadStackStore } from "../compiler/passes/dead-stack-store.js";
import { fillInPlace } from "../compiler/passes/fill-in-place.js";
import { expectPass } from "./support/ir-pass.js";

// IR in, IR out for fill-in-place (random functions through it, with an interpreter, are in
// passes.test.ts).

describe("fill-in-place (textual)", () => {
  it("lets get_current_comm write straight into the struct field its temporary was copied to", () => {
    expectPass(
      fillInPlace,
      `func f(%0:ptr) slots [s0: 32 align 8, s1: 16 align 8] {
b0:
  %1:ptr = stackaddr s0
  store.8 %1, 0, 7
  %2:ptr = stackaddr s1
  %3:i64 = call 16 (%2, 16)
  %4:i64 = load.8 %2, 0
  store.8 %1, 8, %4
  %5:i64 = load.8 %2, 8
  store.8 %1, 16, %5
  %6:ptr = mapaddr @events
  %7:i64 = call 130 (%6, %1, 32, 0)
  ret 0
}`,
      `func f(%0:ptr) slots [s0: 32 align 8, s1: 16 align 8] {
b0:
  %1:ptr = stackaddr s0
  store.8 %1, 0, 7
  %2:ptr = stackaddr s1
  %8:ptr = ptradd %1, 8
  %3:i64 = call 16 (%8, 16)
  %6:ptr = mapaddr @events
  %7:i64 = call 130 (%6, %1, 32, 0)
  ret 0
}`,
    );
  });

  it("keeps the temporary when it is read again after the copies", () => {
    expectPass(
      fillInPlace,
      `func f(%0:ptr) slots [s0: 32 align 8, s1: 16 align 8] {
b0:
  %1:ptr = stackaddr s0
  %2:ptr = stackaddr s1
  %3:i64 = call 16 (%2, 16)
  %4:i64 = load.8 %2, 0
  store.8 %1, 8, %4
  %5:i64 = load.8 %2, 8
  store.8 %1, 16, %5
  %8:i64 = load.8 %2, 0
  %6:ptr = mapaddr @events
  %7:i64 = call 130 (%6, %1, 32, %8)
  ret 0
}`,
      `func f(%0:ptr) slots [s0: 32 align 8, s1: 16 align 8] {
b0:
  %1:ptr = stackaddr s0
  %2:ptr = stackaddr s1
  %3:i64 = call 16 (%2, 16)
  %4:i64 = load.8 %2, 0
  store.8 %1, 8, %4
  %5:i64 = load.8 %2, 8
  store.8 %1, 16, %5
  %8:i64 = load.8 %2, 0
  %6:ptr = mapaddr @events
  %7:i64 = call 130 (%6, %1, 32, %8)
  ret 0
}`,
    );
  });

  it("then dead-stack-store drops the zero-fill of the bytes get_current_comm writes", () => {
    expectPass(
      deadStackStore,
      `func f(%0:ptr) slots [s0: 32 align 8] {
b0:
  %1:ptr = stackaddr s0
  store.8 %1, 0, 0
  store.8 %1, 8, 0
  store.8 %1, 16, 0
  store.8 %1, 24, 0
  %2:ptr = ptradd %1, 8
  %3:i64 = call 16 (%2, 16)
  %4:ptr = mapaddr @events
  %5:i64 = call 130 (%4, %1, 32, 0)
  ret 0
}`,
      `func f(%0:ptr) slots [s0: 32 align 8] {
b0:
  %1:ptr = stackaddr s0
  store.8 %1, 0, 0
  store.8 %1, 24, 0
  %2:ptr = ptradd %1, 8
  %3:i64 = call 16 (%2, 16)
  %4:ptr = mapaddr @events
  %5:i64 = call 130 (%4, %1, 32, 0)
  ret 0
}`,
    );
  });
});
