// Kernel behaviour of packet loops after loop-sr and loop rotation: the results match a model of
// the source on packets of every length around the loops' ends, and the loop bodies stay short.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { decode } from "../compiler/isa/decode.js";
import { formatInsn, jumpTarget } from "../compiler/isa/disasm.js";
import { readElf } from "../common/read-elf.js";
import { compileAndLoad, readMap, testRun } from "../testing/index.js";
import { describeKernel, kernelTest } from "./kernel-env.js";

const FIXTURE = "test/fixtures/codegen/packet-loops.bpf.ts";

function model(p: Uint8Array): [number, number, number] {
  let h = 7;
  let n = 0;
  for (let i = 3; i < 41; i += 2) {
    if (10 + i + 1 > p.length) break;
    h = (Math.imul(h, 31) + p[10 + i]!) >>> 0;
    n++;
  }
  let s = 0;
  for (let j = 0; j < 24; j++) {
    const o = 14 + j * 2;
    if (o + 2 > p.length) break;
    s = (s + ((p[o]! | (p[o + 1]! << 8)) ^ j)) >>> 0;
  }
  return [h, n, s];
}

describe("packet loop bodies", () => {
  it("are short: a pointer that advances, one bounds check, one exit test at the bottom, no register copies", () => {
    const r = compile(FIXTURE, readFileSync(FIXTURE, "utf8"));
    expect(r.ok).toBe(true);
    const text = readElf(r.object!).sections.find((s) => s.name === "xdp")!.data;
    const insns = decode(text);
    const lines = insns.map((i, pc) => formatInsn(i, pc));
    // Each loop ends in a conditional jump back; its body runs from the jump's target to the jump.
    const loops = insns.flatMap((i, pc) => {
      const t = jumpTarget(i, pc);
      return t !== undefined && t <= pc ? [lines.slice(t, pc + 1)] : [];
    });
    expect(loops.length).toBe(2);
    for (const body of loops) {
      expect(
        body.filter((l) => /^r\d+ = r\d+$/.test(l)),
        body.join("\n"),
      ).toEqual([]);
      expect(body.filter((l) => /^goto /.test(l))).toEqual([]);
      expect(body.length).toBeLessThanOrEqual(8);
    }
  });
});

describeKernel("packet loops (loop-sr, rotation)", () => {
  kernelTest("agree with the model on packets of 14 to 80 bytes", () => {
    using obj = compileAndLoad(FIXTURE);
    const prog = obj.programs.get("packet_loops")!;
    for (let len = 14; len <= 80; len++) {
      const p = Uint8Array.from({ length: len }, (_, k) => (k * 37 + len) & 0xff);
      expect(testRun(prog, p).verdict).toBe("XDP_PASS");
      const m = readMap<number, number>(obj, "out");
      expect([m.get(0), m.get(1), m.get(2)], `length ${len}`).toEqual(model(p));
    }
  });
});
