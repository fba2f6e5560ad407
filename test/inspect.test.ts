// `tsbpf inspect`: sections, programs with instruction counts, maps with types and sizes, and the
// BTF as C declarations, for tsbpf's own objects; documented errors for missing and corrupt files.

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../compiler/tools/cli.js";
import { compile } from "../compiler/compile.js";
import { formatInspection, inspectCommand, inspectObject } from "../compiler/tools/inspect.js";

const root = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-inspect-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function buildExample(name: string): { bytes: Uint8Array; result: ReturnType<typeof compile> } {
  const file = join(root, "examples", name, `${name}.bpf.ts`);
  const result = compile(file, readFileSync(file, "utf8"));
  expect(result.ok).toBe(true);
  return { bytes: result.object!, result };
}

/** Run `fn` capturing what it writes to stdout and stderr. */
/** Like capture(), for the CLI's main(), which loads `inspect` on demand (a promise). */
async function captureMain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

function capture(fn: () => number): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: fn(), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("inspect", () => {
  it("lists xdp-counter's programs, maps and BTF types", () => {
    const { bytes, result } = buildExample("xdp-counter");
    const info = inspectObject(bytes);
    expect(info.programs).toEqual([
      { name: "xdp_counter", section: "xdp", insns: result.programs[0]!.insnCount, slots: expect.any(Number), subprogram: false },
    ]);
    expect(info.maps).toEqual([
      {
        name: "counters",
        type: 6,
        typeName: "PERCPU_ARRAY",
        keySize: 4,
        valueSize: 16,
        keyType: "u32",
        valueType: "struct Counter",
        keyTs: "number",
        valueTs: "{ packets: bigint; bytes: bigint }",
        maxEntries: 256,
        flags: 0,
      },
    ]);
    expect(info.license).toBe("GPL");
    expect(info.sections.map((s) => s.name)).toEqual(expect.arrayContaining(["xdp", "license", ".maps", ".BTF", ".BTF.ext"]));

    const text = formatInspection(info, "xdp-counter.bpf.o");
    expect(text).toContain(`xdp_counter  section xdp  ${result.programs[0]!.insnCount} instructions`);
    expect(text).toContain("counters  PERCPU_ARRAY  key u32 (4 bytes)  value struct Counter (16 bytes)  max_entries 256");
    expect(text).toContain("typedef unsigned long long u64;");
    expect(text).toMatch(/struct Counter \{\n\tu64 packets;\t\/\* offset 0 \*\/\n\tu64 bytes;\t\/\* offset 8 \*\/\n\};\t\/\* size 16 \*\//);
    expect(text).toMatch(
      /struct \{\n\tint \(\*type\)\[6\];[^\n]*\n\tu32 \*key;[^\n]*\n\tstruct Counter \*value;[^\n]*\n\tint \(\*max_entries\)\[256\];[^\n]*\n\} counters SEC\("\.maps"\);/,
    );
    expect(text).toMatch(/i32 xdp_counter\(void \*ctx\);/);
    expect(text).toContain("License: GPL");
  });

  it("works through the CLI for every example", async () => {
    for (const name of readdirSync(join(root, "examples"))) {
      const o = join(tmp, `${name}.bpf.o`);
      writeFileSync(o, buildExample(name).bytes);
      const r = await captureMain(["inspect", o]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`${o}: eBPF relocatable object`);
      expect(r.out).toMatch(/Programs \([1-9]\d*\):/);
      expect(r.out).toMatch(/BTF \(\d+ types\):/);
    }
  });

  it("gives documented errors for missing, corrupt and non-BPF files", async () => {
    const missing = capture(() => inspectCommand([join(tmp, "nope.o")]));
    expect(missing).toEqual({ code: 1, out: "", err: `error: cannot read ${join(tmp, "nope.o")}: no such file\n` });

    const junk = join(tmp, "junk.o");
    writeFileSync(junk, "this is not an ELF file, just some text that is long enough to read a header from");
    const r1 = capture(() => inspectCommand([junk]));
    expect(r1).toEqual({ code: 1, out: "", err: `error: ${junk}: not a readable ELF64 LE object: bad magic\n` });

    const short = join(tmp, "short.o");
    writeFileSync(short, new Uint8Array([0x7f, 0x45, 0x4c, 0x46]));
    expect(capture(() => inspectCommand([short])).err).toBe(`error: ${short}: not a readable ELF64 LE object: only 4 bytes\n`);

    // A real object whose section table points past the end of the file.
    const truncated = join(tmp, "truncated.o");
    writeFileSync(truncated, buildExample("xdp-pass").bytes.subarray(0, 200));
    const r2 = capture(() => inspectCommand([truncated]));
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/^error: .*truncated\.o: not a readable ELF64 LE object: section header table out of bounds\n$/);

    // Corrupt BTF inside a valid ELF: BTF magic overwritten.
    const { bytes } = buildExample("xdp-counter");
    const copy = bytes.slice();
    const btfAt = findBtf(copy);
    copy[btfAt] = 0;
    copy[btfAt + 1] = 0;
    const badBtf = join(tmp, "badbtf.o");
    writeFileSync(badBtf, copy);
    expect(capture(() => inspectCommand([badBtf])).err).toBe(`error: ${badBtf}: invalid BTF: bad magic 0x0\n`);

    // Not BPF: this Node binary (ELF for another machine) or a directory.
    const r3 = capture(() => inspectCommand([process.execPath]));
    expect(r3.code).toBe(1);
    expect(r3.err).toMatch(/not an eBPF object \(ELF machine \d+, expected 247\)|not a readable ELF64 LE object/);
    expect(capture(() => inspectCommand([tmp])).err).toBe(`error: cannot read ${tmp}: is a directory\n`);

    expect(capture(() => inspectCommand([])).code).toBe(2);
    expect((await captureMain(["inspect", "a.o", "b.o"])).code).toBe(2);
  });
});

/** Offset of the .BTF magic (0xeb9f LE) in an object. */
function findBtf(bytes: Uint8Array): number {
  for (let i = 64; i < bytes.length - 1; i++) if (bytes[i] === 0x9f && bytes[i + 1] === 0xeb && bytes[i + 2] === 1) return i;
  throw new Error("no BTF");
}
