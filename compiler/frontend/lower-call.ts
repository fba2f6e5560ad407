// Calls in BPF code: integer conversions, byte order, sizeof, helpers, atomics and context methods
// (bounds-checked packet headers, skb loads); map methods are in lower-map.ts. Everything else is
// reported as unknown.

import { INT_TYPES, sizeOf, type CInt, type CType, type IntName } from "../../common/ctypes.js";
import type { AtomicKind } from "../ir/ir.js";
import { HELPER, SIMPLE_HELPERS } from "./helpers-table.js";
import { PT_REGS_ARGS, PT_REGS_RET } from "./program-kinds.js";
import { registerSubprogram } from "./subprograms.js";
import { constEval } from "./const-eval.js";
import { convert, irTy, type IntVal } from "./int-ops.js";
import { expectArgs, nullableJoin, typeArg } from "./call-utils.js";
import type { ExprLowerer } from "./lower-expr.js";
import { mapMethod } from "./lower-map.js";
import { kernelCall } from "./lower-kernel.js";
import { ts } from "./ts-adapter.js";
import type { Val } from "./values.js";

const BYTE_ORDER: Record<string, { t: CInt; bits: 16 | 32 | 64 }> = {
  htons: { t: INT_TYPES.u16, bits: 16 }, ntohs: { t: INT_TYPES.u16, bits: 16 },
  htonl: { t: INT_TYPES.u32, bits: 32 }, ntohl: { t: INT_TYPES.u32, bits: 32 },
  htonll: { t: INT_TYPES.u64, bits: 64 }, ntohll: { t: INT_TYPES.u64, bits: 64 },
};

export function lowerCall(x: ExprLowerer, e: ts.CallExpression): Val {
  const callee = e.expression;
  if (ts.isPropertyAccessExpression(callee)) {
    const obj = x.lower(callee.expression);
    const method = callee.name.text;
    if (obj.k === "map") return mapMethod(x, obj.map, method, e);
    if (obj.k === "ctx") return ctxMethod(x, method, e);
    x.r.fail("TSBPF1033", callee, callee.getText());
  }
  const sym = ts.isIdentifier(callee) ? x.symbolOf(callee) : undefined;
  const decl = sym?.valueDeclaration;
  if (decl && ts.isFunctionDeclaration(decl) && !decl.getSourceFile().isDeclarationFile) return x.callUserFunction(decl, e);
  const name = sym && x.types.isStdlibSymbol(sym) ? sym.getName() : undefined;
  if (!name) x.r.fail("TSBPF1033", callee, callee.getText());

  if (name in INT_TYPES && name !== "bool") {
    expectArgs(x, e, 1);
    const v = x.int(e.arguments[0]);
    return convert(x.b, v, INT_TYPES[name as IntName]);
  }
  const bo = BYTE_ORDER[name];
  if (bo) {
    expectArgs(x, e, 1);
    const v = convert(x.b, x.int(e.arguments[0]), bo.t);
    const dst = x.b.value(irTy(bo.t));
    x.b.emit({ op: "bswap", dst, a: v.v, bits: bo.bits });
    return { k: "int", v: dst, t: bo.t };
  }
  if (name === "offsetof") {
    const t = typeArg(x, e);
    const arg = e.arguments[0];
    const f = t.kind === "struct" && arg && ts.isStringLiteral(arg) ? t.fields.find((y) => y.name === arg.text) : undefined;
    if (!f) x.r.fail("TSBPF2015", e);
    return { k: "int", v: { imm: BigInt(f.offset) }, t: INT_TYPES.u32 };
  }
  if (name === "sizeof") {
    const t = typeArg(x, e);
    return { k: "int", v: { imm: BigInt(sizeOf(t)) }, t: INT_TYPES.u32 };
  }
  if (name === "getCurrentComm") {
    expectArgs(x, e, 0);
    const t: CType = { kind: "array", elem: INT_TYPES.u8, len: 16 };
    const slot = x.b.slot(16, 8);
    const buf = x.b.value("ptr");
    x.b.emit({ op: "stackaddr", dst: buf, slot });
    x.b.emit({ op: "call", helper: HELPER.get_current_comm, args: [buf, { imm: 16n }], dst: x.b.value("i64") });
    return { k: "ref", base: buf, off: 0, t, region: "stack" };
  }
  if (name === "probeReadKernel" || name === "probeReadUser") {
    const t = typeArg(x, e);
    expectArgs(x, e, 1);
    const addr = convert(x.b, x.int(e.arguments[0]), INT_TYPES.u64);
    const slot = x.b.slot(sizeOf(t), 8);
    const buf = x.b.value("ptr");
    x.b.emit({ op: "stackaddr", dst: buf, slot });
    const rc = x.b.value("i64");
    const id = name === "probeReadKernel" ? HELPER.probe_read_kernel : HELPER.probe_read_user;
    x.b.emit({ op: "call", helper: id, args: [buf, { imm: BigInt(sizeOf(t)) }, addr.v], dst: rc });
    const again = x.b.value("ptr");
    x.b.emit({ op: "stackaddr", dst: again, slot });
    return nullableJoin(x, (ok, bad) => {
      x.b.terminate({ op: "cbr", cond: "ne", width: 64, a: rc, b: { imm: 0n }, then: bad, else: ok });
      return again;
    }, t, "stack");
  }
  if (name === "probeReadUserStr" || name === "probeReadKernelStr") {
    expectArgs(x, e, 2);
    const dst = x.lower(e.arguments[0]);
    if (dst.k !== "ref" || dst.t.kind !== "array" || dst.region === "ctx" || dst.region === "packet") x.r.fail("TSBPF2015", e.arguments[0]);
    const addr = convert(x.b, x.int(e.arguments[1]), INT_TYPES.u64);
    const rc = x.b.value("i64");
    const id = name === "probeReadUserStr" ? HELPER.probe_read_user_str : HELPER.probe_read_kernel_str;
    x.b.emit({ op: "call", helper: id, args: [x.addOff(dst), { imm: BigInt(sizeOf(dst.t)) }, addr.v], dst: rc });
    return { k: "int", v: rc, t: INT_TYPES.i64 };
  }
  if (name === "loop") return bpfLoop(x, e);
  const atomic = ATOMICS[name];
  if (atomic) return lowerAtomic(x, atomic, e);
  if (name === "csumReplace2" || name === "csumReplace4" || name === "csumFold") return checksum(x, name, e);
  const h = SIMPLE_HELPERS[name];
  if (h) {
    expectArgs(x, e, 0);
    const dst = x.b.value("i64");
    x.b.emit({ op: "call", helper: h.id, args: [], dst });
    return convert(x.b, { k: "int", v: dst, t: INT_TYPES.u64 }, h.ret);
  }
  const kernel = kernelCall(x, name, e); // kernel types and CO-RE (lower-kernel.ts)
  if (kernel) return kernel;
  x.r.fail("TSBPF1033", callee, name);
}

/** loop(count, body, state) over bpf_loop: `body` becomes a subprogram passed by address. */
function bpfLoop(x: ExprLowerer, e: ts.CallExpression): Val {
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
  const fn = x.b.value("ptr");
  x.b.emit({ op: "funcaddr", dst: fn, func: decl.name.text });
  const dst = x.b.value("i64");
  x.b.emit({ op: "call", helper: HELPER.loop, args: [count.v, fn, x.addOff(state), { imm: 0n }], dst });
  return { k: "int", v: dst, t: INT_TYPES.i64 };
}

const ATOMICS: Record<string, { kind: AtomicKind; fetch: boolean }> = {
  atomicAdd: { kind: "add", fetch: false }, atomicOr: { kind: "or", fetch: false },
  atomicAnd: { kind: "and", fetch: false }, atomicXor: { kind: "xor", fetch: false },
  atomicFetchAdd: { kind: "add", fetch: true }, atomicFetchOr: { kind: "or", fetch: true },
  atomicFetchAnd: { kind: "and", fetch: true }, atomicFetchXor: { kind: "xor", fetch: true },
  atomicXchg: { kind: "xchg", fetch: true }, atomicCmpXchg: { kind: "cmpxchg", fetch: true },
};

/** Atomic read-modify-write of the integer its first argument names (not reads: an lvalue). */
function lowerAtomic(x: ExprLowerer, a: { kind: AtomicKind; fetch: boolean }, e: ts.CallExpression): Val {
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
function checksum(x: ExprLowerer, name: string, e: ts.CallExpression): IntVal {
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

function ctxMethod(x: ExprLowerer, method: string, e: ts.CallExpression): Val {
  if (method === "header" && x.kind.packet) return packetHeader(x, e);
  if (method === "load" && x.kind.loadRelative) return skbLoad(x, e);
  const shape = x.kind.ctx.kind;
  if ((method === "arg" && (shape === "args" || shape === "pt_regs")) || (method === "ret" && shape === "pt_regs")) {
    let offset = PT_REGS_RET;
    if (method === "arg") {
      expectArgs(x, e, 1);
      const i = constEval(e.arguments[0], x.checker);
      const max = shape === "pt_regs" ? PT_REGS_ARGS.length : 12;
      if (i === undefined) x.r.fail("TSBPF2013", e.arguments[0], "the argument index");
      if (i < 0n || i >= BigInt(max)) x.r.fail("TSBPF2022", e.arguments[0], String(i), max - 1);
      offset = shape === "pt_regs" ? PT_REGS_ARGS[Number(i)] : Number(i) * 8;
    } else expectArgs(x, e, 0);
    const dst = x.b.value("i64");
    x.b.emit({ op: "load", dst, base: x.ctx, offset, width: 8 });
    return { k: "int", v: dst, t: INT_TYPES.u64 };
  }
  x.r.fail("TSBPF1033", e.expression, e.expression.getText());
}

/**
 * p = data + off; if (p + sizeof(T) > data_end) null else p — the compare the verifier needs. A
 * variable offset is first compared with 0xffff so the verifier knows its bounds (it rejects packet
 * pointer arithmetic with unbounded registers); such huge offsets give null, as a short packet would.
 */
function packetHeader(x: ExprLowerer, e: ts.CallExpression): Val {
  const t = typeArg(x, e);
  expectArgs(x, e, 1);
  const size = BigInt(sizeOf(t));
  const c = constEval(e.arguments[0], x.checker);
  if (c !== undefined && (c < 0n || c + size > 0xffffn)) x.r.fail("TSBPF2020", e.arguments[0], String(c));
  // A negative offset is out of range either way, so a 32-bit offset is widened as unsigned (free:
  // it is already zero-extended in its register) and caught by the same > 0xffff test.
  const offVal = c === undefined ? x.int(e.arguments[0]) : undefined;
  const off = offVal === undefined ? undefined : convert(x.b, offVal.t.size <= 4 ? convert(x.b, offVal, INT_TYPES.u32) : offVal, INT_TYPES.u64).v;
  const [data, end] = x.packetBounds();
  return nullableJoin(x, (ok, bad) => {
    if (off !== undefined) {
      const inRange = x.b.newBlock();
      x.branch("ugt", 64, off, { imm: 0xffffn }, bad, inRange);
      x.b.seal(inRange);
      x.b.switchTo(inRange);
    }
    let p = data;
    if (c !== 0n) {
      p = x.b.value("ptr");
      x.b.emit({ op: "ptradd", dst: p, base: data, offset: off ?? { imm: c! } });
    }
    const q = x.b.value("ptr");
    x.b.emit({ op: "ptradd", dst: q, base: p, offset: { imm: size } });
    x.b.terminate({ op: "cbr", cond: "ugt", width: 64, a: q, b: end, then: bad, else: ok });
    return p;
  }, t, "packet");
}

/** bpf_skb_load_bytes_relative into a stack copy; null when the packet is too short. */
function skbLoad(x: ExprLowerer, e: ts.CallExpression): Val {
  const t = typeArg(x, e);
  if (e.arguments.length < 1 || e.arguments.length > 2) x.r.fail("TSBPF1035", e);
  const off = convert(x.b, x.int(e.arguments[0]), INT_TYPES.u32);
  const start = e.arguments[1] ? convert(x.b, x.int(e.arguments[1]), INT_TYPES.u32).v : { imm: 1n };
  const size = sizeOf(t);
  const slot = x.b.slot(size, 8);
  const buf = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: buf, slot });
  const rc = x.b.value("i64");
  x.b.emit({ op: "call", helper: HELPER.skb_load_bytes_relative, args: [x.ctx, off.v, buf, { imm: BigInt(size) }, start], dst: rc });
  const addr = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: addr, slot });
  return nullableJoin(x, (ok, bad) => {
    x.b.terminate({ op: "cbr", cond: "ne", width: 64, a: rc, b: { imm: 0n }, then: bad, else: ok });
    return addr;
  }, t, "stack");
}
