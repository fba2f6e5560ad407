// Reference evaluator of eBPF ALU and JMP semantics, written independently of const-fold.ts:
// ALU32 with JavaScript Number int32 arithmetic (which, like BPF on x86, masks shift counts to 5
// bits), ALU64 through BigUint64Array/BigInt64Array wrap-around, width changes through a DataView.
// Every function takes and returns 64-bit register contents as unsigned bigints (0 <= r < 2^64);
// ALU32 results are zero-extended, as the BPF ISA specifies.

import type { BinOp, CondOp } from "../../compiler/ir/ir.js";

const u64 = new BigUint64Array(1);
const s64 = new BigInt64Array(u64.buffer);
const view = new DataView(new ArrayBuffer(8));

const lo32 = (r: bigint): number => {
  view.setBigUint64(0, BigInt.asUintN(64, r), true);
  return view.getUint32(0, true);
};
const z = (n: number): bigint => BigInt(n >>> 0);

export function refAlu32(op: BinOp, dst: bigint, src: bigint): bigint {
  const a = lo32(dst);
  const b = lo32(src);
  switch (op) {
    case "add":
      return z(a + b);
    case "sub":
      return z(a - b);
    case "mul":
      return z(Math.imul(a, b));
    case "udiv":
      return b === 0 ? 0n : z(Math.floor(a / b));
    case "umod":
      return b === 0 ? z(a) : z(a % b);
    case "sdiv":
      return b === 0 ? 0n : z(Math.trunc((a | 0) / (b | 0)));
    case "smod":
      return b === 0 ? z(a) : z((a | 0) % (b | 0));
    case "and":
      return z(a & b);
    case "or":
      return z(a | b);
    case "xor":
      return z(a ^ b);
    case "shl":
      return z(a << b);
    case "lshr":
      return z(a >>> b);
    case "ashr":
      return z(a >> b);
  }
}

export function refAlu64(op: BinOp, dst: bigint, src: bigint): bigint {
  u64[0] = dst;
  const a = u64[0]!;
  const sa = s64[0]!;
  u64[0] = src;
  const b = u64[0]!;
  const sb = s64[0]!;
  switch (op) {
    case "add":
      u64[0] = a + b;
      break;
    case "sub":
      u64[0] = a - b;
      break;
    case "mul":
      u64[0] = a * b;
      break;
    case "udiv":
      u64[0] = b === 0n ? 0n : a / b;
      break;
    case "umod":
      u64[0] = b === 0n ? a : a % b;
      break;
    case "sdiv":
      s64[0] = sb === 0n ? 0n : sa / sb;
      break;
    case "smod":
      s64[0] = sb === 0n ? sa : sa % sb;
      break;
    case "and":
      u64[0] = a & b;
      break;
    case "or":
      u64[0] = a | b;
      break;
    case "xor":
      u64[0] = a ^ b;
      break;
    case "shl":
      u64[0] = a << (b % 64n);
      break;
    case "lshr":
      u64[0] = a >> (b % 64n);
      break;
    case "ashr":
      s64[0] = sa >> (b % 64n);
      break;
  }
  return u64[0]!;
}

export function refNeg(is64: boolean, a: bigint): bigint {
  if (!is64) return z(-lo32(a));
  u64[0] = a;
  u64[0] = -u64[0]!;
  return u64[0]!;
}

/** movsx: sign-extend the low `from` bits into 32 or 64 bits. */
export function refSext(from: 8 | 16 | 32, is64: boolean, a: bigint): bigint {
  view.setBigUint64(0, BigInt.asUintN(64, a), true);
  const n = from === 8 ? view.getInt8(0) : from === 16 ? view.getInt16(0, true) : view.getInt32(0, true);
  if (!is64) return z(n);
  s64[0] = BigInt(n);
  return u64[0]!;
}

export function refTrunc(to: 8 | 16 | 32, a: bigint): bigint {
  view.setBigUint64(0, BigInt.asUintN(64, a), true);
  return BigInt(to === 8 ? view.getUint8(0) : to === 16 ? view.getUint16(0, true) : view.getUint32(0, true));
}

/** BPF `be16/be32/be64` on a little-endian machine: byte-swap the low bits, zero-extend. */
export function refBswap(bits: 16 | 32 | 64, a: bigint): bigint {
  view.setBigUint64(0, BigInt.asUintN(64, a), true);
  return bits === 16 ? BigInt(view.getUint16(0, false)) : bits === 32 ? BigInt(view.getUint32(0, false)) : view.getBigUint64(0, false);
}

export function refZext(a: bigint): bigint {
  return BigInt(lo32(a));
}

export function refCond(cond: CondOp, width: 32 | 64, a: bigint, b: bigint): boolean {
  let ua: bigint, ub: bigint, sa: bigint, sb: bigint;
  if (width === 32) {
    const x = lo32(a);
    const y = lo32(b);
    ua = BigInt(x);
    ub = BigInt(y);
    sa = BigInt(x | 0);
    sb = BigInt(y | 0);
  } else {
    u64[0] = a;
    ua = u64[0]!;
    sa = s64[0]!;
    u64[0] = b;
    ub = u64[0]!;
    sb = s64[0]!;
  }
  switch (cond) {
    case "eq":
      return ua === ub;
    case "ne":
      return ua !== ub;
    case "ugt":
      return ua > ub;
    case "uge":
      return ua >= ub;
    case "ult":
      return ua < ub;
    case "ule":
      return ua <= ub;
    case "sgt":
      return sa > sb;
    case "sge":
      return sa >= sb;
    case "slt":
      return sa < sb;
    case "sle":
      return sa <= sb;
    case "set":
      return (ua & ub) !== 0n;
  }
}
