// The verifier-cost estimate against the kernel's own count, loop shape by loop shape: for, while
// and do/while; counters of every width; constant trip counts and trip counts that depend on packet
// data (a data start, a masked start, a guard, a `break` on data); and code after the loop that
// stores the loop's results only, or compares them. For every program the kernel loads, the estimate
// must not be below what the verifier processed ("processed N insns" at log level 4), nor more than
// 4x above it; every program the kernel refuses must be refused at compile time (TSBPF2202/2203), and
// none it loads, unless it processes more than 95% of the limit.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../compiler/backend/index.js";
import { compile } from "../compiler/compile.js";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { verify } from "./support/verifier-verdict.js";

const TYPES = ["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64"] as const;
type T = (typeof TYPES)[number];
const FIELD: Record<T, string> = { u8: "e", i8: "f", u16: "c", i16: "d", u32: "a", i32: "b", u64: "g", i64: "h" };
const wide = (t: T) => t.endsWith("32") || t.endsWith("64");

/** Loop shapes; `data`: the trip count depends on packet data. */
const SHAPES: { name: string; data: boolean; body: (t: T) => string }[] = [
  {
    name: "for, constant trips",
    data: false,
    body: (t) => `  for (let i: ${t} = 0; i < ${t.endsWith("8") ? 100 : 1000}; i++) { s += u64(h.a) ^ u64(i); }`,
  },
  {
    name: "for with a break on data",
    data: false,
    body: (t) =>
      `  const n = ${t}(h.${FIELD[t]});\n  for (let i: ${t} = 0; i < ${t.endsWith("8") ? 100 : 1000}; i++) { if (i >= n) break; s += u64(h.a) ^ u64(i); }`,
  },
  { name: "while from data", data: true, body: (t) => `  let x = ${t}(h.${FIELD[t]});\n  while (x > 0) { x--; s += 1; }` },
  { name: "while from data, bare", data: true, body: (t) => `  let x = ${t}(h.${FIELD[t]});\n  while (x > 0) { x--; }\n  s = u64(x);` },
  { name: "do/while from data", data: true, body: (t) => `  let x = ${t}(h.${FIELD[t]});\n  do { x--; } while (x > 0);\n  s = u64(x);` },
  {
    name: "do/while from data, summing",
    data: true,
    body: (t) => `  let x = ${t}(h.${FIELD[t]});\n  do { x--; s += u64(x); } while (x > 0);`,
  },
  {
    name: "while from a masked start",
    data: false,
    body: (t) => `  let x = ${t}(h.${FIELD[t]}) & 63;\n  while (x > 0) { x--; s += u64(h.a) ^ u64(x); }`,
  },
  {
    name: "while after a guard",
    data: false,
    body: (t) => `  let x = ${t}(h.${FIELD[t]});\n  if (x > 40) return XdpAction.DROP;\n  while (x > 0) { s += u64(x); x--; }`,
  },
  {
    name: "do/while inside an if",
    data: false,
    body: (t) => `  let x = ${t}(h.${FIELD[t]});\n  if (x > 0 && x < 100) { do { s += u64(x); x--; } while (x > 0); }`,
  },
];

const TAILS: { name: string; code: string }[] = [
  { name: "stores the result", code: "  results.update(0, s);\n  results.update(1, s + 1);\n  results.update(2, s * 3);" },
  {
    name: "compares the result",
    code: "  if (s > 5) results.update(1, 1);\n  if (s === 9) results.update(2, s);\n  results.update(0, s);",
  },
];

function source(body: string): string {
  return `import { xdp, XdpAction, ArrayMap, u64, u8, i8, u16, i16, u32, i32, i64 } from "tsbpf/bpf";
interface In { a: u32; b: i32; c: u16; d: i16; e: u8; f: i8; g: u64; h: i64 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  let s: u64 = 0;
${body}
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}

interface Row {
  shape: string;
  type: T;
  tail: string;
  codes: string[];
  estimate: number;
  verdict: { processed: number } | { refused: string } | "not loaded";
}

/**
 * One row per shape, type and tail. Data-dependent loops on 32- and 64-bit counters run up to 2^32
 * or 2^64 times: their estimates are past the limit by orders of magnitude, so only the first tail of
 * u32 is confirmed in the kernel (each refusal costs the verifier a million instructions).
 */
function measure(types: readonly T[]): Row[] {
  const rows: Row[] = [];
  for (const shape of SHAPES)
    for (const type of types)
      for (const [k, tail] of TAILS.entries()) {
        const r = compile("cost-table.bpf.ts", source(`${shape.body(type)}\n${tail.code}`), { keepCostRefused: true });
        expect(r.object, `${shape.name} / ${type}: ${r.diagnostics.map((d) => d.message).join("; ")}`).toBeDefined();
        const load = !(shape.data && wide(type)) || (type === "u32" && k === 0);
        rows.push({
          shape: shape.name,
          type,
          tail: tail.name,
          codes: r.diagnostics.map((d) => d.code),
          estimate: r.programs[0]!.verifierSteps!,
          verdict: load ? verify(r.object!) : "not loaded",
        });
      }
  return rows;
}

function check(rows: Row[]): void {
  for (const row of rows) {
    const what = `${row.shape} / ${row.type} / ${row.tail}: estimate ${row.estimate}, ${JSON.stringify(row.verdict)}, ${row.codes.join(",") || "no diagnostic"}`;
    const refusedAtCompile = row.codes.some((c) => c === "TSBPF2202" || c === "TSBPF2203");
    if (row.verdict === "not loaded") {
      expect(refusedAtCompile, what).toBe(true);
    } else if ("processed" in row.verdict) {
      expect(row.estimate, what).toBeGreaterThanOrEqual(row.verdict.processed);
      expect(row.estimate, what).toBeLessThanOrEqual(4 * row.verdict.processed);
      // A program within 5% of the kernel's limit may be refused at compile time: another kernel
      // version walks a few instructions more or less (the u16 while that compares its sum after
      // the loop processes 983,093 since range-fold dropped its truncation, and stays TSBPF2202).
      if (row.verdict.processed < 0.95 * 1_000_000) expect(refusedAtCompile, what).toBe(false);
    } else {
      expect(row.verdict.refused, what).toBe("BPF program is too large");
      expect(refusedAtCompile, what).toBe(true);
    }
  }
}

describeKernel("verifier-cost estimate against the verifier's count, per loop shape", () => {
  kernelTest("8- and 16-bit counters: every shape, both tails", () => check(measure(["u8", "i8", "u16", "i16"])), 300_000);
  kernelTest("32- and 64-bit counters: every shape, both tails", () => check(measure(["u32", "i32", "u64", "i64"])), 300_000);
});

// layout.ts's exitCheckpoints: a loop exit that is only the back edge's fall-through becomes a jump
// target (`ja +0`) when the path from it would otherwise walk on past a few instructions.
describe("loop exits as pruning points", () => {
  const isJa = (i: { opcode: number }) => i.opcode === 0x05;
  const backEdges = (src: string) => {
    const r = compile("exits.bpf.ts", src);
    expect(r.ok).toBe(true);
    const insns = generate(r.programs[0]!.ir, { isProgram: true }).insns;
    // Conditional jumps (class JMP/JMP32, not ja/call/exit) that go backwards, and what follows.
    return insns.flatMap((x, k) => {
      const cls = x.opcode & 7;
      const op = x.opcode & 0xf0;
      const cond = (cls === 5 || cls === 6) && op !== 0x00 && op !== 0x80 && op !== 0x90;
      return cond && x.off < 0 ? [insns[k + 1]!] : [];
    });
  };

  it("the i16 do/while followed by 32 straight instructions gets a ja +0 after its back edge", () => {
    const src = readFileSync(join(import.meta.dirname, "fixtures", "verifier-cost", "do-while-i16-after-arith.bpf.ts"), "utf8");
    const after = backEdges(src);
    expect(after.length).toBe(1);
    expect(isJa(after[0]!) && after[0]!.off === 0).toBe(true);
  });

  it("a do/while followed at once by a comparison does not (the conditional jump is the pruning point)", () => {
    const after = backEdges(
      source("  let x = u16(h.c);\n  do { x--; } while (x > 0);\n  if (h.a === 3) return XdpAction.DROP;\n  results.update(0, 1);"),
    );
    expect(after.length).toBe(1);
    expect(isJa(after[0]!)).toBe(false);
  });
});

describe("a break the compiler can decide ends the count of trips", () => {
  const loop = (
    brk: string,
    counter = "u32",
  ) => `import { xdp, XdpAction, ArrayMap, type u8, type u32, type i32, type u64 } from "tsbpf/bpf";
const results = new ArrayMap<u64>(4);
function zero(a: u8): u32 {
  return 0;
}
export const prog = xdp((ctx) => {
  let s: u64 = 0;
  for (let k: ${counter} = 3; k < 67; k++) {
    const b = ctx.header<u8>(14 + k);
    if (b === null) break;
    ${brk}
    s += b;
    results.update(1, s);
  }
  results.update(0, s);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
  const steps = (src: string) => {
    const r = compile("t.bpf.ts", src);
    expect(r.diagnostics.map((d) => d.code)).toEqual([]);
    return r.programs[0]!.verifierSteps!;
  };

  it("`if (k >= zero(0)) break;` (a function that returns 0) ends the loop on its first trip", () => {
    const full = steps(loop(""));
    const one = steps(loop("if (k >= zero(0)) break;"));
    expect(one * 20).toBeLessThan(full);
  });

  it("a bound the counter reaches later ends it then; one past the counter's type never does", () => {
    const full = steps(loop(""));
    const half = steps(loop("if (k === 35) break;"));
    expect(half).toBeLessThan(full * 0.6);
    expect(half).toBeGreaterThan(full * 0.4);
    expect(steps(loop("if (k >= 4294967296) break;", "i32"))).toBeGreaterThanOrEqual(steps(loop("", "i32")));
  });
});
