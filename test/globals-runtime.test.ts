// Globals from user space: `.rodata` values set before load (the const-volatile pattern) change what
// the verified program does, `.data`/`.bss` variables read and write by name after load, bad names
// and values fail before load without leaking fds, and `tsbpf gen` skeletons type all of it.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { skeletonFor } from "../compiler/tools/skeleton.js";
import { loadObject, readU64, u32le, type Globals, type LoadOptions } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const root = resolve(import.meta.dirname, "..");
const SRC = join(root, "test", "lang", "globals-atomics.bpf.ts");
const RUNTIME = join(root, "runtime", "index.js");
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-globals-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const compiled = compile(SRC, readFileSync(SRC, "utf8"));
const object = (): Uint8Array => {
  expect(compiled.ok, JSON.stringify(compiled.diagnostics)).toBe(true);
  return compiled.object!;
};
const openFds = (): number => readdirSync("/proc/self/fd").length;
const DROP = 1;
const PASS = 2;
const nextSeed = (s: number): number => (Math.imul(s, 1103515245) + 12345) >>> 0;

describeKernel("globals: load options and obj.globals", () => {
  it("rodata: { LIMIT: 10 } makes a 60-byte packet drop; the default LIMIT passes it", () => {
    {
      using obj = loadObject(object());
      expect(obj.programs.get("globals_atomics")!.run({ data: new Uint8Array(60) }).retval).toBe(PASS);
      expect(obj.globals.rodata("LIMIT")).toBe(100);
    }
    using obj = loadObject(object(), { rodata: { LIMIT: 10 } });
    const prog = obj.programs.get("globals_atomics")!;
    expect(prog.run({ data: new Uint8Array(60) }).retval).toBe(DROP);
    expect(prog.run({ data: new Uint8Array(14) }).retval).toBe(DROP);
    {
      using edge = loadObject(object(), { rodata: { LIMIT: 60 } }); // `len > LIMIT` drops
      expect(edge.programs.get("globals_atomics")!.run({ data: new Uint8Array(60) }).retval).toBe(PASS);
      expect(edge.programs.get("globals_atomics")!.run({ data: new Uint8Array(61) }).retval).toBe(DROP);
    }
    expect(obj.globals.rodata("LIMIT")).toBe(10);
    expect(obj.globals.get("LIMIT")).toBe(10);
    // Frozen after load: set() refuses and says how to set it.
    expect(() => obj.globals.set("LIMIT", 20)).toThrow(/'LIMIT' is in \.rodata, which is frozen.*\{ rodata: \{ LIMIT/);
    // From a file path too.
    const path = join(tmp, "globals.bpf.o");
    writeFileSync(path, object());
    using fromFile = loadObject(path, { rodata: { LIMIT: 59n } });
    expect(fromFile.programs.get("globals_atomics")!.run({ data: new Uint8Array(60) }).retval).toBe(DROP);
  });

  it("reads .data/.bss globals after runs and describes them", () => {
    using obj = loadObject(object());
    const prog = obj.programs.get("globals_atomics")!;
    expect(obj.globals.snapshot()).toEqual({ LIMIT: 100, seed: 7, packets: 0n, total_bytes: 0n });
    prog.run({ data: new Uint8Array(60), repeat: 3 });
    prog.run({ data: new Uint8Array(200) });
    expect(obj.globals.get("packets")).toBe(4n);
    expect(obj.globals.get("total_bytes")).toBe(3n * 60n + 200n);
    let seed = 7;
    for (let i = 0; i < 4; i++) seed = nextSeed(seed);
    expect(obj.globals.get("seed")).toBe(seed);
    expect(obj.globals.vars.map((v) => [v.name, v.section, v.offset, v.size, v.type, v.tsType])).toEqual([
      ["LIMIT", ".rodata", 0, 4, "u32", "number"],
      ["seed", ".data", 0, 4, "u32", "number"],
      ["packets", ".bss", 0, 8, "u64", "bigint"],
      ["total_bytes", ".bss", 8, 8, "u64", "bigint"],
    ]);
    expect(obj.globals.vars.every((v) => v.map.endsWith(v.section))).toBe(true);
    expect(() => obj.globals.rodata("seed")).toThrow(/'seed' is in \.data, not \.rodata/);
    expect(() => obj.globals.get("nope")).toThrow(/no global variable 'nope' \(globals: LIMIT, seed, packets, total_bytes\)/);
  });

  it("writing a global from user space changes what the program computes", () => {
    using obj = loadObject(object());
    const prog = obj.programs.get("globals_atomics")!;
    obj.globals.set("seed", 5);
    obj.globals.set("packets", 1000n);
    // Other variables of the same section are kept.
    obj.globals.set("total_bytes", 1);
    expect(obj.globals.get("packets")).toBe(1000n);
    prog.run({ data: new Uint8Array(60) });
    expect(obj.globals.get("seed")).toBe(nextSeed(5));
    expect(obj.globals.get("packets")).toBe(1001n);
    expect(obj.globals.get("total_bytes")).toBe(61n);
    expect(() => obj.globals.set("seed", -1)).toThrow(RangeError);
    expect(() => obj.globals.set("seed", -1)).toThrow(/cannot set \.data variable 'seed' \(u32\): -1 is out of range for u32/);
    expect(obj.globals.get("seed")).toBe(nextSeed(5));
    obj.close();
    expect(() => obj.globals.get("seed")).toThrow(/closed/);
  });

  it("data: {...} sets initial .data and .bss values", () => {
    using obj = loadObject(object(), { data: { seed: 5, packets: 41n }, rodata: {} });
    expect(obj.globals.snapshot()).toEqual({ LIMIT: 100, seed: 5, packets: 41n, total_bytes: 0n });
    obj.programs.get("globals_atomics")!.run({ data: new Uint8Array(60) });
    expect(obj.globals.get("seed")).toBe(nextSeed(5));
    expect(obj.globals.get("packets")).toBe(42n);
  });

  it("a const struct set to zero<T>() is a .rodata global: zero by default, filled by user space before load", () => {
    // Was TSBPF2016 ('pat' cannot be used in BPF code): the call initializer was taken for a program.
    const src = `import { xdp, XdpAction, zero, type u8, type u32, type FixedArray } from "tsbpf/bpf";
interface Pat { len: u32; b: FixedArray<u8, 8> }
const pat: Pat = zero<Pat>();
export const prefix = xdp((ctx) => {
  for (let i: u32 = 0; i < 8; i++) {
    if (i >= pat.len) break;
    const c = ctx.header<u8>(i);
    if (c === null) return XdpAction.PASS;
    if (c !== pat.b[i]) return XdpAction.PASS;
  }
  return XdpAction.DROP;
});
export const LICENSE = "GPL";
`;
    const r = compile("prefix.bpf.ts", src);
    expect(r.diagnostics).toEqual([]);
    const get = new TextEncoder().encode("GET / HTTP/1.1");
    const post = new TextEncoder().encode("POST / HTTP/1.1");
    {
      // len 0: every packet matches the empty prefix.
      using obj = loadObject(r.object!);
      expect(obj.globals.rodata("pat")).toEqual({ len: 0, b: new Uint8Array(8) });
      expect(obj.programs.get("prefix")!.run({ data: post }).retval).toBe(DROP);
    }
    using obj = loadObject(r.object!, { rodata: { pat: { len: 4, b: [0x47, 0x45, 0x54, 0x20, 0, 0, 0, 0] } } });
    const prog = obj.programs.get("prefix")!;
    expect(prog.run({ data: get }).retval).toBe(DROP);
    expect(prog.run({ data: post }).retval).toBe(PASS);
  });

  it("a constant table given as an array literal (and one inside a struct literal) is .rodata, read at run-time indexes", () => {
    // Was TSBPF1014 (array literals are not supported) for every array literal.
    const src = `import { xdp, XdpAction, ArrayMap, u16, u64, type u8, type u32, type FixedArray } from "tsbpf/bpf";
interface Ports { n: u32; list: FixedArray<u16, 4> }
const WEIGHTS: FixedArray<u16, 4> = [10, 20, 30, 40];
const PORTS: Ports = { n: 2, list: [80, 443, 0, 0] };
const out = new ArrayMap<u64>(2);
export const tables = xdp((ctx) => {
  const h = ctx.header<u8>(0);
  if (h === null) return XdpAction.ABORTED;
  out.update(0, u64(WEIGHTS[h & 3]));
  let hit: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) if (i < PORTS.n && PORTS.list[i] === u16(h) + 400) hit = 1;
  out.update(1, u64(hit));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    const r = compile("tables.bpf.ts", src);
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    const out = obj.maps.get("out")!;
    const run = (b: number) => {
      obj.programs.get("tables")!.run({ data: new Uint8Array([b, ...new Array(63).fill(0)]) });
      return [0, 1].map((k) => readU64(out.lookup(u32le(k))!));
    };
    expect(run(2)).toEqual([30n, 0n]);
    expect(run(43)).toEqual([40n, 1n]); // 43 & 3 = 3; 43 + 400 = 443
    expect(obj.globals.rodata("PORTS")).toEqual({ n: 2, list: [80, 443, 0, 0] });
  });

  it("unknown names and bad values fail before load, naming the variable, without leaking fds", () => {
    const bytes = object();
    const path = join(tmp, "bad.bpf.o");
    writeFileSync(path, bytes);
    // Warm up libbpf and koffi so lazily opened fds are not counted.
    loadObject(bytes).close();
    const before = openFds();
    const cases: [LoadOptions, RegExp, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor][] = [
      [{ rodata: { LIMT: 10 } }, /rodata option: no \.rodata variable 'LIMT' \(the object's \.rodata variables: LIMIT\)/, Error],
      [{ rodata: { seed: 1 } }, /no \.rodata variable 'seed' \('seed' is in \.data; pass it in \{ data: \.\.\. \}\)/, Error],
      [{ data: { LIMIT: 1 } }, /data option: no \.data\/\.bss variable 'LIMIT' \('LIMIT' is in \.rodata; pass it in \{ rodata/, Error],
      [
        { rodata: { LIMIT: -1 } },
        /cannot set \.rodata variable 'LIMIT' \(u32\): -1 is out of range for u32 \(0\.\.4294967295\)/,
        RangeError,
      ],
      [{ rodata: { LIMIT: 2 ** 32 } }, /'LIMIT' \(u32\): 4294967296 is out of range/, RangeError],
      [
        { rodata: { LIMIT: "10" } },
        /cannot set \.rodata variable 'LIMIT' \(u32\): expected an integer for u32, got string "10"/,
        TypeError,
      ],
      [{ data: { packets: 1.5 } }, /cannot set \.bss variable 'packets' \(u64\): expected an integer/, TypeError],
      [{ data: { seed: 1 }, rodata: { LIMIT: 1n << 40n } }, /'LIMIT'/, RangeError],
    ];
    for (const [opts, message, cls] of cases) {
      for (const src of [bytes, path]) {
        let caught: unknown;
        try {
          loadObject(src, opts).close();
        } catch (e) {
          caught = e;
        }
        expect(
          caught,
          JSON.stringify(opts, (_, v) => (typeof v === "bigint" ? `${v}n` : v)),
        ).toBeInstanceOf(cls);
        expect((caught as Error).message).toMatch(message);
      }
    }
    expect(openFds()).toBe(before);
  });
});

describe("globals in generated skeletons", () => {
  const dir = join(tmp, "skel");
  const skelPath = join(dir, "globals-atomics.skel.ts");
  const objPath = join(dir, "globals-atomics.bpf.o");

  it("types the rodata/data options and the globals accessor (tsc)", () => {
    rmSync(dir, { recursive: true, force: true });
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const { text } = skeletonFor(SRC, readFileSync(SRC, "utf8"), { runtimeImport: RUNTIME, objectPath: "./globals-atomics.bpf.o" });
    expect(text).not.toBeNull();
    writeFileSync(skelPath, text!);
    writeFileSync(objPath, object());
    expect(text).toContain("export type GlobalsAtomicsRodata = {\n  /** u32 (.rodata); 100 unless set at load. */\n  LIMIT: number;\n};");
    expect(text).toContain("  /** u32 (.data); initially 7. */\n  seed: number;");
    expect(text).toContain("readonly globals: rt.Globals<GlobalsAtomicsGlobals, GlobalsAtomicsRodata>;");

    writeFileSync(
      join(dir, "user-ok.ts"),
      `import { load } from "./globals-atomics.skel.js";
export function run(): { limit: number; packets: bigint; seed: number } {
  using obj = load(undefined, { rodata: { LIMIT: 10 }, data: { packets: 5n } });
  obj.programs.globals_atomics.run({ data: new Uint8Array(60) });
  obj.globals.set("seed", 3);
  const limit: number = obj.globals.rodata("LIMIT");
  const packets: bigint = obj.globals.get("packets");
  return { limit, packets, seed: obj.globals.get("seed") };
}
`,
    );
    writeFileSync(
      join(dir, "user-bad.ts"),
      `import { load } from "./globals-atomics.skel.js";
using obj = load(undefined, { rodata: { LIMIT: 10n } });
load(undefined, { rodata: { LIMT: 1 } });
obj.globals.set("LIMIT", 1);
obj.globals.set("packets", 1);
const s: string = obj.globals.get("seed");
obj.globals.rodata("seed");
export {};
`,
    );
    const tsconfig = join(dir, "tsconfig.json");
    writeFileSync(
      tsconfig,
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(root, "node_modules", "@types")],
        },
        files: [join(dir, "user-ok.ts"), join(dir, "user-bad.ts")],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    let output = "";
    try {
      output = execFileSync(process.execPath, [tsc, "-p", tsconfig], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      output = `${err.stdout ?? ""}${err.stderr ?? ""}`;
    }
    const errors = output.split("\n").filter((l) => /error TS/.test(l));
    expect(errors.filter((l) => !l.includes("user-bad.ts"))).toEqual([]);
    const lines = new Set(errors.map((l) => Number(/user-bad\.ts\((\d+),/.exec(l)?.[1])));
    expect([...lines].sort()).toEqual([2, 3, 4, 5, 6, 7]);
  }, 120_000);

  describeKernel("at run time", () => {
    it("load() applies rodata/data and binds globals", async () => {
      const user = (await import(join(dir, "user-ok.ts"))) as { run(): { limit: number; packets: bigint; seed: number } };
      expect(user.run()).toEqual({ limit: 10, packets: 6n, seed: 3 });
      const skel = (await import(skelPath)) as {
        load(src?: string | Uint8Array, opts?: LoadOptions): { globals: Globals; close(): void; [Symbol.dispose](): void };
      };
      const before = openFds();
      expect(() => skel.load(undefined, { rodata: { NOPE: 1 } })).toThrow(/no \.rodata variable 'NOPE'/);
      // An object without the globals the skeleton promises is refused (and closed).
      const other = compile(
        join(tmp, "other.bpf.ts"),
        `import { xdp, XdpAction, ArrayMap, type u32 } from "tsbpf/bpf";
const stats = new ArrayMap<{ hits: u64; last: u32; flags: u32; prev: u32; swapped: u32 }>(1);
let seed: u64 = 1;
export const globals_atomics = xdp(() => { seed += 1; return stats.lookup(0) === null ? XdpAction.DROP : XdpAction.PASS; });
export const LICENSE = "GPL";
import type { u64 } from "tsbpf/bpf";`,
      );
      expect(other.ok, JSON.stringify(other.diagnostics)).toBe(true);
      expect(() => skel.load(other.object!)).toThrow(
        /does not match its skeleton.*missing global 'LIMIT'.*global 'seed' is a 8-byte \.data variable; the skeleton expects a 4-byte \.data one/,
      );
      expect(openFds()).toBe(before);
    });
  });
});
