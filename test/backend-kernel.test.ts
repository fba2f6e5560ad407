// Back end + object writer against the real verifier: hand-written IR modules (textual IR, parsed)
// go through the default pass pipeline, `generate` (programs with isProgram true, subprograms with
// false) and `writeObject`, are loaded with libbpf and run with BPF_PROG_TEST_RUN. Covers
// bpf-to-bpf calls (five arguments, nesting, stack pointers passed down, bpf_loop callbacks via
// funcaddr), global data (.rodata/.data/.bss read and written, checked through the global-data
// maps) and atomics (every form, on an ARRAY map value and on globals).

import { expect, it } from "vitest";
import { callChainStack } from "../compiler/backend/call-graph.js";
import { generate } from "../compiler/backend/index.js";
import { INT_TYPES, type CType, layoutStruct } from "../common/ctypes.js";
import { writeObject } from "../compiler/elf/write-object.js";
import { checkModule } from "../compiler/ir/check.js";
import type { Func, Ty } from "../compiler/ir/ir.js";
import { parseModule } from "../compiler/ir/parse.js";
import type { GlobalVar, MapDef, ObjectModel, ProgramCode } from "../compiler/object/model.js";
import { defaultPipeline, runPasses } from "../compiler/passes/index.js";
import { type BpfObject, loadObject, readU32, readU64, u32le, u64le } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const { u32, u64 } = INT_TYPES;
const voidPtr: CType = { kind: "ptr", to: null };
const PACKET = new Uint8Array(64);

const ctypeOf = (ty: Ty): CType => (ty === "i32" ? u32 : ty === "i64" ? u64 : voidPtr);

interface Built {
  object: Uint8Array;
  funcs: Func[];
  stack: Map<string, number>;
}

/** IR text -> passes -> generate -> writeObject. Functions named in `programs` are XDP programs. */
function build(ir: string, opts: { programs: string[]; globals?: GlobalVar[]; maps?: MapDef[]; section?: string }): Built {
  const m = parseModule(ir);
  expect(checkModule(m)).toEqual([]);
  for (const f of m.funcs) runPasses(f, defaultPipeline, { check: true });
  expect(checkModule(m)).toEqual([]);
  const programs: ProgramCode[] = [];
  const subprograms: ProgramCode[] = [];
  const stack = new Map<string, number>();
  for (const f of m.funcs) {
    const isProgram = opts.programs.includes(f.name);
    const gen = generate(f, { isProgram, checkAlloc: true });
    stack.set(f.name, gen.stackSize);
    const code: ProgramCode = {
      name: f.name,
      section: isProgram ? (opts.section ?? "xdp") : ".text",
      insns: gen.insns,
      params: f.params.map((p, k) => ({ name: `a${k}`, type: ctypeOf(p.ty) })),
      ret: isProgram ? INT_TYPES.i32 : u64,
      lines: gen.lines,
    };
    (isProgram ? programs : subprograms).push(code);
  }
  const model: ObjectModel = {
    sourcePath: "ir.txt",
    sourceLines: ir.split("\n"),
    license: "GPL",
    programs,
    subprograms,
    maps: opts.maps ?? [],
    globals: opts.globals,
  };
  return { object: writeObject(model), funcs: m.funcs, stack };
}

const run = (obj: BpfObject, prog: string): number => obj.programs.get(prog)!.run({ data: PACKET }).retval;

/** The global-data map of `section` (libbpf names it `<obj>.<section>`, truncated to 15 chars). */
function globalMap(obj: BpfObject, section: string) {
  const m = [...obj.maps.values()].find((x) => x.name.endsWith(section));
  if (!m) throw new Error(`no ${section} map among ${[...obj.maps.keys()].join(", ")}`);
  return m;
}

describeKernel("back end in the kernel", () => {
  it("calls a five-argument subprogram and nests calls three deep, passing stack pointers down", () => {
    const ir = `
func prog(%0:ptr) {
b0:
  %1:i64 = const 1
  %2:i32 = const 5
  %3:i64 = callfn @sum5 (%1, 2, 3, 4, %2)
  %4:i64 = callfn @level1 (%3)
  %5:i64 = add %4, %3
  ret %5
}

func sum5(%0:i64, %1:i64, %2:i64, %3:i64, %4:i32) {
b0:
  %5:i64 = mul %1, 2
  %6:i64 = mul %2, 3
  %7:i64 = mul %3, 4
  %8:i64 = zext %4
  %9:i64 = mul %8, 5
  %10:i64 = add %0, %5
  %11:i64 = add %10, %6
  %12:i64 = add %11, %7
  %13:i64 = add %12, %9
  ret %13
}

func level1(%0:i64) {
b0:
  %1:i64 = mul %0, 3
  %2:i64 = callfn @level2 (%1)
  %3:i64 = add %2, %0
  ret %3
}

func level2(%0:i64) slots [s0: 8 align 8] {
b0:
  %1:ptr = stackaddr s0
  store.8 %1, 0, %0
  %2:i64 = callfn @level3 (%1, 1000)
  %3:i64 = load.8 %1, 0
  %4:i64 = add %2, %3
  ret %4
}

func level3(%0:ptr, %1:i64) {
b0:
  %2:i64 = load.8 %0, 0
  %3:i64 = add %2, %1
  store.8 %0, 0, %3
  ret 7
}
`;
    const b = build(ir, { programs: ["prog"] });
    // sum5 = 1 + 4 + 9 + 16 + 25 = 55; level1(55): level2(165) = 7 + (165 + 1000) = 1172; + 55 = 1227.
    using obj = loadObject(b.object);
    expect(run(obj, "prog")).toBe(1227 + 55);
    const chain = callChainStack(b.funcs, b.stack, { roots: ["prog"] });
    expect(chain.chain).toEqual(["prog", "level1", "level2", "level3"]);
    expect(chain.depth).toBeLessThanOrEqual(512);
  });

  it("keeps values in r6..r9 across calls in both caller and callee", () => {
    // Many values live across calls, in the program and in the subprogram: each frame's r6..r9.
    const ir = `
func prog(%0:ptr) {
b0:
  %1:i64 = callfn @mix (1, 2)
  %2:i64 = callfn @mix (3, 4)
  %3:i64 = callfn @mix (%1, %2)
  %4:i64 = callfn @mix (%2, %1)
  %5:i64 = sub %3, %4
  %6:i64 = add %5, %1
  %7:i64 = add %6, %2
  ret %7
}

func mix(%0:i64, %1:i64) {
b0:
  %2:i64 = callfn @sq (%0)
  %3:i64 = callfn @sq (%1)
  %4:i64 = add %2, %0
  %5:i64 = mul %3, 2
  %6:i64 = add %4, %5
  %7:i64 = add %6, %1
  ret %7
}

func sq(%0:i64) {
b0:
  %1:i64 = mul %0, %0
  ret %1
}
`;
    const mix = (a: bigint, b: bigint) => a * a + a + 2n * b * b + b;
    const x = mix(1n, 2n);
    const y = mix(3n, 4n);
    const want = mix(x, y) - mix(y, x) + x + y;
    using obj = loadObject(build(ir, { programs: ["prog"] }).object);
    expect(BigInt(run(obj, "prog"))).toBe(BigInt.asUintN(32, want));
  });

  it("passes a subprogram to bpf_loop through funcaddr", () => {
    const ir = `
func prog(%0:ptr) slots [s0: 8 align 8] {
b0:
  %1:ptr = stackaddr s0
  store.8 %1, 0, 100
  %2:ptr = funcaddr @step
  %3:i64 = call 181 (10, %2, %1, 0)
  %4:i64 = load.8 %1, 0
  %5:i64 = mul %3, 1000
  %6:i64 = add %4, %5
  ret %6
}

func step(%0:i32, %1:ptr) {
b0:
  %2:i64 = load.8 %1, 0
  %3:i64 = zext %0
  %4:i64 = add %2, %3
  store.8 %1, 0, %4
  ret 0
}
`;
    using obj = loadObject(build(ir, { programs: ["prog"] }).object);
    // 10 iterations of += idx: 100 + 45; bpf_loop returns the iteration count.
    expect(run(obj, "prog")).toBe(10 * 1000 + 145);
  });

  it("reads .rodata, reads and writes .data and .bss", () => {
    const arr = { kind: "array", elem: u32, len: 4 } as const;
    const globals: GlobalVar[] = [
      { name: "cfg_small", section: ".rodata", type: u32, init: u32le(0x1234) },
      { name: "cfg_big", section: ".rodata", type: u64, init: u64le(0x1_0000_0007n) },
      { name: "flag", section: ".data", type: INT_TYPES.u8, init: new Uint8Array([3]) },
      { name: "counter", section: ".data", type: u64, init: u64le(5n) },
      { name: "table", section: ".data", type: arr, init: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]) },
      { name: "total", section: ".bss", type: u64 },
      { name: "hits", section: ".bss", type: u32 },
    ];
    const ir = `
func prog(%0:ptr) {
b0:
  %1:ptr = globaladdr.rodata @cfg_small
  %2:i32 = load.4 %1, 0
  %3:ptr = globaladdr.rodata @cfg_big
  %4:i64 = load.8 %3, 0
  %5:ptr = globaladdr.data @counter
  %6:i64 = load.8 %5, 0
  %7:i64 = add %6, %4
  store.8 %5, 0, %7
  %8:ptr = globaladdr.data @table
  %9:i32 = load.4 %8, 8
  %10:ptr = globaladdr.bss @total
  %11:i64 = load.8 %10, 0
  %12:i64 = zext %9
  %13:i64 = add %11, %12
  store.8 %10, 0, %13
  %14:ptr = globaladdr.bss @hits
  %15:i32 = load.4 %14, 0
  %16:i32 = add %15, 1
  store.4 %14, 0, %16
  %17:ptr = globaladdr.data @flag
  %18:i32 = load.1 %17, 0
  %19:i32 = add %2, %18
  %20:i32 = add %19, %16
  ret %20
}
`;
    using obj = loadObject(build(ir, { programs: ["prog"], globals }).object);
    // No libbpf warnings: in particular the BTF (VARs, DATASECs) was accepted by the kernel.
    expect(obj.warnings).toEqual([]);
    // 0x1234 + 3 + hits (1, then 2).
    expect(run(obj, "prog")).toBe(0x1234 + 3 + 1);
    expect(run(obj, "prog")).toBe(0x1234 + 3 + 2);
    const data = globalMap(obj, ".data").lookup(u32le(0))!;
    // flag at 0, counter at 8, table at 16.
    expect(data.length).toBe(32);
    expect(readU64(data, 8)).toBe(5n + 2n * 0x1_0000_0007n);
    const bss = globalMap(obj, ".bss").lookup(u32le(0))!;
    expect(readU64(bss, 0)).toBe(6n);
    expect(readU32(bss, 8)).toBe(2);
    const ro = globalMap(obj, ".rodata").lookup(u32le(0))!;
    expect(readU32(ro, 0)).toBe(0x1234);
    // User space changes .data; the program sees it.
    const next = data.slice();
    next.set(u64le(1000n), 8);
    next[0] = 50;
    globalMap(obj, ".data").update(u32le(0), next);
    expect(run(obj, "prog")).toBe(0x1234 + 50 + 3);
    expect(readU64(globalMap(obj, ".data").lookup(u32le(0))!, 8)).toBe(1000n + 0x1_0000_0007n);
  });

  it("lets a subprogram write a global whose address the program passes down", () => {
    const globals: GlobalVar[] = [{ name: "acc", section: ".bss", type: u64 }];
    const ir = `
func prog(%0:ptr) {
b0:
  %1:ptr = globaladdr.bss @acc
  %2:i64 = callfn @bump (%1, 40)
  %3:i64 = callfn @bump (%1, 2)
  %4:i64 = load.8 %1, 0
  ret %4
}

func bump(%0:ptr, %1:i64) {
b0:
  %2:i64 = load.8 %0, 0
  %3:i64 = add %2, %1
  store.8 %0, 0, %3
  ret %3
}
`;
    using obj = loadObject(build(ir, { programs: ["prog"], globals }).object);
    expect(run(obj, "prog")).toBe(42);
    expect(run(obj, "prog")).toBe(84);
  });

  it("runs every atomic form on an ARRAY map value", () => {
    const value = layoutStruct("val", [
      { name: "x", type: u64 },
      { name: "y", type: u32 },
      { name: "z", type: u32 },
      { name: "w", type: u64 },
    ]);
    const maps: MapDef[] = [{ name: "vals", type: 2 /* ARRAY */, key: u32, value, maxEntries: 1 }];
    const ir = `
func prog(%0:ptr) slots [s0: 4 align 4] {
b0:
  %1:ptr = stackaddr s0
  store.4 %1, 0, 0
  %2:ptr = mapaddr @vals
  %3:ptr = call 1 (%2, %1)
  cbr eq.64 %3, 0 -> b1, b2
b1:
  ret 0
b2:
  atomic.add.8 %3, 0, 5
  %4:i64 = atomic.add.fetch.8 %3, 0, 10
  %5:i32 = atomic.xchg.fetch.4 %3, 8, 77
  %6:i32 = atomic.cmpxchg.fetch.4 %3, 12, 9, 0
  %7:i32 = atomic.cmpxchg.fetch.4 %3, 12, 100, 5
  atomic.or.8 %3, 16, 240
  %8:i64 = atomic.and.fetch.8 %3, 16, 60
  %9:i64 = atomic.xor.fetch.8 %3, 16, 255
  %10:i64 = atomic.cmpxchg.fetch.8 %3, 0, 1, %4
  %11:i64 = mul %4, 1000000
  %12:i64 = zext %5
  %13:i64 = mul %12, 10000
  %14:i64 = zext %6
  %15:i64 = zext %7
  %16:i64 = mul %15, 100
  %17:i64 = add %11, %13
  %18:i64 = add %17, %14
  %19:i64 = add %18, %16
  %20:i64 = add %19, %8
  %21:i64 = sub %20, %9
  %22:i64 = mul %10, 7
  %23:i64 = add %21, %22
  ret %23
}
`;
    using obj = loadObject(build(ir, { programs: ["prog"], maps }).object);
    expect(obj.warnings).toEqual([]);
    const vals = obj.maps.get("vals")!;
    const init = new Uint8Array(24);
    init.set(u64le(1n), 16);
    vals.update(u32le(0), init);
    // x: 0 +5 -> 5, fetch_add 10 -> old 5, x = 15; y: xchg 77 -> old 0; z: cmpxchg(0 -> 9) old 0,
    // cmpxchg(5 -> 100) fails, old 9; w: 1 | 240 = 241, fetch_and 60 -> old 241, w = 48,
    // fetch_xor 255 -> old 48, w = 207; x: cmpxchg(expected 5) fails (x is 15), old 15.
    const want = 5n * 1000000n + 0n + 0n + 9n * 100n + 241n - 48n + 15n * 7n;
    expect(BigInt(run(obj, "prog"))).toBe(want);
    const v = vals.lookup(u32le(0))!;
    expect(readU64(v, 0)).toBe(15n);
    expect(readU32(v, 8)).toBe(77);
    expect(readU32(v, 12)).toBe(9);
    expect(readU64(v, 16)).toBe(207n);
  });

  it("runs atomics on .data and .bss globals, including from a subprogram", () => {
    const globals: GlobalVar[] = [
      { name: "seq", section: ".data", type: u64, init: u64le(100n) },
      { name: "bits", section: ".bss", type: u32 },
      { name: "owner", section: ".bss", type: u32 },
    ];
    const ir = `
func prog(%0:ptr) {
b0:
  %1:ptr = globaladdr.data @seq
  %2:i64 = atomic.add.fetch.8 %1, 0, 1
  %3:ptr = globaladdr.bss @bits
  atomic.or.4 %3, 0, 6
  %4:i32 = atomic.xor.fetch.4 %3, 0, 1
  %5:i64 = callfn @claim (7)
  %6:i64 = callfn @claim (8)
  %7:i64 = mul %2, 1000
  %8:i64 = zext %4
  %9:i64 = mul %8, 100
  %10:i64 = mul %5, 10
  %11:i64 = add %7, %9
  %12:i64 = add %11, %10
  %13:i64 = add %12, %6
  ret %13
}

func claim(%0:i32) {
b0:
  %1:ptr = globaladdr.bss @owner
  %2:i32 = atomic.cmpxchg.fetch.4 %1, 0, %0, 0
  %3:i64 = zext %2
  ret %3
}
`;
    using obj = loadObject(build(ir, { programs: ["prog"], globals }).object);
    // seq: old 100; bits: 0|6 = 6, fetch_xor 1 -> old 6 (bits = 7); claim(7): owner 0 -> 7, returns 0;
    // claim(8): owner is 7, returns 7.
    expect(run(obj, "prog")).toBe(100 * 1000 + 6 * 100 + 0 + 7);
    // Second run: seq old 101; bits: 7|6 = 7, fetch_xor -> old 7 (bits = 6); owner stays 7.
    expect(run(obj, "prog")).toBe(101 * 1000 + 7 * 100 + 70 + 7);
    expect(readU64(globalMap(obj, ".data").lookup(u32le(0))!, 0)).toBe(102n);
    const bss = globalMap(obj, ".bss").lookup(u32le(0))!;
    expect(readU32(bss, 0)).toBe(6);
    expect(readU32(bss, 4)).toBe(7);
  });
});
