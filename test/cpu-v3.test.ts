// Why: the default target is cpu v3 (kernel 5.1+), with v4 (MOVSX, SDIV/SMOD; kernel 6.6+) behind
// `cpu: "v4"`. Every fixture, language sample and example must compile in both modes, contain no v4
// instruction in v3 mode, and pass the verifier either way; the arithmetic fixtures (signed division,
// modulo and sign extension at every width) must also compute the same results as the reference in
// v4 mode (test/kernel-fixtures.test.ts covers the default, v3).

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, type CompileOptions } from "../compiler/compile.js";
import { readElf, SHF, SHT } from "../common/read-elf.js";
import { decode } from "../compiler/isa/decode.js";
import { loadObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { ARITH_SLOTS, arithExpected } from "./support/fixture-arith.js";
import { expectSlots, poisonResults, readResults, run, XDP } from "./support/fixture-harness.js";
import { ALL_TYPES, edges, packStruct, Rng, T } from "./support/fixture-ref.js";

const here = import.meta.dirname;
const CPUS = ["v3", "v4"] as const;

function sources(): string[] {
  const dir = (d: string): string[] =>
    readdirSync(join(here, d))
      .filter((f) => f.endsWith(".bpf.ts"))
      .sort()
      .map((f) => join(here, d, f));
  const ex = join(here, "..", "examples");
  const examples = readdirSync(ex)
    .sort()
    .flatMap((d) =>
      readdirSync(join(ex, d))
        .filter((f) => f.endsWith(".bpf.ts"))
        .map((f) => join(ex, d, f)),
    );
  return [...dir("fixtures"), ...dir("lang"), ...examples];
}

function build(file: string, cpu: CompileOptions["cpu"]): Uint8Array {
  const r = compile(file, readFileSync(file, "utf8"), { checkIr: true, cpu });
  expect(
    r.diagnostics.filter((d) => d.severity !== "warning"),
    file,
  ).toEqual([]);
  expect(r.ok, file).toBe(true);
  return r.object!;
}

/** The v4 instructions (§1.7) in every executable section of an object. */
function v4Opcodes(obj: Uint8Array): string[] {
  const bad: string[] = [];
  for (const sec of readElf(obj).sections) {
    if (sec.type !== SHT.PROGBITS || !(sec.flags & SHF.EXECINSTR)) continue;
    for (const i of decode(sec.data)) {
      const cls = i.opcode & 7;
      const op = i.opcode & 0xf0;
      const alu = cls === 4 || cls === 7;
      const movsx = alu && op === 0xb0 && i.off !== 0;
      const sdivSmod = alu && (op === 0x30 || op === 0x90) && i.off !== 0;
      const ldxsx = cls === 1 && (i.opcode & 0xe0) === 0x80;
      if (movsx || sdivSmod || ldxsx || i.opcode === 0xd7 || i.opcode === 0x06) {
        bad.push(`${sec.name}: opcode 0x${i.opcode.toString(16)} off ${i.off}`);
      }
    }
  }
  return bad;
}

const needsOpts: Record<string, Parameters<typeof loadObject>[1]> = {
  "tracing-kinds.bpf.ts": { rodata: { TARGET_TGID: process.pid } },
};

describe("cpu v3 and v4 compile everything", () => {
  it("every source compiles in both modes; v3 objects have no v4 opcode", { timeout: 300_000 }, () => {
    const files = sources();
    expect(files.length).toBeGreaterThan(40);
    for (const f of files) {
      expect(v4Opcodes(build(f, "v3")), f).toEqual([]);
      expect(v4Opcodes(build(f, undefined)), f).toEqual([]);
      expect(build(f, "v4").length).toBeGreaterThan(64);
      if (/arith-i(8|16|32|64)\.bpf\.ts$/.test(f)) expect(v4Opcodes(build(f, "v4")).length, f).toBeGreaterThan(0);
    }
  });
});

describeKernel("cpu v3 and v4 in the kernel", () => {
  for (const cpu of CPUS) {
    it(`every source passes the verifier (cpu ${cpu})`, { timeout: 300_000 }, () => {
      for (const f of sources()) {
        const name = f.split("/").pop()!;
        if (/\b(fentry|fexit|lsm)\(/.test(readFileSync(f, "utf8"))) {
          // This kernel refuses fentry/fexit/LSM loads with EPERM (test/language.test.ts), whatever the code.
          try {
            loadObject(build(f, cpu)).close();
          } catch (e) {
            expect(String((e as Error).message)).toMatch(/EPERM|operation not permitted/i);
          }
          continue;
        }
        using obj = loadObject(build(f, cpu), needsOpts[name]);
        expect(obj.programs.size, f).toBeGreaterThan(0);
        for (const p of obj.programs.values()) expect(p.fd, `${f} ${cpu}`).toBeGreaterThan(0);
      }
    });
  }

  for (const t of ALL_TYPES) {
    it(`arith-${t.name} computes the reference results with cpu v4`, () => {
      const file = join(here, "fixtures", `arith-${t.name}.bpf.ts`);
      using obj = loadObject(build(file, "v4"), { name: `arith_v4_${t.name}`.slice(0, 15) });
      const e = edges(t);
      const rng = new Rng(t.bits * 13 + (t.signed ? 1 : 0));
      const inputs: [bigint, bigint, bigint][] = [];
      for (const a of e) for (const b of e) inputs.push([a, b, BigInt(inputs.length % 70)]);
      for (let i = 0; i < 20; i++) inputs.push([rng.of(t), rng.of(t), BigInt(rng.below(256))]);
      for (const [a, b, s] of inputs) {
        poisonResults(obj, ARITH_SLOTS);
        const res = run(
          obj,
          `arith_${t.name}`,
          packStruct([
            [t, a],
            [t, b],
            [T.u8, s],
          ]),
        );
        expect(res.retval).toBe(XDP.PASS);
        expectSlots(readResults(obj, ARITH_SLOTS), arithExpected(t, a, b, s), [], `v4 a=${a} b=${b} s=${s}`);
      }
    });
  }
});
