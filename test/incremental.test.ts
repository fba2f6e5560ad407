// Watch-mode rebuilds (compile.ts's `incremental` option, compiler/incremental.ts) must give exactly
// what a cold compile of the same text gives: the same object bytes, the same diagnostics. Checked
// on every example, fixture and bench program through a series of edits (lines inserted above
// everything and inside a program, a literal changed, the original restored), and on a file built
// to exercise the reuse rules (subprograms registered in another order, loop() callbacks, printk
// strings, a program named elsewhere, a type error and its fix).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile, type CompileResult, type IncrementalState } from "../compiler/compile.js";

const ROOT = path.resolve(import.meta.dirname, "..");

const FILES = execFileSync("find", ["examples", "test/fixtures", "test/lang", "bench/programs", "-name", "*.bpf.ts"], {
  cwd: ROOT,
  encoding: "utf8",
})
  .trim()
  .split("\n")
  .filter((f) => f.length > 0)
  .sort();

const summary = (r: CompileResult) => ({
  ok: r.ok,
  object: r.object ? Buffer.from(r.object).toString("base64") : undefined,
  diagnostics: r.diagnostics.map(
    (d) => `${d.code} ${d.severity} ${d.file}:${d.line}:${d.col} @${d.start}+${d.length} ${d.message} | ${d.hint ?? ""}`,
  ),
  programs: r.programs.map((p) => `${p.section} ${p.name} ${p.insnCount} ${p.stackSize}`),
});

/** Compile `text` through the watch state and cold, and require the same result. */
function same(file: string, text: string, state: IncrementalState, cpu: "v3" | "v4" = "v3", ok?: boolean): IncrementalState["last"] {
  const warm = compile(file, text, { incremental: state, cpu });
  const cold = compile(file, text, { cpu });
  expect(summary(warm)).toEqual(summary(cold));
  if (ok !== undefined) expect(cold.ok, cold.diagnostics.map((d) => d.message).join("; ")).toBe(ok);
  return state.last;
}

/** Start offsets of the lines that begin a program (`export const x = kind(...)`). */
function programLines(text: string): number[] {
  const out: number[] = [];
  const re = /^export const \w+ = \w+(<[^>]*>)?\(/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m.index);
  return out;
}

describe("incremental rebuilds give what a cold compile gives", () => {
  it.each(FILES)("%s", (rel) => {
    const file = path.join(ROOT, rel);
    const text = readFileSync(file, "utf8");
    const state: IncrementalState = {};
    same(file, text, state);
    // Lines inserted above everything: every program moves.
    same(file, `// edited\n\n${text}`, state);
    const starts = programLines(text);
    if (starts.length > 0) {
      // A line inserted inside the first program (after its first line): it and all below move.
      const first = starts[0]!;
      const eol = text.indexOf("\n", first);
      const inside = `${text.slice(0, eol + 1)}  // edited\n${text.slice(eol + 1)}`;
      same(file, inside, state);
      // A literal changed in the last program.
      const last = starts[starts.length - 1]!;
      const lit = /\b(\d+)\b/.exec(text.slice(last));
      if (lit) {
        const at = last + lit.index;
        same(file, `${text.slice(0, at)}${Number(lit[1]) + 1}${text.slice(at + lit[1]!.length)}`, state);
      }
    }
    // Back to the original.
    same(file, text, state);
  });
});

/** A file with several programs sharing `@noinline` functions, a loop() callback and printk. */
const RULES = (opts: {
  firstCalls: boolean;
  loopInFirst: boolean;
  printkIn: number;
  extra: string;
  bad: boolean;
}) => `import { xdp, XdpAction, ArrayMap, bpfPrintk, loop, type u8, type u32, type u64 } from "tsbpf/bpf";
const table = new ArrayMap<u32>(16);
interface St { n: u32 }
/** @noinline */
function bump(i: u32): u32 {
  const e = table.lookup(i & 15);
  if (e !== null) e.value += 1;
  return i + 1;
}
/** @noinline */
function twice(i: u32): u32 {
  return i * 2;
}
function step(i: u32, s: St): u64 {
  s.n += i;
  return 0;
}
export const first = xdp((ctx) => {
  let x: u32 = ctx.len;
  ${opts.firstCalls ? "x = twice(x);" : "x = x + 1;"}
  ${opts.loopInFirst ? "const s: St = { n: 0 };\n  loop(4, step, s);\n  x = x + s.n;" : ""}
  ${opts.printkIn === 0 ? 'bpfPrintk("first %u", x);' : ""}
  return x > 3 ? XdpAction.PASS : XdpAction.DROP;
});
export const second = xdp((ctx) => {
  let y: u32 = bump(ctx.len);
  y = twice(y)${opts.extra};
  ${opts.printkIn === 1 ? 'bpfPrintk("second %u", y);' : ""}
  ${opts.bad ? "const z: u8 = y;" : ""}
  return y > 5 ? XdpAction.PASS : XdpAction.DROP;
});
export const third = xdp((ctx) => {
  const e = table.lookup(ctx.len & 15);
  ${opts.printkIn === 2 ? 'bpfPrintk("first %u", ctx.len);' : ""}
  return e !== null && e.value > 1 ? XdpAction.PASS : XdpAction.DROP;
});
export const LICENSE = "GPL";
`;

describe("reuse rules", () => {
  it("reuses unchanged programs and checks only the edited one, with the same bytes as a cold compile", () => {
    const file = path.join(ROOT, "test", "incremental-rules.bpf.ts");
    const base = { firstCalls: true, loopInFirst: false, printkIn: -1, extra: "", bad: false };
    const state: IncrementalState = {};
    expect(same(file, RULES(base), state, "v3", true)).toEqual({ checked: "file", compiled: 3, reused: 0 });
    // Only `second` changed: it alone is checked and compiled.
    expect(same(file, RULES({ ...base, extra: " + 1" }), state)).toEqual({ checked: "statements", compiled: 1, reused: 2 });
    // `first` stops calling twice(): `second` now registers it first, so it cannot be reused as it was.
    expect(same(file, RULES({ ...base, extra: " + 1", firstCalls: false }), state)).toMatchObject({ checked: "statements" });
    expect(same(file, RULES({ ...base, extra: " + 1" }), state)).toMatchObject({ checked: "statements" });
    // A loop() callback and printk strings in the mix.
    same(file, RULES({ ...base, loopInFirst: true }), state, "v3", true);
    same(file, RULES({ ...base, loopInFirst: true, printkIn: 0 }), state, "v3", true);
    same(file, RULES({ ...base, printkIn: 2 }), state, "v3", true);
    same(file, RULES({ ...base, printkIn: 1 }), state, "v3", true);
    same(file, RULES(base), state, "v3", true);
    expect(same(file, RULES(base), state, "v4")).toEqual({ checked: "statements", compiled: 3, reused: 0 });
    // A type error in one program, then its fix: the check after an error covers the whole file.
    same(file, RULES({ ...base, bad: true }), state, "v3", false);
    expect(same(file, RULES(base), state)).toMatchObject({ checked: "file" });
    expect(same(file, RULES({ ...base, extra: " + 2" }), state)).toEqual({ checked: "statements", compiled: 1, reused: 2 });
    // A helper function changed: the whole file is checked again, and the programs that use it compiled.
    const helperEdited = RULES(base).replace("return i * 2;", "return i * 3;");
    expect(same(file, helperEdited, state)).toMatchObject({ checked: "file" });
    // A program named by another statement is checked with the whole file.
    const named = `${RULES(base)}export const alias = third;\n`;
    same(file, named, state);
    expect(same(file, named.replace("ctx.len & 15", "ctx.len & 7"), state)).toMatchObject({ checked: "file" });
  });

  it("survives edits that change the imports: the file emptied mid-save, an import added and removed", () => {
    // tsc cannot keep the old program's structure after such edits and asks for the file twice; it
    // used to be parsed incrementally twice (an internal error), and the next build read a broken tree.
    const file = path.join(ROOT, "test", "incremental-imports.bpf.ts");
    const text = RULES({ firstCalls: true, loopInFirst: false, printkIn: -1, extra: "", bad: false });
    const state: IncrementalState = {};
    same(file, text, state, "v3", true);
    same(file, "", state, "v3", false);
    same(file, text, state, "v3", true);
    same(file, `import { ETH_P_IP } from "tsbpf/bpf";\n${text}`, state, "v3", true);
    same(file, text, state, "v3", true);
  });
});
