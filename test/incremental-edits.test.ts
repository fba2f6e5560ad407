// A watch-mode rebuild (compile.ts's `incremental` state, what `tsbpf build --watch` passes) after
// each kind of edit gives exactly what a cold build of the edited files gives: the same object
// bytes, the same diagnostics, the same program list. The edits, in a series on one state, on a
// two-file project (an entry with maps, a struct type, five programs and a @noinline function,
// importing constants, a type and functions from a local module): a program body, a map
// declaration, a type, the imported local module (a constant, a function body, a new export), an
// edit that introduces a type error and the one that fixes it (in the entry and in the module), a
// syntax error and its fix, and edits back to earlier texts. `state.last` shows which path each
// rebuild took, so the test also proves it exercised the reuse it checks.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, type CompileResult, type IncrementalState } from "../compiler/compile.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsbpf-incremental-edits-${process.pid}-`));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const summary = (r: CompileResult) => ({
  ok: r.ok,
  object: r.object ? Buffer.from(r.object).toString("base64") : undefined,
  diagnostics: r.diagnostics.map(
    (d) => `${d.code} ${d.severity} ${d.file}:${d.line}:${d.col} @${d.start}+${d.length} ${d.message} | ${d.hint ?? ""}`,
  ),
  programs: r.programs.map((p) => `${p.section} ${p.name} ${p.insnCount} ${p.stackSize}`),
  files: r.files,
});

interface Parts {
  mapSize: number;
  mapValue: string;
  statField: string;
  body: string;
  bad: string;
  syntax: string;
}

const BASE: Parts = { mapSize: 16, mapValue: "u64", statField: "", body: "x + 1", bad: "", syntax: "" };

const ENTRY = (p: Parts) => `import { xdp, XdpAction, ArrayMap, HashMap, type u8, type u32, type u64 } from "tsbpf/bpf";
import { LIMIT, type Key, scale, clamp } from "./shared.ts";

const counts = new ArrayMap<${p.mapValue}>(${p.mapSize});
interface Stat {
  packets: u64;
  bytes: u64;${p.statField}
}
const stats = new HashMap<Key, Stat>(64);

export const first = xdp((ctx) => {
  const x: u32 = ctx.len;
  const c = counts.lookup(x & 15);
  if (c !== null) c.value += 1;
  return ${p.body} > LIMIT ? XdpAction.PASS : XdpAction.DROP;
});

export const second = xdp((ctx) => {
  const k: Key = ctx.len & 7;
  const s = stats.lookup(k);
  if (s === null) {
    const init: Stat = { packets: 1, bytes: ctx.len };
    stats.update(k, init);
    return XdpAction.PASS;
  }
  s.packets += 1;
  s.bytes += ctx.len;${p.bad}
  return XdpAction.PASS;
});

export const third = xdp((ctx) => {
  return scale(ctx.len) > 100 ? XdpAction.DROP : XdpAction.PASS;
});

export const fourth = xdp((ctx) => {
  const y: u32 = clamp(ctx.len)${p.syntax};
  return y > 3 ? XdpAction.PASS : XdpAction.DROP;
});

export const fifth = xdp((ctx) => {
  const e = counts.lookup(1);
  return e !== null && e.value > 9 ? XdpAction.DROP : XdpAction.PASS;
});

export const LICENSE = "GPL";
`;

interface ModParts {
  limit: number;
  factor: number;
  extra: string;
  bad: string;
}

const MOD_BASE: ModParts = { limit: 5, factor: 3, extra: "", bad: "" };

const SHARED = (m: ModParts) => `import type { u32 } from "tsbpf/bpf";

export const LIMIT = ${m.limit};
export type Key = u32;

/** @noinline */
export function scale(x: u32): u32 {
  return x * ${m.factor};
}

export function clamp(x: u32): u32 {${m.bad}
  return x > 1500 ? 1500 : x;
}
${m.extra}`;

describe("a watch-mode rebuild gives what a cold build gives, after each kind of edit", () => {
  it("program body, map declaration, type, local module, type errors and their fixes, a syntax error", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "p"));
    const entry = path.join(dir, "main.bpf.ts");
    const shared = path.join(dir, "shared.ts");
    const state: IncrementalState = {};
    let p = BASE;
    let m = MOD_BASE;
    /** Write both files, rebuild through `state` and cold, and require the same result. */
    const step = (ok: boolean): IncrementalState["last"] => {
      const text = ENTRY(p);
      fs.writeFileSync(shared, SHARED(m));
      fs.writeFileSync(entry, text);
      const warm = compile(entry, text, { incremental: state });
      const cold = compile(entry, text);
      expect(summary(warm)).toEqual(summary(cold));
      expect(cold.ok, cold.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")).toBe(ok);
      return state.last;
    };

    expect(step(true)).toEqual({ checked: "file", compiled: 5, reused: 0 });

    // A program body: that statement alone is checked again and that program alone compiled.
    p = { ...p, body: "x * 3" };
    expect(step(true)).toEqual({ checked: "statements", compiled: 1, reused: 4 });

    // A map declaration (its size, then its value type): named by the programs that use it, so the
    // whole file is checked and those programs compiled; the others are reused.
    p = { ...p, mapSize: 32 };
    expect(step(true)).toEqual({ checked: "file", compiled: 2, reused: 3 });
    p = { ...p, mapValue: "u32" };
    expect(step(true)).toEqual({ checked: "file", compiled: 2, reused: 3 });

    // A type: a struct field added changes the map's value layout and the program that builds one.
    p = { ...p, statField: "\n  drops: u64;" };
    expect(step(false)).toEqual({ checked: "file", compiled: 0, reused: 0 }); // `init` now lacks `drops`: TS2741
    p = { ...p, statField: "\n  drops?: u64;" };
    step(false); // an optional field: tsbpf refuses it (its layout), as a cold build does
    p = { ...p, statField: "" };
    expect(step(true)).toMatchObject({ checked: "file" });

    // The imported local module: a constant, a @noinline function's body, an inlined function's
    // body, a new export nobody uses. Every edit there checks the whole file again.
    m = { ...m, limit: 6 };
    expect(step(true)).toMatchObject({ checked: "file" });
    m = { ...m, factor: 5 };
    expect(step(true)).toMatchObject({ checked: "file" });
    m = { ...m, extra: "export const UNUSED = 1;\n" };
    expect(step(true)).toMatchObject({ checked: "file" });
    m = { ...m, bad: "\n    const z: boolean = x;" }; // a type error in the module
    step(false);
    m = { ...m, bad: "" }; // and its fix
    expect(step(true)).toMatchObject({ checked: "file" });

    // A type error in a program, then its fix; after an error the whole file is checked again.
    p = { ...p, bad: "\n  const z: u8 = s.bytes;" };
    step(false);
    p = { ...p, bad: "" };
    expect(step(true)).toMatchObject({ checked: "file" });
    // The next program edit is back on the statement path.
    p = { ...p, body: "x * 4" };
    expect(step(true)).toEqual({ checked: "statements", compiled: 1, reused: 4 });

    // A syntax error and its fix.
    p = { ...p, syntax: " +" };
    step(false);
    p = { ...p, syntax: "" };
    step(true);

    // Back to the first texts: the same bytes as the first build.
    p = BASE;
    m = MOD_BASE;
    step(true);
  });
});
