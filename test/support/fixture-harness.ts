// Small helpers shared by the kernel fixture cases: compiling a fixture, running a program on a
// packet, and reading an ArrayMap<u64> of results.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { compile } from "../../compiler/compile.js";
import { loadObject, readU64, u32le, type BpfObject, type RunResult } from "../../runtime/index.js";

export const FIXTURE_DIR = join(fileURLToPath(new URL(".", import.meta.url)), "..", "fixtures");

export const XDP = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

export function fixtureText(file: string): string {
  return readFileSync(join(FIXTURE_DIR, file), "utf8");
}

/** Compiles a fixture with the IR checker on; asserts success with no error diagnostics. */
export function compileFixture(file: string): Uint8Array {
  const res = compile(file, fixtureText(file), { checkIr: true });
  const bad = res.diagnostics.filter((d) => d.severity !== "warning");
  const shown = res.diagnostics.map((d) => `${d.code} ${d.line}:${d.col} ${d.message}`).join("\n");
  expect(bad, `diagnostics of ${file}:\n${shown}`).toEqual([]);
  expect(res.ok, `compile ${file}:\n${shown}`).toBe(true);
  expect(res.object).toBeInstanceOf(Uint8Array);
  return res.object!;
}

/** Compiles and loads a fixture, runs `body`, and always closes the object. */
export function withFixture(file: string, body: (obj: BpfObject) => void): void {
  const obj = loadObject(compileFixture(file), {
    name: file
      .replace(/\.bpf\.ts$/, "")
      .replace(/[^A-Za-z0-9_]/g, "_")
      .slice(0, 15),
  });
  try {
    body(obj);
  } finally {
    obj.close();
  }
}

export function run(obj: BpfObject, prog: string, data: Uint8Array, repeat = 1): RunResult {
  const p = obj.programs.get(prog);
  if (!p) throw new Error(`no program '${prog}' (have ${[...obj.programs.keys()].join(", ")})`);
  return p.run({ data, repeat });
}

export function mapOf(obj: BpfObject, name: string) {
  const m = obj.maps.get(name);
  if (!m) throw new Error(`no map '${name}' (have ${[...obj.maps.keys()].join(", ")})`);
  return m;
}

/** results[0..n) of an ArrayMap<u64>. */
export function readResults(obj: BpfObject, n: number, name = "results"): bigint[] {
  const m = mapOf(obj, name);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(readU64(m.lookup(u32le(i))!));
  return out;
}

/** Resets results[0..n) to a marker, so a slot the program failed to write is visible. */
export function poisonResults(obj: BpfObject, n: number, name = "results"): void {
  const m = mapOf(obj, name);
  const v = new Uint8Array(8).fill(0xa5);
  for (let i = 0; i < n; i++) m.update(u32le(i), v);
}

/** Compares slot by slot with labels, so a failure names the expression that went wrong. */
export function expectSlots(actual: bigint[], expected: bigint[], labels: readonly string[], input: string): void {
  const diffs: string[] = [];
  expected.forEach((e, i) => {
    if (actual[i] !== e) {
      diffs.push(`  [${i}] ${labels[i] ?? ""}: got 0x${actual[i]?.toString(16)} want 0x${e.toString(16)}`);
    }
  });
  expect(diffs, `input ${input}`).toEqual([]);
}

export const hex = (v: bigint): string => `0x${v.toString(16)}`;
