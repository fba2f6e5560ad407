// if-convert: a `?:` on data in a loop whose value goes into a guarded packet offset becomes
// arithmetic (compiler/passes/if-convert.ts). The condition's 0/1 arithmetic is checked against
// the branch's meaning on every compare and width; the pass's shape on IR text; and in the kernel,
// programs with such an offset (plain, `a || b`, nested) compute the same results and cost the
// verifier about a thousand instructions where the branches cost it 25,062 to 128,463; so do loops
// that carry and compare a count, a running maximum or a pick.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { checkFunc } from "../compiler/ir/check.js";
import type { CondOp, Func, Inst, Value } from "../compiler/ir/ir.js";
import { parseFunc } from "../compiler/ir/parse.js";
import { printFunc } from "../compiler/ir/print.js";
import { evalCond } from "../compiler/passes/const-fold.js";
import { condition01, ifConvert } from "../compiler/passes/if-convert.js";
import { loadObject, readU64, u32le, u64le } from "../runtime/index.js";
import { describeKernel, kernelTest } from "./kernel-env.js";
import { COND_OPS } from "./support/ir-gen.js";
import { runIr } from "./support/ir-interp.js";
import { verify } from "./support/verifier-verdict.js";

/** `func f(a, b) { ret (a cond b) as 0/1 }` built with condition01; `imm`: b as an immediate. */
function condFunc(cond: CondOp, width: 32 | 64, ty: "i32" | "i64", b: bigint | undefined): Func {
  const a: Value = { id: 0, ty };
  const bv: Value = { id: 1, ty };
  const f: Func = { name: "f", params: [a, bv], blocks: [], slots: [], nextId: 2 };
  const out: Inst[] = [];
  const r = condition01(f, out, cond, width, a, b === undefined ? bv : { imm: b });
  f.blocks.push({ id: 0, phis: [], insts: out, term: { op: "ret", value: r } });
  return f;
}

const edge = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, 5n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n),
);

describe("if-convert: the condition as 0/1 arithmetic", () => {
  it("agrees with the branch on every compare, 32 and 64 bits, register or immediate", () => {
    fc.assert(
      fc.property(fc.constantFrom(...COND_OPS), fc.constantFrom(32, 64), edge, edge, fc.boolean(), (cond, width, a0, b0, asImm) => {
        const ty = width === 32 ? "i32" : "i64";
        const a = width === 32 ? BigInt.asUintN(32, a0) : a0;
        const b = width === 32 ? BigInt.asUintN(32, b0) : b0;
        // An immediate is what the IR keeps: at most 32 bits, sign-extended for a 64-bit compare.
        const bImm = asImm ? BigInt.asIntN(32, b) : undefined;
        const bRun = bImm === undefined ? b : width === 32 ? BigInt.asUintN(32, bImm) : BigInt.asUintN(64, bImm);
        const f = condFunc(cond, width, ty, bImm);
        expect(checkFunc(f)).toEqual([]);
        const got = runIr(f, { args: [a, bRun] });
        expect(got, `${a} ${cond}.${width} ${bRun}`).toBe(evalCond(cond, width, a, bRun) ? 1n : 0n);
      }),
      { numRuns: 3000 },
    );
  });
});

const loop = (use: string) => `func f(%0:ptr, %20:ptr) {
b0:
  %1:ptr = ctxptr %0, 0
  %2:ptr = ctxptr %0, 4
  %3:i32 = load.1 %20, 0
  br b1
b1:
  %4:i32 = phi [b0: 0], [b5: %12]
  %5:i32 = phi [b0: %3], [b5: %11]
  cbr slt.32 %4, 16 -> b2, b6
b2:
  cbr ugt.32 %5, 5 -> b4, b3
b3:
  br b4
b4:
  %6:i32 = phi [b3: 60], [b2: %5]
  %7:i32 = and %6, 31
  %8:i32 = add %7, %4
  %9:i64 = zext %8
  ${use}
  cbr ugt.64 %9, 65533 -> b6, b7
b7:
  %10:ptr = ptradd %1, %9
  %13:ptr = ptradd %10, 1
  cbr ugt.64 %13, %2 -> b6, b5
b5:
  %14:i32 = load.1 %10, 0
  %11:i32 = add %5, %14
  %12:i32 = add %4, 1
  br b1
b6:
  ret 0
}`;

describe("if-convert on IR", () => {
  it("turns a ?: in a loop whose value reaches a guarded packet offset into arithmetic", () => {
    const f = parseFunc(loop(""));
    expect(ifConvert(f)).toBe(true);
    expect(checkFunc(f)).toEqual([]);
    const text = printFunc(f);
    expect(text).not.toContain("cbr ugt.32 %5, 5");
    expect(text).not.toMatch(/^b3:/m);
    expect(text).toMatch(/%6:i32 = xor 60, %\d+/);
  });

  it("takes a condition made of `a || b` too: both compares become one 0/1 value", () => {
    const text = loop("")
      .replace("cbr ugt.32 %5, 5 -> b4, b3", "cbr ugt.32 %5, 5 -> b4, b8\nb8:\n  %30:i32 = load.1 %20, 1\n  cbr ugt.32 %30, %4 -> b4, b3")
      .replace("%6:i32 = phi [b3: 60], [b2: %5]", "%6:i32 = phi [b3: 60], [b2: %5], [b8: %5]");
    const f = parseFunc(text);
    expect(checkFunc(f)).toEqual([]);
    expect(ifConvert(f)).toBe(true);
    expect(checkFunc(f)).toEqual([]);
    const out = printFunc(f);
    expect(out).not.toMatch(/^b8:/m);
    expect(out).not.toMatch(/cbr ugt\.32 %(5|30),/);
  });

  it("takes a value also stored (a map's value, a field: no exact value needed there)", () => {
    const f = parseFunc(loop("store.4 %20, 0, %6"));
    expect(ifConvert(f)).toBe(true);
    expect(checkFunc(f)).toEqual([]);
    expect(printFunc(f)).not.toContain("cbr ugt.32 %5, 5");
  });

  it("keeps the branch when the value is also a helper's argument (the verifier would see only a range where the helper may need one of two values)", () => {
    const f = parseFunc(loop("%31:i64 = zext %6\n  %32:i64 = call 6 (%31, 4)"));
    expect(checkFunc(f)).toEqual([]);
    expect(ifConvert(f)).toBe(false);
  });

  it("keeps the branch outside loops", () => {
    // The loop's back edge goes to the exit instead: the same diamond, in straight-line code.
    const text = loop("")
      .replace("%12:i32 = add %4, 1\n  br b1", "%12:i32 = add %4, 1\n  br b6")
      .replace("[b0: 0], [b5: %12]", "[b0: 0]")
      .replace("[b0: %3], [b5: %11]", "[b0: %3]");
    const f = parseFunc(text);
    expect(checkFunc(f)).toEqual([]);
    expect(ifConvert(f)).toBe(false);
  });
});

/** The `?:`s tried: the fuzzer's (program 1126 of seed 20261230), one whose condition is `a || b`, a nested one, one of two constants (fuzz:cost seed 20261261 #5545), one of a constant with all-ones low bits (the differential fuzzer's seed 20261264), one under a byte swap (seed 20261360). */
const SHAPES = {
  plain: { ts: "(5 < acc) ? acc : u16(60)", js: (acc: number, _k: number) => (5 < acc ? acc : 60) },
  or: { ts: "(5 < acc || k > 60) ? acc : u16(60)", js: (acc: number, k: number) => (5 < acc || k > 60 ? acc : 60) },
  nested: {
    ts: "(5 < acc) ? ((acc & 1) === 1 ? acc : u16(7)) : u16(60)",
    js: (acc: number, _k: number) => (5 < acc ? ((acc & 1) === 1 ? acc : 7) : 60),
  },
  // Two constants: selected with an `and` of the negated 0/1 value, the verifier forked at the
  // `and` (a [-1, 0] value and a constant) and processed 44,366 instructions.
  constants: { ts: "(5 < acc) ? u16(30) : u16(2)", js: (acc: number, _k: number) => (5 < acc ? 30 : 2) },
  // A constant whose low 32 bits are all ones: `c * K` is -1 or 0 there, and the mask forked the
  // verifier until bit-fold moved it into the multiply (refused at 1M before; the JavaScript side
  // gives K & 31 directly).
  onesLow: { ts: "(5 < acc) ? u64(9223372036854775807) : u64(0)", js: (acc: number, _k: number) => (5 < acc ? 31 : 0) },
  // Through a byte swap (differential seed 20261360: `ntohs(c ? 167 : C) & 31`): the pass did not
  // follow `bswap`, and with more in the body the branches were refused at 24 trips.
  swapped: { ts: "ntohs((5 < acc) ? u16(4096) : u16(768))", js: (acc: number, _k: number) => (5 < acc ? 16 : 3) },
} as const;

/** A loop reading the packet at an offset chosen by the `?:` of `shape` on a value the loop changes. */
const SRC = (trips: number, shape: keyof typeof SHAPES) => `import { xdp, XdpAction, ArrayMap, ntohs, u16, u64, type u32 } from "tsbpf/bpf";
const results = new ArrayMap<u32>(1);
export const prog = xdp((ctx) => {
  let acc: u32 = ctx.len & 7;
  for (let k: u16 = 0; k < ${trips * 3}; k += 3) {
    const b = ctx.header<u16>(((${SHAPES[shape].ts}) & 31) + 20 + k);
    if (b === null) break;
    acc = acc * 31 + b;
  }
  results.update(0, acc);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

/** The same in JavaScript, on a packet. */
function expected(pkt: Uint8Array, trips: number, shape: keyof typeof SHAPES): number {
  let acc = pkt.length & 7;
  for (let k = 0; k < trips * 3; k += 3) {
    const off = (SHAPES[shape].js(acc, k) & 31) + 20 + k;
    if (off + 2 > pkt.length) break;
    acc = (Math.imul(acc, 31) + (pkt[off]! | (pkt[off + 1]! << 8))) >>> 0;
  }
  return acc;
}

/** Loads `object`, runs its program `prog` on each packet in turn, and reads `results[0]` (a u32) after each run. */
function resultsAfterRuns(object: Uint8Array, packets: readonly Uint8Array[]): number[] {
  const obj = loadObject(object);
  try {
    const prog = obj.programs.get("prog")!;
    const results = obj.maps.get("results")!;
    return packets.map((pkt) => {
      prog.run({ data: pkt });
      const cell = results.lookup(new Uint8Array(4))!;
      return new DataView(cell.buffer, cell.byteOffset).getUint32(0, true);
    });
  } finally {
    obj.close();
  }
}

describeKernel("if-convert in the kernel", () => {
  kernelTest(
    "a ?: in a loop's packet offset (plain, with ||, nested, of constants, of a constant with all-ones low bits, through a byte swap): the same results as the branches would give, and a few thousand instructions for the verifier over 39 trips (with the branches: 25,062, 94,983, 128,463 and, byte-swapped, 67,057)",
    () => {
      for (const shape of Object.keys(SHAPES) as (keyof typeof SHAPES)[]) {
        const r = compile("ifconv.bpf.ts", SRC(39, shape));
        expect(r.diagnostics).toEqual([]);
        const v = verify(r.object!);
        expect("processed" in v && v.processed < 10_000, `${shape}: ${JSON.stringify(v)}`).toBe(true);
        const packets = (
          [
            [64, 1],
            [180, 7],
            [30, 3],
            [200, 11],
            [150, 5],
          ] as const
        ).map(([len, seed]) => new Uint8Array(len).map((_, i) => (i * 37 + seed * 101) & 255));
        const got = resultsAfterRuns(r.object!, packets);
        packets.forEach((pkt, k) => expect(got[k], `${shape}, packet of ${pkt.length}`).toBe(expected(pkt, 39, shape)));
      }
    },
    60_000,
  );
});

/** A `?:` in the packet offset whose side writes the local it reads (differential seed 20261364). */
const WRITES = (trips: number) => `import { xdp, XdpAction, ArrayMap, type u8, type u32 } from "tsbpf/bpf";
const results = new ArrayMap<u32>(1);
export const prog = xdp((ctx) => {
  const h = ctx.header<u32>(0);
  if (h === null) return XdpAction.ABORTED;
  let acc: u32 = ctx.len & 7;
  for (let k: u32 = 0; k < ${trips * 3}; k += 3) {
    const b = ctx.header<u8>((((h > 100) ? acc-- : acc * acc) & 31) + 20 + k);
    if (b === null) break;
    acc -= b;
  }
  results.update(0, acc);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

/** The same in JavaScript, on a packet. */
function expectedWrites(pkt: Uint8Array, trips: number): number {
  const h = new DataView(pkt.buffer).getUint32(0, true);
  let acc = pkt.length & 7;
  for (let k = 0; k < trips * 3; k += 3) {
    let v: number;
    if (h > 100) {
      v = acc;
      acc = (acc - 1) >>> 0;
    } else v = Math.imul(acc, acc) >>> 0;
    const off = (v & 31) + 20 + k;
    if (off + 1 > pkt.length) break;
    acc = (acc - pkt[off]!) >>> 0;
  }
  return acc;
}

describeKernel("if-convert of a side that writes a local in the kernel", () => {
  kernelTest(
    "`(h > 100 ? acc-- : acc * acc) & 31` in a loop's packet offset, acc then stored: the same results as the branch, and about a thousand instructions for the verifier over 39 trips (with the branch: refused)",
    () => {
      // Differential seed 20261364 had `(c ? --acc5 : acc5 * acc5) & 31` in a 28-trip loop, refused
      // with no warning: the pass took no side that writes a local, nor a carried value stored after
      // the loop. Linux 6.18 with the branch, this program: refused at 39 trips; now 1,172.
      const r = compile("ifconv-writes.bpf.ts", WRITES(39));
      expect(r.diagnostics).toEqual([]);
      const v = verify(r.object!);
      expect("processed" in v && v.processed < 5_000, JSON.stringify(v)).toBe(true);
      const packets = (
        [
          [64, 7],
          [180, 200],
          [30, 101],
          [200, 50],
          [150, 1000],
        ] as const
      ).map(([len, first]) => {
        const pkt = new Uint8Array(len).map((_, i) => (i * 37 + len * 11) & 255);
        new DataView(pkt.buffer).setUint32(0, first, true);
        return pkt;
      });
      const got = resultsAfterRuns(r.object!, packets);
      packets.forEach((pkt, k) => expect(got[k], `packet of ${pkt.length}`).toBe(expectedWrites(pkt, 39)));
    },
    60_000,
  );
});

/** Counts the set bits of `bytes` packet bytes, a branch per bit, then compares the count (`n > limit`). */
const BITS = (bytes: number, limit: number) => `import { xdp, XdpAction, ArrayMap, u64, type u8, type u32 } from "tsbpf/bpf";
const out = new ArrayMap<u64>(2);
export const prog = xdp((ctx) => {
  let n: u32 = 0;
  for (let i: u32 = 0; i < ${bytes}; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    for (let j: u32 = 0; j < 8; j++) if ((b & (1 << j)) !== 0) n++;
  }
  if (n > ${limit}) out.update(1, 1);
  out.update(0, u64(n));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

describeKernel("if-convert of a counted bit test in the kernel", () => {
  kernelTest(
    "`if ((b & (1 << j)) !== 0) n++` over packet bytes, then `n > limit`: the same counts and the same compare as the branch, and a few hundred instructions a byte for the verifier (with the branch: 998,676 at 4 bytes, refused at 6)",
    () => {
      for (const [bytes, limit, cap] of [
        [4, 100, 2_000],
        [64, 100, 20_000],
        [256, 300, 60_000],
      ] as const) {
        const r = compile("bits.bpf.ts", BITS(bytes, limit));
        expect(r.diagnostics).toEqual([]);
        // Measured on Linux 6.18: 366, 5,606 and 22,310 processed (578, 8,678 and 34,598 before the
        // shorter 0/1 of a 32-bit compare and the count's `n + c`).
        const v = verify(r.object!);
        expect("processed" in v && v.processed, `${bytes} bytes: ${JSON.stringify(v)}`).toBeLessThan(cap);
        const obj = loadObject(r.object!);
        try {
          const prog = obj.programs.get("prog")!;
          const out = obj.maps.get("out")!;
          for (const len of [14, 15, 17, 40, 100, 300]) {
            const pkt = new Uint8Array(len).map((_, i) => (i * 73 + len) & 255);
            const key = (k: number) => new Uint8Array(new Uint32Array([k]).buffer);
            for (const k of [0, 1]) out.update(key(k), new Uint8Array(8));
            prog.run({ data: pkt });
            let n = 0;
            for (let i = 14; i < Math.min(len, 14 + bytes); i++) for (let j = 0; j < 8; j++) if (pkt[i]! & (1 << j)) n++;
            const cell = (k: number) => {
              const c = out.lookup(key(k))!;
              return new DataView(c.buffer, c.byteOffset).getBigUint64(0, true);
            };
            expect(cell(0), `${bytes} bytes, packet of ${len}`).toBe(BigInt(n));
            expect(cell(1), `${bytes} bytes, packet of ${len}: n > ${limit}`).toBe(n > limit ? 1n : 0n);
          }
        } finally {
          obj.close();
        }
      }
    },
    60_000,
  );
});

/**
 * Values a loop carries and compares, set under a one-compare condition on data: each program
 * stores what it found in out[0] and out[1]; `js` computes the same from the packet.
 */
const CARRIED = {
  count: {
    body: "if (b === 10) n++;",
    after: "if (n > 3) out.update(1, 1);\n  out.update(0, u64(n));",
    js: (p: Uint8Array, n: number): [number, number] => {
      let c = 0;
      for (let i = 0; i < n && 14 + i < p.length; i++) if (p[14 + i] === 10) c++;
      return [c, c > 3 ? 1 : 0];
    },
  },
  count3: {
    body: "if (b < 48) n += 3;",
    after: "if (n > 30) out.update(1, 1);\n  out.update(0, u64(n));",
    js: (p: Uint8Array, n: number): [number, number] => {
      let c = 0;
      for (let i = 0; i < n && 14 + i < p.length; i++) if (p[14 + i]! < 48) c += 3;
      return [c, c > 30 ? 1 : 0];
    },
  },
  digits: {
    body: "if (b >= 48 && b <= 57) n++;",
    after: "if (n > 8) out.update(1, 1);\n  out.update(0, u64(n));",
    js: (p: Uint8Array, n: number): [number, number] => {
      let c = 0;
      for (let i = 0; i < n && 14 + i < p.length; i++) if (p[14 + i]! >= 48 && p[14 + i]! <= 57) c++;
      return [c, c > 8 ? 1 : 0];
    },
  },
  max: {
    body: "if (b > n) n = b;",
    after: "out.update(0, u64(n));",
    js: (p: Uint8Array, n: number): [number, number] => {
      let m = 0;
      for (let i = 0; i < n && 14 + i < p.length; i++) if (p[14 + i]! > m) m = p[14 + i]!;
      return [m, 0];
    },
  },
  pick: {
    body: "if (b === 10) at = i;",
    after: "if (at > 5) out.update(1, u64(at));\n  out.update(0, u64(at));",
    js: (p: Uint8Array, n: number): [number, number] => {
      let at = 0;
      for (let i = 0; i < n && 14 + i < p.length; i++) if (p[14 + i] === 10) at = i;
      return [at, at > 5 ? at : 0];
    },
  },
} as const;

const CARRIED_SRC = (
  trips: number,
  shape: keyof typeof CARRIED,
) => `import { xdp, XdpAction, ArrayMap, u64, type u8, type u32 } from "tsbpf/bpf";
const out = new ArrayMap<u64>(2);
export const prog = xdp((ctx) => {
  let n: u32 = 0;
  let at: u32 = 0;
  for (let i: u32 = 0; i < ${trips}; i++) {
    const b = ctx.header<u8>(14 + i);
    if (b === null) break;
    ${CARRIED[shape].body}
  }
  ${CARRIED[shape].after}
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

describeKernel("if-convert of carried, compared values in the kernel", () => {
  kernelTest(
    "a count (by 1, by 3, under `a && b`), a running maximum and a pick over 512 bytes verify in a few thousand instructions and give what JavaScript gives (with the branch: a count was refused from 26 bytes, a maximum from 400)",
    () => {
      for (const shape of Object.keys(CARRIED) as (keyof typeof CARRIED)[]) {
        const r = compile("carried.bpf.ts", CARRIED_SRC(512, shape));
        expect(r.diagnostics, shape).toEqual([]);
        const v = verify(r.object!);
        expect("processed" in v && v.processed, `${shape}: ${JSON.stringify(v)}`).toBeLessThan(30_000);
        const obj = loadObject(r.object!);
        try {
          const prog = obj.programs.get("prog")!;
          const out = obj.maps.get("out")!;
          fc.assert(
            fc.property(fc.uint8Array({ minLength: 14, maxLength: 600 }), fc.constantFrom(10, 20, 47, 50, 200), (body, hot) => {
              // Bytes of interest often enough to count.
              const pkt = body.map((x, i) => (i % 5 === 0 ? hot : x));
              for (const k of [0, 1]) out.update(u32le(k), u64le(0n));
              prog.run({ data: pkt });
              const got = [0, 1].map((k) => Number(readU64(out.lookup(u32le(k))!)));
              expect(got, `${shape}, ${pkt.length} bytes`).toEqual(CARRIED[shape].js(pkt, 512));
            }),
            { numRuns: 60 },
          );
        } finally {
          obj.close();
        }
      }
    },
    120_000,
  );
});
