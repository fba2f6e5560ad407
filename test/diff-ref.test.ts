// Why: the differential harness is only as right as its reference evaluator; these pin the
// reference's reading of the language rules where it once disagreed with the compiler and the
// compiler was the one following the documented rule (docs/language.md, "Literals").

import { expect, it } from "vitest";
import type { Expr, InputVec, Program, Stmt } from "./support/diff-gen.js";
import { INPUT_FIELDS } from "./support/diff-gen.js";
import { evaluate } from "./support/diff-ref.js";

const pf = (f: string): Expr => ({ k: "lv", lv: { k: "pfield", f } });
const lit = (v: bigint): Expr => ({ k: "lit", v, hex: false });
const input = (vals: Record<string, bigint>): InputVec => INPUT_FIELDS.map(([n]) => vals[n] ?? 0n);
const field = (p: Program, vals: Record<string, bigint>, f: string): bigint => evaluate(p, input(vals)).state.input.get(f)!;

// Found by `npm run fuzz -- --runs 10000 --seed 20261204` after 8,900 programs: the reference kept
// `~9223372036854775808` an untyped literal (0x7fff...f, which fits i64) and let it adapt to the
// i64 operand, doing a signed %; `~` has the operand's C type (u64 here), so % is unsigned.
it("~ of a literal has the literal's C type and does not adapt (unsigned % with an i64)", () => {
  const p: Program = {
    body: [
      {
        k: "expr",
        e: {
          k: "assign",
          lv: { k: "pfield", f: "u64a" },
          op: "+=",
          e: { k: "bin", op: "%", a: { k: "un", op: "~", a: lit(9223372036854775808n) }, b: { k: "un", op: "-", a: pf("i64b") } },
        },
      },
    ],
    ret: lit(0n),
  };
  // 0x7fff...f % u64(-1) = 0x7fff...f (signed it would be 0).
  expect(field(p, { u64a: 1n, i64b: 1n }, "u64a")).toBe(0x8000000000000000n);
  // 0x7fff...f % u64(-3) = 0x7fff...f as well; i64b = -3: % 3 unsigned = 1.
  expect(field(p, { u64a: 0n, i64b: -3n }, "u64a")).toBe(0x7fffffffffffffffn % 3n);
});

it("~ of a small literal is an i32 and converts like C in mixed arithmetic; - of a literal still adapts", () => {
  // u32a + ~0: ~0 is the i32 -1, the common type is u32, so u32a - 1 (wrapping).
  const p: Program = {
    body: [
      {
        k: "expr",
        e: {
          k: "assign",
          lv: { k: "pfield", f: "u32a" },
          op: "=",
          e: { k: "bin", op: "+", a: pf("u32a"), b: { k: "un", op: "~", a: lit(0n) } },
        },
      },
      // i64a = u32b / -2: -2 does not fit u32, so u32 / u32(-2): 0 for any u32b < 0xfffffffe.
      {
        k: "expr",
        e: {
          k: "assign",
          lv: { k: "pfield", f: "i64a" },
          op: "=",
          e: { k: "bin", op: "/", a: pf("u32b"), b: { k: "un", op: "-", a: lit(2n) } },
        },
      },
    ],
    ret: lit(0n),
  };
  const st = evaluate(p, input({ u32a: 0n, u32b: 100n })).state.input;
  expect(st.get("u32a")).toBe(0xffffffffn);
  expect(st.get("i64a")).toBe(0n);
});

// The struct-copy shape's reading of the language (docs/language.md, Structs): assigning a struct
// local (`t2 = t0`) or a member copies bytes; `const r: T = t0` is another name for t0's memory.
it("struct assignment copies; a const T initialised from a T aliases it", () => {
  const tf = (base: string, path: string): Expr => ({ k: "lv", lv: { k: "tf", base, path } });
  const set = (base: string, path: string, v: bigint) => ({
    k: "expr" as const,
    e: { k: "assign" as const, lv: { k: "tf" as const, base, path }, op: "=" as const, e: lit(v) },
  });
  const p: Program = {
    body: [
      { k: "tdecl", name: "t0", init: null },
      set("t0", "b", 5n),
      set("t0", "inner.arr[1]", 6n),
      { k: "talias", name: "r1", src: "t0" },
      { k: "tdecl", name: "t2", init: null },
      { k: "tcopy", dst: "t2", src: "t0" },
      { k: "tdecl", name: "t3", init: null },
      { k: "tfcopy", dst: "t3", src: "t0", sub: "inner" },
      set("r1", "b", 9n),
      set("r1", "inner.arr[1]", 10n),
      { k: "res", slot: lit(0n), e: tf("t2", "b") },
      { k: "res", slot: lit(1n), e: tf("t0", "b") },
      { k: "res", slot: lit(2n), e: tf("t3", "inner.arr[1]") },
      { k: "res", slot: lit(3n), e: tf("t3", "b") },
    ],
    ret: lit(0n),
  };
  expect(evaluate(p, input({})).state.results.slice(0, 4)).toEqual([5n, 9n, 6n, 0n]);
});

// The switch and while shapes (docs/language.md, Control flow): a switch enters at the matching
// case, else at `default` wherever it stands, and falls through until a `break`, which leaves the
// switch, not the loop around it; a `continue` there goes on with the loop. A `do` body runs once
// before its test.
it("switch falls through from its entry to a break; default anywhere; continue inside goes to the loop", () => {
  const res = (slot: number, e: Expr) => ({ k: "res" as const, slot: lit(BigInt(slot)), e });
  const local = (name: string): Expr => ({ k: "lv", lv: { k: "local", name } });
  const bump = (slot: number): Expr => ({
    k: "bin",
    op: "+",
    a: { k: "lit", v: 1n, hex: false },
    b: { k: "lv", lv: { k: "local", name: `c${slot}` } },
  });
  // for k in 0..5: switch (k & 7) { case 1: c0++; default: c1++; case 3: c2++; continue; case 4: c3++; break; } c4++
  const count = (slot: number) => ({
    k: "expr" as const,
    e: { k: "assign" as const, lv: { k: "local" as const, name: `c${slot}` }, op: "=" as const, e: bump(slot) },
  });
  const p: Program = {
    body: [
      ...[0, 1, 2, 3, 4].map((n) => ({ k: "decl" as const, name: `c${n}`, mut: true, ty: "u64" as const, init: lit(0n) })),
      {
        k: "for",
        name: "k",
        ty: "u32",
        start: 0n,
        cond: { k: "cmp", op: "<", a: local("k"), b: lit(6n) },
        update: { k: "inc", lv: { k: "local", name: "k" }, op: "++", prefix: false },
        body: [
          {
            k: "switch",
            e: { k: "bin", op: "&", a: local("k"), b: lit(7n) },
            cases: [
              { label: 1n, body: [count(0)] },
              { label: null, body: [count(1)] },
              { label: 3n, body: [count(2), { k: "continue" }] },
              { label: 4n, body: [count(3), { k: "break" }] },
            ],
          },
          count(4),
        ],
      },
      ...[0, 1, 2, 3, 4].map((n) => res(n, local(`c${n}`))),
    ],
    ret: lit(0n),
  };
  // k=1: c0 c1 c2 (continue); k=0,2,5: default, c1 c2 (continue); k=3: c2 (continue); k=4: c3, break, c4.
  expect(evaluate(p, input({})).state.results.slice(0, 5)).toEqual([1n, 4n, 5n, 1n, 1n]);
});

it("a do/while body runs before its test; a while test comes first", () => {
  const local = (name: string): Expr => ({ k: "lv", lv: { k: "local", name } });
  const loop = (doWhile: boolean, slot: number) => [
    { k: "decl" as const, name: `w${slot}`, mut: true, ty: "u32" as const, init: lit(5n) },
    {
      k: "while" as const,
      cond: { k: "cmp" as const, op: "<" as const, a: local(`w${slot}`), b: lit(5n) },
      body: [
        { k: "expr" as const, e: { k: "inc" as const, lv: { k: "local" as const, name: `w${slot}` }, op: "++" as const, prefix: false } },
      ],
      doWhile,
    },
    { k: "res" as const, slot: lit(BigInt(slot)), e: local(`w${slot}`) },
  ];
  const p: Program = { body: [...loop(false, 0), ...loop(true, 1)], ret: lit(0n) };
  expect(evaluate(p, input({})).state.results.slice(0, 2)).toEqual([5n, 6n]);
});

it("a labelled break or continue goes to its loop through inner loops and switches", () => {
  const local = (name: string): Expr => ({ k: "lv", lv: { k: "local", name } });
  const count: Stmt = {
    k: "expr",
    e: { k: "assign", lv: { k: "local", name: "c" }, op: "+=", e: lit(1n) },
  };
  const loop = (name: string, n: bigint, body: Stmt[], label?: string): Stmt => ({
    k: "for",
    name,
    ty: "u32",
    start: 0n,
    cond: { k: "cmp", op: "<", a: local(name), b: lit(n) },
    update: { k: "inc", lv: { k: "local", name }, op: "++", prefix: false },
    body,
    ...(label ? { label } : {}),
  });
  const run = (jump: Stmt): bigint => {
    // Lo: for o < 3 { for i < 3 { switch (i & 7) { case 1: <jump> } c++ } c += 100 }
    const inner = loop("i", 3n, [
      { k: "switch", e: { k: "bin", op: "&", a: local("i"), b: lit(7n) }, cases: [{ label: 1n, body: [jump] }] },
      count,
    ]);
    const p: Program = {
      body: [
        { k: "decl", name: "c", mut: true, ty: "u64", init: lit(0n) },
        loop("o", 3n, [inner, { k: "expr", e: { k: "assign", lv: { k: "local", name: "c" }, op: "+=", e: lit(100n) } }], "Lo"),
        { k: "res", slot: lit(0n), e: local("c") },
      ],
      ret: lit(0n),
    };
    return evaluate(p, input({})).state.results[0]!;
  };
  // break (the switch): every i counts, then +100: 3 x 103. continue (the inner loop): i = 1 skips
  // its count: 3 x 102. continue Lo: i = 0 counts, then the outer loop goes on without +100: 3.
  // break Lo: i = 0 counts, then both loops end: 1.
  expect(run({ k: "break" })).toBe(309n);
  expect(run({ k: "continue" })).toBe(306n);
  expect(run({ k: "continue", label: "Lo" })).toBe(3n);
  expect(run({ k: "break", label: "Lo" })).toBe(1n);
});

it("atomics: one read-modify-write at the target's width after the arguments; fetch forms give the old value", () => {
  const g = (name: string): Expr => ({ k: "lv", lv: { k: "global", g: name } });
  const at = (op: "add" | "xor" | "xchg" | "cmpxchg", e: Expr, e2?: Expr): Expr => ({
    k: "atomic",
    op,
    fetch: true,
    lv: { k: "global", g: "gd" },
    e,
    ...(e2 ? { e2 } : {}),
  });
  const p: Program = {
    body: [
      // gd (i32) starts at -7.
      { k: "res", slot: lit(0n), e: { k: "conv", t: "u64", a: at("add", lit(0x100000003n)) } }, // old -7; gd = -4 (wraps at 32 bits)
      { k: "res", slot: lit(1n), e: { k: "conv", t: "u64", a: at("cmpxchg", lit(5n), lit(9n)) } }, // -4 != 5: unchanged
      { k: "res", slot: lit(2n), e: { k: "conv", t: "u64", a: at("cmpxchg", { k: "un", op: "-", a: lit(4n) }, lit(9n)) } }, // -4: set 9
      { k: "res", slot: lit(3n), e: { k: "conv", t: "u64", a: at("xchg", lit(0x1ffffffffn)) } }, // old 9; gd = -1
      { k: "res", slot: lit(4n), e: { k: "conv", t: "u64", a: g("gd") } },
    ],
    ret: lit(0n),
  };
  const m = (v: bigint) => BigInt.asUintN(64, v);
  expect(evaluate(p, input({})).state.results.slice(0, 5)).toEqual([m(-7n), m(-4n), m(-4n), 9n, m(-1n)]);
});

it("byte-order functions reverse the bytes of their argument at their own width", () => {
  const sw = (fn: "htons" | "ntohl" | "htonll", a: Expr): Expr => ({ k: "conv", t: "u64", a: { k: "bswap", fn, a } });
  const p: Program = {
    body: [
      { k: "res", slot: lit(0n), e: sw("htons", { k: "conv", t: "u16", a: lit(0x123456n) }) },
      { k: "res", slot: lit(1n), e: sw("ntohl", { k: "conv", t: "u32", a: { k: "un", op: "-", a: lit(2n) } }) },
      { k: "res", slot: lit(2n), e: sw("htonll", lit(0x0102030405060708n)) },
    ],
    ret: lit(0n),
  };
  expect(evaluate(p, input({})).state.results.slice(0, 3)).toEqual([0x5634n, 0xfeffffffn, 0x0807060504030201n]);
});

it("loop(): the body runs per trip on the caller's struct and a 1 ends it after that trip", () => {
  // c0(a0, s) = ((s.f += 1) & 0) + (a0 === 2 ? 1 : 0): counts its trips in s.f, asks to stop at 2.
  const cb = {
    name: "c0",
    params: [{ name: "a0", t: "u32" as const }],
    ret: "i64" as const,
    body: {
      k: "bin" as const,
      op: "+" as const,
      a: {
        k: "bin" as const,
        op: "&" as const,
        a: { k: "assign" as const, lv: { k: "sfield" as const, s: "s", f: "f" }, op: "+=" as const, e: lit(1n) },
        b: lit(0n),
      },
      b: {
        k: "cond" as const,
        c: { k: "cmp" as const, op: "===" as const, a: { k: "lv" as const, lv: { k: "local" as const, name: "a0" } }, b: lit(2n) },
        a: lit(1n),
        b: lit(0n),
      },
    },
    noinline: false,
    sparam: true,
    cb: true,
  };
  const p: Program = {
    body: [
      { k: "sdecl", name: "s0", inits: [1n, 4n, 7n, 10n, 13n, 16n].map(lit) },
      { k: "res", slot: lit(0n), e: { k: "conv", t: "u64", a: { k: "bpfloop", count: lit(5n), fn: "c0", state: "s0" } } },
      { k: "res", slot: lit(1n), e: { k: "lv", lv: { k: "sfield", s: "s0", f: "f" } } },
      { k: "res", slot: lit(2n), e: { k: "conv", t: "u64", a: { k: "bpfloop", count: lit(0n), fn: "c0", state: "s0" } } },
    ],
    ret: lit(0n),
    funcs: [cb],
  };
  // Trips 0, 1, 2 (the 1 at i = 2 ends it): 3 trips, s0.f 16 + 3; no trip for a count of 0.
  expect(evaluate(p, input({})).state.results.slice(0, 3)).toEqual([3n, 19n, 0n]);
});
