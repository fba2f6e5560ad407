// Synthetic .bpf.ts programs of a given size, for the compile-time benchmark (bench/compile-time.ts).
// Shapes:
//   - "inlined": one XDP program calling N small helper functions that the compiler inlines, so one
//     program body grows with N (the shape that used to compile super-linearly);
//   - "programs": N small XDP programs in one file (many functions, each small);
//   - "flat": one program whose body is N straight-line statement groups written out in place.
// Each generator returns source text of about `lines` lines that compiles and passes the verifier
// at the smaller sizes; the larger "inlined"/"flat" programs exceed the kernel's limits on purpose
// only in instruction count, not in correctness.

const HEADER = `import { xdp, XdpAction, ArrayMap, PerCpuArray, type u32, type u64 } from "tsbpf/bpf";
const table = new ArrayMap<u32>(256);
const hits = new PerCpuArray<u64>(256);
`;
const FOOTER = `export const LICENSE = "GPL";\n`;

/** Seven lines: a table lookup, arithmetic, a branch and a counter. */
function helper(i: number): string {
  return `function step${i}(x: u32): u32 {
  const e = table.lookup((x + ${i}) & 0xff);
  let y: u32 = x ^ ${((i * 2654435761) >>> 0) & 0xffff};
  if (e !== null) y = y + e.value * ${(i % 7) + 1};
  if ((y & ${1 << (i % 8)}) !== 0) y = (y >> 1) | ${i & 0xff};
  return y;
}
`;
}

export function inlined(lines: number): string {
  const n = Math.max(1, Math.round(lines / 8));
  let s = HEADER;
  for (let i = 0; i < n; i++) s += helper(i);
  s += `export const prog = xdp((ctx) => {\n  let x: u32 = ctx.len;\n`;
  for (let i = 0; i < n; i++) s += `  x = step${i}(x);\n`;
  s += `  const h = hits.lookup(x & 0xff);\n  if (h !== null) h.value += 1;\n  return XdpAction.PASS;\n});\n`;
  return s + FOOTER;
}

export function programs(lines: number): string {
  const n = Math.max(1, Math.round(lines / 10));
  let s = HEADER;
  for (let i = 0; i < n; i++) {
    s += `export const prog${i} = xdp((ctx) => {
  const len: u32 = ctx.len;
  const e = table.lookup((len + ${i}) & 0xff);
  if (e === null) return XdpAction.PASS;
  let y: u32 = e.value ^ ${(i * 40503) & 0xffff};
  if ((y & ${1 << (i % 8)}) !== 0) y = y >> 1;
  const h = hits.lookup(y & 0xff);
  if (h !== null) h.value += 1;
  return y > ${i} ? XdpAction.PASS : XdpAction.DROP;
});
`;
  }
  return s + FOOTER;
}

export function flat(lines: number): string {
  const n = Math.max(1, Math.round(lines / 5));
  let s = HEADER + `export const prog = xdp((ctx) => {\n  let x: u32 = ctx.len;\n`;
  for (let i = 0; i < n; i++) {
    s += `  {
    const e${i} = table.lookup((x + ${i}) & 0xff);
    if (e${i} !== null) x = x + e${i}.value * ${(i % 7) + 1};
    x = x ^ ${((i * 2654435761) >>> 0) & 0xffff};
  }
`;
  }
  s += `  const h = hits.lookup(x & 0xff);\n  if (h !== null) h.value += 1;\n  return XdpAction.PASS;\n});\n`;
  return s + FOOTER;
}

export const SHAPES = { inlined, programs, flat } as const;
export type Shape = keyof typeof SHAPES;
