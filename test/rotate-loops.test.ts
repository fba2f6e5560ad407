// Loop rotation in the back end's layout (compiler/backend/rotate-loops.ts): IR in, eBPF out.
import { describe, expect, it } from "vitest";
import { generate } from "../compiler/backend/index.js";
import { parseFunc } from "../compiler/ir/parse.js";
import { formatInsn } from "../compiler/isa/disasm.js";
import { runBpf } from "./support/bpf-interp.js";

const sumBelow = `func f(%0:i64) {
b0:
  br b1
b1:
  %1:i64 = phi [b0: 0], [b2: %3]
  %2:i64 = phi [b0: 0], [b2: %4]
  cbr ult.64 %1, %0 -> b2, b3
b2:
  %4:i64 = add %2, %1
  %3:i64 = add %1, 1
  br b1
b3:
  ret %2
}`;

describe("loop rotation", () => {
  it("copies the header's exit test to the back edge: one conditional jump per iteration, no ja", () => {
    const code = generate(parseFunc(sumBelow), { isProgram: false, checkAlloc: true });
    const text = code.insns.map((i, pc) => formatInsn(i, pc));
    expect(text.filter((l) => l.includes("goto")).length).toBe(2); // the entry test and the rotated one
    expect(text.some((l) => /^goto /.test(l))).toBe(false); // no unconditional jump
    for (const n of [0n, 1n, 2n, 10n]) {
      const r = runBpf(code.insns, { args: [n] });
      expect(r.r0).toBe((n * (n - 1n)) / 2n);
    }
    // 10 iterations: the body (2 adds + the test) ten times, plus the set-up, the entry test and exit.
    const steps = (n: bigint) => runBpf(code.insns, { args: [n] }).steps;
    expect(steps(11n) - steps(10n)).toBe(3);
  });

  it("leaves a header that does more than test", () => {
    const text = sumBelow.replace("  cbr ult.64 %1, %0", "  %5:i64 = add %1, %0\n  cbr ult.64 %5, 100");
    const code = generate(parseFunc(text), { isProgram: false, checkAlloc: true });
    expect(code.insns.map((i, pc) => formatInsn(i, pc)).some((l) => /^goto /.test(l))).toBe(true);
  });
});
