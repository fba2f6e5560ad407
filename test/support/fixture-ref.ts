// An independent model of tsbpf's integer semantics (C's usual arithmetic conversions, wrapping at
// the result type's width, BPF's division/modulo by zero) in BigInt, used by the kernel fixture
// tests to compute expected values from the same inputs the BPF program reads from the packet.

export interface IntT {
  readonly name: "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64";
  readonly bits: 8 | 16 | 32 | 64;
  readonly signed: boolean;
}

const mk = (name: IntT["name"], bits: IntT["bits"], signed: boolean): IntT => ({ name, bits, signed });
export const T = {
  u8: mk("u8", 8, false),
  u16: mk("u16", 16, false),
  u32: mk("u32", 32, false),
  u64: mk("u64", 64, false),
  i8: mk("i8", 8, true),
  i16: mk("i16", 16, true),
  i32: mk("i32", 32, true),
  i64: mk("i64", 64, true),
} as const;
export const ALL_TYPES: readonly IntT[] = [T.u8, T.u16, T.u32, T.u64, T.i8, T.i16, T.i32, T.i64];

/** A typed value: `v` is the mathematical value, always inside t's range. */
export interface CV {
  readonly t: IntT;
  readonly v: bigint;
}

export const wrap = (t: IntT, v: bigint): bigint => (t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v));
export const cv = (t: IntT, v: bigint | number): CV => ({ t, v: wrap(t, BigInt(v)) });
export const minOf = (t: IntT): bigint => (t.signed ? -(1n << BigInt(t.bits - 1)) : 0n);
export const maxOf = (t: IntT): bigint => (t.signed ? (1n << BigInt(t.bits - 1)) - 1n : (1n << BigInt(t.bits)) - 1n);

/** Integer promotion: narrower than int becomes int. */
export const promote = (t: IntT): IntT => (t.bits < 32 ? T.i32 : t);

/** C's usual arithmetic conversions. */
export function common(a: IntT, b: IntT): IntT {
  a = promote(a);
  b = promote(b);
  if (a === b) return a;
  if (a.bits !== b.bits) return a.bits > b.bits ? a : b;
  return a.signed ? b : a;
}

/** Conversion (assignment, u8(x), ...): truncate or wrap into the target type. */
export const conv = (t: IntT, x: CV): CV => cv(t, x.v);

export type ArithOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>" | ">>>";

/** `a op b` with C conversions; / and % follow BPF (x/0 = 0, x%0 = x); shift counts masked. */
export function bin(op: ArithOp, a: CV, b: CV): CV {
  if (op === "<<" || op === ">>" || op === ">>>") {
    const t = promote(a.t);
    const x = conv(t, a).v;
    const n = BigInt.asUintN(64, b.v) & BigInt(t.bits - 1);
    if (op === "<<") return cv(t, x << n);
    if (op === ">>>") return cv(t, BigInt.asUintN(t.bits, x) >> n);
    return cv(t, x >> n); // arithmetic for signed (BigInt >> floors), logical for unsigned values
  }
  const t = common(a.t, b.t);
  const x = conv(t, a).v;
  const y = conv(t, b).v;
  switch (op) {
    case "+":
      return cv(t, x + y);
    case "-":
      return cv(t, x - y);
    case "*":
      return cv(t, x * y);
    case "/":
      return cv(t, y === 0n ? 0n : x / y); // BigInt division truncates like C
    case "%":
      return cv(t, y === 0n ? x : x % y);
    case "&":
      return cv(t, x & y);
    case "|":
      return cv(t, x | y);
    case "^":
      return cv(t, x ^ y);
  }
}

export const neg = (a: CV): CV => cv(promote(a.t), -a.v);
export const bnot = (a: CV): CV => cv(promote(a.t), ~a.v);

export type CmpOp = "<" | "<=" | ">" | ">=" | "===" | "!==";
/** Comparison in the common type (signed iff the common type is signed). */
export function cmp(op: CmpOp, a: CV, b: CV): boolean {
  const t = common(a.t, b.t);
  const x = conv(t, a).v;
  const y = conv(t, b).v;
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
    case "===":
      return x === y;
    case "!==":
      return x !== y;
  }
}

/** What `results.update(k, x)` stores in an ArrayMap<u64>: x converted to u64. */
export const toU64 = (x: CV | bigint | boolean): bigint =>
  typeof x === "boolean" ? (x ? 1n : 0n) : typeof x === "bigint" ? BigInt.asUintN(64, x) : BigInt.asUintN(64, x.v);

// ------------------------------------------------------------------------------------ packets

export type Field = readonly [IntT, bigint | number];

/** Lays out fields with C alignment (little-endian, as the host reads packet memory). */
export function packStruct(fields: readonly Field[], total = 64): Uint8Array {
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const [t, raw] of fields) {
    const size = t.bits / 8;
    off = Math.ceil(off / size) * size;
    const v = BigInt.asUintN(t.bits, BigInt(raw));
    if (size === 1) dv.setUint8(off, Number(v));
    else if (size === 2) dv.setUint16(off, Number(v), true);
    else if (size === 4) dv.setUint32(off, Number(v), true);
    else dv.setBigUint64(off, v, true);
    off += size;
  }
  if (off > total) throw new RangeError(`struct of ${off} bytes does not fit in ${total}`);
  return out;
}

// ------------------------------------------------------------------------------------ inputs

/** A small deterministic PRNG (xorshift64*), so failures reproduce. */
export class Rng {
  #s: bigint;
  constructor(seed: number) {
    this.#s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
    this.#s = BigInt.asUintN(64, this.#s) || 1n;
  }
  next64(): bigint {
    let x = this.#s;
    x ^= x >> 12n;
    x ^= BigInt.asUintN(64, x << 25n);
    x ^= x >> 27n;
    this.#s = x;
    return BigInt.asUintN(64, x * 0x2545f4914f6cdd1dn);
  }
  /** A value of type t, biased towards interesting magnitudes. */
  of(t: IntT): bigint {
    const r = this.next64();
    const mode = Number(r & 3n);
    let v = this.next64();
    if (mode === 1)
      v &= 0xffn; // small
    else if (mode === 2) v = BigInt.asUintN(64, -(v & 0xffn)); // small negative / near max
    return wrap(t, v);
  }
  below(n: number): number {
    return Number(this.next64() % BigInt(n));
  }
}

/** Edge values of a type: 0, 1, max, min, -1 and neighbours. */
export function edges(t: IntT): bigint[] {
  const s = new Set<bigint>([0n, 1n, 2n, 7n, maxOf(t), maxOf(t) - 1n, minOf(t), minOf(t) + 1n, wrap(t, -1n), wrap(t, -7n)]);
  return [...s];
}
