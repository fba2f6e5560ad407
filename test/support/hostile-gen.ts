// Hostile inputs for the compiler (issue 10): grammar-built programs mixing supported and unsupported
// TypeScript, mutations of every example and fixture, size attacks and arbitrary bytes. Shared by the
// bounded slice in test/robustness-fuzz.test.ts and by `npm run fuzz:hostile` (bench/fuzz-hostile.ts).
// `checkInput` states the property: an object, or diagnostics that each carry a file, a position and
// a code, never an internal error or an exception.

import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { compile, type CompileResult } from "../../compiler/compile.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** Every example, fixture and language-test source: the seeds of the mutations. */
export function seedSources(): { name: string; text: string }[] {
  const dirs = ["test/fixtures", "test/lang", ...fs.readdirSync(path.join(ROOT, "examples")).map((d) => `examples/${d}`)];
  const out: { name: string; text: string }[] = [];
  for (const d of dirs) {
    for (const f of fs.readdirSync(path.join(ROOT, d))) {
      if (f.endsWith(".bpf.ts")) out.push({ name: `${d}/${f}`, text: fs.readFileSync(path.join(ROOT, d, f), "utf8") });
    }
  }
  return out;
}

const IMPORT = `import { xdp, tc, socketFilter, tracepoint, XdpAction, HashMap, ArrayMap, PerCpuArray, RingBuf, loop, atomicAdd, ktimeGetNs, htons, type u8, type u16, type u32, type u64, type i32, type EthHdr, type Ipv4Hdr } from "tsbpf/bpf";\n`;

/** Statements inside a program body: mostly valid, some outside the subset, some ill-typed. */
const BODY = [
  "let x: u32 = ctx.len;",
  "const y: u64 = 5;",
  "x = x + 1;",
  "x += 3;",
  "if (x > 10) { x = 0; }",
  "for (let i = 0; i < 8; i++) { x += i; }",
  "while (x < 100) { x++; }",
  "const e = ctx.header<EthHdr>(0);",
  "if (e === null) return XdpAction.DROP;",
  "const v = m.lookup(x);",
  "if (v !== null) { v.n += 1; }",
  "v.n += 1;",
  "m.update(x, { n: 1 });",
  "m.delete(x);",
  "switch (x) { case 1: return XdpAction.PASS; default: break; }",
  'const s = "str";',
  "const f = 1.5;",
  "const big = 18446744073709551616;",
  "const z: u8 = 300;",
  "const w: u8 = 200 + 100;",
  "x = x!;",
  "const o = e?.h_proto;",
  "x ??= 1;",
  "const a = [1, 2];",
  "const { n } = v;",
  "throw 1;",
  "try { x = 1; } catch { x = 2; }",
  "class C {}",
  "function inner() {}",
  "const g = () => 1;",
  "for (const q of [1]) {}",
  "debugger;",
  "x = typeof x;",
  "label: for (;;) { break label; }",
  "x = x ** 2;",
  "x = (x, 1);",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template literal in the generated program is the point
  "const t = `a${x}`;",
  "var old = 1;",
  "x = cnt;",
  "atomicAdd(g1.n, 1);",
  "x = helper(x);",
  "x = rec(x);",
  "x = ktimeGetNs();",
  "return XdpAction.PASS;",
  "return 7;",
  "return;",
  "// @ts-ignore",
  "x = x / 0;",
  "x = x << 70;",
  "const h: u32 = -1;",
  "if (x) {} else if (x > 1) {} else {}",
  "x = x > 1 ? 2 : 3;",
  "do { x--; } while (x > 0);",
  "x = htons(x);",
  "const q2: i32 = x;",
  "x = y;",
  "x = u32(y);",
  "loop(10, body, st);",
  "await x;",
  "yield x;",
  "new Date();",
  "x = this.x;",
  "delete v.n;",
];

/** Module-level declarations, some not allowed there. */
const MODULE = [
  "interface Val { n: u64 }",
  "const m = new HashMap<u32, Val>(64);",
  "const cnt: u32 = 5;",
  "let g1: Val = { n: 0 };",
  "enum E { A = 1, B }",
  "type T = u32;",
  "function helper(a: u32): u32 { return a * 2; }",
  "/** @noinline */\nfunction nh(a: u32): u32 { return a + 1; }",
  "function rec(a: u32): u32 { return rec(a); }",
  "interface St { i: u32 }",
  "function body(i: u32, s: St): u32 { s.i += i; return 0; }",
  'export const LICENSE = "GPL";',
  'export const LICENSE = "MIT";',
  "x = 1;",
  "class K {}",
  "namespace N {}",
  'import * as fs from "fs";',
  "export default 1;",
  "var v1 = 1;",
  "function* gen() { yield 1; }",
  "async function af() {}",
  "declare const ext: u32;",
  "@dec class D {}",
  "const r = new RingBuf<Val>(4096);",
  "const pa = new PerCpuArray<Val>(0);",
  "const am = new ArrayMap<Val>(-1);",
];

const WRAPPERS = [
  "xdp((ctx) => {\n{BODY}\n  return XdpAction.PASS;\n})",
  "tc((ctx) => {\n{BODY}\n  return 0;\n})",
  "socketFilter((ctx) => {\n{BODY}\n  return 0;\n})",
  "xdp((ctx) => {\n{BODY}\n})",
  "xdp(function (ctx) { {BODY} })",
];

/** A program from the grammar above. */
export const grammarArb: fc.Arbitrary<string> = fc
  .record({
    mods: fc.array(fc.constantFrom(...MODULE), { maxLength: 8 }),
    body: fc.array(fc.constantFrom(...BODY), { maxLength: 14 }),
    nest: fc.array(fc.constantFrom("if (x > 1) {", "for (let i = 0; i < 4; i++) {", "{", "while (x < 3) {"), { maxLength: 4 }),
    wrapper: fc.constantFrom(...WRAPPERS),
    exported: fc.boolean(),
    imports: fc.boolean(),
  })
  .map(({ mods, body, nest, wrapper, exported, imports }) => {
    const inner = `${nest.join("\n")}\n  ${body.join("\n  ")}\n${"}".repeat(nest.length)}`;
    return `${imports ? IMPORT : ""}${mods.join("\n")}\n${exported ? "export " : ""}const prog = ${wrapper.replace("{BODY}", inner)};\n`;
  });

const TOKEN = /[A-Za-z_$][\w$]*|0[xX][0-9a-fA-F]+|\d+|"[^"\n]*"|\/\/[^\n]*|\s+|[^\sA-Za-z_$\d]/g;

type Mutation = "swap" | "delete" | "duplicate" | "number" | "nest" | "insert" | "truncate";

/** A mutation of a seed source, on its tokens. */
export function mutationArb(seeds: { name: string; text: string }[]): fc.Arbitrary<string> {
  return fc
    .record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      ops: fc.array(
        fc.record({
          kind: fc.constantFrom<Mutation>("swap", "delete", "duplicate", "number", "nest", "insert", "truncate"),
          at: fc.nat(),
          len: fc.integer({ min: 1, max: 40 }),
          n: fc.constantFrom(
            "0",
            "1",
            "255",
            "256",
            "65536",
            "4294967296",
            "18446744073709551615",
            "18446744073709551616",
            "-1",
            "0x7fffffff",
            "1e3",
            "99999999999999999999999",
          ),
          text: fc.constantFrom(...BODY, ...MODULE, "(", ")", "{", "}", ";", "null", "!", "?", "as", "<", ">"),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    })
    .map(({ seed, ops }) => {
      let toks: string[] = [...(seeds[seed].text.match(TOKEN) ?? [])];
      for (const op of ops) {
        if (toks.length === 0) break;
        const i = op.at % toks.length;
        const j = Math.min(toks.length, i + op.len);
        switch (op.kind) {
          case "swap": {
            const k = (op.at * 7 + op.len) % toks.length;
            [toks[i], toks[k]] = [toks[k], toks[i]];
            break;
          }
          case "delete":
            toks = [...toks.slice(0, i), ...toks.slice(j)];
            break;
          case "duplicate":
            toks = [...toks.slice(0, j), ...toks.slice(i, j), ...toks.slice(j)];
            break;
          case "number": {
            const nums = toks.map((t, k) => (/^\d/.test(t) ? k : -1)).filter((k) => k >= 0);
            if (nums.length) toks[nums[op.at % nums.length]] = op.n;
            break;
          }
          case "nest":
            toks = [...toks.slice(0, i), "{", ...toks.slice(i, j), "}", ...toks.slice(j)];
            break;
          case "insert":
            toks = [...toks.slice(0, i), "\n", op.text, "\n", ...toks.slice(i)];
            break;
          case "truncate":
            toks = toks.slice(0, i);
            break;
        }
      }
      return toks.join("");
    });
}

/** Size attacks: deep nesting of every kind, long bodies, huge literals and identifiers. */
export const sizeArb: fc.Arbitrary<string> = fc
  .record({
    kind: fc.constantFrom(
      "parens",
      "brackets",
      "blocks",
      "unary",
      "not",
      "elseif",
      "ternary",
      "chain",
      "ifs",
      "stmts",
      "literal",
      "ident",
      "calls",
      "assign",
    ),
    n: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 300, max: 6000 })),
  })
  .map(({ kind, n }) => {
    const body = (b: string) =>
      `${IMPORT}export const prog = xdp((ctx) => {\n  let x: u32 = ctx.len;\n${b}\n  return XdpAction.PASS;\n});\nexport const LICENSE = "GPL";\n`;
    switch (kind) {
      case "parens":
        return body(`  x = ${"(".repeat(n)}x${")".repeat(n)};`);
      case "brackets":
        return body(`  x = ${"[".repeat(n)}${"]".repeat(n)};`);
      case "blocks":
        return body(`${"{".repeat(n)}x++;${"}".repeat(n)}`);
      case "unary":
        return body(`  x = ${"-".repeat(n).split("").join(" ")} x;`);
      case "not":
        return body(`  const b = ${"!".repeat(n)}x;`);
      case "elseif":
        return body(`  if (x === 0) {}${" else if (x === 1) { x++; }".repeat(n)}`);
      case "ternary":
        return body(`  x = ${"x > 1 ? 1 : ".repeat(n)}0;`);
      case "chain":
        return body(`  x = x${" + x".repeat(n * 4)};`);
      case "ifs":
        return body("  if (x > 3) { x = x - 1; }\n".repeat(n));
      case "stmts":
        return body("  x = x + 1;\n".repeat(n * 10));
      case "literal":
        return body(`  x = ${"9".repeat(n)};`);
      case "ident":
        return body(`  const ${"a".repeat(n * 20)}: u32 = 1;\n  x = ${"a".repeat(n * 20)};`);
      case "calls":
        return body(`  x = ${"htons(".repeat(n)}x${")".repeat(n)};`);
      default:
        return body(`  let y: u32 = 0;\n  ${"y = ".repeat(n)}x;`);
    }
  });

/** Arbitrary bytes, decoded as UTF-8 (invalid sequences become U+FFFD) or Latin-1, sometimes after a valid prefix. */
export const bytesArb: fc.Arbitrary<string> = fc
  .record({ bytes: fc.uint8Array({ maxLength: 2000 }), latin1: fc.boolean(), prefix: fc.boolean() })
  .map(({ bytes, latin1, prefix }) => (prefix ? IMPORT : "") + Buffer.from(bytes).toString(latin1 ? "latin1" : "utf8"));

/** The mix a hostile run draws from. */
export function hostileArb(seeds: { name: string; text: string }[]): fc.Arbitrary<{ kind: string; text: string }> {
  return fc.oneof(
    { weight: 4, arbitrary: grammarArb.map((text) => ({ kind: "grammar", text })) },
    { weight: 5, arbitrary: mutationArb(seeds).map((text) => ({ kind: "mutation", text })) },
    { weight: 1, arbitrary: sizeArb.map((text) => ({ kind: "size", text })) },
    { weight: 1, arbitrary: bytesArb.map((text) => ({ kind: "bytes", text })) },
  );
}

export interface Verdict {
  result?: CompileResult;
  ms: number;
  /** Why the property failed; undefined when it held. */
  problem?: string;
}

const CODE = /^(TS\d{4,5}|TSBPF\d{4})$/;

/** Compiles one input and checks the property. */
export function checkInput(file: string, text: string): Verdict {
  const t0 = performance.now();
  let result: CompileResult;
  try {
    result = compile(file, text);
  } catch (e) {
    return { ms: performance.now() - t0, problem: `compile() threw: ${(e as Error).stack ?? e}` };
  }
  const ms = performance.now() - t0;
  for (const d of result.diagnostics) {
    if (d.code === "TSBPF9001" || d.severity === "internal") return { result, ms, problem: `internal error: ${d.message}` };
    if (!CODE.test(d.code)) return { result, ms, problem: `diagnostic without a code: ${JSON.stringify(d)}` };
    if (!d.file || !(d.line >= 1) || !(d.col >= 1))
      return { result, ms, problem: `diagnostic without a file or position: ${JSON.stringify(d)}` };
  }
  if (result.ok !== (result.object !== undefined)) return { result, ms, problem: "ok and object disagree" };
  if (!result.ok && !result.diagnostics.some((d) => d.severity === "error")) return { result, ms, problem: "failed without an error" };
  return { result, ms };
}
