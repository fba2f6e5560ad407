// writeObject: hand-built ObjectModels are written to .o files, checked structurally, parsed by
// llvm-readelf and bpftool, and loaded into the kernel with libbpf (bpftool prog loadall) to prove the
// ELF, BTF, .BTF.ext and relocations are accepted. Kernel parts skip when bpf()/bpftool are missing.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { INT_TYPES, layoutStruct, type CType } from "../common/ctypes.js";
import { BtfBuilder } from "../compiler/elf/btf-builder.js";
import { writeObject } from "../compiler/elf/write-object.js";
import type { ObjectModel } from "../compiler/object/model.js";

const u32 = INT_TYPES.u32;
const u64 = INT_TYPES.u64;
const i32 = INT_TYPES.i32;
const i64 = INT_TYPES.i64;
const voidPtr: CType = { kind: "ptr", to: null };
const ctxParam = [{ name: "ctx", type: voidPtr }];
const flowStats = layoutStruct("flow_stats", [
  { name: "packets", type: u64 },
  { name: "bytes", type: u64 },
]);

const SRC = [
  "export function xdp_pass(ctx: XdpContext): number {", // 1
  "  return XDP_PASS;", // 2
  "  const v = counts.lookup(0);", // 3
  "  if (v) atomicAdd(v.packets, 1);", // 4
  "  const s = stats.lookup(0);", // 5
  "  if (s) atomicAdd(s, 1);", // 6
  "  return XDP_DROP;", // 7
  "  return 0;", // 8
  "  const y = add_one(1);", // 9
  "  bpfLoop(4, loop_cb, null, 0);", // 10
  "function add_one(x: u32): u32 { return x + 1; }", // 11
  "  return 0; // continue the loop", // 12
];

const base = { sourcePath: "/src/test.bpf.ts", sourceLines: SRC, license: "GPL" };

const xdpOnly: ObjectModel = {
  ...base,
  programs: [
    {
      name: "xdp_pass",
      section: "xdp",
      params: ctxParam,
      ret: i32,
      insns: [
        { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
        { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
      ],
      lines: [{ insn: 0, line: 2, col: 3 }],
    },
  ],
  subprograms: [],
  maps: [],
};

const withMaps: ObjectModel = {
  ...base,
  programs: [
    {
      name: "count",
      section: "xdp",
      params: ctxParam,
      ret: i32,
      insns: [
        { opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 0 },
        { opcode: 0x63, dst: 10, src: 1, off: -4, imm: 0 },
        { opcode: 0xbf, dst: 2, src: 10, off: 0, imm: 0 },
        { opcode: 0x07, dst: 2, src: 0, off: 0, imm: -4 },
        { opcode: 0x18, dst: 1, src: 0, off: 0, imm: 0, reloc: { kind: "map", symbol: "counts" } },
        { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 1 },
        { opcode: 0x15, dst: 0, src: 0, off: 2, imm: 0 },
        { opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 1 },
        { opcode: 0xdb, dst: 0, src: 1, off: 0, imm: 0 },
        { opcode: 0xbf, dst: 2, src: 10, off: 0, imm: 0 },
        { opcode: 0x07, dst: 2, src: 0, off: 0, imm: -4 },
        { opcode: 0x18, dst: 1, src: 0, off: 0, imm: 0, reloc: { kind: "map", symbol: "stats" } },
        { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 1 },
        { opcode: 0x15, dst: 0, src: 0, off: 2, imm: 0 },
        { opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 1 },
        { opcode: 0xdb, dst: 0, src: 1, off: 0, imm: 0 },
        { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
        { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
      ],
      lines: [
        { insn: 0, line: 3, col: 3 },
        { insn: 7, line: 4, col: 10 },
        { insn: 9, line: 5, col: 3 },
        { insn: 14, line: 6, col: 10 },
        { insn: 16, line: 2, col: 3 },
      ],
    },
  ],
  subprograms: [],
  maps: [
    { name: "counts", type: 1 /* HASH */, key: u32, value: flowStats, maxEntries: 1024, flags: 1 /* NO_PREALLOC */ },
    { name: "stats", type: 6 /* PERCPU_ARRAY */, key: u32, value: u64, maxEntries: 4 },
  ],
};

const ret = (name: string, section: string, value: number, line: number) => ({
  name,
  section,
  params: ctxParam,
  ret: i32,
  insns: [
    { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: value },
    { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ],
  lines: [{ insn: 0, line, col: 3 }],
});

const sharedSection: ObjectModel = {
  ...base,
  programs: [ret("xdp_pass", "xdp", 2, 2), ret("xdp_drop", "xdp", 1, 7), ret("sock_none", "socket", 0, 8)],
  subprograms: [],
  maps: [],
};

const withCalls: ObjectModel = {
  ...base,
  programs: [
    {
      name: "caller",
      section: "xdp",
      params: ctxParam,
      ret: i32,
      insns: [
        { opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 1 },
        { opcode: 0x85, dst: 0, src: 1, off: 0, imm: -1, reloc: { kind: "call", symbol: "add_one" } },
        { opcode: 0xbf, dst: 6, src: 0, off: 0, imm: 0 },
        { opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 4 },
        { opcode: 0x18, dst: 2, src: 4, off: 0, imm: 0, reloc: { kind: "func", symbol: "loop_cb" } },
        { opcode: 0xb7, dst: 3, src: 0, off: 0, imm: 0 },
        { opcode: 0xb7, dst: 4, src: 0, off: 0, imm: 0 },
        { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 181 /* bpf_loop */ },
        { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
        { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
      ],
      lines: [
        { insn: 0, line: 9, col: 3 },
        { insn: 3, line: 10, col: 3 },
        { insn: 8, line: 2, col: 3 },
      ],
    },
  ],
  subprograms: [
    {
      name: "add_one",
      section: ".text",
      params: [{ name: "x", type: u32 }],
      ret: u32,
      insns: [
        { opcode: 0xbf, dst: 0, src: 1, off: 0, imm: 0 },
        { opcode: 0x07, dst: 0, src: 0, off: 0, imm: 1 },
        { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
      ],
      lines: [{ insn: 0, line: 11, col: 33 }],
    },
    {
      name: "loop_cb",
      section: ".text",
      params: [
        { name: "idx", type: u32 },
        { name: "data", type: voidPtr },
      ],
      ret: i64,
      insns: [
        { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
        { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
      ],
      lines: [{ insn: 0, line: 12, col: 3 }],
    },
  ],
  maps: [],
};

const ld = (dst: number, symbol: string) => ({
  opcode: 0x18,
  dst,
  src: 0,
  off: 0,
  imm: 0,
  imm64: 0n,
  reloc: { kind: "map" as const, symbol },
});
const withGlobals: ObjectModel = {
  ...base,
  programs: [
    {
      name: "use_globals",
      section: "xdp",
      params: ctxParam,
      ret: i32,
      insns: [
        ld(1, "cfg"),
        { opcode: 0x61, dst: 0, src: 1, off: 0, imm: 0 }, // r0 = *(u32 *)(r1 + 0)
        ld(2, "hits"),
        { opcode: 0x7b, dst: 2, src: 0, off: 0, imm: 0 }, // *(u64 *)(r2 + 0) = r0
        ld(3, "greeting"),
        { opcode: 0x73, dst: 3, src: 0, off: 5, imm: 0 }, // *(u8 *)(r3 + 5) = r0
        { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
        { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
      ],
      lines: [{ insn: 0, line: 2, col: 3 }],
    },
  ],
  subprograms: [],
  maps: [],
  globals: [
    { name: "cfg", section: ".rodata", type: u32, init: new Uint8Array([7, 0, 0, 0]) },
    { name: "limit", section: ".rodata", type: u64, init: new Uint8Array(8).fill(1) },
    { name: "greeting", section: ".data", type: { kind: "array", elem: INT_TYPES.u8, len: 6 }, init: new TextEncoder().encode("hello\0") },
    { name: "flows", section: ".data", type: flowStats },
    { name: "small", section: ".bss", type: INT_TYPES.u16 },
    { name: "hits", section: ".bss", type: u64 },
  ],
};

const cases: { name: string; model: ObjectModel; btf: RegExp[]; progs: string[]; lineText: string[] }[] = [
  {
    name: "globals",
    model: withGlobals,
    btf: [
      /VAR 'cfg' type_id=\d+, linkage=global/,
      /DATASEC '\.rodata' size=16 vlen=2/,
      /type_id=\d+ offset=8 size=8 \(VAR 'limit'\)/,
      /DATASEC '\.data' size=24 vlen=2/,
      /type_id=\d+ offset=8 size=16 \(VAR 'flows'\)/,
      /DATASEC '\.bss' size=16 vlen=2/,
      /type_id=\d+ offset=8 size=8 \(VAR 'hits'\)/,
    ],
    progs: ["use_globals"],
    lineText: ["return XDP_PASS;"],
  },
  {
    name: "xdp-only",
    model: xdpOnly,
    btf: [/FUNC 'xdp_pass' type_id=\d+ linkage=global/],
    progs: ["xdp_pass"],
    lineText: ["return XDP_PASS;"],
  },
  {
    name: "maps",
    model: withMaps,
    btf: [
      /STRUCT 'flow_stats' size=16 vlen=2/,
      /'packets' type_id=\d+ bits_offset=0/,
      /'bytes' type_id=\d+ bits_offset=64/,
      /TYPEDEF 'u32' type_id=\d+/,
      /INT 'unsigned int' size=4 bits_offset=0 nr_bits=32 encoding=\(none\)/,
      /TYPEDEF 'u64' type_id=\d+/,
      /'map_flags' type_id=\d+ bits_offset=256/,
      /VAR 'counts' type_id=\d+, linkage=global/,
      /VAR 'stats' type_id=\d+, linkage=global/,
      /DATASEC '\.maps' size=72 vlen=2/,
      /FUNC 'count' type_id=\d+ linkage=global/,
    ],
    progs: ["count"],
    lineText: ["const v = counts.lookup(0);", "if (s) atomicAdd(s, 1);"],
  },
  {
    name: "shared-section",
    model: sharedSection,
    btf: [/FUNC 'xdp_pass'/, /FUNC 'xdp_drop'/, /FUNC 'sock_none'/],
    progs: ["xdp_pass", "xdp_drop", "sock_none"],
    lineText: ["return XDP_DROP;"],
  },
  {
    name: "calls",
    model: withCalls,
    btf: [
      /FUNC 'caller' type_id=\d+ linkage=global/,
      /FUNC 'add_one' type_id=\d+ linkage=static/,
      /FUNC 'loop_cb' type_id=\d+ linkage=static/,
      /'x' type_id=\d+/,
    ],
    progs: ["caller"],
    lineText: ["const y = add_one(1);", "function add_one(x: u32): u32 { return x + 1; }", "return 0; // continue the loop"],
  },
];

// ---------- environment ----------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsbpf-elf-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[]): { out: string; err: string } {
  const errFile = path.join(tmp, `stderr-${process.pid}-${Math.random().toString(36).slice(2)}.log`);
  const fd = fs.openSync(errFile, "w");
  try {
    const out = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", fd], maxBuffer: 64 << 20 });
    return { out, err: fs.readFileSync(errFile, "utf8") };
  } catch (e) {
    const err = fs.readFileSync(errFile, "utf8");
    throw new Error(`${cmd} ${args.join(" ")} failed: ${(e as Error).message}\n${err}`);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(errFile, { force: true });
  }
}

function tryRun(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function bpffsMounted(): boolean {
  const mounts = fs.readFileSync("/proc/mounts", "utf8");
  return mounts.split("\n").some((l) => l.split(" ")[1] === "/sys/fs/bpf" && l.split(" ")[2] === "bpf");
}

function kernelAvailable(): string | null {
  if (!tryRun("bpftool", ["version"])) return "bpftool not found";
  if (!tryRun("bpftool", ["prog", "show"])) return "bpf() not permitted";
  if (!bpffsMounted()) {
    fs.mkdirSync("/sys/fs/bpf", { recursive: true });
    if (!tryRun("mount", ["-t", "bpf", "bpf", "/sys/fs/bpf"]) || !bpffsMounted()) return "bpffs not mounted";
  }
  return null;
}

const readelfOk = tryRun("llvm-readelf-19", ["--version"]);
const unavailable = kernelAvailable() ?? (readelfOk ? null : "llvm-readelf-19 not found");
if (unavailable) {
  if (process.env.CI === "true") throw new Error(`kernel tests required in CI: ${unavailable}`);
  console.warn(`elf-writer kernel tests skipped: ${unavailable}`);
}

function writeCase(name: string, model: ObjectModel): string {
  const file = path.join(tmp, `${name}.o`);
  fs.writeFileSync(file, writeObject(model));
  return file;
}

// ---------- structural tests (no kernel) ----------

interface Shdr {
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

function parseSections(b: Uint8Array): Shdr[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shoff = Number(v.getBigUint64(40, true));
  const shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const h = shoff + i * 64;
    return {
      nameOff: v.getUint32(h, true),
      type: v.getUint32(h + 4, true),
      flags: Number(v.getBigUint64(h + 8, true)),
      offset: Number(v.getBigUint64(h + 24, true)),
      size: Number(v.getBigUint64(h + 32, true)),
      link: v.getUint32(h + 40, true),
      info: v.getUint32(h + 44, true),
      entsize: Number(v.getBigUint64(h + 56, true)),
    };
  });
  const strOff = raw[shstrndx].offset;
  const cstr = (o: number) => {
    let e = strOff + o;
    while (b[e] !== 0) e++;
    return new TextDecoder().decode(b.subarray(strOff + o, e));
  };
  return raw.map((r) => ({ ...r, name: cstr(r.nameOff) }));
}

describe("writeObject structure", () => {
  it("writes an ELF64 LE ET_REL EM_BPF header", () => {
    const b = writeObject(xdpOnly);
    expect([...b.subarray(0, 7)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    const v = new DataView(b.buffer, b.byteOffset);
    expect(v.getUint16(16, true)).toBe(1);
    expect(v.getUint16(18, true)).toBe(247);
  });

  it("lays out sections, symtab sh_info and REL sections", () => {
    const secs = parseSections(writeObject(withCalls));
    const names = secs.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining([".text", "xdp", "license", ".BTF", ".BTF.ext", ".relxdp", ".symtab", ".strtab"]));
    const symtab = secs.find((s) => s.name === ".symtab")!;
    expect(symtab.entsize).toBe(24);
    expect(symtab.info).toBe(1); // no locals: first global right after the null symbol
    const rel = secs.find((s) => s.name === ".relxdp")!;
    expect(rel.type).toBe(9);
    expect(rel.entsize).toBe(16);
    expect(rel.size).toBe(32);
    expect(secs[rel.info].name).toBe("xdp");
    expect(secs[rel.link].name).toBe(".symtab");
    const xdp = secs.find((s) => s.name === "xdp")!;
    expect(xdp.flags).toBe(6);
    expect(xdp.size).toBe(11 * 8);
  });

  it("writes .rodata (A), .data (WA) and .bss (NOBITS, WA) with the variables laid out in order", () => {
    const b = writeObject(withGlobals);
    const secs = parseSections(b);
    const sec = (n: string) => secs.find((s) => s.name === n)!;
    expect([sec(".rodata").type, sec(".rodata").flags, sec(".rodata").size]).toEqual([1, 2, 16]);
    expect([sec(".data").type, sec(".data").flags, sec(".data").size]).toEqual([1, 3, 24]);
    expect([sec(".bss").type, sec(".bss").flags, sec(".bss").size]).toEqual([8, 3, 16]);
    expect([...b.subarray(sec(".rodata").offset, sec(".rodata").offset + 16)]).toEqual([7, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(new TextDecoder().decode(b.subarray(sec(".data").offset, sec(".data").offset + 5))).toBe("hello");
    // Three relocations against the variables' own symbols.
    expect(sec(".relxdp").size).toBe(3 * 16);
  });

  it("rejects bad globals", () => {
    const g = (v: Partial<NonNullable<ObjectModel["globals"]>[number]>) => ({
      ...xdpOnly,
      globals: [{ name: "x", section: ".data" as const, type: u32, ...v }],
    });
    expect(() => writeObject(g({ section: ".bss", init: new Uint8Array([1, 0, 0, 0]) }))).toThrow(/nonzero initialiser/);
    expect(() => writeObject(g({ init: new Uint8Array(3) }))).toThrow(/3 bytes/);
    expect(() => writeObject(g({ name: "xdp_pass" }))).toThrow(/duplicate symbol/);
    expect(() => writeObject(g({ name: "a.b" }))).toThrow(/not a valid symbol name/);
  });

  it("puts programs sharing a section name in one section", () => {
    const secs = parseSections(writeObject(sharedSection));
    expect(secs.filter((s) => s.name === "xdp")).toHaveLength(1);
    expect(secs.find((s) => s.name === "xdp")!.size).toBe(32);
    expect(secs.find((s) => s.name === "socket")!.size).toBe(16);
  });

  it("dedups BTF types built from CTypes", () => {
    const btf = new BtfBuilder();
    const a = btf.addCType(u32);
    const b = btf.addCType({ kind: "int", name: "u32", size: 4, signed: false });
    expect(a).toBe(b);
    expect(btf.typeCount).toBe(2); // INT "unsigned int" + TYPEDEF "u32"
    btf.addCType({ kind: "array", elem: u32, len: 4 });
    btf.addCType({ kind: "array", elem: u32, len: 4 });
    expect(btf.typeCount).toBe(4); // + __ARRAY_SIZE_TYPE__ + ARRAY
  });

  it("rejects relocations against unknown symbols", () => {
    const bad: ObjectModel = {
      ...xdpOnly,
      programs: [
        {
          ...xdpOnly.programs[0],
          insns: [{ opcode: 0x18, dst: 1, src: 0, off: 0, imm: 0, reloc: { kind: "map", symbol: "nope" } }, ...xdpOnly.programs[0].insns],
        },
      ],
    };
    expect(() => writeObject(bad)).toThrow(/unknown map 'nope'/);
  });
});

// ---------- external tools and the kernel ----------

describe.skipIf(unavailable !== null)("writeObject with llvm-readelf, bpftool and the kernel", () => {
  for (const c of cases) {
    it(`${c.name}: llvm-readelf parses it`, () => {
      const file = writeCase(c.name, c.model);
      const { out, err } = run("llvm-readelf-19", ["-S", "-s", "-r", file]);
      expect(err).not.toMatch(/warning|error/i);
      for (const p of c.progs) expect(out).toMatch(new RegExp(`FUNC\\s+GLOBAL\\s+DEFAULT\\s+\\d+\\s+${p}\\b`));
      for (const m of c.model.maps) expect(out).toMatch(new RegExp(`OBJECT\\s+GLOBAL\\s+DEFAULT\\s+\\d+\\s+${m.name}\\b`));
    });

    it(`${c.name}: bpftool btf dump shows its types`, () => {
      const file = writeCase(c.name, c.model);
      const { out } = run("bpftool", ["btf", "dump", "file", file]);
      for (const re of c.btf) expect(out).toMatch(re);
    });

    it(`${c.name}: libbpf loads it and line info reaches the kernel`, () => {
      const file = writeCase(c.name, c.model);
      const pinDir = `/sys/fs/bpf/tsbpf-elf-${process.pid}-${c.name}`;
      fs.rmSync(pinDir, { recursive: true, force: true });
      try {
        const { out, err } = run("bpftool", ["-d", "prog", "loadall", file, pinDir]);
        const log = out + err;
        expect(log).not.toContain("BTF is optional, ignoring");
        expect(log).not.toMatch(/failed/i);
        expect(log).not.toContain("Retrying without BTF"); // map BTF (key/value ids) accepted by the kernel
        for (const p of c.progs) expect(log).toContain(`prog '${p}': pinned at`);
        const pinned = fs.readdirSync(pinDir).sort();
        expect(pinned).toEqual([...c.progs].sort());
        let xlated = "";
        for (const p of c.progs) xlated += run("bpftool", ["prog", "dump", "xlated", "pinned", path.join(pinDir, p), "linum"]).out;
        for (const text of c.lineText) expect(xlated).toContain(text);
        expect(xlated).toContain("test.bpf.ts");
      } finally {
        fs.rmSync(pinDir, { recursive: true, force: true });
      }
    });
  }
});
