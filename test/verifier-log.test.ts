// Verifier rejections read like compile errors: a tsbpf object with one check removed by hand (the
// compiler never emits such code) is loaded into the real kernel; the error must name the
// TypeScript line of the failing instruction, the verifier's reason and a hint, and keep the log.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { readElf } from "../common/read-elf.js";
import { loadObject, VerifierError } from "../runtime/index.js";
import { explainVerifierLog, readLineInfo, VERIFIER_HINTS } from "../runtime/verifier-log.js";
import { describeKernel } from "./kernel-env.js";
import { ensureDist } from "./support/dist.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const FILE = path.join(ROOT, "examples", "xdp-counter", "xdp-counter.bpf.ts");
const SRC = fs.readFileSync(FILE, "utf8");

function built(): Uint8Array {
  const r = compile(FILE, SRC);
  expect(r.ok).toBe(true);
  return r.object!;
}

/** The 1-based line and column of `needle` in the example. */
function at(needle: string): { line: number; col: number } {
  const lines = SRC.split("\n");
  const line = lines.findIndex((l) => l.includes(needle));
  return { line: line + 1, col: lines[line].indexOf(needle) + 1 };
}

/**
 * Overwrites, in section `xdp`, the first conditional jump after `afterInsn` whose opcode is `op`
 * with `ja +0`: the check it made is gone, the rest of the program is unchanged.
 */
function dropCheck(obj: Uint8Array, op: number, afterInsn: number): { bytes: Uint8Array; insn: number } {
  const bytes = obj.slice();
  const sec = readElf(bytes).sectionByName("xdp")!;
  for (let i = afterInsn; i * 8 < sec.size; i++) {
    const at = sec.offset + i * 8;
    if (bytes[at] === op) {
      bytes.fill(0, at, at + 8);
      bytes[at] = 0x05; // BPF_JMP | BPF_JA, offset 0
      return { bytes, insn: i };
    }
  }
  throw new Error(`no opcode ${op.toString(16)} in xdp`);
}

function rejection(bytes: Uint8Array): VerifierError {
  try {
    loadObject(bytes, { name: `vlog${process.pid}` }).close();
  } catch (e) {
    expect(e).toBeInstanceOf(VerifierError);
    return e as VerifierError;
  }
  throw new Error("the patched object loaded");
}

describe("line info", () => {
  it("reads every instruction's file, line and column back from .BTF.ext", () => {
    const info = readLineInfo(built());
    const recs = info.records.get("xdp")!;
    expect(recs.length).toBeGreaterThan(3);
    expect(info.sizes.get("xdp")).toBeGreaterThan(recs[recs.length - 1].insn);
    const ip = at("ip.protocol");
    expect(recs).toContainEqual(expect.objectContaining({ file: FILE, line: ip.line, text: SRC.split("\n")[ip.line - 1] }));
  });
});

describe("the hint table", () => {
  const cases: [string, RegExp][] = [
    ["R0 invalid mem access 'map_value_or_null'", /if \(v !== null\)/],
    ["invalid access to packet, off=23 size=1, R2(id=0,off=23,r=14)", /ctx\.header/],
    ["BPF program is too large. Processed 1000001 insn", /1M instructions/],
    ["jump out of range from insn 3 to 90", /malformed/],
    ["program of this type cannot use helper bpf_probe_read#4", /program kind/],
    ["invalid read from stack off -8+0 size 8", /initialise/],
    ["back-edge from insn 12 to 4", /loop/],
    ["cannot call GPL-restricted function from non-GPL compatible program", /LICENSE/],
  ];
  for (const [msg, hint] of cases) {
    it(`knows "${msg}"`, () => {
      const e = explainVerifierLog(`0: (b7) r0 = 0\n${msg}\nprocessed 1 insns`, undefined, { records: new Map(), sizes: new Map() });
      expect(e.reason).toBe(msg);
      expect(e.hint).toMatch(hint);
    });
  }
  it("a message no entry knows keeps the reason and has no hint", () => {
    const e = explainVerifierLog("0: (b7) r0 = 0\nsomething new in Linux 7.0\n", undefined, { records: new Map(), sizes: new Map() });
    expect(e).toMatchObject({ reason: "something new in Linux 7.0", insn: 0, hint: undefined });
    expect(VERIFIER_HINTS.length).toBeGreaterThanOrEqual(10);
  });
});

describeKernel("verifier rejections point at TypeScript", () => {
  it("a packet read without its bounds check: the header access line, the reason, the packet hint", () => {
    // Instructions 7-9 check the IPv4 header against data_end; drop that jump (opcode 0x2d, JGT reg).
    const { bytes } = dropCheck(built(), 0x2d, 5);
    const err = rejection(bytes);
    const ip = at("ip.protocol");
    expect(err.source).toMatchObject({ file: FILE, line: ip.line });
    expect(err.reason).toMatch(/invalid access to packet/);
    expect(err.hint).toMatch(/ctx\.header/);
    const first = err.message.split("\n")[1].trim();
    expect(first).toBe(`${FILE}:${ip.line}:${err.source!.col} - verifier: ${err.reason}`);
    expect(err.message).toContain(`${ip.line} | const c = counters.lookup(ip.protocol);`);
    expect(err.message).toContain("hint: ");
    expect(err.log).toMatch(/processed \d+ insns/);
    expect(err.log).toContain(err.reason!);
  });

  it("a lookup used without its null check: the line that dereferences it, and the null hint", () => {
    const { bytes } = dropCheck(built(), 0x15, 10); // JEQ imm: if r0 == 0 after the lookup
    const err = rejection(bytes);
    const use = at("c.packets += 1");
    expect(err.source).toMatchObject({ file: FILE, line: use.line, col: use.col });
    expect(err.reason).toMatch(/invalid mem access 'map_value_or_null'/);
    expect(err.hint).toMatch(/!== null/);
    expect(err.message).toContain(`${FILE}:${use.line}:${use.col} - verifier: R`);
  });

  it("the second of two programs in one section: the line in that program, not the first one's", () => {
    const file = path.join(ROOT, "test", "vlog-two.bpf.ts");
    const src = `import { xdp, XdpAction, HashMap, type u32, type u64 } from "tsbpf/bpf";
interface C { n: u64 }
const hits = new HashMap<u32, C>(4);
export const first = xdp((ctx) => {
  const c = hits.lookup(0);
  if (c !== null) c.n += 1;
  return XdpAction.PASS;
});
export const second = xdp((ctx) => {
  const d = hits.lookup(1);
  if (d !== null) d.n += 2;
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    const r = compile(file, src);
    expect(r.diagnostics).toEqual([]);
    const second = readElf(r.object!).symbols.find((s) => s.name === "second")!;
    expect(readLineInfo(r.object!).programs?.get("second")).toMatchObject({ section: "xdp", start: second.value / 8 });
    expect(second.value).toBeGreaterThan(0);
    const err = rejection(dropCheck(r.object!, 0x15, second.value / 8).bytes);
    expect(err.program).toBe("second");
    expect(err.source).toMatchObject({ file, line: 11 });
    expect(err.message).toContain("11 | if (d !== null) d.n += 2;");
  });

  it("tsbpf run prints the same TypeScript position, reason and hint (exit 1, no stack trace)", () => {
    ensureDist();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsbpf-vlog-"));
    try {
      const obj = path.join(dir, "bad.o");
      fs.writeFileSync(obj, dropCheck(built(), 0x15, 10).bytes);
      const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "tsbpf.js"), "run", obj], { encoding: "utf8", timeout: 30_000 });
      const use = at("c.packets += 1");
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${FILE}:${use.line}:${use.col} - verifier: R0 invalid mem access 'map_value_or_null'`);
      expect(r.stderr).toContain("hint: the value may be null");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
