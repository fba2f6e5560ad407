// Regression tests for the robustness issue: inputs a user (or an attacker) can write that used to
// crash the compiler, hang it, be accepted wrongly or be misreported. Each case names the bug.
// Every result must be an object or diagnostics with a file, a position and a code, never TSBPF9001.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../compiler/compile.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "bin", "tsbpf.js");
const FILE = path.join(ROOT, "test", "robust.bpf.ts");
const H = `import { xdp, XdpAction, HashMap, type u8, type u32, type u64 } from "tsbpf/bpf";\n`;
const L = `\nexport const LICENSE = "GPL";\n`;

function codes(r: CompileResult): string[] {
  return r.diagnostics.map((d) => d.code);
}

/** Every diagnostic names the file and a position, and none is internal. */
function wellFormed(r: CompileResult): void {
  for (const d of r.diagnostics) {
    expect(d.code).not.toBe("TSBPF9001");
    expect(d.file).toBe(FILE);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.col).toBeGreaterThanOrEqual(1);
  }
  if (!r.ok) expect(r.object).toBeUndefined();
}

function prog(body: string, decls = ""): string {
  return `${H}${decls}\nexport const p = xdp((ctx) => {\n${body}\n  return XdpAction.PASS;\n});${L}`;
}

describe("deep nesting gives TSBPF1040, not a stack overflow", () => {
  const n = 5000;
  const cases: Record<string, string> = {
    parentheses: prog(`  const x: u32 = ${"(".repeat(n)}1${")".repeat(n)};\n  if (x === 2) return XdpAction.DROP;`),
    brackets: prog(`  const x: u32 = ${"[".repeat(n)}${"]".repeat(n)};`),
    blocks: prog(`${"{".repeat(n)}${"}".repeat(n)}`),
    "unary operators": prog(`  const x: u32 = ${"- ".repeat(n)}1;\n  if (x === 2) return XdpAction.DROP;`),
    "if/else chain": prog(`  const x: u32 = ctx.len;\n  if (x === 0) {}${" else if (x === 1) {}".repeat(n)}`),
    "nested ifs": prog(`  const x: u32 = ctx.len;\n${"if (x > 1) ".repeat(n)}return XdpAction.DROP;`),
    "conditional chain": prog(
      `  const x: u32 = ctx.len;\n  const y: u32 = ${"x > 1 ? 1 : ".repeat(n)}0;\n  if (y === 2) return XdpAction.DROP;`,
    ),
    "a + a + ... chain": prog(
      `  const a: u32 = ctx.len;\n  const x: u32 = a${" + a".repeat(20000)};\n  if (x === 2) return XdpAction.DROP;`,
    ),
  };
  for (const [what, src] of Object.entries(cases)) {
    it(what, () => {
      const r = compile(FILE, src);
      wellFormed(r);
      expect(codes(r)).toEqual(["TSBPF1040"]);
      expect(r.diagnostics[0].line).toBeGreaterThan(1);
    });
  }

  it("moderate nesting still compiles (100 parentheses, 150 nested blocks, a 500-term chain)", () => {
    for (const body of [
      `  const x: u32 = ${"(".repeat(100)}ctx.len${")".repeat(100)};\n  if (x === 2) return XdpAction.DROP;`,
      `${"{".repeat(150)}${"}".repeat(150)}`,
      `  const a: u32 = ctx.len;\n  const x: u32 = a${" + a".repeat(500)};\n  if (x === 2) return XdpAction.DROP;`,
    ]) {
      const r = compile(FILE, prog(body));
      expect(codes(r)).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });

  it("thousands of sequential ifs: an object or a diagnostic (tsc's checker recurses), never an internal error", () => {
    const body = `  let x: u32 = ctx.len;\n${"  if (x > 7) { x = x - 1; }\n".repeat(3000)}  if (x === 2) return XdpAction.DROP;`;
    const r = compile(FILE, prog(body));
    wellFormed(r);
    // tsc itself may give up first, with TS2563 ("too large for control flow analysis").
    if (!r.ok) expect(["TSBPF1041", "TS2563"]).toContain(codes(r)[0]);
  });
});

describe("large inputs finish", () => {
  it("1000 sequential ifs compile (jump threading was quadratic)", () => {
    const body = `  let x: u32 = ctx.len;\n${Array.from({ length: 1000 }, (_, i) => `  if (x > ${i}) { x = x - 1; }\n`).join("")}  if (x === 2) return XdpAction.DROP;`;
    const r = compile(FILE, prog(body));
    expect(codes(r)).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("a 2 MB file of statements compiles", () => {
    const body = `  let x: u32 = ctx.len;\n${"  x = x + 3;\n".repeat(165_000)}  if (x === 2) return XdpAction.DROP;`;
    expect(body.length).toBeGreaterThan(2_000_000);
    const r = compile(FILE, prog(body));
    expect(codes(r)).toEqual([]);
    expect(r.ok).toBe(true);
  }, 120_000);
});

describe("regressions from the issue", () => {
  it("a switch whose cases all return (with default) in a function is not 'missing a return'", () => {
    for (const noinline of ["", "/** @noinline */\n"]) {
      const src = `${H}${noinline}function f(x: u32): u32 { switch (x) { case 1: return 2; default: return 3; } }\nexport const p = xdp((ctx) => f(ctx.len) === 2 ? XdpAction.PASS : XdpAction.DROP);${L}`;
      const r = compile(FILE, src);
      expect(codes(r)).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });

  it("an empty file is TSBPF1045, not an object without programs", () => {
    for (const src of ["", `\n`, L, `${H}function f(x: u32): u32 { return x; }${L}`]) {
      const r = compile(FILE, src);
      wellFormed(r);
      expect(r.ok).toBe(false);
      expect(codes(r)).toContain("TSBPF1045");
    }
  });

  it("unused functions are checked: recursion and unbounded loops are reported", () => {
    const src = prog(
      "",
      `function f(x: u32): u32 { return f(x - 1); }\nfunction g(x: u32): u32 { let i: u32 = 0; while (i < x) { i++; } return i; }\n`,
    );
    const r = compile(FILE, src);
    wellFormed(r);
    expect(codes(r).sort()).toEqual(["TSBPF2001", "TSBPF2025"]);
  });

  it("an unused inline helper taking a `T | null` reference is not an error (only a subprogram could not take it)", () => {
    const r = compile(
      FILE,
      prog("", `interface Val { n: u64 }\nfunction bump(v: Val | null): u32 { if (v === null) return 0; v.n += 1; return 1; }\n`),
    );
    expect(codes(r)).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("an unused function that is fine does not change the object", () => {
    const used = compile(FILE, prog(""));
    const withUnused = compile(FILE, prog("", `/** @noinline */\nfunction helper(x: u32): u32 { return x * 3; }\n`));
    expect(withUnused.ok).toBe(true);
    expect(withUnused.programs.map((p) => p.insnCount)).toEqual(used.programs.map((p) => p.insnCount));
  });

  it("a generator is TSBPF1007 on the construct; tsc's global diagnostics name the file", () => {
    const r = compile(FILE, `${H}function* g() { yield 1; }\nexport const p = xdp(() => XdpAction.PASS);${L}`);
    wellFormed(r);
    expect(codes(r)).toEqual(["TSBPF1007"]);
    expect(r.diagnostics[0].line).toBe(2);
  });

  it("constant expressions are checked like literals", () => {
    const over = compile(FILE, prog(`  m.update(1, 256*256*256*256*256*256*256*256);`, `const m = new HashMap<u32, u64>(16);\n`));
    wellFormed(over);
    expect(codes(over)).toEqual(["TSBPF2201"]);
    expect(over.diagnostics[0].message).toContain("the expression 256*256");
    const u8 = compile(FILE, prog(`  const z: u8 = 200 + 100;\n  if (z === 1) return XdpAction.DROP;`));
    expect(codes(u8)).toEqual(["TSBPF2201"]);
    expect(u8.diagnostics[0].message).toBe("the expression 200 + 100 (= 300) does not fit in u8");
    const lit = compile(FILE, prog(`  const z: u8 = 300;\n  if (z === 1) return XdpAction.DROP;`));
    expect(codes(lit)).toEqual(["TSBPF2011"]);
  });

  it("@ts-ignore, @ts-expect-error and @ts-nocheck cannot hide a missing null check", () => {
    const decls = `interface C { n: u64 }\nconst m = new HashMap<u32, C>(16);\n`;
    for (const c of ["// @ts-ignore", "// @ts-expect-error", "/* @ts-ignore */"]) {
      const r = compile(FILE, prog(`  const v = m.lookup(1);\n  ${c}\n  v.n += 1;`, decls));
      wellFormed(r);
      expect(codes(r)).toEqual(["TSBPF1042"]);
      expect(r.diagnostics[0].line).toBe(7);
    }
    const r = compile(FILE, `// @ts-nocheck\n${prog(`  const v = m.lookup(1);\n  v.n += 1;`, decls)}`);
    expect(codes(r)).toEqual(["TSBPF1042"]);
  });

  it("decorators, tagged templates, default and optional parameters: tsbpf diagnostics on the construct", () => {
    const deco = compile(
      FILE,
      `${H}declare function dec(f: u32): void;\n@dec\nfunction f(): u32 { return 1; }\nexport const p = xdp(() => XdpAction.PASS);${L}`,
    );
    expect(codes(deco)).toEqual(["TSBPF1043"]);
    expect(deco.diagnostics[0].line).toBe(3);
    const tagged = compile(FILE, prog("  const x = tag`a`;", `declare function tag(s: u32): u32;\n`));
    expect(codes(tagged)).toEqual(["TSBPF1013"]);
    for (const param of ["y: u32 = 3", "y?: u32"]) {
      const r = compile(
        FILE,
        `${H}/** @noinline */\nfunction f(x: u32, ${param}): u32 { return x; }\nexport const p = xdp(() => f(1) === 1 ? XdpAction.PASS : XdpAction.DROP);${L}`,
      );
      wellFormed(r);
      expect(codes(r)).toEqual(["TSBPF1044"]);
    }
  });

  it("integer narrowing and a wrong map key read as plain words", () => {
    const src = prog(
      `  const a: u64 = ctx.len;\n  const b: u32 = a;\n  s.lookup(5);`,
      `interface K { a: u32; b: u32 }\nconst s = new HashMap<K, u64>(16);\n`,
    );
    const r = compile(FILE, src);
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "u64 does not fit in u32 — use u32(x)",
      "this map's key is the struct 'K', not an integer",
    ]);
    expect(r.diagnostics.every((d) => !d.message.includes("__int"))).toBe(true);
  });
});

describe("the tsbpf command on bad input", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsbpf-robust-${process.pid}-`));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  const example = path.join(ROOT, "examples", "xdp-pass", "xdp-pass.bpf.ts");

  it("disasm on a directory, a non-BPF ELF, a missing file: exit 1 with a clear error", () => {
    expect(run("disasm", tmp)).toMatchObject({ status: 1, err: `error: cannot read ${tmp}: is a directory, not a file\n` });
    const ls = run("disasm", process.execPath);
    expect(ls.status).toBe(1);
    expect(ls.err).toMatch(/not an eBPF object \(ELF machine \d+, expected 247\)/);
    expect(ls.out).toBe("");
    expect(run("disasm", path.join(tmp, "nope.o"))).toMatchObject({ status: 1 });
    expect(run("build", tmp)).toMatchObject({ status: 1, err: `error: cannot read ${tmp}: is a directory, not a file\n` });
  });

  it("--version, unknown commands, -o without a value, bad --dump-ir and --cpu", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(run("--version")).toMatchObject({ status: 0, out: `tsbpf ${pkg.version}\n` });
    for (const cmd of ["frobnicate", "qqq"]) {
      const r = run(cmd);
      expect(r.status).toBe(2);
      expect(r.err.split("\n")[0]).toBe(`error: unknown command '${cmd}'`);
    }
    expect(run("biuld", example).err.split("\n")[0]).toBe("error: unknown command 'biuld'; did you mean 'build'?");
    expect(run("build", example, "-o")).toMatchObject({ status: 2, err: "error: -o needs a file name\n" });
    const dump = run("build", example, "--dump-ir=bogus");
    expect(dump.status).toBe(2);
    expect(dump.err).toContain("unknown --dump-ir stage 'bogus'; stages: input, lower, const-fold");
    expect(run("build", example, "--cpu=v5")).toMatchObject({ status: 2, err: "error: unknown cpu 'v5', use v3 or v4\n" });
  });

  it("build of a name TypeScript does not read as a source (/dev/stdin, no .ts): TSBPF1048, not an internal error", () => {
    const src = fs.readFileSync(example, "utf8");
    for (const name of ["/dev/stdin", "prog.bpf", "prog.c"]) {
      const r = compile(name, src);
      expect(r.ok).toBe(false);
      expect(r.diagnostics.map((d) => [d.code, d.file, d.line, d.col])).toEqual([["TSBPF1048", name, 1, 1]]);
      expect(r.diagnostics[0]!.message).toBe(`'${name}' is not a TypeScript file: tsbpf compiles .ts files`);
    }
    expect(compile("prog.mts", src).ok).toBe(true);
    const copy = path.join(tmp, "prog.bpf");
    fs.writeFileSync(copy, src);
    const r = run("build", copy, "-o", path.join(tmp, "p.o"));
    expect(r.status).toBe(1);
    expect(r.err).toContain(`${copy}:1:1 - error TSBPF1048:`);
    expect(r.err).not.toContain("internal");
    expect(fs.existsSync(path.join(tmp, "p.o"))).toBe(false);
  });

  it("build -o into a directory or a missing directory: exit 1 with 'cannot write'", () => {
    expect(run("build", example, "-o", tmp)).toMatchObject({ status: 1, err: `error: cannot write ${tmp}: is a directory, not a file\n` });
    expect(run("build", example, "-o", path.join(tmp, "no", "x.o"))).toMatchObject({
      status: 1,
      err: `error: cannot write ${path.join(tmp, "no", "x.o")}: no such directory\n`,
    });
  });

  it("--dump-ir headers have one format for the lowering and the passes", () => {
    const r = run("build", example, "-o", path.join(tmp, "x.o"), "--dump-ir=lower,dce");
    expect(r.status).toBe(0);
    const headers = r.err.split("\n").filter((l) => l.startsWith(";") && l.includes("IR after"));
    expect(headers[0]).toBe("; ---- IR after lower ----");
    expect(headers.slice(1).every((h) => h === "; ---- IR after dce ----")).toBe(true);
  });

  it("gen does not overwrite a file that is not a skeleton without --force", () => {
    const src = path.join(tmp, "g.bpf.ts");
    fs.copyFileSync(example, src);
    const skel = path.join(tmp, "g.skel.ts");
    fs.writeFileSync(skel, "// my own code\n");
    const r = run("gen", src);
    expect(r.status).toBe(1);
    expect(r.err).toContain("exists and is not a generated skeleton; pass --force");
    expect(fs.readFileSync(skel, "utf8")).toBe("// my own code\n");
    expect(run("gen", src, "--force").status).toBe(0);
    const again = run("gen", src);
    expect(again.status).toBe(0);
    expect(again.out).toContain("(replaced)");
  });
});

describe("found by the hostile fuzzer", () => {
  it("a map larger than the kernel accepts is TSBPF2005, not an object that fails with E2BIG", () => {
    for (const [cls, n, ok] of [
      ["HashMap", "0x7fffffff", false],
      ["HashMap", "134217729", false],
      ["HashMap", "134217728", true],
      ["ArrayMap", "0x40000000", false],
    ] as const) {
      const decl =
        cls === "HashMap"
          ? `const m = new HashMap<u32, u64>(${n});\n`
          : `import { ArrayMap } from "tsbpf/bpf";\nconst m = new ArrayMap<u64>(${n});\n`;
      const r = compile(FILE, prog("  m.update(1, 2);", decl));
      wellFormed(r);
      if (ok) expect(codes(r), `${cls}(${n})`).toEqual([]);
      else expect(codes(r)[0], `${cls}(${n})`).toBe("TSBPF2005");
    }
  });
});

describe("verifier-cost estimate, regressions from the hostile fuzzer", () => {
  // First refused by the estimate (TSBPF2202); now the trip-count check compares as the lowering
  // does (the bound converts to u32) and refuses it earlier and more precisely (TSBPF2026).
  it("a u32 loop bounded by -1 runs to 0xffffffff, so it is refused (TSBPF2026), not counted at zero trips", () => {
    const src = `import { xdp, XdpAction, ArrayMap, type u32, type u64 } from "tsbpf/bpf";
interface In { a: u32; c: u32 }
const results = new ArrayMap<u64>(8);
export const p = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  let s: u64 = 0;
  for (let y: u32 = 0; y < -1; y++) {
    if (y * 4 === h.c) s += 1;
  }
  results.update(0, s);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    const r = compile("loop-minus-one.bpf.ts", src);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([["TSBPF2026", 8]]);
  });
});
