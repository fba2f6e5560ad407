// Typed skeletons: `tsbpf gen` output for xdp-counter type-checks with tsc (and a wrong key type
// does not), and at run time loads the object, binds typed maps and programs, and refuses objects
// that do not match, without leaking file descriptors.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { compile } from "../compiler/compile.js";
import { describeModule } from "../compiler/tools/module-info.js";
import { genCommand, generateSkeleton, skeletonFor, skeletonPrefix } from "../compiler/tools/skeleton.js";
import { main } from "../compiler/tools/cli.js";
import type { BpfProgram, PerCpuTypedMap } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { ipv4Packet } from "../testing/packets.js";

const root = resolve(import.meta.dirname, "..");
const RUNTIME = join(root, "runtime", "index.js");
const COUNTER_SRC = join(root, "examples", "xdp-counter", "xdp-counter.bpf.ts");
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-skel-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Copy xdp-counter into `dir`, build its object and generate its skeleton with the CLI code. */
function prepare(dir: string): { skel: string; obj: string } {
  const src = join(dir, "xdp-counter.bpf.ts");
  const text = readFileSync(COUNTER_SRC, "utf8");
  writeFileSync(src, text);
  const r = compile(src, text);
  expect(r.ok).toBe(true);
  writeFileSync(join(dir, "xdp-counter.bpf.o"), r.object!);
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    expect(genCommand([src, "--runtime", RUNTIME])).toBe(0);
  } finally {
    out.mockRestore();
  }
  return { skel: join(dir, "xdp-counter.skel.ts"), obj: join(dir, "xdp-counter.bpf.o") };
}

// Skeletons are ES modules (import.meta.url); user projects have "type": "module".
writeFileSync(join(tmp, "package.json"), JSON.stringify({ type: "module" }));
const shared = prepare(tmp);

/** Run tsc --noEmit over `files`; returns its output and whether it succeeded. */
function typecheck(files: string[]): { ok: boolean; output: string } {
  const tsconfig = join(tmp, `tsconfig-${Math.random().toString(36).slice(2)}.json`);
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
      files,
    }),
  );
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  try {
    const output = execFileSync(process.execPath, [tsc, "-p", tsconfig], { encoding: "utf8", stdio: "pipe" });
    return { ok: true, output };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

const USER_OK = `
import { load, type Counter } from "./xdp-counter.skel.js";

export function totals(path?: string): { packets: bigint; bytes: bigint } {
  using obj = load(path);
  const perCpu: Counter[] | undefined = obj.maps.counters.get(6);
  obj.maps.counters.setAll(17, { packets: 0n, bytes: 0n });
  for (const [proto, values] of obj.maps.counters.entries()) {
    const p: number = proto;
    void p;
    void values[0]?.packets;
  }
  const r = obj.programs.xdp_counter.run({ data: new Uint8Array(64) });
  void r.retval;
  let packets = 0n;
  let bytes = 0n;
  for (const c of perCpu ?? []) {
    packets += c.packets;
    bytes += c.bytes;
  }
  return { packets, bytes };
}
`;

describe("skeleton generation", () => {
  it("describes the module's maps and programs", () => {
    const mod = describeModule(COUNTER_SRC, readFileSync(COUNTER_SRC, "utf8"));
    expect(mod.ok).toBe(true);
    expect(mod.maps.map((m) => [m.name, m.type, m.perCpu, m.maxEntries])).toEqual([["counters", 6, true, 256]]);
    expect(mod.programs).toEqual([{ name: "xdp_counter", section: "xdp", wrapper: "xdp" }]);
    expect(skeletonPrefix("/a/b/xdp-counter.bpf.ts")).toBe("XdpCounter");
  });

  it("writes interfaces with user-space types and typed maps", () => {
    const text = readFileSync(shared.skel, "utf8");
    expect(text).toContain("export interface Counter {\n  packets: bigint; // u64\n  bytes: bigint; // u64\n}");
    expect(text).toContain("readonly counters: rt.PerCpuTypedMap<number, Counter>;");
    expect(text).toContain("readonly xdp_counter: rt.BpfProgram;");
    expect(text).toContain(`new URL("./xdp-counter.bpf.o", import.meta.url)`);
  });

  it("maps every field shape to its user-space type", () => {
    const src = join(tmp, "shapes.bpf.ts");
    const text = `
import { xdp, XdpAction, HashMap, LruHashMap, type u8, type u16, type i8, type i64, type u64, type FixedArray } from "tsbpf/bpf";
export interface Pt { x: i8; y: u16; }
export interface Val { ok: boolean; name: FixedArray<u8, 4>; sb: FixedArray<i8, 2>; pts: FixedArray<Pt, 2>; n: i64; }
const m = new HashMap<Pt, Val>(8);
const l = new LruHashMap<u64, { a: u8; b: u64 }>(8);
export const p = xdp(() => XdpAction.PASS);
export const LICENSE = "GPL";
`;
    const { text: skel } = skeletonFor(src, text);
    expect(skel).toContain("export interface Pt {\n  x: number; // i8\n  y: number; // u16\n}");
    expect(skel).toMatch(
      /ok: boolean;[^\n]*\n {2}name: Uint8Array;[^\n]*\n {2}sb: Int8Array;[^\n]*\n {2}pts: Pt\[\];[^\n]*\n {2}n: bigint;/,
    );
    expect(skel).toContain("readonly m: rt.TypedMap<Pt, Val>;");
    expect(skel).toContain("readonly l: rt.TypedMap<bigint, { a: number; b: bigint }>;");
  });

  it("types socket maps, local and cgroup storage for user space", () => {
    const src = join(tmp, "sockets.bpf.ts");
    const text = `
import { skMsg, SkAction, SockMap, SockHash, SkStorage, TaskStorage, CgroupStorage, PerCpuCgroupStorage, type u32, type u64 } from "tsbpf/bpf";
export interface Conn { local_port: u32; remote_port: u32; }
const slots = new SockMap(2);
const conns = new SockHash<Conn>(64);
const perSocket = new SkStorage<Conn>();
const perTask = new TaskStorage<u64>();
const perCgroup = new CgroupStorage<u64>();
const perCgroupCpu = new PerCpuCgroupStorage<u64>();
export const p = skMsg(() => SkAction.PASS);
export const LICENSE = "GPL";
`;
    const { text: skel } = skeletonFor(src, text);
    expect(skel).toContain("readonly slots: rt.SocketMap<number>;");
    expect(skel).toContain("readonly conns: rt.SocketMap<Conn>;");
    expect(skel).toContain("readonly perSocket: rt.TypedMap<number, Conn>;");
    expect(skel).toContain("readonly perTask: rt.TypedMap<number, bigint>;");
    expect(skel).toContain("readonly perCgroup: rt.TypedMap<bigint, bigint>;");
    expect(skel).toContain("readonly perCgroupCpu: rt.PerCpuTypedMap<bigint, bigint>;");
    expect(skel).toContain(`"slots":{"type":15,"keySize":4,"valueSize":8}`);
    expect(skel).toContain(`"perCgroup":{"type":19,"keySize":8,"valueSize":8}`);
  });

  it("reports source errors instead of writing a skeleton", async () => {
    const bad = join(tmp, "bad.bpf.ts");
    writeFileSync(bad, `import { HashMap, type u32 } from "tsbpf/bpf";\nconst m = new HashMap<u32, string>(4);\n`);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(genCommand([bad])).toBe(1);
      expect(genCommand([join(tmp, "missing.bpf.ts")])).toBe(1);
      expect(genCommand([COUNTER_SRC, "-o", join(tmp, "no", "such", "dir.ts")])).toBe(1);
      expect(genCommand([])).toBe(2);
      expect(await main(["gen", "--bogus"])).toBe(2);
      const said = err.mock.calls.map((c) => String(c[0])).join("");
      expect(said).toContain("no skeleton written");
      expect(said).toContain("cannot read");
      expect(said).toContain(`error: cannot write ${join(tmp, "no", "such", "dir.ts")}: no such directory`);
    } finally {
      err.mockRestore();
    }
    expect(existsSync(join(tmp, "bad.skel.ts"))).toBe(false);
  });

  it("type-checks user code with tsc, and rejects a wrong key type", () => {
    const good = join(tmp, "user-ok.ts");
    writeFileSync(good, USER_OK);
    const bad = join(tmp, "user-bad.ts");
    writeFileSync(
      bad,
      `import { load } from "./xdp-counter.skel.js";
using obj = load();
obj.maps.counters.get("x");
obj.maps.counters.get(1)?.[0]?.packets.toFixed();
obj.maps.nope;
obj.programs.xdp_counter.run({ data: new Uint8Array(1) });
export {};
`,
    );
    // One tsc run over both files (it is the slow part): errors only in the bad one.
    const res = typecheck([good, bad]);
    expect(res.ok).toBe(false);
    const errors = res.output.split("\n").filter((l) => /error TS/.test(l));
    expect(errors.filter((l) => !l.includes("user-bad.ts"))).toEqual([]);
    expect(res.output).toMatch(
      /user-bad\.ts\(3,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/,
    );
    expect(res.output).toMatch(/user-bad\.ts\(4,\d+\): error TS(2551|2339)/); // bigint has no toFixed
    expect(res.output).toMatch(/user-bad\.ts\(5,\d+\): error TS2339: Property 'nope' does not exist/);
    expect(errors).toHaveLength(3);
  }, 120_000);

  it("generates from a module description directly", () => {
    const mod = describeModule(COUNTER_SRC, readFileSync(COUNTER_SRC, "utf8"));
    const text = generateSkeleton(mod, "Ctr", { runtimeImport: "tsbpf/runtime", objectPath: "../obj/c.o" });
    expect(text).toContain(`import * as rt from "tsbpf/runtime";`);
    expect(text).toContain("export interface CtrMaps");
    expect(text).toContain(`new URL("../obj/c.o", import.meta.url)`);
  });
});

const openFds = (): number => readdirSync("/proc/self/fd").length;

describeKernel("skeletons at run time", () => {
  /** The generated module's shape (it is imported from a temp dir at run time). */
  interface Skel {
    defaultObjectPath: string;
    load(src?: string | Uint8Array): {
      maps: { counters: PerCpuTypedMap<number, { packets: bigint; bytes: bigint }> };
      programs: { xdp_counter: BpfProgram };
      close(): void;
      [Symbol.dispose](): void;
    };
  }

  it("load() binds typed maps and programs that work", async () => {
    const skel = (await import(shared.skel)) as Skel;
    using obj = skel.load();
    expect(skel.defaultObjectPath).toBe(shared.obj);
    const prog = obj.programs.xdp_counter;
    expect(prog.run({ data: ipv4Packet(6, 60), repeat: 4 }).retval).toBe(2);
    const perCpu = obj.maps.counters.get(6)!;
    expect(perCpu.reduce((n, c) => n + c.packets, 0n)).toBe(4n);
    expect(perCpu.reduce((n, c) => n + c.bytes, 0n)).toBe(240n);
    obj.maps.counters.setAll(6, { packets: 1n, bytes: 2n });
    expect(obj.maps.counters.get(6)!.every((c) => c.packets === 1n && c.bytes === 2n)).toBe(true);

    // The same skeleton over bytes, and through the user module that tsc accepted.
    using again = skel.load(readFileSync(shared.obj));
    expect(again.maps.counters.get(6)!.every((c) => c.packets === 0n)).toBe(true);
    const user = (await import(join(tmp, "user-ok.ts"))) as { totals: (p?: string) => { packets: bigint } };
    expect(user.totals()).toEqual({ packets: 0n, bytes: 0n });
  });

  it("refuses a missing file or a mismatched object without leaking fds", async () => {
    const skel = (await import(shared.skel)) as Skel;
    const before = openFds();
    expect(() => skel.load(join(tmp, "missing.o"))).toThrow(/cannot open BPF object .*missing\.o: ENOENT/);
    expect(() => skel.load(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]))).toThrow(/cannot open BPF object/);
    // An object whose map has another shape: loads, fails the check, is closed again.
    const other = join(tmp, "other.bpf.ts");
    const text = `import { xdp, XdpAction, ArrayMap, type u32 } from "tsbpf/bpf";
const counters = new ArrayMap<u32>(4);
export const xdp_counter = xdp(() => { const c = counters.lookup(0); if (c !== null) c.value += 1; return XdpAction.PASS; });
export const LICENSE = "GPL";`;
    const r = compile(other, text);
    expect(r.ok).toBe(true);
    expect(() => skel.load(r.object!)).toThrow(
      /does not match its skeleton.*map 'counters' is type 2 with 4-byte keys and 4-byte values; the skeleton expects type 6, 4 and 16/,
    );
    expect(openFds()).toBe(before);
  });
});
