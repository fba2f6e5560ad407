// IR-in/IR-out tests of the loop passes that cut verifier cost per iteration (loop-sr).
import { describe, it } from "vitest";
import { loopSr } from "../compiler/passes/loop-sr.js";
import { loopPreheader } from "../compiler/passes/loop-preheader.js";
import { redundantPhi } from "../compiler/passes/redundant-phi.js";
import { expectPass } from "./support/ir-pass.js";

/** The payload loop as the front end and licm leave it: `ctx.header<u8>(42 + i)` for i < 64. */
const payloadLoop = (bound: string, stepCall = "") => `func f(%0:ptr) {
b0:
  %4:ptr = ctxptr %0, 0
  %5:ptr = ctxptr %0, 4
  br b1
b1:
  %1:i32 = phi [b0: 0], [b5: %27]
  %10:i32 = phi [b0: 0], [b5: %14]
  cbr ${bound} -> b2, b4
b2:
  %42:ptr = ptradd %4, %1
  %6:ptr = ptradd %42, 42
  %7:ptr = ptradd %6, 1
  cbr ugt.64 %7, %5 -> b4, b5
b4:
  ret %10
b5:
  %12:i32 = load.1 %6, 0
  %14:i32 = add %10, %12
${stepCall}  %27:i32 = add %1, 1
  br b1
}`;

describe("loop-sr (textual)", () => {
  it("turns data + i into a pointer phi rebased on the compared offset", () => {
    expectPass(
      loopSr,
      payloadLoop("ult.32 %1, 64"),
      `func f(%0:ptr) {
b0:
  %4:ptr = ctxptr %0, 0
  %5:ptr = ctxptr %0, 4
  %44:ptr = ptradd %4, 43
  br b1
b1:
  %1:i32 = phi [b0: 0], [b5: %27]
  %10:i32 = phi [b0: 0], [b5: %14]
  %43:ptr = phi [b0: %44], [b5: %45]
  cbr ult.32 %1, 64 -> b2, b4
b2:
  %6:ptr = ptradd %43, -1
  cbr ugt.64 %43, %5 -> b4, b5
b4:
  ret %10
b5:
  %12:i32 = load.1 %6, 0
  %14:i32 = add %10, %12
  %27:i32 = add %1, 1
  %45:ptr = ptradd %43, 1
  br b1
}`,
    );
  });

  it("leaves counters that could wrap, loops with calls and bases computed in the loop", () => {
    // i <= 0xffffffff: i + 1 wraps to 0 while data + i would not.
    const wraps = payloadLoop("ule.32 %1, 4294967295");
    expectPass(loopSr, wraps, wraps);
    const withCall = payloadLoop("ult.32 %1, 64", "  %30:i64 = call 5 ()\n");
    expectPass(loopSr, withCall, withCall);
    const inner = `func f(%0:ptr) {
b0:
  br b1
b1:
  %1:i32 = phi [b0: 0], [b2: %3]
  cbr ult.32 %1, 8 -> b2, b3
b2:
  %4:ptr = ctxptr %0, 0
  %5:ptr = ptradd %4, %1
  %6:i32 = load.1 %5, 0
  %3:i32 = add %1, 1
  br b1
b3:
  ret 0
}`;
    expectPass(loopSr, inner, inner);
  });

  it("handles other starts and steps, and a latch that is the bounds check", () => {
    const after = `func f(%0:ptr) {
b0:
  %4:ptr = ctxptr %0, 0
  %5:ptr = ctxptr %0, 4
  br b1
b1:
  %1:i32 = phi [b0: 2], [b2: %3]
  cbr ult.32 %1, 8 -> b2, b3
b2:
  %6:ptr = ptradd %4, %1
  %7:ptr = ptradd %6, 4
  %3:i32 = add %1, 2
  cbr ugt.64 %7, %5 -> b3, b1
b3:
  ret 0
}`;
    expectPass(
      loopSr,
      after,
      `func f(%0:ptr) {
b0:
  %4:ptr = ctxptr %0, 0
  %5:ptr = ctxptr %0, 4
  %9:ptr = ptradd %4, 6
  br b1
b1:
  %1:i32 = phi [b0: 2], [b2: %3]
  %8:ptr = phi [b0: %9], [b2: %10]
  cbr ult.32 %1, 8 -> b2, b3
b2:
  %3:i32 = add %1, 2
  %10:ptr = ptradd %8, 2
  cbr ugt.64 %8, %5 -> b3, b1
b3:
  ret 0
}`,
    );
  });
});

describe("loop-preheader (textual)", () => {
  it("gives a loop entered from two places one block to enter from, with a phi where they disagree", () => {
    expectPass(
      loopPreheader,
      `func f(%0:i32) {
b0:
  cbr eq.32 %0, 0 -> b1, b2
b1:
  br b2
b2:
  %1:i32 = phi [b0: 5], [b1: 7], [b3: %3]
  %2:i32 = phi [b0: %0], [b1: %0], [b3: %2]
  cbr ult.32 %1, 64 -> b3, b4
b3:
  %3:i32 = add %1, 1
  br b2
b4:
  ret %2
}`,
      `func f(%0:i32) {
b0:
  cbr eq.32 %0, 0 -> b1, b5
b1:
  br b5
b5:
  %4:i32 = phi [b0: 5], [b1: 7]
  br b2
b2:
  %1:i32 = phi [b3: %3], [b5: %4]
  %2:i32 = phi [b3: %2], [b5: %0]
  cbr ult.32 %1, 64 -> b3, b4
b3:
  %3:i32 = add %1, 1
  br b2
b4:
  ret %2
}`,
    );
  });
});

describe("redundant-phi (textual)", () => {
  it("replaces a phi fed only by one value and by itself through copies; keeps real ones", () => {
    expectPass(
      redundantPhi,
      `func f(%0:i32) {
b0:
  br b1
b1:
  %1:i32 = phi [b0: 0], [b2: %3]
  %2:i32 = phi [b0: %0], [b2: %4]
  cbr ult.32 %1, 64 -> b2, b3
b2:
  %4:i32 = copy %2
  %3:i32 = add %1, 1
  br b1
b3:
  %5:i32 = add %2, %1
  ret %5
}`,
      `func f(%0:i32) {
b0:
  br b1
b1:
  %1:i32 = phi [b0: 0], [b2: %3]
  cbr ult.32 %1, 64 -> b2, b3
b2:
  %4:i32 = copy %0
  %3:i32 = add %1, 1
  br b1
b3:
  %5:i32 = add %0, %1
  ret %5
}`,
    );
  });
});

describe("loop-sr with a scaled counter (textual)", () => {
  const scaled = (bound: string) => `func f(%0:ptr) {
b0:
  %4:ptr = ctxptr %0, 0
  %5:ptr = ctxptr %0, 4
  br b1
b1:
  %1:i32 = phi [b0: 0], [b5: %27]
  %10:i32 = phi [b0: 0], [b5: %14]
  cbr ult.32 %1, ${bound} -> b2, b4
b2:
  %2:i32 = mul %1, 2
  %42:ptr = ptradd %4, %2
  %6:ptr = ptradd %42, 14
  %7:ptr = ptradd %42, 16
  cbr ugt.64 %7, %5 -> b4, b5
b4:
  ret %10
b5:
  %12:i32 = load.2 %6, 0
  %14:i32 = add %10, %12
  %27:i32 = add %1, 1
  br b1
}`;

  it("steps the pointer by the scale: ctx.header<u16>(14 + i * 2)", () => {
    expectPass(
      loopSr,
      scaled("24"),
      `func f(%0:ptr) {
b0:
  %4:ptr = ctxptr %0, 0
  %5:ptr = ctxptr %0, 4
  %44:ptr = ptradd %4, 16
  br b1
b1:
  %1:i32 = phi [b0: 0], [b5: %27]
  %10:i32 = phi [b0: 0], [b5: %14]
  %43:ptr = phi [b0: %44], [b5: %45]
  cbr ult.32 %1, 24 -> b2, b4
b2:
  %2:i32 = mul %1, 2
  %6:ptr = ptradd %43, -2
  cbr ugt.64 %43, %5 -> b4, b5
b4:
  ret %10
b5:
  %12:i32 = load.2 %6, 0
  %14:i32 = add %10, %12
  %27:i32 = add %1, 1
  %45:ptr = ptradd %43, 2
  br b1
}`,
    );
  });

  it("leaves it when i * 2 could wrap at 32 bits before the exit test stops it", () => {
    const wraps = scaled("2147483648");
    expectPass(loopSr, wraps, wraps);
  });
});
