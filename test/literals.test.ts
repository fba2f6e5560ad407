// Integer literals: every notation TypeScript reads as an exact integer is that integer (`1e9` for a
// second in nanoseconds, `2.5e3`, `1_000`), and what has a fraction left is a float (TSBPF1010).

import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { parseIntLiteral } from "../compiler/frontend/int-ops.js";
import { loadObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

describe("integer literals", () => {
  it("reads decimal, hex, octal, binary, separators and integer-valued exponent notation exactly", () => {
    const cases: [string, bigint | undefined][] = [
      ["1e9", 1_000_000_000n],
      ["1E2", 100n],
      ["1e+2", 100n],
      ["2.5e3", 2500n],
      ["1.0", 1n],
      ["5.", 5n],
      ["0.0", 0n],
      ["1_000", 1000n],
      ["1e19", 10_000_000_000_000_000_000n],
      ["0x1f", 31n],
      ["0b101", 5n],
      ["0o17", 15n],
      ["1.5", undefined],
      ["1e-3", undefined],
      [".5", undefined],
      ["2.55e1", undefined],
    ];
    for (const [text, want] of cases) expect(parseIntLiteral(text), text).toBe(want);
    // Huge exponents are too large for any type without computing them.
    expect(parseIntLiteral("1e999999999")! > 0xffffffffffffffffn).toBe(true);
  });

  it("a float literal is TSBPF1010 and one past u64 TSBPF2011, with the literal's span", () => {
    const src = (lit: string) => `import { xdp, XdpAction, ArrayMap, type u64 } from "tsbpf/bpf";
const out = new ArrayMap<u64>(1);
export const p = xdp(() => {
  out.update(0, ${lit});
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    for (const [lit, code] of [
      ["1.5e-1", "TSBPF1010"],
      ["1e20", "TSBPF2011"],
    ] as const) {
      const r = compile("lit.bpf.ts", src(lit));
      expect(
        r.diagnostics.map((d) => d.code),
        lit,
      ).toEqual([code]);
      const d = r.diagnostics[0]!;
      expect(src(lit).slice(d.start, d.start + d.length)).toBe(lit);
    }
  });
});

describeKernel("integer literals in the kernel", () => {
  it("`1e9` and `2.5e3` are the integers they denote", () => {
    const r = compile(
      "ns.bpf.ts",
      `import { xdp, XdpAction, ArrayMap, ktimeGetNs, type u64 } from "tsbpf/bpf";
const NS_PER_SEC = 1e9;
const out = new ArrayMap<u64>(2);
export const p = xdp(() => {
  out.update(0, NS_PER_SEC);
  out.update(1, (ktimeGetNs() & 0) + 2.5e3);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`,
    );
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    obj.programs.get("p")!.run({ data: new Uint8Array(64) });
    const out = obj.maps.get("out")!;
    const read = (k: number) => Buffer.from(out.lookup(new Uint8Array([k, 0, 0, 0]))!).readBigUInt64LE();
    expect([read(0), read(1)]).toEqual([1_000_000_000n, 2500n]);
  });
});
