// Integer semantics of the language: literal typing, C's usual arithmetic conversions, and width
// conversions emitted as IR. Register representation: types of 4 bytes or less live in IR `i32`
// values (unsigned ones zero-extended, i8/i16 sign-extended to 32 bits), 8-byte types in `i64`.
// Constant operands are kept as the mathematical value of their type.

import { INT_TYPES, type CInt } from "../../common/ctypes.js";
import type { Operand, Ty } from "../ir/ir.js";
import { isImm } from "../ir/ir.js";
import type { SsaBuilder } from "./ssa-builder.js";

export interface IntVal {
  k: "int";
  v: Operand;
  t: CInt;
  /** Set for literals and constant expressions without a declared type: they adapt in comparisons. */
  literal?: boolean;
}

export const irTy = (t: CInt): Ty => (t.size === 8 ? "i64" : "i32");

export function intRange(t: CInt): [bigint, bigint] {
  const bits = BigInt(t.name === "bool" ? 1 : t.size * 8);
  return t.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

export const fits = (v: bigint, t: CInt): boolean => {
  const [lo, hi] = intRange(t);
  return v >= lo && v <= hi;
};

/** The type C gives an integer literal (without suffix): int, else long long, else unsigned long long. */
export function literalType(v: bigint): CInt {
  if (fits(v, INT_TYPES.i32)) return INT_TYPES.i32;
  if (fits(v, INT_TYPES.i64)) return INT_TYPES.i64;
  return INT_TYPES.u64;
}

/** Wraps a constant into type t's range (what a conversion does at run time). */
export function wrapConst(v: bigint, t: CInt): bigint {
  const bits = t.name === "bool" ? 1 : t.size * 8;
  if (t.name === "bool") return v !== 0n ? 1n : 0n;
  return t.signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/** Integer promotion: everything narrower than int becomes int. */
export function promote(t: CInt): CInt {
  return t.size < 4 ? INT_TYPES.i32 : t;
}

/** C's usual arithmetic conversions on two (promoted) types. */
export function commonType(a: CInt, b: CInt): CInt {
  a = promote(a);
  b = promote(b);
  if (a === b) return a;
  if (a.size !== b.size) {
    // The wider type wins: a wider signed type holds every value of a narrower unsigned one.
    return a.size > b.size ? a : b;
  }
  // Same size, different signedness: unsigned wins.
  return a.signed ? b : a;
}

/** Emits the conversion of `x` to type `to` and returns the converted value. */
export function convert(b: SsaBuilder, x: IntVal, to: CInt): IntVal {
  const from = x.t;
  if (isImm(x.v)) return { k: "int", v: { imm: wrapConst(x.v.imm, to) }, t: to };
  if (from === to) return x;
  const v = x.v;
  if (to.name === "bool") {
    // Any nonzero value is true: materialised by the caller through a compare; here, truncation of
    // an already-boolean value is the identity.
    return { k: "int", v, t: to };
  }
  if (from.size <= 4 && to.size <= 4) {
    if (to.size === 4) return { k: "int", v, t: to }; // same 32-bit pattern
    if (!to.signed && !from.signed && from.size <= to.size) return { k: "int", v, t: to };
    if (to.signed && from.signed && from.size <= to.size) return { k: "int", v, t: to };
    const dst = b.value("i32");
    if (to.signed) b.emit({ op: "sext", dst, a: v, from: (to.size * 8) as 8 | 16 });
    else b.emit({ op: "trunc", dst, a: v, to: (to.size * 8) as 8 | 16 });
    return { k: "int", v: dst, t: to };
  }
  if (from.size <= 4 && to.size === 8) {
    const dst = b.value("i64");
    if (from.signed) b.emit({ op: "sext", dst, a: v, from: 32 });
    else b.emit({ op: "zext", dst, a: v });
    return { k: "int", v: dst, t: to };
  }
  if (from.size === 8 && to.size === 8) return { k: "int", v, t: to };
  // 64 -> narrower
  const dst = b.value("i32");
  if (to.size === 4) {
    b.emit({ op: "trunc", dst, a: v, to: 32 });
  } else if (to.signed) {
    const t32 = b.value("i32");
    b.emit({ op: "trunc", dst: t32, a: v, to: 32 });
    b.emit({ op: "sext", dst, a: t32, from: (to.size * 8) as 8 | 16 });
  } else {
    b.emit({ op: "trunc", dst, a: v, to: (to.size * 8) as 8 | 16 });
  }
  return { k: "int", v: dst, t: to };
}

/** Parses a numeric literal's source text exactly (no detour through a double). */
export function parseIntLiteral(text: string): bigint | undefined {
  const t = text.replace(/_/g, "");
  if (/^0[xX][0-9a-fA-F]+$/.test(t) || /^0[bB][01]+$/.test(t) || /^0[oO][0-7]+$/.test(t)) return BigInt(t);
  if (/^[0-9]+$/.test(t)) return BigInt(t);
  // Decimal notation whose exact value is an integer (`1e9`, `2.5e3`, `1.0`): that integer. What
  // is left after the point (`1.5`, `1e-3`) is a float.
  const m = /^([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(t);
  if (!m || (m[1] === "" && !m[2])) return undefined;
  const frac = (m[2] ?? "").replace(/0+$/, "");
  const digits = BigInt(`${m[1]}${frac}` || "0");
  const exp = Number(m[3] ?? "0") - frac.length;
  if (digits === 0n) return 0n;
  if (exp < 0) return undefined;
  // Past 10^400 it is too large for any type all the same; do not compute `1e999999999`.
  return digits * 10n ** BigInt(Math.min(exp, 400));
}

/** A constant of a type up to 32 bits as the zero-extended 32-bit pattern i32 registers hold (isel). */
export function narrowImm(v: Operand, t: CInt): Operand {
  return isImm(v) && t.size <= 4 ? { imm: BigInt.asUintN(32, v.imm) } : v;
}
