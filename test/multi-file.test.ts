// Multi-file programs: examples/udp-ports/udp-ports.bpf.ts imports types, an enum and constants from
// ./common.ts and a @noinline and an inlined function from ./parse.ts. One object for the entry
// file, loaded into the kernel and run on packets; diagnostics and line info point into the file
// the code came from; the skeleton carries the imported struct types.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { readElf } from "../common/read-elf.js";
import { loadObject, VerifierError } from "../runtime/index.js";
import { readLineInfo } from "../runtime/verifier-log.js";
import { skeletonFor } from "../compiler/tools/skeleton.js";
import { bpfModuleCode, BuildError } from "../compiler/tools/bundler-plugin.js";
import { describeKernel } from "./kernel-env.js";
import { eth, ipv4, packet, payload, tcp, udp } from "../testing/index.js";

const DIR = path.join(import.meta.dirname, "..", "examples", "udp-ports");
const ENTRY = path.join(DIR, "udp-ports.bpf.ts");
const build = (file: string) => compile(file, fs.readFileSync(file, "utf8"));

/** Ethernet + IPv4 + UDP to `dport`, `total` bytes long. */
const udpTo = (dport: number, total = 64) => packet(eth(), ipv4(), udp({ dport }), payload(total - 42));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsbpf-multi-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A throwaway project: `files` name -> text; returns the entry's diagnostics. */
function project(files: Record<string, string>, entry: string) {
  const dir = fs.mkdtempSync(path.join(tmp, "p"));
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), t);
  return { dir, result: build(path.join(dir, entry)) };
}

const ENTRY_SRC = (imp: string, body = "  return XdpAction.PASS;") =>
  `import { xdp, XdpAction, type u32 } from "tsbpf/bpf";\n${imp}\nexport const prog = xdp((ctx) => {\n${body}\n});\nexport const LICENSE = "GPL";\n`;

describe("multi-file programs: compile", () => {
  it("builds one object for the entry file with the imported @noinline function in .text", () => {
    const r = build(ENTRY);
    expect(r.diagnostics).toEqual([]);
    expect(r.programs.map((p) => p.name)).toEqual(["count_ports"]);
    const elf = readElf(r.object!);
    expect(
      elf.symbols
        .filter((s) => s.type === 2)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["count_ports", "portIndex"]);
  });

  it("line info names the file each instruction came from", () => {
    const info = readLineInfo(build(ENTRY).object!);
    const text = info.records.get(".text")!;
    expect(text.length).toBeGreaterThan(0);
    expect(new Set(text.map((r) => path.resolve(r.file)))).toEqual(new Set([path.join(DIR, "parse.ts")]));
    expect(text.some((r) => r.text.includes("return port % MAX_PORTS;"))).toBe(true);
    const xdp = info.records.get("xdp")!;
    expect(xdp.every((r) => path.resolve(r.file) === ENTRY || path.resolve(r.file) === path.join(DIR, "parse.ts"))).toBe(true);
    // destPort() is inlined: its line shows up inside the program, under its own file.
    expect(xdp.some((r) => r.text.includes("ntohs(udp.dest)") && r.file.endsWith("parse.ts"))).toBe(true);
  });

  it("an error in an imported function points into that file", () => {
    const { dir, result } = project(
      {
        "lib.ts": `import type { u32 } from "tsbpf/bpf";\n/** @noinline */\nexport function spin(n: u32): u32 {\n  let x: u32 = 0;\n  while (x < n) { x++; }\n  return x;\n}\n`,
        "main.bpf.ts": ENTRY_SRC(`import { spin } from "./lib.ts";`, "  return spin(ctx.len) > 3 ? XdpAction.DROP : XdpAction.PASS;"),
      },
      "main.bpf.ts",
    );
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([expect.objectContaining({ code: "TSBPF2001", file: path.join(dir, "lib.ts"), line: 5, col: 10 })]);
  });

  it("tsc's and the subset's errors in an imported module point into it", () => {
    const typeErr = project(
      {
        "c.ts": `import type { u8 } from "tsbpf/bpf";\nexport function f(): u8 { return missing; }\n`,
        "main.bpf.ts": ENTRY_SRC(`import { f } from "./c.ts";`),
      },
      "main.bpf.ts",
    ).result;
    expect(typeErr.diagnostics[0]).toMatchObject({ code: "TS2304", line: 2 });
    expect(typeErr.diagnostics[0].file.endsWith("c.ts")).toBe(true);
    const subset = project(
      {
        "c.ts": `export class K {}\nexport const A = 1;\n`,
        "main.bpf.ts": ENTRY_SRC(`import { A } from "./c";`, "  return A === 1 ? XdpAction.PASS : XdpAction.DROP;"),
      },
      "main.bpf.ts",
    ).result;
    expect(subset.diagnostics).toEqual([expect.objectContaining({ code: "TSBPF1001", line: 1, col: 1 })]);
    expect(subset.diagnostics[0].file.endsWith("c.ts")).toBe(true);
  });

  it("a map or a global in an imported module is TSBPF1070 at its name", () => {
    const { result } = project(
      {
        "m.ts": `import { HashMap, type u32, type u64 } from "tsbpf/bpf";\nexport const counts = new HashMap<u32, u64>(8);\nexport let total: u64 = 0;\nexport const OK = 3;\n`,
        "main.bpf.ts": ENTRY_SRC(`import { OK } from "./m.ts";`, "  return OK === 3 ? XdpAction.PASS : XdpAction.DROP;"),
      },
      "main.bpf.ts",
    );
    expect(result.diagnostics.map((d) => [d.code, d.line, d.message])).toEqual([
      ["TSBPF1070", 2, "'counts' is declared in an imported module; maps, globals, programs and LICENSE belong in the entry file"],
      ["TSBPF1070", 3, "'total' is declared in an imported module; maps, globals, programs and LICENSE belong in the entry file"],
    ]);
  });

  it("imports may be written ./x.ts, ./x.js or ./x", () => {
    for (const spec of ["./k.ts", "./k.js", "./k"]) {
      const { result } = project(
        {
          "k.ts": `export const enum K { A = 7 }\n`,
          "main.bpf.ts": ENTRY_SRC(`import { K } from "${spec}";`, "  return ctx.len === K.A ? XdpAction.DROP : XdpAction.PASS;"),
        },
        "main.bpf.ts",
      );
      expect(result.diagnostics, spec).toEqual([]);
    }
  });

  it("the skeleton follows the imports: the imported struct type is in it", () => {
    const skel = skeletonFor(ENTRY, fs.readFileSync(ENTRY, "utf8")).text!;
    expect(skel).toContain("export interface PortStat {");
    // The example's committed skeleton is what `tsbpf gen examples/udp-ports/udp-ports.bpf.ts` writes now.
    expect(fs.readFileSync(path.join(DIR, "udp-ports.skel.ts"), "utf8")).toBe(
      skeletonFor(ENTRY, fs.readFileSync(ENTRY, "utf8"), { sourceName: "udp-ports.bpf.ts" }).text,
    );
    expect(skel).toContain("readonly ports: rt.TypedMap<number, PortStat>;");
  });
});

describe("multi-file programs: bundler plugin", () => {
  it("reports the files a ?bpf import read (to watch them) and shows errors in the module's own text", () => {
    const ok = bpfModuleCode(ENTRY, fs.readFileSync(ENTRY, "utf8"));
    expect(ok.files.map((f) => path.resolve(f)).sort()).toEqual([ENTRY, path.join(DIR, "common.ts"), path.join(DIR, "parse.ts")].sort());
    const { dir } = project(
      {
        "lib.ts": `import type { u32 } from "tsbpf/bpf";\nexport function spin(n: u32): u32 {\n  let x: u32 = 0;\n  while (x < n) { x++; }\n  return x;\n}\n`,
        "main.bpf.ts": ENTRY_SRC(`import { spin } from "./lib.ts";`, "  return spin(ctx.len) > 3 ? XdpAction.DROP : XdpAction.PASS;"),
      },
      "main.bpf.ts",
    );
    const main = path.join(dir, "main.bpf.ts");
    let err: unknown;
    try {
      bpfModuleCode(main, fs.readFileSync(main, "utf8"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BuildError);
    expect((err as BuildError).message).toContain("lib.ts:4:10 - error TSBPF2001");
    expect((err as BuildError).message).toContain("4   while (x < n) { x++; }");
    expect((err as BuildError).files!.map((f) => path.basename(f)).sort()).toEqual(["lib.ts", "main.bpf.ts"]);
  });
});

describeKernel("multi-file programs: in the kernel", () => {
  it("loads, counts UDP packets per port and drops port 9", () => {
    const obj = loadObject(build(ENTRY).object!, { name: `multi${process.pid}` });
    try {
      const prog = obj.programs.get("count_ports")!;
      expect(prog.run({ data: udpTo(53) }).retval).toBe(2); // XDP_PASS
      expect(prog.run({ data: udpTo(53, 100) }).retval).toBe(2);
      expect(prog.run({ data: udpTo(9) }).retval).toBe(1); // XDP_DROP
      expect(prog.run({ data: packet(eth(), ipv4(), tcp({ dport: 53 })) }).retval).toBe(2); // TCP: not counted
      const ports = obj.typed.ports;
      expect(ports.get(53)).toEqual({ packets: 2n, bytes: 164n });
      expect(ports.get(9)).toEqual({ packets: 1n, bytes: 64n });
      expect(ports.get(6)).toEqual({ packets: 0n, bytes: 0n });
    } finally {
      obj.close();
    }
  });

  it("a rejection inside the imported @noinline function names that file, line and column", () => {
    // Make portIndex's first instruction read memory through its integer argument (r0 = *(u32 *)(r1 + 0)).
    const bytes = build(ENTRY).object!.slice();
    const text = readElf(bytes).sectionByName(".text")!;
    bytes.set([0x61, 0x10, 0, 0, 0, 0, 0, 0], text.offset);
    let err: unknown;
    try {
      loadObject(bytes, { name: `multibad${process.pid}` }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifierError);
    const v = err as VerifierError;
    expect(v.source).toMatchObject({ line: 7, col: 3, text: "  return port % MAX_PORTS;" });
    expect(path.resolve(v.source!.file)).toBe(path.join(DIR, "parse.ts"));
    expect(v.reason).toBe("R1 invalid mem access 'scalar'");
    expect(v.hint).toMatch(/plain number is used as a pointer/);
  });
});
