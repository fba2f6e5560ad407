// Lowering hooks of the intrinsics table (helpers-table.ts) for stdlib functions that plain argument
// conversion cannot express: integer conversions, byte order, sizeof/offsetof, atomics, software
// checksums, and helpers whose results come back through memory (comm, probe reads) or that take a
// function (bpf_loop). Each hook checks its own arguments; `id` is the row's helper id.

import { INT_TYPES, sizeOf, type CInt, type CType } from "../../common/ctypes.js";
import { type AtomicKind, isImm, type Operand } from "../ir/ir.js";
import { expectArgs, filledSlot, nullableJoin, typeArg } from "./call-utils.js";
import { convert, irTy, type IntVal } from "./int-ops.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import { noteLock, noteUnlock } from "./spin-locks.js";
import { registerSubprogram, resultType } from "./subprograms.js";
import { ts } from "./ts-adapter.js";
import type { Val } from "./values.js";

export function intConversion(x: ExprLowerer, e: ts.CallExpression, t: CInt): Val {
  expectArgs(x, e, 1);
  return convert(x.b, x.int(e.arguments[0]), t);
}

export function byteOrder(x: ExprLowerer, e: ts.CallExpression, t: CInt, bits: 16 | 32 | 64): Val {
  expectArgs(x, e, 1);
  const v = convert(x.b, x.int(e.arguments[0]), t);
  const dst = x.b.value(irTy(t));
  x.b.emit({ op: "bswap", dst, a: v.v, bits });
  return { k: "int", v: dst, t };
}

export function offsetofField(x: ExprLowerer, e: ts.CallExpression): Val {
  const t = typeArg(x, e);
  const arg = e.arguments[0];
  const f = t.kind === "struct" && arg && ts.isStringLiteral(arg) ? t.fields.find((y) => y.name === arg.text) : undefined;
  if (!f) x.r.fail("TSBPF2015", e);
  return { k: "int", v: { imm: BigInt(f.offset) }, t: INT_TYPES.u32 };
}

export function sizeofType(x: ExprLowerer, e: ts.CallExpression): Val {
  const t = typeArg(x, e);
  return { k: "int", v: { imm: BigInt(sizeOf(t)) }, t: INT_TYPES.u32 };
}

/** bpf_get_current_comm into a 16-byte stack buffer, returned by reference. */
export function currentComm(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  expectArgs(x, e, 0);
  const t: CType = { kind: "array", elem: INT_TYPES.u8, len: 16 };
  const slot = x.b.slot(16, 8);
  const buf = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: buf, slot });
  x.b.emit({ op: "call", helper: id, args: [buf, { imm: 16n }], dst: x.b.value("i64") });
  return { k: "ref", base: buf, off: 0, t, region: "stack" };
}

/** probeReadKernel<T>(addr) / probeReadUser<T>(addr): a stack copy of T, or null on a fault. */
export function probeRead(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  const t = typeArg(x, e);
  expectArgs(x, e, 1);
  const addr = convert(x.b, x.int(e.arguments[0]), INT_TYPES.u64);
  return filledSlot(x, sizeOf(t), t, (buf) => {
    const rc = x.b.value("i64");
    x.b.emit({ op: "call", helper: id, args: [buf, { imm: BigInt(sizeOf(t)) }, addr.v], dst: rc });
    return rc;
  });
}

/** loop(count, body, state) over bpf_loop: `body` becomes a subprogram passed by address. */
export function bpfLoop(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  expectArgs(x, e, 3);
  const [countArg, bodyArg, stateArg] = e.arguments;
  const sym = ts.isIdentifier(bodyArg) ? x.symbolOf(bodyArg) : undefined;
  const decl = sym?.valueDeclaration;
  if (!decl || !ts.isFunctionDeclaration(decl) || !decl.name || decl.getSourceFile().isDeclarationFile) {
    x.r.fail("TSBPF2029", bodyArg);
  }
  const state = x.lower(stateArg);
  if (state.k !== "ref" || state.region !== "stack") x.r.fail("TSBPF2029", stateArg);
  const count = convert(x.b, x.int(countArg), INT_TYPES.u32);
  registerSubprogram(x, decl);
  const info = x.mod.subprograms.get(decl)!;
  info.loopBody = true;
  // One subprogram serves both uses, so a direct caller would see the 0/1 stop flag (lower-stmt.ts).
  if (info.calledDirectly && resultType(x, decl)) x.r.report("TSBPF2211", bodyArg, decl.name.text);
  const body = decl.name.text;
  const call = (): Operand => {
    const fn = x.b.value("ptr");
    x.b.emit({ op: "funcaddr", dst: fn, func: body });
    const dst = x.b.value("i64");
    x.b.emit({ op: "call", helper: id, args: [count.v, fn, x.addOff(state), { imm: 0n }], dst });
    return dst;
  };
  // No call for a count of 0 (bpf_loop's result is then 0). The verifier never walks the body of a
  // call it knows runs no trip and removes it as dead code; with the body's address still loaded,
  // Linux 6.18 then refuses a program that has another subprogram as a verifier bug ("No program
  // to jit", EFAULT). Behind this test the address is dead on such a path too.
  const cv = count.v;
  if (isImm(cv)) return { k: "int", v: BigInt.asUintN(32, cv.imm) === 0n ? { imm: 0n } : call(), t: INT_TYPES.i64 };
  const dst = x.b.diamond(
    "i64",
    (t, f) => x.b.terminate({ op: "cbr", cond: "eq", width: 32, a: cv, b: { imm: 0n }, then: t, else: f }),
    () => ({ imm: 0n }),
    call,
  );
  return { k: "int", v: dst, t: INT_TYPES.i64 };
}

export interface AtomicSpec {
  kind: AtomicKind;
  fetch: boolean;
}

/** Atomic read-modify-write of the integer its first argument names (not reads: an lvalue). */
export function lowerAtomic(x: ExprLowerer, a: AtomicSpec, e: ts.CallExpression): Val {
  expectArgs(x, e, a.kind === "cmpxchg" ? 3 : 2);
  const ref = x.lvalueRef(e.arguments[0]);
  const t = ref.t;
  if (t.kind !== "int" || (t.size !== 4 && t.size !== 8)) x.r.fail("TSBPF2027", e.arguments[0]);
  if (ref.region !== "map" && ref.region !== "global" && ref.region !== "stack") x.r.fail("TSBPF2027", e.arguments[0]);
  const operand = (arg: ts.Expression) => x.materialize(convert(x.b, x.int(arg), t).v, irTy(t));
  const expected = a.kind === "cmpxchg" ? operand(e.arguments[1]) : undefined;
  const value = operand(e.arguments[a.kind === "cmpxchg" ? 2 : 1]);
  const dst = a.fetch ? x.b.value(irTy(t)) : undefined;
  x.b.emit({ op: "atomic", kind: a.kind, fetch: a.fetch, base: ref.base, offset: ref.off, width: t.size, value, expected, dst });
  if (!dst) return { k: "int", v: { imm: 0n }, t: INT_TYPES.i32 };
  // The old value comes back zero-extended; a signed 32-bit type is already in canonical form.
  return { k: "int", v: dst, t };
}

/** RFC 1624: HC' = ~(~HC + ~m + m'), in one's-complement arithmetic on 16-bit words. */
export function checksum(x: ExprLowerer, name: "csumReplace2" | "csumReplace4" | "csumFold", e: ts.CallExpression): IntVal {
  const u32 = INT_TYPES.u32;
  const lit = (v: number): IntVal => ({ k: "int", v: { imm: BigInt(v) }, t: u32 });
  const op = (o: "+" | "&" | ">>" | "^", a: IntVal, b: IntVal) => x.arith(o, a, b, e);
  const fold = (sum: IntVal): IntVal => {
    for (let i = 0; i < 2; i++) sum = op("+", op("&", sum, lit(0xffff)), op(">>", sum, lit(16)));
    return convert(x.b, op("^", sum, lit(0xffff)), INT_TYPES.u16);
  };
  if (name === "csumFold") {
    expectArgs(x, e, 1);
    return fold(convert(x.b, x.int(e.arguments[0]), u32));
  }
  expectArgs(x, e, 3);
  const wide = name === "csumReplace4";
  const check = convert(x.b, x.int(e.arguments[0]), u32);
  const from = convert(x.b, x.int(e.arguments[1]), wide ? u32 : INT_TYPES.u16);
  const to = convert(x.b, x.int(e.arguments[2]), wide ? u32 : INT_TYPES.u16);
  const words = (v: IntVal) => (wide ? [op("&", v, lit(0xffff)), op(">>", v, lit(16))] : [convert(x.b, v, u32)]);
  const notFrom = op("^", convert(x.b, from, u32), lit(wide ? 0xffffffff : 0xffff));
  let sum = op("^", check, lit(0xffff));
  for (const w of [...words(notFrom), ...words(to)]) sum = op("+", sum, w);
  return fold(sum);
}

/** ctx.loadBytes<T>(offset) over bpf_skb_load_bytes: a stack copy of T, or null past the packet's end. */
export function skbLoadBytes(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  const t = typeArg(x, e);
  expectArgs(x, e, 1);
  const off = convert(x.b, x.int(e.arguments[0]), INT_TYPES.u32);
  const size = sizeOf(t);
  const slot = x.b.slot(size, 8);
  const buf = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: buf, slot });
  const rc = x.b.value("i64");
  x.b.emit({ op: "call", helper: id, args: [x.ctx, off.v, buf, { imm: BigInt(size) }], dst: rc });
  const addr = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: addr, slot });
  return nullableJoin(
    x,
    (ok, bad) => {
      x.b.terminate({ op: "cbr", cond: "ne", width: 64, a: rc, b: { imm: 0n }, then: bad, else: ok });
      return addr;
    },
    t,
    "stack",
  );
}

/** Program types the kernel refuses maps with a bpf_spin_lock in (check_map_prog_compatibility). */
const NO_SPIN_LOCK = new Set(["SOCKET_FILTER", "KPROBE", "TRACEPOINT", "PERF_EVENT", "RAW_TRACEPOINT", "RAW_TRACEPOINT_WRITABLE"]);

/** spinLock(v.lock) / spinUnlock(v.lock): the address of a SpinLock field in a map value. */
export function spinLock(x: ExprLowerer, e: ts.CallExpression, id: number, lock: boolean): Val {
  expectArgs(x, e, 1);
  if (x.kind.type && NO_SPIN_LOCK.has(x.kind.type)) x.r.fail("TSBPF2156", e.expression, x.kind.wrapper);
  const v = x.lower(e.arguments[0]);
  const isLock = v.k === "ref" && v.t.kind === "struct" && v.t.name === "bpf_spin_lock";
  if (!isLock || v.region !== "map") x.r.fail("TSBPF2155", e.arguments[0]);
  x.b.emit({ op: "call", helper: id, args: [x.addOff(v)], dst: x.b.value("i64") });
  if (lock) noteLock(x, e);
  else noteUnlock(x, e);
  return { k: "int", v: { imm: 0n }, t: INT_TYPES.i32 };
}
