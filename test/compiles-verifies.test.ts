// "If it compiles, it verifies": programs the hostile fuzzer found that compiled but were refused by
// the kernel verifier, now compiled into objects the kernel loads (and checked for behaviour), or
// refused at compile time with a diagnostic.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseBtf } from "../common/btf-reader.js";
import { readElf } from "../common/read-elf.js";
import { GPL_ONLY_HELPERS } from "../compiler/frontend/helper-ids.js";
import { compile } from "../compiler/compile.js";
import { loadObject } from "../runtime/index.js";
import { describeKernel, describeWithBtf } from "./kernel-env.js";

function build(src: string): Uint8Array {
  const r = compile("verify.bpf.ts", src);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.object!;
}

/** An XDP program whose loop() body counts its calls in s.n; the program returns PASS iff n === want. */
const loopProgram = (body: string, want: number) => `import { xdp, XdpAction, loop, type u32 } from "tsbpf/bpf";
interface S { n: u32 }
function step(i: u32, s: S): u32 { s.n += 1; ${body} }
export const p = xdp(() => { const s: S = { n: 0 }; loop(10, step, s); return s.n === ${want} ? XdpAction.PASS : XdpAction.DROP; });
export const LICENSE = "GPL";
`;

describeKernel("loop() body results are stop flags (verifier wants r0 in [0, 1])", () => {
  const cases: [string, string, number][] = [
    ["a constant other than 0/1 stops at once", "return 0x7fffffff;", 1],
    ["0 continues to the end", "return 0;", 10],
    ["a variable result stops on the first non-zero", "return i >= 3 ? i * 7 : 0;", 4],
    ["a wrapped-around variable result (2^32 -> 0) does not stop", "return i * 0x80000000 * 2;", 10],
  ];
  for (const [what, body, want] of cases) {
    it(what, () => {
      using obj = loadObject(build(loopProgram(body, want)));
      expect(obj.programs.get("p")!.run({ data: new Uint8Array(64) }).retval).toBe(2); // XDP_PASS
    });
  }
});

/** XDP: reads byte 0 as `k`, then a 2-byte header at a variable offset; returns DROP iff it reads 0xabcd. */
const headerProgram = (offset: string) => `import { xdp, XdpAction, type u8, type u16 } from "tsbpf/bpf";
interface H { k: u8; b: u8 }
interface W { v: u16 }
export const p = xdp((ctx) => {
  const h = ctx.header<H>(0);
  if (h === null) return XdpAction.PASS;
  const w = ctx.header<W>(${offset});
  if (w === null) return XdpAction.ABORTED;
  return w.v === 0xcdab ? XdpAction.DROP : XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

describeKernel("ctx.header<T>(variable offset): bounded so the verifier grants the checked range", () => {
  const XDP = { ABORTED: 0, DROP: 1, PASS: 2 };
  /** A 256-byte packet: byte 0 = k, bytes [at, at + 2) = ab cd. */
  const pkt = (k: number, at: number) => {
    const d = new Uint8Array(256);
    d[0] = k;
    d[at] = 0xab;
    d[at + 1] = 0xcd;
    return d;
  };
  const run = (offset: string, data: Uint8Array) => {
    using obj = loadObject(build(headerProgram(offset)));
    return obj.programs.get("p")!.run({ data }).retval;
  };

  it("an offset that can exceed 65535 loads; huge values give null, small ones read the packet", () => {
    const off = "14 + (h.k & 0x0f) * 0x7fffffff";
    expect(run(off, pkt(0, 14))).toBe(XDP.DROP);
    expect(run(off, pkt(1, 14))).toBe(XDP.ABORTED); // 14 + 0x7fffffff: out of range -> null
  });

  it("an offset whose maximum is 65535 exactly loads (the bound leaves room for sizeof(T))", () => {
    const off = "h.k * 256 + h.b";
    const d = pkt(0, 100);
    d[1] = 100;
    expect(run(off, d)).toBe(XDP.DROP);
    d[0] = 0xff;
    d[1] = 0xfe; // 65534: 65534 + 2 > 65535, null
    expect(run(off, d)).toBe(XDP.ABORTED);
  });

  it("a typical IHL-scaled offset reads the right bytes", () => {
    const off = "(h.k & 0x0f) * 4";
    expect(run(off, pkt(5, 20))).toBe(XDP.DROP);
    expect(run(off, pkt(6, 20))).toBe(XDP.PASS);
  });
});

/** An XDP program calling `call` (a statement), under `license`. */
const gplProgram = (
  call: string,
  license: string,
  decls = "",
) => `import { xdp, XdpAction, bpfPrintk, ktimeGetNs, fibLookup, zero, type FibLookup, type u64 } from "tsbpf/bpf";
${decls}
export const p = xdp((ctx) => {
  ${call}
  return XdpAction.PASS;
});
export const LICENSE = ${JSON.stringify(license)};
`;

const codes = (src: string) => compile("verify.bpf.ts", src).diagnostics.map((d) => d.code);

describe("GPL-only helpers need a GPL-compatible LICENSE (TSBPF2210)", () => {
  const calls: [string, string][] = [
    ["bpf_trace_printk", `bpfPrintk("len %d", ctx.len);`],
    ["bpf_fib_lookup", `const q: FibLookup = zero<FibLookup>(); const rc = fibLookup(q); if (rc === 99) return XdpAction.DROP;`],
  ];
  for (const [helper, call] of calls) {
    it(`${helper}: an error under "MIT", "Proprietary" and "GPLv2"; none under the kernel's GPL-compatible strings`, () => {
      for (const lic of ["MIT", "Proprietary", "GPLv2", "BSD"]) expect(codes(gplProgram(call, lic))).toContain("TSBPF2210");
      for (const lic of ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"])
        expect(codes(gplProgram(call, lic))).not.toContain("TSBPF2210");
    });
  }

  it("helpers that are not GPL-only compile under any LICENSE", () => {
    expect(codes(gplProgram(`const t: u64 = ktimeGetNs(); if (t === 1) return XdpAction.DROP;`, "MIT"))).toEqual([]);
  });

  it("the diagnostic points at the call and names the license", () => {
    const r = compile("verify.bpf.ts", gplProgram(`bpfPrintk("len %d", ctx.len);`, "MIT"));
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.code === "TSBPF2210")!;
    expect(d.line).toBe(4);
    expect(d.message).toContain('"MIT"');
    expect(d.message).toContain("bpf_trace_printk");
  });
});

describeKernel("GPL-only helpers: the kernel agrees with the table", () => {
  /** Compiles under "GPL", then rewrites the object's license section to `to` (same length). */
  const relicensed = (src: string, to: string): Uint8Array => {
    const obj = build(src);
    const sec = readElf(obj).sectionByName("license")!;
    expect(new TextDecoder().decode(sec.data)).toBe("GPL\0");
    sec.data.set(new TextEncoder().encode(`${to}\0`));
    return obj;
  };
  const calls = [
    `bpfPrintk("len %d", ctx.len);`,
    `const q: FibLookup = zero<FibLookup>(); const rc = fibLookup(q); if (rc === 99) return XdpAction.DROP;`,
  ];

  for (const call of calls) {
    it(`${call.slice(0, 40)}...: loads under "GPL" and "Dual MIT/GPL"; the kernel refuses it under "MIT"`, () => {
      loadObject(build(gplProgram(call, "GPL"))).close();
      loadObject(build(gplProgram(call, "Dual MIT/GPL"))).close();
      expect(() => loadObject(relicensed(gplProgram(call, "GPL"), "MIT")).close()).toThrow(/GPL/);
    });
  }

  it("a helper the table leaves out loads under MIT", () => {
    loadObject(relicensed(gplProgram(`const t: u64 = ktimeGetNs(); if (t === 1) return XdpAction.DROP;`, "GPL"), "MIT")).close();
  });
});

describeWithBtf("GPL_ONLY_HELPERS against the kernel's BTF", () => {
  it("every entry is enum bpf_func_id's id for that name", () => {
    const t = parseBtf(readFileSync("/sys/kernel/btf/vmlinux")).types.find((x) => x.kind === "ENUM" && x.name === "bpf_func_id");
    if (t?.kind !== "ENUM") throw new Error("no enum bpf_func_id");
    const ids = new Map(t.values.map((v) => [v.name.replace(/^BPF_FUNC_/, ""), Number(v.value)]));
    for (const [name, id] of Object.entries(GPL_ONLY_HELPERS)) expect(ids.get(name), `BPF_FUNC_${name}`).toBe(id);
  });
});

describe("GPL-only helpers reached in other ways", () => {
  it("probeReadKernel in a kprobe under MIT reports TSBPF2210; under GPL it compiles", () => {
    const src = (lic: string) => `import { kprobe, probeReadKernel, type u64 } from "tsbpf/bpf";
interface Q { a: u64 }
export const t = kprobe("d_alloc", (ctx) => {
  const q = probeReadKernel<Q>(ctx.arg(1));
  return q === null ? 0 : 1;
});
export const LICENSE = ${JSON.stringify(lic)};
`;
    expect(codes(src("MIT"))).toContain("TSBPF2210");
    expect(codes(src("GPL"))).toEqual([]);
  });

  it("no LICENSE at all: the GPL-only call is an error too (beside the TSBPF3001 warning)", () => {
    const src = gplProgram(`bpfPrintk("x");`, "GPL").replace(/export const LICENSE.*\n/, "");
    expect(codes(src)).toEqual(expect.arrayContaining(["TSBPF2210", "TSBPF3001"]));
  });
});
