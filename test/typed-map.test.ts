// Typed maps end to end: BTF parsing and value codecs on their own, then maps of every key/value
// shape compiled from .bpf.ts, loaded into the kernel, filled from user space and read back;
// per-CPU values, iteration, batch operations with and without kernel support, xdp-counter's
// counters after real packets, and error paths that must not leak file descriptors.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { INT_TYPES, layoutStruct } from "../common/ctypes.js";
import {
  BtfError,
  ctypeCodec,
  loadObject,
  objectBtf,
  parseBtf,
  PerCpuTypedMap,
  possibleCpus,
  readObjectBtf,
  typedMap,
  type TypedMap,
} from "../runtime/index.js";
import { btfCodec } from "../runtime/codec.js";
import { describeKernel } from "./kernel-env.js";
import { ipv4Packet, ipv6Packet } from "../testing/packets.js";

const tmp = mkdtempSync(join(tmpdir(), "tsbpf-typed-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function build(name: string, text: string): Uint8Array {
  const file = join(tmp, `${name}.bpf.ts`);
  writeFileSync(file, text);
  const r = compile(file, text);
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return r.object!;
}

const SHAPES = `
import { xdp, XdpAction, HashMap, ArrayMap, PerCpuArray, PerCpuHashMap, LruHashMap,
  type u8, type u16, type u32, type u64, type i8, type i16, type i32, type i64, type FixedArray } from "tsbpf/bpf";

export interface Inner { a: u8; b: i16; tags: FixedArray<u16, 3>; }
export interface Key { proto: u8; port: u16; addr: u32; }
export interface Wide {
  u8v: u8; u16v: u16; u32v: u32; u64v: u64;
  i8v: i8; i16v: i16; i32v: i32; i64v: i64;
  flag: boolean;
  name: FixedArray<u8, 8>;
  sbytes: FixedArray<i8, 4>;
  inner: Inner;
  inners: FixedArray<Inner, 2>;
}

const wide = new HashMap<Key, Wide>(64);
const arr = new ArrayMap<u64>(8);
const neg = new HashMap<i32, i64>(16);
const small = new HashMap<i8, i16>(16);
const pcpu = new PerCpuArray<Inner>(4);
const pch = new PerCpuHashMap<u32, u32>(16);
const lru = new LruHashMap<u64, u8>(16);
const big = new HashMap<u32, u32>(1024);

export const prog = xdp((ctx) => {
  const v = arr.lookup(0);
  if (v !== null) v.value += 1;
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
`;

const COUNTER = readFileSync(join(import.meta.dirname, "..", "examples", "xdp-counter", "xdp-counter.bpf.ts"), "utf8");

const inner = (a: number) => ({ a, b: -2 - a, tags: [1, a, 65535] });
const WIDE = {
  u8v: 255,
  u16v: 65535,
  u32v: 0xffff_ffff,
  u64v: 2n ** 64n - 1n,
  i8v: -128,
  i16v: -32768,
  i32v: -(2 ** 31),
  i64v: -(2n ** 63n),
  flag: true,
  name: new TextEncoder().encode("tsbpf!\0\0"),
  sbytes: new Int8Array([-1, 2, -3, 127]),
  inner: inner(7),
  inners: [inner(1), inner(2)],
};

const openFds = (): number => readdirSync("/proc/self/fd").length;

describe("BTF reader", () => {
  const btf = readObjectBtf(build("shapes", SHAPES))!;

  it("finds every map with its key and value types", () => {
    const defs = btf.mapDefs();
    expect(defs.map((d) => d.name)).toEqual(["wide", "arr", "neg", "small", "pcpu", "pch", "lru", "big"]);
    const wide = defs[0]!;
    expect(wide).toMatchObject({ type: 1, keySize: 8, valueSize: 80, maxEntries: 64 });
    expect(btf.typeName(wide.keyType)).toBe("struct Key");
    expect(btf.typeName(defs[1]!.valueType)).toBe("u64");
    expect(btf.format(btf.resolve(wide.valueType).id)).toContain("struct Inner inners[2];");
  });

  it("rejects malformed BTF with BtfError", () => {
    expect(() => parseBtf(new Uint8Array(10))).toThrow(BtfError);
    const bad = new Uint8Array(40);
    new DataView(bad.buffer).setUint16(0, 0x1234, true);
    expect(() => parseBtf(bad)).toThrow(/bad magic/);
    // A type section that claims more bytes than there are.
    const ok = new Uint8Array(24);
    const v = new DataView(ok.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(12, 100, true);
    expect(() => parseBtf(ok)).toThrow(/past the end/);
  });
});

describe("codecs", () => {
  const Inner = layoutStruct("Inner", [
    { name: "a", type: INT_TYPES.u8 },
    { name: "b", type: INT_TYPES.i16 },
    { name: "tags", type: { kind: "array", elem: INT_TYPES.u16, len: 3 } },
  ]);

  it("round-trip every integer width, bool, byte arrays and nested structs", () => {
    const btf = readObjectBtf(build("shapes3", SHAPES))!;
    const wide = btf.mapDefs()[0]!;
    const codec = btfCodec(btf, wide.valueType);
    expect(codec.size).toBe(80);
    expect(codec.decode(codec.encode(WIDE))).toEqual(WIDE);
    expect(codec.tsType).toContain("u64v: bigint");
    // Strings in and out of byte arrays.
    const s = btfCodec<typeof WIDE>(btf, wide.valueType, { byteStrings: "string" });
    const decoded = s.decode(s.encode({ ...WIDE, name: "abc" as unknown as Uint8Array<ArrayBuffer> })) as unknown as { name: string };
    expect(decoded.name).toBe("abc");
  });

  it("CType codecs agree with the layout the compiler uses", () => {
    const c = ctypeCodec(Inner);
    const bytes = c.encode({ a: 1, b: -1, tags: [2, 3, 4] });
    expect([...bytes]).toEqual([1, 0, 0xff, 0xff, 2, 0, 3, 0, 4, 0]);
  });

  it("reject wrong shapes with the path of the bad value", () => {
    const c = ctypeCodec(Inner);
    expect(() => c.encode({ a: 256, b: 0, tags: [0, 0, 0] })).toThrow(/value\.a: 256 is out of range for u8/);
    expect(() => c.encode({ a: 1, b: 0, tags: [0, 0] })).toThrow(/value\.tags: expected 3 elements/);
    expect(() => c.encode({ a: 1, b: 0 })).toThrow(/value\.tags: missing field/);
    expect(() => c.encode({ a: 1, b: 0, tags: [0, 0, 0], c: 1 })).toThrow(/has no field 'c'/);
    expect(() => c.encode({ a: "1", b: 0, tags: [0, 0, 0] })).toThrow(/expected an integer for u8/);
    expect(() => ctypeCodec(INT_TYPES.u64).encode(-1n)).toThrow(RangeError);
    expect(() => ctypeCodec(INT_TYPES.bool).encode(2)).toThrow(/expected a boolean/);
    expect(ctypeCodec(INT_TYPES.u64).encode(5)).toEqual(new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0]));
  });
});

describeKernel("typed maps in the kernel", () => {
  it("store and read back keys and values of every shape", () => {
    using obj = loadObject(build("shapes", SHAPES));
    const t = obj.typed;
    const key = { proto: 6, port: 443, addr: 0x0a00_0001 };
    t.wide!.set(key, WIDE);
    expect(t.wide!.get(key)).toEqual(WIDE);
    expect(t.wide!.has(key)).toBe(true);
    expect(t.wide!.get({ ...key, port: 80 })).toBeUndefined();

    t.neg!.set(-5, -99n).set(2 ** 31 - 1, 2n ** 63n - 1n);
    expect(t.neg!.get(-5)).toBe(-99n);
    expect(t.neg!.get(2 ** 31 - 1)).toBe(2n ** 63n - 1n);
    t.small!.set(-128, -32768).set(127, 32767);
    expect(new Map(t.small!.entries())).toEqual(
      new Map([
        [-128, -32768],
        [127, 32767],
      ]),
    );
    t.lru!.set(2n ** 64n - 1n, 200);
    expect(t.lru!.get(2n ** 64n - 1n)).toBe(200);

    t.arr!.set(3, 1234567890123n);
    expect(t.arr!.get(3)).toBe(1234567890123n);
    expect(t.arr!.get(0)).toBe(0n);
    expect(t.arr!.get(8)).toBeUndefined(); // out of range: no such element

    expect(t.wide!.delete(key)).toBe(true);
    expect(t.wide!.delete(key)).toBe(false);
    expect(t.wide!.get(key)).toBeUndefined();
    // A bad value is rejected before any syscall.
    expect(() => t.wide!.set(key, { ...WIDE, i8v: -129 })).toThrow(/value\.i8v/);
    expect(t.wide!.has(key)).toBe(false);
    expect(objectBtf(obj)?.find("STRUCT", "Wide")).toBeDefined();
  });

  it("per-CPU maps hold one value per possible CPU", () => {
    using obj = loadObject(build("shapes", SHAPES));
    const n = possibleCpus();
    const pcpu = obj.typed.pcpu as PerCpuTypedMap<number, ReturnType<typeof inner>>;
    expect(pcpu).toBeInstanceOf(PerCpuTypedMap);
    expect(pcpu.get(0)).toEqual(Array.from({ length: n }, () => ({ a: 0, b: 0, tags: [0, 0, 0] })));
    const values = Array.from({ length: n }, (_, cpu) => inner(cpu % 200));
    pcpu.set(2, values);
    expect(pcpu.getPerCpu(2)).toEqual(values);
    pcpu.setAll(3, inner(9));
    expect(pcpu.get(3)).toEqual(Array.from({ length: n }, () => inner(9)));
    expect(() => pcpu.set(1, Array(n + 1).fill(inner(1)))).toThrow(/one per possible CPU/);

    const pch = obj.typed.pch as PerCpuTypedMap<number, number>;
    pch.setAll(10, 5).setAll(11, 6);
    expect(new Map(pch.entries())).toEqual(
      new Map([
        [10, Array(n).fill(5)],
        [11, Array(n).fill(6)],
      ]),
    );
  });

  it("entries(), keys() and values() visit every entry", () => {
    using obj = loadObject(build("shapes", SHAPES));
    const big = obj.typed.big as TypedMap<number, number>;
    for (let i = 0; i < 300; i++) big.set(i * 7, i);
    const entries = [...big.entries()].sort((a, b) => a[0] - b[0]);
    expect(entries).toEqual(Array.from({ length: 300 }, (_, i) => [i * 7, i]));
    expect(new Set(big.keys()).size).toBe(300);
    expect([...big.values()].reduce((a, b) => a + b, 0)).toBe((299 * 300) / 2);
    expect([...big].length).toBe(300);
    // An array map iterates all maxEntries indexes.
    expect([...obj.typed.arr!.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    big.clear();
    expect([...big.keys()]).toEqual([]);
  });

  it("batch operations use the kernel's batch commands and agree with the fallback", () => {
    using obj = loadObject(build("shapes", SHAPES));
    const big = obj.typed.big as TypedMap<number, number>;
    const want = Array.from({ length: 500 }, (_, i): [number, number] => [i * 3 + 1, i ^ 0x5a5a]);
    big.setBatch(want);
    expect(big.lastBatchMode).toBe("kernel");
    const sorted = (xs: [number, number][]) => [...xs].sort((a, b) => a[0] - b[0]);
    // Small batches force many round trips (and bucket-size regrowth).
    expect(sorted(big.readAll({ batchSize: 7 }))).toEqual(want);
    expect(big.lastBatchMode).toBe("kernel");
    expect(sorted(big.readAll({ batch: false }))).toEqual(want);
    expect(big.lastBatchMode).toBe("fallback");

    // Deleting a batch with absent keys in it removes the present ones.
    expect(big.deleteBatch([1, 2, 4, 99999, 7])).toBe(3);
    expect(big.lastBatchMode).toBe("kernel");
    expect(big.has(1) || big.has(4) || big.has(7)).toBe(false);
    expect(big.deleteBatch([10, 13], { batch: false })).toBe(2);
    expect(big.readAll().length).toBe(495);

    // Per-CPU and array maps.
    const n = possibleCpus();
    const pch = obj.typed.pch as PerCpuTypedMap<number, number>;
    pch.setBatch([
      [1, Array(n).fill(1)],
      [2, Array.from({ length: n }, (_, c) => c)],
    ]);
    expect(sorted(pch.readAll() as never)).toEqual([
      [1, Array(n).fill(1)],
      [2, Array.from({ length: n }, (_, c) => c)],
    ]);
    const arr = obj.typed.arr as TypedMap<number, bigint>;
    arr.setBatch([
      [0, 10n],
      [7, 70n],
    ]);
    expect(arr.readAll()).toEqual([
      [0, 10n],
      [1, 0n],
      [2, 0n],
      [3, 0n],
      [4, 0n],
      [5, 0n],
      [6, 0n],
      [7, 70n],
    ]);
    const wide = obj.typed.wide!;
    wide.setBatch([[{ proto: 1, port: 2, addr: 3 }, WIDE]]);
    expect(wide.readAll()).toEqual([[{ proto: 1, port: 2, addr: 3 }, WIDE]]);
  });

  it("xdp-counter's counters read as typed per-CPU structs after real packets", () => {
    using obj = loadObject(build("xdp-counter", COUNTER));
    const prog = obj.programs.get("xdp_counter")!;
    expect(prog.run({ data: ipv4Packet(6, 60), repeat: 3 }).retval).toBe(2);
    expect(prog.run({ data: ipv4Packet(17, 100), repeat: 5 }).retval).toBe(2);
    expect(prog.run({ data: ipv6Packet(80) }).retval).toBe(2);
    const counters = obj.typed.counters as PerCpuTypedMap<number, { packets: bigint; bytes: bigint }>;
    const total = (proto: number) =>
      counters.get(proto)!.reduce((s, c) => ({ packets: s.packets + c.packets, bytes: s.bytes + c.bytes }), { packets: 0n, bytes: 0n });
    expect(total(6)).toEqual({ packets: 3n, bytes: 180n });
    expect(total(17)).toEqual({ packets: 5n, bytes: 500n });
    expect(total(1)).toEqual({ packets: 0n, bytes: 0n });
    const busy = counters
      .readAll()
      .filter(([, per]) => per.some((c) => c.packets > 0n))
      .map(([k]) => k);
    expect(busy).toEqual([6, 17]);
    // typedMap() gives the same map with codec options.
    expect(typedMap(obj, "counters").get(6)).toEqual(counters.get(6));
    expect(() => typedMap(obj, "nope")).toThrow(/has no map 'nope'/);
  });

  it("clang objects: char arrays as strings, bitfields, global data", () => {
    let o: string;
    try {
      execFileSync("clang-19", ["--version"], { stdio: "pipe" });
      const c = join(tmp, "g.bpf.c");
      o = join(tmp, "g.bpf.o");
      writeFileSync(
        c,
        `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct rec { char comm[16]; unsigned int lo : 3, mid : 9; int neg : 4; unsigned long long when; union { int a; char b[4]; }; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, struct rec); __uint(max_entries, 4); } recs SEC(".maps");
__u64 hits = 0;
SEC("xdp") int count(struct xdp_md *ctx) { __sync_fetch_and_add(&hits, 1); return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
`,
      );
      execFileSync("clang-19", ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", c, "-o", o], { stdio: "pipe" });
    } catch {
      if (process.env.CI === "true") throw new Error("clang-19 is needed for this test under CI");
      console.warn("skipping clang typed-map test: clang-19 not usable");
      return;
    }
    using obj = loadObject(o);
    const recs = typedMap(obj, "recs", { byteStrings: "string" });
    const rec = { comm: "swapper/0", lo: 5, mid: 300, neg: -3, when: 42n, a: 0x4241 };
    recs.set(1, rec);
    // The anonymous union's members read inline; both views of its bytes come back.
    expect(recs.get(1)).toEqual({ ...rec, b: "AB" });
    expect(recs.keyCodec.tsType).toBe("number");
    expect(recs.valueCodec.tsType).toBe("{ comm: string; lo: number; mid: number; neg: number; when: bigint; a?: number; b?: string }");
    expect(() => recs.set(2, { ...rec, lo: 8 })).toThrow(/does not fit/);
    expect((obj.typed.recs!.get(1) as { comm: Uint8Array }).comm).toBeInstanceOf(Uint8Array);
    obj.programs.get("count")!.run({ data: ipv4Packet(6, 60), repeat: 4 });
    const bss = Object.keys(obj.typed).find((k) => k.endsWith(".bss"))!;
    expect(obj.typed[bss]!.get(0)).toEqual({ hits: 4n });
  });

  it("error paths give clear errors and leak no fds", () => {
    const before = openFds();
    expect(() => loadObject(join(tmp, "missing.o"))).toThrow(/cannot open BPF object .*missing\.o: ENOENT/);
    expect(() => loadObject(new Uint8Array(200).fill(7))).toThrow(/cannot open BPF object <bytes>/);
    const corrupt = build("shapes", SHAPES).slice();
    corrupt.fill(0xff, 64, 400);
    expect(() => loadObject(corrupt)).toThrow(/cannot (open|load) BPF object/);
    const obj = loadObject(build("shapes", SHAPES));
    const wide = obj.typed.wide!;
    obj.close();
    expect(() => wide.get({ proto: 1, port: 1, addr: 1 })).toThrow(/closed BPF object/);
    expect(() => obj.typed).not.toThrow(); // cached view; its maps refuse to work
    expect(openFds()).toBe(before);
    const fresh = loadObject(build("shapes", SHAPES));
    fresh.close();
    expect(() => fresh.typed).toThrow(/is closed/);
    expect(openFds()).toBe(before);
  });
});
