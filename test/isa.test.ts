// Instruction table, encoder/decoder, builders and disassembler. The disassembler is checked
// against llvm-objdump-19 on clang-19 output (C at -mcpu=v3/v4, plus every table form as raw
// bytes); those checks skip with one warning when LLVM is missing, and fail when CI=true.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import * as B from "../compiler/isa/build.js";
import { decode } from "../compiler/isa/decode.js";
import { disassemble, formatInsn } from "../compiler/isa/disasm.js";
import { encode } from "../compiler/isa/encode.js";
import type { Insn } from "../compiler/isa/insn.js";
import { FORMS, matchForm, type InsnForm, type Rule } from "../compiler/isa/table.js";
import { disassembleObject } from "../compiler/elf/disasm-object.js";
import { readElf } from "../common/read-elf.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/), (b) => parseInt(b, 16));

// ---- random valid instructions from the table --------------------------------------------------
const ruleArb = (rule: Rule, min: number, max: number): fc.Arbitrary<number> =>
  rule === "reg"
    ? fc.integer({ min: 0, max: 10 })
    : rule === "zero"
      ? fc.constant(0)
      : rule === "any"
        ? fc.integer({ min, max })
        : fc.constantFrom(...rule);

const insnOf = (f: InsnForm): fc.Arbitrary<Insn> =>
  fc
    .record({
      dst: ruleArb(f.dst, 0, 10),
      src: ruleArb(f.src, 0, 10),
      off: ruleArb(f.off, -0x8000, 0x7fff),
      imm: ruleArb(f.imm, -0x80000000, 0x7fffffff),
      imm64: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
    })
    .map(({ imm64, ...r }) => {
      const insn: Insn = { opcode: f.opcode, ...r };
      if (f.kind === "ld_imm64") {
        insn.imm64 = imm64;
        insn.imm = Number(BigInt.asIntN(32, imm64));
      }
      return insn;
    });

const anyInsn = fc.constantFrom(...FORMS).chain(insnOf);

describe("instruction table", () => {
  it("has unique names and no two forms accepting the same encoding", () => {
    expect(new Set(FORMS.map((f) => f.name)).size).toBe(FORMS.length);
    fc.assert(
      fc.property(
        fc.constantFrom(...FORMS).chain((f) => insnOf(f).map((i) => [f, i] as const)),
        ([f, i]) => {
          expect(matchForm(i)?.name).toBe(f.name);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("encode/decode", () => {
  it("round-trips random valid instructions (encode -> decode -> encode)", () => {
    fc.assert(
      fc.property(fc.array(anyInsn, { minLength: 1, maxLength: 20 }), (insns) => {
        const bytes = encode(insns);
        const back = decode(bytes);
        expect(back).toEqual(insns);
        expect(encode(back)).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it("decodes the byte examples of the object-format doc", () => {
    const xdpPass = decode(hex("b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00"));
    expect(xdpPass).toEqual([B.mov64K(0, 2), B.exit()]);
    expect(disassemble(xdpPass, { bytes: false })).toBe("       0:\tr0 = 0x2\n       1:\texit\n");
    expect(decode(hex("63 1a fc ff 00 00 00 00"))).toEqual([B.stx(4, 10, 1, -4)]);
    const body = hex(`b7 01 00 00 00 00 00 00  63 1a fc ff 00 00 00 00  bf a2 00 00 00 00 00 00
      07 02 00 00 fc ff ff ff  18 01 00 00 00 00 00 00  00 00 00 00 00 00 00 00  85 00 00 00 01 00 00 00
      15 00 02 00 00 00 00 00  b7 01 00 00 01 00 00 00  db 10 00 00 00 00 00 00  b7 00 00 00 02 00 00 00
      95 00 00 00 00 00 00 00`);
    const insns = decode(body);
    expect(insns).toEqual([
      B.mov64K(1, 0),
      B.stx(4, 10, 1, -4),
      B.mov64X(2, 10),
      B.alu64K("add", 2, -4),
      B.ldImm64(1, 0n),
      B.call(1),
      B.jmpK("jeq", 0, 0, 2),
      B.mov64K(1, 1),
      B.atomicAdd(8, 0, 1, 0),
      B.mov64K(0, 2),
      B.exit(),
    ]);
    expect(body.length).toBe(96);
    expect(insns.map((i, n) => formatInsn(i, n))).toEqual([
      "r1 = 0x0",
      "*(u32 *)(r10 - 0x4) = r1",
      "r2 = r10",
      "r2 += -0x4",
      "r1 = 0x0 ll",
      "call 0x1",
      "if r0 == 0x0 goto +0x2",
      "r1 = 0x1",
      "lock *(u64 *)(r0 + 0x0) += r1",
      "r0 = 0x2",
      "exit",
    ]);
  });

  it("throws naming the byte offset of an invalid encoding", () => {
    expect(() => decode(hex("b7 00 00 00 02 00 00 00 8d 01 00 00 00 00 00 00"))).toThrow(/byte offset 8 .*opcode 0x8d/);
    expect(() => decode(hex("95 00 00 00 00 00 00 00 b7 0b 00 00 00 00 00 00"))).toThrow(/byte offset 8/);
    expect(() => decode(hex("bf 21 07 00 00 00 00 00"))).toThrow(/byte offset 0 .*off=7/);
    expect(() => decode(hex("18 01 00 00 00 00 00 00"))).toThrow(/byte offset 0 .*second slot/);
    expect(() => decode(hex("18 01 00 00 00 00 00 00 18 00 00 00 00 00 00 00"))).toThrow(/second slot/);
    expect(() => decode(hex("c3 10 00 00 02 00 00 00"))).toThrow(/imm=2/);
    expect(() => decode(new Uint8Array(12))).toThrow(/multiple of 8/);
  });
});

describe("builders", () => {
  it("produce the expected encodings and text", () => {
    const cases: Array<[Insn, string, string]> = [
      [B.alu32X("add", 1, 2), "0c 21 00 00 00 00 00 00", "w1 += w2"],
      [B.alu64K("sdiv", 1, 7), "37 01 01 00 07 00 00 00", "r1 s/= 0x7"],
      [B.alu32X("smod", 1, 2), "9c 21 01 00 00 00 00 00", "w1 s%= w2"],
      [B.movsx64(1, 2, 16), "bf 21 10 00 00 00 00 00", "r1 = (s16)r2"],
      [B.endian(true, 16, 1), "dc 01 00 00 10 00 00 00", "r1 = be16 r1"],
      [B.endian(false, 32, 1), "d4 01 00 00 20 00 00 00", "r1 = le32 r1"],
      [B.bswap(64, 1), "d7 01 00 00 40 00 00 00", "r1 = bswap64 r1"],
      [B.ldx(2, 1, 2, -4), "69 21 fc ff 00 00 00 00", "r1 = *(u16 *)(r2 - 0x4)"],
      [B.ldxsx(1, 1, 2, 4), "91 21 04 00 00 00 00 00", "r1 = *(s8 *)(r2 + 0x4)"],
      [B.st(8, 10, -8, 5), "7a 0a f8 ff 05 00 00 00", "*(u64 *)(r10 - 0x8) = 0x5"],
      [B.jmpX("jgt", 1, 2, 3), "2d 21 03 00 00 00 00 00", "if r1 > r2 goto +0x3"],
      [B.jmp32K("jsle", 1, -1, -2), "d6 01 fe ff ff ff ff ff", "if w1 s<= -0x1 goto -0x2"],
      [B.ja(2), "05 00 02 00 00 00 00 00", "goto +0x2"],
      [B.gotol(70000), "06 00 00 00 70 11 01 00", "gotol +0x11170"],
      [B.callPseudo("sub"), "85 10 00 00 ff ff ff ff", "call -0x1"],
      [B.ldImm64(3, -1n), "18 03 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff", "r3 = -0x1 ll"],
      [B.ldMap(1, "counters"), "18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "r1 = 0x0 ll"],
      [B.ldFunc(2, "cb"), "18 42 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "ld_pseudo\tr2, 0x4, 0x0"],
      [B.atomic("xor", 4, 1, 2, 8, true), "c3 21 08 00 a1 00 00 00", "w2 = atomic_fetch_xor((u32 *)(r1 + 0x8), w2)"],
      [B.atomicCmpxchg(8, 1, 2, 0), "db 21 00 00 f1 00 00 00", "r0 = cmpxchg_64(r1 + 0x0, r0, r2)"],
    ];
    for (const [insn, bytes, text] of cases) {
      expect(encode([insn])).toEqual(hex(bytes));
      expect(formatInsn(insn, 0)).toBe(text);
      expect(matchForm(insn)).toBeDefined();
    }
    expect(B.callPseudo("sub").reloc).toEqual({ kind: "call", symbol: "sub" });
    expect(B.ldMap(1, "m").reloc).toEqual({ kind: "map", symbol: "m" });
    expect(disassemble([B.ldMap(1, "counters"), B.callPseudo("f")]).split("\n")).toEqual([
      "       0:\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0x0 ll",
      "\t\t0000000000000000:  R_BPF_64_64\tcounters",
      "       2:\t85 10 00 00 ff ff ff ff\tcall -0x1",
      "\t\t0000000000000010:  R_BPF_64_32\tf",
      "",
    ]);
  });
});

// ---- cross-checks against clang-19 / llvm-objdump-19 -------------------------------------------
const TOOLS = ["clang-19", "llvm-objdump-19"];
const missing = TOOLS.filter((t) => {
  try {
    execFileSync(t, ["--version"], { stdio: "ignore" });
    return false;
  } catch {
    return true;
  }
});
const inCI = process.env.CI === "true";
if (missing.length && !inCI) console.warn(`isa.test: skipping llvm cross-checks, missing ${missing.join(", ")}`);

const dir = mkdtempSync(join(tmpdir(), "tsbpf-isa-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const objdump = (obj: string, alu32: boolean): string =>
  execFileSync("llvm-objdump-19", ["-dr", ...(alu32 ? ["--mcpu=v3"] : []), obj], { encoding: "utf8", maxBuffer: 64 << 20 });

/**
 * Compare ours with LLVM's line by line, in plain and alu32 (--mcpu=v3) spelling. Plain
 * llvm-objdump prints 32-bit atomics other than plain add as `<unknown>` and misprints W
 * atomic_fetch_add as a plain `lock ... +=`; for those we print, and check, LLVM's alu32 text.
 */
function compareWithLlvm(obj: string): number {
  const bytes = new Uint8Array(readFileSync(obj));
  const norm = (s: string): string[] => s.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
  const llvm = { plain: norm(objdump(obj, false)), alu32: norm(objdump(obj, true)) };
  let checked = 0;
  for (const alu32 of [false, true]) {
    const theirs = alu32 ? llvm.alu32 : llvm.plain;
    const ours = norm(disassembleObject(bytes, { fileName: obj, alu32 }));
    expect(ours.length).toBe(theirs.length);
    theirs.forEach((line, n) => {
      const quirk = !alu32 && /^\d+: c3 (\w\w ){3}(?!00 00 00 00 )/.test(line);
      expect(ours[n], `line ${n + 1} (alu32=${alu32})`).toBe(quirk ? llvm.alu32[n] : line);
      if (/^\d+: /.test(line)) checked++;
    });
  }
  return checked;
}

// biome-ignore lint/complexity/noUselessStringRaw: C source; raw keeps any backslash added later literal
const C_SOURCE = String.raw`
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, 64); } counters SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u32); __uint(max_entries, 4); } small SEC(".maps");

volatile __u64 g64 = 5;
volatile __u32 g32 = 7;
volatile __s16 g16 = -3;
volatile __s8 g8 = -9;
volatile __s64 gs64 = -11;
volatile __s32 gs32 = -13;

static __noinline __u64 arith(__u64 a, __u64 b, __u32 c, __u32 d) {
  __u64 r = a + b; r -= a * 3; r *= b; r /= (b | 1); r %= (a | 1); r |= c; r &= ~(__u64)d;
  r ^= a << (c & 63); r += a >> (d & 63); r += (__s64)a >> 5; r += (__s64)b >> (c & 63);
  r += 0x123456789abcdefULL; r ^= 0xffffffff80000000ULL; r += a * 0x7fffffff;
  __u32 w = c + d; w -= c * 9; w *= d; w /= (d | 1); w %= (c | 3); w |= 0x80; w &= 0xffff;
  w ^= c << (d & 31); w += c >> 3; w += (__s32)c >> (d & 31); w += (__s32)d >> 7; w = ~w;
  return r + w + -a + (__u32)-c;
}

#if __BPF_CPU_VERSION__ >= 4
static __noinline __s64 sarith(__s64 a, __s64 b, __s32 c, __s32 d) {
  return a / (b | 1) + a % (b | 1) + c / (d | 1) + c % (d | 1) + a / -7 + c % -5
       + (__s64)(__s8)a + (__s64)(__s16)b + (__s64)(__s32)a + (__s32)(__s8)c + (__s32)(__s16)d;
}
#else
static __noinline __s64 sarith(__s64 a, __s64 b, __s32 c, __s32 d) { return a + b + c + d; }
#endif

static __noinline __u64 swaps(__u64 a, __u32 b, __u16 c) {
  return __builtin_bswap64(a) + __builtin_bswap32(b) + __builtin_bswap16(c) + (__u16)(c << 8 | c >> 8);
}

static __noinline int compares(__u64 a, __u64 b, __s64 c, __s64 d, __u32 e) {
  __s32 f = gs32;
  int n = 0;
  if (a == b) n += 1; if (a != 3) n += 2; if (a > b) n += 3; if (a >= 100) n += 4;
  if (a < b) n += 5; if (a <= 7) n += 6; if (c > d) n += 7; if (c >= -2) n += 8;
  if (c < d) n += 9; if (c <= -100) n += 10; if (a & 0x40) n += 11; if (a & b) n += 12;
  if (e > 9) n += 13; if (e < (__u32)f) n += 14; if (f < -1) n += 15; if (f >= (__s32)e) n += 16;
  if (e == 77) n += 17; if (f != 5) n += 18; if (e <= 3) n += 19; if (f > 1000) n += 20;
  return n;
}

static __noinline __u64 atomics(__u64 *p64, __u32 *p32, __u64 v) {
  __u64 r = 0;
  __sync_fetch_and_add(p64, v);
  __sync_fetch_and_add(p32, (__u32)v);
  __sync_fetch_and_or(p64, 4);
  __sync_fetch_and_and(p64, v);
  __sync_fetch_and_xor(p64, 2);
  r += __sync_fetch_and_add(p64, 1);
  r += __sync_fetch_and_or(p64, v);
  r += __sync_fetch_and_and(p64, 8);
  r += __sync_fetch_and_xor(p64, v);
  r += __sync_fetch_and_add(p32, 3);
  r += __sync_fetch_and_or(p32, 5);
  r += __sync_fetch_and_and(p32, 6);
  r += __sync_fetch_and_xor(p32, 7);
  r += __sync_lock_test_and_set(p64, v);
  r += __sync_lock_test_and_set(p32, (__u32)v);
  r += __sync_val_compare_and_swap(p64, v, r);
  r += __sync_val_compare_and_swap(p32, (__u32)v, (__u32)r);
  return r;
}

static int loop_cb(__u32 i, void *ctx) { *(__u64 *)ctx += i; return 0; }

SEC("xdp")
int xdp_prog(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (data + 16 > end) return XDP_PASS;
  __u8 b = *(__u8 *)data;
  __u16 h = *(__u16 *)(data + 12);
  __u32 w = *(__u32 *)(data + 4);
  __s8 sb = *(__s8 *)(data + 1);
  __s16 sh = *(__s16 *)(data + 2);
  __s32 sw = *(__s32 *)(data + 8);
  __u32 key = b & 3;
  __u64 *v = bpf_map_lookup_elem(&counters, &key);
  if (!v) {
    __u64 one = 1;
    bpf_map_update_elem(&counters, &key, &one, BPF_ANY);
    return XDP_PASS;
  }
  __u32 *s = bpf_map_lookup_elem(&small, &key);
  if (!s) return XDP_DROP;
  __u64 acc = 0;
  for (int i = 0; i < (int)(w & 31); i++) acc += i * g32 + (acc >> 3);
  bpf_loop(8, loop_cb, &acc, 0);
  acc += arith(acc, g64, h, w) + sarith(sb, sh, sw, g16) + swaps(acc, w, h);
  acc += compares(acc, w, gs64, sw, h) + atomics(v, s, acc);
  g8 = (__s8)acc; g16 = (__s16)acc; g32 = (__u32)acc; g64 = acc;
  *(__u8 *)(data + 3) = 0x7f;
  *(__u16 *)(data + 6) = (__u16)acc;
  return acc & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

describe.skipIf(missing.length > 0 && !inCI)("cross-check with llvm-objdump-19", () => {
  it("has the LLVM tools (required when CI=true)", () => {
    expect(missing).toEqual([]);
  });

  for (const cpu of ["v3", "v4"]) {
    it(`disassembles clang-19 -mcpu=${cpu} output exactly like llvm-objdump-19 -dr`, () => {
      const src = join(dir, "mix.c");
      const obj = join(dir, `mix-${cpu}.o`);
      writeFileSync(src, C_SOURCE);
      execFileSync("clang-19", ["-O2", "-target", "bpf", `-mcpu=${cpu}`, "-I/usr/include/x86_64-linux-gnu", "-c", src, "-o", obj]);
      const bytes = new Uint8Array(readFileSync(obj));
      const elf = readElf(bytes);
      expect(elf.machine).toBe(247);
      // Every instruction clang emitted decodes strictly, and re-encodes to the same bytes.
      for (const sec of elf.sections.filter((s) => s.flags & 4 && s.size > 0)) {
        expect(encode(decode(sec.data))).toEqual(sec.data);
      }
      expect(compareWithLlvm(obj)).toBeGreaterThan(200);
    });
  }

  it("disassembles every table form like llvm-objdump-19 (random fields)", () => {
    const all: Insn[] = [];
    for (const f of FORMS) all.push(...fc.sample(insnOf(f), { numRuns: 4, seed: f.opcode }));
    // Keep jump targets inside the section so labels are comparable.
    let pc = 0;
    const total = all.reduce((n, i) => n + (i.opcode === 0x18 ? 2 : 1), 0);
    for (const i of all) {
      const f = matchForm(i);
      if (f?.kind === "jcond" || f?.kind === "ja" || f?.kind === "may_goto") i.off = (((i.off % total) + total) % total) - pc - 1;
      if (f?.kind === "gotol") i.imm = (((i.imm % total) + total) % total) - pc - 1;
      pc += i.opcode === 0x18 ? 2 : 1;
    }
    const bytes = encode(all);
    const lines = [];
    for (let p = 0; p < bytes.length; p += 8)
      lines.push(`\t.byte ${Array.from(bytes.subarray(p, p + 8), (b) => `0x${b.toString(16)}`).join(",")}`);
    const asm = join(dir, "forms.s");
    const obj = join(dir, "forms.o");
    writeFileSync(
      asm,
      `\t.section xdp,"ax",@progbits\n\t.globl f\n\t.type f,@function\nf:\n${lines.join("\n")}\n\t.size f, ${bytes.length}\n`,
    );
    execFileSync("clang-19", ["-target", "bpf", "-c", asm, "-o", obj]);
    expect(compareWithLlvm(obj)).toBeGreaterThan(FORMS.length * 4);
  });
});
