import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkFunc, checkModule } from "../compiler/ir/check.js";
import { computeDominators, dominanceFrontiers } from "../compiler/ir/dominators.js";
import { type Func, successors } from "../compiler/ir/ir.js";
import { IrParseError, parseFunc, parseModule } from "../compiler/ir/parse.js";
import { printFunc, printModule } from "../compiler/ir/print.js";
import { arbFunc, genFunc } from "./support/ir-gen.js";

const SAMPLE = `func xdp_prog(%0:ptr, %1:i64) slots [s0: 8 align 8, s2: 16 align 4] {
b0: !3:1
  %2:i32 = load.4 %0, 12
  %3:i64 = const 5
  %4:i32 = add %2, 7
  %5:i32 = neg %4
  %6:i32 = copy %5
  %7:i64 = zext %6 !4:9
  %8:i64 = sext.16 %7
  %9:i32 = trunc.8 %8
  %10:i32 = bswap.16 %9
  %11:ptr = ptradd %0, -14
  %12:ptr = ctxptr %0, 4
  store.4 %11, 0, %10
  store.8 %11, -8, %12
  %13:ptr = stackaddr s2
  %14:ptr = mapaddr @counters
  %15:ptr = mapaddr @"odd map"
  %16:i64 = call 1 (%14, %13)
  call 5 ()
  atomic_add.8 %13, 0, %8
  %17:i64 = sdiv %1, -1
  cbr ugt.64 %16, %17 -> b1, b3 !5:3
b1:
  %18:i64 = phi [b0: %3], [b3: 18446744073709551615]
  %19:ptr = phi [b0: %11], [b3: 0]
  br b2
b3:
  cbr set.32 %10, 4294967295 -> b1, b2
b2:
  %20:i64 = phi [b1: %18], [b3: %3]
  ret %20
}
`;

describe("printer and parser", () => {
  it("prints the documented syntax and round-trips it exactly", () => {
    const f = parseFunc(SAMPLE);
    expect(printFunc(f)).toBe(SAMPLE);
    expect(checkFunc(f)).toEqual([]);
    expect(f.nextId).toBe(21);
    expect(f.locs?.get(f.blocks[0]!.insts[5]!)).toEqual({ line: 4, col: 9 });
    expect(f.blocks[0]!.loc).toEqual({ line: 3, col: 1 });
  });

  it("accepts comments, blank lines and hex immediates", () => {
    const f = parseFunc(`
      ; a comment
      func f(%0:ptr) {   ; trailing
      b0:
        %1:i64 = const 0x10
        ret %1 ; done
      }
    `);
    expect(printFunc(f)).toBe("func f(%0:ptr) {\nb0:\n  %1:i64 = const 16\n  ret %1\n}\n");
  });

  it("round-trips random valid functions: print(parse(print(f))) === print(f)", () => {
    fc.assert(
      fc.property(arbFunc(), (f) => {
        expect(checkFunc(f)).toEqual([]);
        const text = printFunc(f);
        const g = parseFunc(text);
        expect(printFunc(g)).toBe(text);
        expect(checkFunc(g)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it("round-trips modules", () => {
    const m = { funcs: [genFunc([1, 2, 3, 4, 5, 6, 7, 8, 9]), genFunc([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 44, 17])] };
    m.funcs[1]!.name = "second";
    const text = printModule(m);
    expect(printModule(parseModule(text))).toBe(text);
    expect(checkModule(parseModule(text))).toEqual([]);
  });

  it("keeps type annotations on uses that disagree with their definition", () => {
    const text = "func f(%0:ptr) {\nb0:\n  %1:i32 = const 1\n  %2:i64 = add %1:i64, %9:i64\n  ret %2\n}\n";
    const f = parseFunc(text);
    expect(printFunc(f)).toBe(text);
    const errs = checkFunc(f);
    expect(errs.some((e) => /%1 is used as i64 but defined as i32/.test(e))).toBe(true);
    expect(errs.some((e) => /undefined value %9/.test(e))).toBe(true);
  });

  const bad: [string, number, RegExp][] = [
    ["func f(%0:ptr) {\nb0:\n  %1:i32 = frob %0\n  ret 0\n}", 3, /unknown instruction 'frob'/],
    ["func f(%0:ptr) {\nb0:\n  %1 = const 1\n  ret 0\n}", 3, /needs a type/],
    ["func f(%0:ptr) {\nb0:\n  %1:i32 = const 1\n}", 4, /block b0 .* has no terminator/],
    ["func f(%0:ptr) {\nb0:\n  ret %7\n}", 3, /undefined value %7/],
    ["func f(%0:ptr) {\nb0:\n  ret 0\n  %1:i32 = const 1\n}", 4, /after the terminator/],
    ["func f(%0:ptr) {\nb0:\n  %1:i32 = load.3 %0, 0\n  ret 0\n}", 3, /width suffix/],
    ["func f(%0:ptr) {\nb0:\n  %1:i32 = const 1\n  %2:i32 = phi [b0: 1]\n  ret 0\n}", 4, /phi after ordinary instructions/],
    ["func f(%0:ptr) {\nb0:\n  cbr ugt.64 %0, 1 -> b1\n}", 3, /expected ','/],
    ["func f(%0:ptr) {\nb0:\n  ret 0\n", 3, /missing its closing/],
    ["func f(%0:ptr) {\n  ret 0\n}", 2, /outside a block/],
    ["func f(%0:pointer) {\nb0:\n  ret 0\n}", 1, /unknown type 'pointer'/],
    ["func f(%0:ptr) {\nb0:\n  %1:i32 = add %0, 1 2\n  ret 0\n}", 3, /unexpected 2 at end of line/],
    ["func f(%0:ptr) {\nb0:\n  store.4 %0, 0, #\n  ret 0\n}", 3, /unexpected character '#'/],
  ];
  it.each(bad)("reports bad input with its line number (%#)", (text, line, re) => {
    let err: unknown;
    try {
      parseFunc(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IrParseError);
    expect((err as IrParseError).line).toBe(line);
    expect((err as IrParseError).message).toMatch(re);
    expect((err as IrParseError).message).toMatch(new RegExp(`line ${line}`));
  });
});

describe("checker", () => {
  const ok = `func f(%0:ptr, %1:i64) {
b0:
  %2:i64 = add %1, 1
  cbr eq.64 %2, 0 -> b1, b2
b1:
  br b2
b2:
  %3:i64 = phi [b0: %2], [b1: 5]
  ret %3
}`;
  it("accepts valid IR", () => {
    expect(checkFunc(parseFunc(ok))).toEqual([]);
  });

  const cases: [string, string, RegExp][] = [
    ["duplicate definition", `func f(%0:ptr) {\nb0:\n  %1:i64 = const 1\n  %1:i64 = const 2\n  ret %1\n}`, /%1 is defined more than once/],
    ["param redefined", `func f(%0:ptr) {\nb0:\n  %0:ptr = stackaddr s0\n  ret 0\n}`, /%0 is defined more than once/],
    [
      "use before definition in a block",
      `func f(%0:ptr) {\nb0:\n  %2:i64 = add %1, 1\n  %1:i64 = const 2\n  ret %2\n}`,
      /%1 is not dominated/,
    ],
    [
      "use not dominated across blocks",
      `func f(%0:ptr, %1:i64) {\nb0:\n  cbr eq.64 %1, 0 -> b1, b2\nb1:\n  %2:i64 = const 1\n  br b2\nb2:\n  ret %2\n}`,
      /%2 is not dominated/,
    ],
    [
      "phi incoming not available at the end of its predecessor",
      `func f(%0:ptr, %1:i64) {\nb0:\n  cbr eq.64 %1, 0 -> b1, b2\nb1:\n  %2:i64 = const 1\n  br b2\nb2:\n  %3:i64 = phi [b0: %2], [b1: %2]\n  ret %3\n}`,
      /phi \[b0\]: use of %2 is not dominated/,
    ],
    [
      "phi missing an incoming",
      `func f(%0:ptr, %1:i64) {\nb0:\n  cbr eq.64 %1, 0 -> b1, b2\nb1:\n  br b2\nb2:\n  %3:i64 = phi [b0: 1]\n  ret %3\n}`,
      /no incoming for predecessor b1/,
    ],
    [
      "phi incoming from a non-predecessor",
      `func f(%0:ptr) {\nb0:\n  br b1\nb1:\n  %3:i64 = phi [b0: 1], [b7: 2]\n  ret %3\n}`,
      /incoming from b7, which is not a predecessor/,
    ],
    [
      "phi with two incomings for one predecessor",
      `func f(%0:ptr) {\nb0:\n  br b1\nb1:\n  %3:i64 = phi [b0: 1], [b0: 2]\n  ret %3\n}`,
      /more than one incoming for b0/,
    ],
    ["phi in the entry block", `func f(%0:ptr) {\nb0:\n  %3:i64 = phi\n  ret %3\n}`, /phi in a block without predecessors/],
    ["bin operand type", `func f(%0:ptr, %1:i64) {\nb0:\n  %2:i32 = add %1, 1\n  ret %2\n}`, /left operand %1 is i64, expected i32/],
    ["bin on pointers", `func f(%0:ptr) {\nb0:\n  %2:ptr = add %0, 1\n  ret 0\n}`, /result must be i32 or i64/],
    ["bin immediate too wide for i32", `func f(%0:ptr) {\nb0:\n  %2:i32 = add 4294967296, 1\n  ret %2\n}`, /does not fit i32/],
    ["ptradd base not a pointer", `func f(%0:ptr, %1:i64) {\nb0:\n  %2:ptr = ptradd %1, 4\n  ret 0\n}`, /base %1 is i64, expected ptr/],
    ["load width vs type", `func f(%0:ptr) {\nb0:\n  %2:i64 = load.4 %0, 0\n  ret %2\n}`, /4-byte load produces i32/],
    ["8-byte load into i32", `func f(%0:ptr) {\nb0:\n  %2:i32 = load.8 %0, 0\n  ret %2\n}`, /8-byte load produces i64 or ptr/],
    ["load base not a pointer", `func f(%0:ptr, %1:i64) {\nb0:\n  %2:i32 = load.4 %1, 0\n  ret %2\n}`, /base %1 is i64, expected ptr/],
    ["zext of i64", `func f(%0:ptr, %1:i64) {\nb0:\n  %2:i64 = zext %1\n  ret %2\n}`, /operand %1 is i64, expected i32/],
    ["sext.32 into i32", `func f(%0:ptr, %1:i64) {\nb0:\n  %2:i32 = sext.32 %1\n  ret %2\n}`, /sext.32 into i32 does nothing/],
    ["bswap.64 into i32", `func f(%0:ptr, %1:i64) {\nb0:\n  %2:i32 = bswap.64 %1\n  ret %2\n}`, /width 64 is wider than the i32/],
    ["store of a pointer with width 4", `func f(%0:ptr) {\nb0:\n  store.4 %0, 0, %0\n  ret 0\n}`, /ptr can only be stored with width 8/],
    ["stackaddr of a missing slot", `func f(%0:ptr) {\nb0:\n  %1:ptr = stackaddr s3\n  ret 0\n}`, /no stack slot s3/],
    ["call with six arguments", `func f(%0:ptr) {\nb0:\n  call 1 (1, 2, 3, 4, 5, 6)\n  ret 0\n}`, /6 arguments/],
    ["8-byte atomic add of i32", `func f(%0:ptr, %1:i32) {\nb0:\n  atomic_add.8 %0, 0, %1\n  ret 0\n}`, /needs an i64 value/],
    [
      "cbr operand widths differ",
      `func f(%0:ptr, %1:i64, %2:i32) {\nb0:\n  cbr eq.64 %1, %2 -> b1, b1\nb1:\n  ret 0\n}`,
      /compares i64 %1 with i32 %2/,
    ],
    [
      "32-bit compare of a pointer",
      `func f(%0:ptr) {\nb0:\n  cbr eq.32 %0, 0 -> b1, b1\nb1:\n  ret 0\n}`,
      /32-bit compare cannot take a ptr/,
    ],
    [
      "cbr immediate too wide for JMP32",
      `func f(%0:ptr, %1:i32) {\nb0:\n  cbr eq.32 %1, 4294967296 -> b1, b1\nb1:\n  ret 0\n}`,
      /does not fit 32 bits/,
    ],
    ["branch to a missing block", `func f(%0:ptr) {\nb0:\n  br b9\n}`, /branch to missing block b9/],
    ["entry with a predecessor", `func f(%0:ptr) {\nb0:\n  br b1\nb1:\n  br b0\n}`, /entry block b0 has predecessors b1/],
    ["unreachable block", `func f(%0:ptr) {\nb0:\n  ret 0\nb1:\n  ret 1\n}`, /block b1 is unreachable/],
    ["duplicate block id", `func f(%0:ptr) {\nb0:\n  br b1\nb1:\n  ret 0\nb1:\n  ret 1\n}`, /block b1 appears more than once/],
    ["pointer immediate other than 0", `func f(%0:ptr) {\nb0:\n  %1:ptr = copy 5\n  ret 0\n}`, /only 0 is allowed/],
    ["const too wide", `func f(%0:ptr) {\nb0:\n  %1:i32 = const -2147483649\n  ret %1\n}`, /does not fit i32/],
  ];
  it.each(cases)("rejects: %s", (_name, text, re) => {
    const errs = checkFunc(parseFunc(text));
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.join("\n")).toMatch(re);
  });

  it("rejects ids at or above nextId, immediates in register-only slots, and an empty function", () => {
    const f = parseFunc(ok);
    f.nextId = 3;
    expect(checkFunc(f).join("\n")).toMatch(/%3 is not below nextId 3/);
    const g = parseFunc(`func f(%0:ptr) {\nb0:\n  %1:i32 = load.4 %0, 0\n  ret %1\n}`);
    (g.blocks[0]!.insts[0] as { base: unknown }).base = { imm: 4n };
    expect(checkFunc(g).join("\n")).toMatch(/base must be a value/);
    expect(checkFunc({ name: "e", params: [], blocks: [], slots: [], nextId: 0 })).toEqual(["function has no blocks"]);
  });
});

/** Dominators by the textbook data-flow equations, for comparison. */
function naiveDominators(f: Func): Map<number, Set<number>> {
  const ids = f.blocks.map((b) => b.id);
  const entry = ids[0]!;
  const preds = new Map<number, number[]>(ids.map((i) => [i, []]));
  for (const b of f.blocks) for (const s of successors(b.term)) preds.get(s)?.push(b.id);
  // reachable
  const reach = new Set([entry]);
  const stack = [entry];
  while (stack.length) {
    const id = stack.pop()!;
    const b = f.blocks.find((x) => x.id === id)!;
    for (const s of successors(b.term)) if (!reach.has(s)) reach.add(s), stack.push(s);
  }
  const dom = new Map<number, Set<number>>();
  for (const i of ids) if (reach.has(i)) dom.set(i, i === entry ? new Set([entry]) : new Set(reach));
  let changed = true;
  while (changed) {
    changed = false;
    for (const i of ids) {
      if (i === entry || !reach.has(i)) continue;
      let acc: Set<number> | undefined;
      for (const p of preds.get(i)!) {
        if (!reach.has(p)) continue;
        acc = acc ? new Set([...acc].filter((x) => dom.get(p)!.has(x))) : new Set(dom.get(p)!);
      }
      const next = new Set(acc ?? []);
      next.add(i);
      if (next.size !== dom.get(i)!.size) {
        dom.set(i, next);
        changed = true;
      }
    }
  }
  return dom;
}

describe("dominators", () => {
  it("agree with the data-flow definition on random CFGs", () => {
    fc.assert(
      fc.property(arbFunc({ maxBlocks: 12, maxInsts: 1, maxPhis: 0 }), (f) => {
        const dt = computeDominators(f);
        const naive = naiveDominators(f);
        for (const a of f.blocks) {
          for (const b of f.blocks) {
            expect(dt.dominates(a.id, b.id)).toBe(naive.get(b.id)?.has(a.id) ?? false);
          }
        }
        // idom is the closest strict dominator
        for (const [b, d] of dt.idom) {
          const strict = [...naive.get(b)!].filter((x) => x !== b);
          expect(strict).toContain(d);
          for (const x of strict) expect(naive.get(d)!.has(x)).toBe(true);
        }
        // preorder lists every reachable block after its idom
        const order = dt.preorder();
        for (const [b, d] of dt.idom) expect(order.indexOf(d)).toBeLessThan(order.indexOf(b));
      }),
      { numRuns: 300 },
    );
  });

  it("computes dominance frontiers of a diamond with a loop", () => {
    const f = parseFunc(`func f(%0:ptr, %1:i64) {
b0:
  br b1
b1:
  cbr eq.64 %1, 0 -> b2, b3
b2:
  br b4
b3:
  br b4
b4:
  cbr eq.64 %1, 1 -> b1, b5
b5:
  ret 0
}`);
    const df = dominanceFrontiers(computeDominators(f));
    expect([...df.get(2)!]).toEqual([4]);
    expect([...df.get(3)!]).toEqual([4]);
    expect([...df.get(4)!]).toEqual([1]);
    expect([...df.get(1)!]).toEqual([1]);
    expect([...df.get(0)!]).toEqual([]);
  });
});

// ---- Subprogram calls, global data, function addresses, atomics ----

const CALLS_MODULE = `func main(%0:ptr) {
b0:
  %1:ptr = globaladdr.data @counter
  %2:ptr = globaladdr.rodata @"odd var"
  %3:ptr = globaladdr.bss @zeroed !7:2
  %4:i64 = load.8 %1, 0
  %5:i64 = callfn @sub (%4, 7, %1)
  callfn @"odd sub" ()
  %6:ptr = funcaddr @sub
  atomic.add.8 %1, 0, 1
  atomic.or.4 %3, 4, %7
  %8:i64 = atomic.xor.fetch.8 %1, 8, %5
  atomic.and.fetch.4 %3, 0, 255
  %9:i32 = atomic.xchg.fetch.4 %3, 0, 3
  %10:i64 = atomic.cmpxchg.fetch.8 %1, 0, %8, -1 !9:4
  %7:i32 = const 1
  ret %10
}

func sub(%0:i64, %1:i32, %2:ptr) {
b0:
  %3:i64 = zext %1
  %4:i64 = add %0, %3
  ret %4
}

func "odd sub"() {
b0:
  ret 0
}
`;

describe("IR: callfn, globaladdr, funcaddr, atomic", () => {
  it("prints and parses every new form exactly", () => {
    const m = parseModule(CALLS_MODULE);
    expect(printModule(m)).toBe(CALLS_MODULE);
    const main = m.funcs[0]!;
    const ins = main.blocks[0]!.insts;
    expect(ins[0]).toEqual({ op: "globaladdr", dst: { id: 1, ty: "ptr" }, section: ".data", symbol: "counter" });
    expect(ins[1]).toMatchObject({ op: "globaladdr", section: ".rodata", symbol: "odd var" });
    expect(ins[4]).toMatchObject({ op: "callfn", func: "sub", dst: { id: 5, ty: "i64" } });
    expect(ins[5]).toEqual({ op: "callfn", func: "odd sub", args: [] });
    expect(ins[6]).toEqual({ op: "funcaddr", dst: { id: 6, ty: "ptr" }, func: "sub" });
    expect(ins[7]).toMatchObject({ op: "atomic", kind: "add", fetch: false, width: 8, value: { imm: 1n } });
    expect(ins[9]).toMatchObject({ op: "atomic", kind: "xor", fetch: true, dst: { id: 8, ty: "i64" } });
    expect(ins[10]).not.toHaveProperty("dst");
    expect(ins[12]).toMatchObject({ op: "atomic", kind: "cmpxchg", fetch: true, expected: { imm: -1n } });
    expect(main.locs?.get(ins[12]!)).toEqual({ line: 9, col: 4 });
  });

  it("the checker accepts the module apart from the use before definition", () => {
    const errs = checkModule(parseModule(CALLS_MODULE));
    expect(errs).toEqual([expect.stringMatching(/use of %7 is not dominated/)]);
  });

  const fcases: [string, string, RegExp][] = [
    ["globaladdr into an i64", `func f() {\nb0:\n  %1:i64 = globaladdr.data @x\n  ret 0\n}`, /globaladdr produces ptr/],
    ["funcaddr into an i32", `func f() {\nb0:\n  %1:i32 = funcaddr @g\n  ret 0\n}`, /funcaddr produces ptr/],
    ["callfn with six arguments", `func f() {\nb0:\n  callfn @g (1, 2, 3, 4, 5, 6)\n  ret 0\n}`, /6 arguments/],
    ["atomic value width", `func f(%0:ptr, %1:i32) {\nb0:\n  atomic.add.8 %0, 0, %1\n  ret 0\n}`, /value %1 is i32, expected i64/],
    ["atomic result width", `func f(%0:ptr) {\nb0:\n  %1:i64 = atomic.add.fetch.4 %0, 0, 1\n  ret 0\n}`, /4-byte atomic produces i32/],
    [
      "non-fetching atomic with a result",
      `func f(%0:ptr) {\nb0:\n  %1:i64 = atomic.add.8 %0, 0, 1\n  ret 0\n}`,
      /non-fetching atomic add defines no value/,
    ],
    ["xchg without fetch", `func f(%0:ptr) {\nb0:\n  atomic.xchg.8 %0, 0, 1\n  ret 0\n}`, /xchg always fetches/],
    ["cmpxchg without expected", `func f(%0:ptr) {\nb0:\n  atomic.cmpxchg.fetch.8 %0, 0, 1\n  ret 0\n}`, /cmpxchg needs an expected value/],
    ["expected on add", `func f(%0:ptr) {\nb0:\n  atomic.add.8 %0, 0, 1, 2\n  ret 0\n}`, /only cmpxchg takes an expected value/],
    ["atomic on a scalar base", `func f(%0:i64) {\nb0:\n  atomic.add.8 %0, 0, 1\n  ret 0\n}`, /base %0 is i64, expected ptr/],
    ["atomic immediate too wide", `func f(%0:ptr) {\nb0:\n  atomic.add.4 %0, 0, 4294967296\n  ret 0\n}`, /does not fit i32/],
  ];
  it.each(fcases)("rejects: %s", (_name, text, re) => {
    expect(checkFunc(parseFunc(text)).join("\n")).toMatch(re);
  });

  const mcases: [string, string, RegExp][] = [
    ["a call of a missing function", `func f() {\nb0:\n  callfn @nope ()\n  ret 0\n}`, /no function 'nope' in the module/],
    ["a missing callback", `func f() {\nb0:\n  %0:ptr = funcaddr @nope\n  ret 0\n}`, /no function 'nope'/],
    [
      "an argument count mismatch",
      `func f() {\nb0:\n  callfn @g (1)\n  ret 0\n}\n\nfunc g(%0:i64, %1:i64) {\nb0:\n  ret 0\n}`,
      /1 arguments, but g takes 2/,
    ],
    [
      "an argument type mismatch",
      `func f(%0:ptr) {\nb0:\n  callfn @g (%0)\n  ret 0\n}\n\nfunc g(%0:i64) {\nb0:\n  ret 0\n}`,
      /argument 1: %0 is ptr, expected i64/,
    ],
    [
      "a negative immediate for an i32 parameter",
      `func f() {\nb0:\n  callfn @g (-1)\n  ret 0\n}\n\nfunc g(%0:i32) {\nb0:\n  ret 0\n}`,
      /must be in \[0, 2\^32\)/,
    ],
    [
      "an i32 result from an i64 callee",
      `func f() {\nb0:\n  %0:i32 = callfn @g ()\n  ret 0\n}\n\nfunc g(%0:i64) {\nb0:\n  ret %0\n}`,
      /result is i32, but g b0 returns/,
    ],
    [
      "an i32 result from a negative immediate",
      `func f() {\nb0:\n  %0:i32 = callfn @g ()\n  ret 0\n}\n\nfunc g() {\nb0:\n  ret -1\n}`,
      /result is i32/,
    ],
  ];
  it.each(mcases)("checkModule rejects %s", (_name, text, re) => {
    expect(checkModule(parseModule(text)).join("\n")).toMatch(re);
  });

  it("rejects malformed mnemonics", () => {
    expect(() => parseFunc(`func f(%0:ptr) {\nb0:\n  atomic.nand.8 %0, 0, 1\n  ret 0\n}`)).toThrow(IrParseError);
    expect(() => parseFunc(`func f(%0:ptr) {\nb0:\n  atomic.add.fetch.2 %0, 0, 1\n  ret 0\n}`)).toThrow(/width suffix/);
    expect(() => parseFunc(`func f(%0:ptr) {\nb0:\n  %1:ptr = globaladdr.text @x\n  ret 0\n}`)).toThrow(/section suffix/);
    expect(() => parseFunc(`func f(%0:ptr) {\nb0:\n  %1:ptr = globaladdr @x\n  ret 0\n}`)).toThrow(/section suffix/);
    expect(() => parseFunc(`func f(%0:ptr) {\nb0:\n  funcaddr @x\n  ret 0\n}`)).toThrow(/defines a value/);
  });
});
