// Reading kernel memory through kernel pointers (regions "kernel" and "btf" of a RefVal), with CO-RE:
// every field read carries a relocation (FIELD_BYTE_OFFSET, kind 0) against a local BTF type, which
// libbpf resolves against the running kernel's BTF at load time, exactly as for clang's
// BPF_CORE_READ / __builtin_preserve_access_index:
//   - "kernel" (untrusted: raw_tp arguments, kernelPtr(addr)): `rX = <offset>` (mov imm, relocated),
//     `rX += base`, bpf_probe_read_kernel into a stack temporary, then a stack load;
//   - "btf" (trusted BTF pointers: tp_btf/fentry/fexit/LSM arguments, getCurrentTask()): one load
//     whose offset is relocated, which the verifier checks against the kernel's BTF.
// Embedded structs extend the access path (one relocation for `task.se.vruntime`); pointer members
// are read as pointers and give a nullable reference the program must check. Also the CO-RE stdlib
// functions (coreFieldExists, coreFieldSize, coreTypeExists, coreTypeSize, coreEnumValueExists,
// coreEnumValue), getCurrentTask() and kernelPtr<T>(addr): lowering hooks of their rows in the
// intrinsics table (helpers-table.ts).

import { INT_TYPES, sizeOf, type CInt, type CType } from "../../common/ctypes.js";
import type { Value } from "../ir/ir.js";
import { CORE_KIND, type CoreRelo, type KType } from "../object/core-relo.js";
import { expectArgs } from "./call-utils.js";
import { constEval } from "./const-eval.js";
import { HELPER } from "./helper-ids.js";
import { convert, irTy, type IntVal } from "./int-ops.js";
import { kernelTypes, KernelTypes, parseMemberTag, type KernelView } from "./kernel-types.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import { ts } from "./ts-adapter.js";
import type { NullableVal, RefVal, Val } from "./values.js";

/** A reference into kernel memory (a struct view). */
export function kernelRef(v: Val): RefVal | NullableVal | undefined {
  return (v.k === "ref" || v.k === "nullable") && (v.region === "kernel" || v.region === "btf") ? v : undefined;
}

/** Where a member is and how to read it, with its local BTF member added to the view's type. */
interface Placed {
  relo: (kind: number) => CoreRelo;
  /** Byte offset in the root, as compiled. */
  offset: number;
  local: KType;
  tsType: ts.Type;
  decl: ts.PropertySignature;
  /** Path and local type for an embedded struct member. */
  access: number[];
  bitOffset: number;
  /** Bitfield width (0: a whole field). */
  bits: number;
}

/** `ref.name` where ref is a kernel reference. */
export function kernelField(x: ExprLowerer, obj: RefVal | NullableVal, name: string, node: ts.Node): Val {
  if (obj.k === "nullable") x.r.fail("TSBPF2256", node, name);
  const kt = kernelTypes(x.checker);
  const view = kt.viewOf(obj.t);
  if (!view) x.r.fail("TSBPF2250", node, name);
  const p = place(x, kt, view, name, node);
  const region = obj.region;
  const typeNode = p.decl.type;
  const refName = typeNode && ts.isTypeReferenceNode(typeNode) ? typeNode.typeName.getText() : undefined;
  const isPtr =
    typeNode &&
    ts.isUnionTypeNode(typeNode) &&
    typeNode.types.some((u) => ts.isTypeReferenceNode(u) && u.typeName.getText() === "KernelPtr");

  if (isPtr) {
    const pointee = x.checker.getNonNullableType(p.tsType);
    const target = kt.rootView(pointee);
    if (!target) x.r.fail("TSBPF2251", node, name, x.checker.typeToString(p.tsType));
    const ptr = read(x, obj.base, region, p, 8, "ptr");
    return { k: "nullable", ptr, t: target, region };
  }
  if (p.local.kind === "array") {
    // Arrays (comm, names) are copied to the stack: the program can then pass, compare or send them.
    const t = x.types.memType(p.tsType);
    if (!t) x.r.fail("TSBPF2251", node, name, x.checker.typeToString(p.tsType));
    const size = sizeOf(t);
    const slot = x.b.slot(Math.ceil(size / 8) * 8, 8);
    const buf = x.b.value("ptr");
    x.b.emit({ op: "stackaddr", dst: buf, slot });
    probeInto(x, buf, obj.base, p, size);
    const again = x.b.value("ptr");
    x.b.emit({ op: "stackaddr", dst: again, slot });
    return { k: "ref", base: again, off: 0, t, region: "stack" };
  }
  if (p.local.kind === "struct" || p.local.kind === "union") {
    const sub: KernelView = { root: view.root, access: p.access, bitOffset: p.bitOffset, local: p.local, ts: p.tsType };
    return { k: "ref", base: obj.base, off: 0, t: kt.view(sub), region };
  }
  if (p.bits) return readBitfield(x, obj.base, p);
  // Integers, enums and plain addresses (KernelAddr) are loaded as integers.
  const it = intType(p.local, refName === "KernelAddr");
  const raw = read(x, obj.base, region, p, it.size, irTy(it));
  return signExtend(x, raw, it);
}

/**
 * The address of an array member of a kernel struct named through a local (`task.comm`), for a
 * helper that reads the memory itself with copy_from_kernel_nofault (a `%s` of bpfPrintk or
 * seqPrintf), as C's BPF_SEQ_PRINTF(seq, "%s", task->comm) passes it: no copy to the stack.
 * Undefined for anything else (the caller lowers the expression as usual; lowering a local twice
 * only leaves a dead copy).
 */
export function kernelArrayAddress(x: ExprLowerer, e: ts.Expression): Value | undefined {
  if (!ts.isPropertyAccessExpression(e) || !ts.isIdentifier(e.expression)) return undefined;
  const obj = kernelRef(x.lower(e.expression));
  if (obj?.k !== "ref") return undefined;
  const kt = kernelTypes(x.checker);
  const view = kt.viewOf(obj.t);
  if (!view) return undefined;
  const p = place(x, kt, view, e.name.text, e.name);
  if (p.local.kind !== "array" || p.bits) return undefined;
  const off = x.b.value("i64");
  x.b.emit({ op: "coreoff", dst: off, value: BigInt(p.offset), relo: p.relo(CORE_KIND.FIELD_BYTE_OFFSET) });
  const addr = x.b.value("ptr");
  x.b.emit({ op: "ptradd", dst: addr, base: obj.base, offset: off });
  return addr;
}

/** Finds member `name` of a view from its @btf tag and adds it (and any anonymous containers) locally. */
function place(x: ExprLowerer, kt: KernelTypes, view: KernelView, name: string, node: ts.Node): Placed {
  const prop = x.checker.getPropertyOfType(view.ts, name);
  const decl = prop?.declarations?.[0];
  const tag = decl && ts.isPropertySignature(decl) ? parseMemberTag(KernelTypes.tagText(decl) ?? "") : undefined;
  if (!prop || !decl || !ts.isPropertySignature(decl) || !tag) x.r.fail("TSBPF2250", node, name);
  const tsType = x.checker.getTypeOfSymbol(prop);
  let container = view.local;
  const access = [...view.access];
  let bitOffset = view.bitOffset;
  for (const s of tag.steps.slice(0, -1)) {
    const anon = s.anon ?? { kind: "struct" as const, size: 0 };
    const idx = kt.memberIndex(container, `#${s.index}`, () => ({
      name: "",
      type: { kind: anon.kind, name: "", size: anon.size, members: [] },
      bitOffset: s.bitOffset,
      bitSize: 0,
    }));
    access.push(idx);
    bitOffset += s.bitOffset;
    container = container.members[idx].type as typeof container;
  }
  const last = tag.steps[tag.steps.length - 1];
  const local = localType(x, kt, tsType, decl, last.anon, node, name);
  if (tag.bits && local.kind !== "int" && local.kind !== "enum") x.r.fail("TSBPF2252", node, name);
  const idx = kt.memberIndex(container, name, () => ({ name, type: local, bitOffset: last.bitOffset, bitSize: tag.bits }));
  access.push(idx);
  bitOffset += last.bitOffset;
  const root = view.root;
  const accessStr = `0:${access.join(":")}`;
  return {
    relo: (kind) => ({ kind, type: root, access: accessStr }),
    offset: bitOffset / 8,
    local: container.members[idx].type,
    tsType,
    decl,
    access,
    bitOffset,
    bits: tag.bits,
  };
}

/** The local BTF type of a member, from its TS type (what libbpf checks for compatibility). */
function localType(
  x: ExprLowerer,
  kt: KernelTypes,
  t: ts.Type,
  decl: ts.PropertySignature,
  anon: { kind: "struct" | "union"; size: number } | undefined,
  node: ts.Node,
  name: string,
): KType {
  const typeNode = decl.type;
  const ref = typeNode && ts.isTypeReferenceNode(typeNode) ? typeNode.typeName.getText() : undefined;
  if (typeNode && ts.isUnionTypeNode(typeNode)) return { kind: "ptr" };
  if (ref === "KernelAddr") return { kind: "ptr" };
  if (anon) return { kind: anon.kind, name: "", size: anon.size, members: [] };
  const tag = kt.typeTag(t);
  if (tag?.kind === "enum") return kt.enumType(tag);
  if (tag) return kt.composite(tag);
  const it = x.types.intOf(t);
  if (it) return { kind: "int", size: it.size, signed: it.signed };
  const mem = x.types.memType(t);
  if (mem?.kind === "array") return arrayType(mem);
  x.r.fail("TSBPF2251", node, name, x.checker.typeToString(t));
}

function arrayType(t: CType): KType {
  if (t.kind === "int") return { kind: "int", size: t.size, signed: t.signed };
  if (t.kind === "array") return { kind: "array", elem: arrayType(t.elem), len: t.len };
  return { kind: "int", size: 1, signed: false };
}

function intType(local: KType, addr: boolean): CInt {
  if (addr || local.kind === "ptr") return INT_TYPES.u64;
  const size = local.kind === "int" || local.kind === "enum" ? local.size : 8;
  const signed = local.kind === "int" || local.kind === "enum" ? local.signed : false;
  const name = `${signed ? "i" : "u"}${size * 8}` as keyof typeof INT_TYPES;
  return INT_TYPES[name] ?? INT_TYPES.u64;
}

/**
 * A bitfield, as BPF_CORE_READ_BITFIELD_PROBED reads it: bpf_probe_read_kernel of FIELD_BYTE_SIZE
 * bytes at FIELD_BYTE_OFFSET into a zeroed u64, shifted left by FIELD_LSHIFT_U64 and right by
 * FIELD_RSHIFT_U64 (arithmetic for a signed field). All four are relocated constants; their compiled
 * values follow libbpf's own computation for the local type (it checks them before patching).
 */
function readBitfield(x: ExprLowerer, base: Value, p: Placed): IntVal {
  const it = intType(p.local, false);
  const bitOff = p.bitOffset;
  let size = it.size;
  let byteOff = Math.floor(bitOff / 8 / size) * size;
  while (bitOff + p.bits - byteOff * 8 > size * 8) {
    if (size >= 8) x.r.fail("TSBPF2252", p.decl.name, p.decl.name.getText());
    size *= 2;
    byteOff = Math.floor(bitOff / 8 / size) * size;
  }
  const rel = (kind: number, value: number): Value => {
    const v = x.b.value("i64");
    x.b.emit({ op: "coreoff", dst: v, value: BigInt(value), relo: p.relo(kind) });
    return v;
  };
  const slot = x.acquireTemp(8);
  const buf = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: buf, slot });
  x.b.emit({ op: "store", base: buf, offset: 0, width: 8, value: { imm: 0n } });
  const addr = x.b.value("ptr");
  x.b.emit({ op: "ptradd", dst: addr, base, offset: rel(CORE_KIND.FIELD_BYTE_OFFSET, byteOff) });
  x.b.emit({
    op: "call",
    helper: HELPER.probe_read_kernel,
    args: [buf, rel(CORE_KIND.FIELD_BYTE_SIZE, size), addr],
    dst: x.b.value("i64"),
  });
  const again = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: again, slot });
  const word = x.b.value("i64");
  x.b.emit({ op: "load", dst: word, base: again, offset: 0, width: 8 });
  x.releaseTemps([slot]);
  const left = x.b.value("i64");
  x.b.emit({ op: "bin", kind: "shl", dst: left, a: word, b: rel(CORE_KIND.FIELD_LSHIFT_U64, 64 - (bitOff + p.bits - byteOff * 8)) });
  const right = x.b.value("i64");
  x.b.emit({ op: "bin", kind: it.signed ? "ashr" : "lshr", dst: right, a: left, b: rel(CORE_KIND.FIELD_RSHIFT_U64, 64 - p.bits) });
  return convert(x.b, { k: "int", v: right, t: it.signed ? INT_TYPES.i64 : INT_TYPES.u64 }, it);
}

/** Loads `width` bytes of a member: a relocated direct load (btf) or a probe read (kernel). */
function read(x: ExprLowerer, base: Value, region: RefVal["region"], p: Placed, width: 1 | 2 | 4 | 8, ty: "i32" | "i64" | "ptr"): Value {
  const dst = x.b.value(ty);
  if (region === "btf") {
    x.b.emit({ op: "load", dst, base, offset: p.offset, width, core: p.relo(CORE_KIND.FIELD_BYTE_OFFSET) });
    return dst;
  }
  const slot = x.acquireTemp(8);
  const buf = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: buf, slot });
  probeInto(x, buf, base, p, width);
  const again = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: again, slot });
  x.b.emit({ op: "load", dst, base: again, offset: 0, width });
  x.releaseTemps([slot]);
  return dst;
}

/**
 * bpf_probe_read_kernel(buf, size, base + off) with `off` relocated, as BPF_CORE_READ does. On a fault
 * the helper zeroes `buf`, so a read through a stale pointer gives 0, not garbage.
 */
function probeInto(x: ExprLowerer, buf: Value, base: Value, p: Placed, size: number): void {
  const off = x.b.value("i64");
  x.b.emit({ op: "coreoff", dst: off, value: BigInt(p.offset), relo: p.relo(CORE_KIND.FIELD_BYTE_OFFSET) });
  const addr = x.b.value("ptr");
  x.b.emit({ op: "ptradd", dst: addr, base, offset: off });
  x.b.emit({ op: "call", helper: HELPER.probe_read_kernel, args: [buf, { imm: BigInt(size) }, addr], dst: x.b.value("i64") });
}

function signExtend(x: ExprLowerer, v: Value, t: CInt): IntVal {
  if (t.signed && t.size < 4) {
    const s = x.b.value("i32");
    x.b.emit({ op: "sext", dst: s, a: v, from: (t.size * 8) as 8 | 16 });
    return { k: "int", v: s, t };
  }
  return { k: "int", v, t };
}

// ------------------------------------------------------------------------------ stdlib calls

// Lowering hooks of the intrinsics table's kernel-type rows (getCurrentTask, kernelPtr, core*).

/** getCurrentTask(): bpf_get_current_task_btf (`id`), a trusted BTF pointer to the task. */
export function currentTask(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  expectArgs(x, e, 0);
  const view = kernelTypes(x.checker).rootView(x.checker.getTypeAtLocation(e));
  if (!view) x.r.fail("TSBPF2255", e);
  const dst = x.b.value("ptr");
  x.b.emit({ op: "call", helper: id, args: [], dst });
  return { k: "ref", base: dst, off: 0, t: view, region: "btf" };
}

/** kernelPtr<T>(addr): a nullable reference whose fields are probe reads. */
export function kernelPtrCall(x: ExprLowerer, e: ts.CallExpression): Val {
  expectArgs(x, e, 1);
  const view = kernelTypes(x.checker).rootView(x.checker.getNonNullableType(x.checker.getTypeAtLocation(e)));
  if (!view) x.r.fail("TSBPF2250", e, e.typeArguments?.[0]?.getText() ?? "T");
  const direct = ctxArgPointer(x, e.arguments[0]);
  const ptr = direct ?? asPtr(x, convert(x.b, x.int(e.arguments[0]), INT_TYPES.u64).v);
  return { k: "nullable", ptr, t: view, region: "kernel" };
}

/** coreFieldExists / coreFieldSize(obj, "field"). */
export function coreField(x: ExprLowerer, e: ts.CallExpression, name: "coreFieldExists" | "coreFieldSize"): Val {
  expectArgs(x, e, 2);
  const obj = kernelRef(x.lower(e.arguments[0]));
  const field = e.arguments[1];
  if (!obj || !ts.isStringLiteral(field)) x.r.fail("TSBPF2257", e, name);
  const kt = kernelTypes(x.checker);
  const view = kt.viewOf(obj.t)!;
  const p = place(x, kt, view, field.text, field);
  const exists = name === "coreFieldExists";
  const value = exists ? 1n : BigInt(localSize(p.local));
  const rel = p.relo(exists ? CORE_KIND.FIELD_EXISTS : CORE_KIND.FIELD_BYTE_SIZE);
  return coreValue(x, value, rel, exists ? INT_TYPES.bool : INT_TYPES.u32);
}

/** coreTypeExists<T>() / coreTypeSize<T>(). */
export function coreType(x: ExprLowerer, e: ts.CallExpression, name: "coreTypeExists" | "coreTypeSize"): Val {
  expectArgs(x, e, 0);
  const node = e.typeArguments?.[0];
  const kt = kernelTypes(x.checker);
  const tag = node ? kt.typeTag(x.checker.getTypeFromTypeNode(node)) : undefined;
  if (!node || !tag) x.r.fail("TSBPF2250", e, node?.getText() ?? "T");
  const local = tag.kind === "enum" ? kt.enumType(tag) : kt.composite(tag);
  const exists = name === "coreTypeExists";
  const rel: CoreRelo = { kind: exists ? CORE_KIND.TYPE_EXISTS : CORE_KIND.TYPE_SIZE, type: local, access: "0" };
  return coreValue(x, exists ? 1n : BigInt(tag.size), rel, exists ? INT_TYPES.bool : INT_TYPES.u32);
}

/** coreEnumValueExists / coreEnumValue(Enum.MEMBER). */
export function coreEnum(x: ExprLowerer, e: ts.CallExpression, name: "coreEnumValueExists" | "coreEnumValue"): Val {
  expectArgs(x, e, 1);
  const arg = e.arguments[0];
  const sym = ts.isPropertyAccessExpression(arg) ? x.symbolOf(arg.name) : undefined;
  const member = sym?.valueDeclaration;
  if (!member || !ts.isEnumMember(member)) x.r.fail("TSBPF2254", arg, name);
  const kt = kernelTypes(x.checker);
  const tag = kt.typeTag(x.checker.getTypeAtLocation(member.parent.name));
  if (tag?.kind !== "enum") x.r.fail("TSBPF2254", arg, name);
  const local = kt.enumType(tag);
  const v = x.checker.getConstantValue(member);
  const value = BigInt(typeof v === "number" ? v : 0);
  const idx = kt.enumValueIndex(local, member.name.getText(), value);
  const exists = name === "coreEnumValueExists";
  const rel: CoreRelo = { kind: exists ? CORE_KIND.ENUMVAL_EXISTS : CORE_KIND.ENUMVAL_VALUE, type: local, access: String(idx) };
  return coreValue(x, exists ? 1n : value, rel, exists ? INT_TYPES.bool : INT_TYPES.i64);
}

function localSize(t: KType): number {
  switch (t.kind) {
    case "int":
    case "enum":
    case "struct":
    case "union":
      return t.size;
    case "ptr":
      return 8;
    case "array":
      return localSize(t.elem) * t.len;
  }
}

/** A relocated constant (`mov` immediate the loader patches). */
function coreValue(x: ExprLowerer, value: bigint, relo: CoreRelo, t: CInt): IntVal {
  const dst = x.b.value("i64");
  x.b.emit({ op: "coreoff", dst, value, relo });
  return convert(x.b, { k: "int", v: dst, t: INT_TYPES.i64 }, t);
}

/** `kernelPtr<T>(ctx.arg(i))` of an ArgsContext: the argument loaded straight as a pointer. */
function ctxArgPointer(x: ExprLowerer, arg: ts.Expression): Value | undefined {
  if (x.kind.ctx.kind !== "args" || !ts.isCallExpression(arg) || arg.arguments.length !== 1) return undefined;
  const callee = arg.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "arg" || !ts.isIdentifier(callee.expression)) return undefined;
  const sym = x.symbolOf(callee.expression);
  if (!sym || x.locals.get(sym)?.kind !== "ctx") return undefined;
  const i = constEval(arg.arguments[0], x.checker);
  if (i === undefined || i < 0n || i >= 12n) return undefined; // the generic path reports it
  const p = x.b.value("ptr");
  x.b.emit({ op: "load", dst: p, base: x.ctx, offset: Number(i) * 8, width: 8 });
  return p;
}

/** An integer address as a pointer-typed IR value (through a stack temporary, which the IR allows). */
function asPtr(x: ExprLowerer, v: Value | { imm: bigint }): Value {
  const slot = x.acquireTemp(8);
  const a = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: a, slot });
  x.b.emit({ op: "store", base: a, offset: 0, width: 8, value: v });
  const p = x.b.value("ptr");
  x.b.emit({ op: "load", dst: p, base: a, offset: 0, width: 8 });
  x.releaseTemps([slot]);
  return p;
}

// ------------------------------------------------------------------------- typed program arguments

/**
 * Binds the parameters of a tpBtf/rawTracepoint/fentry/fexit/lsm callback typed from the kernel's
 * prototype (`fentry("do_unlinkat", (dfd, name) => ...)`): parameter i is the i-th u64 of the context.
 * Kernel pointers are references: trusted BTF pointers (direct loads) except for raw tracepoints,
 * whose arguments are plain addresses (probe reads). False when the callback takes an ArgsContext.
 */
/** A trusted BTF pointer read from the context (netfilter's ctx.state, ctx.skb), viewed through vmlinux.d.ts. */
export function ctxKernelPointer(x: ExprLowerer, e: ts.Expression, ptr: Value, struct: string): Val {
  const view = kernelTypes(x.checker).rootView(x.checker.getNonNullableType(x.checker.getTypeAtLocation(e)));
  if (!view) x.r.fail("TSBPF2250", e, struct);
  return { k: "ref", base: ptr, off: 0, t: view, region: "btf" };
}

export function bindKernelArgs(x: ExprLowerer, fn: ts.ArrowFunction): boolean {
  if (x.kind.ctx.kind !== "args" || fn.parameters.length === 0) return false;
  const first = x.checker.getTypeAtLocation(fn.parameters[0].name);
  if (fn.parameters.length === 1 && (first.getSymbol() ?? first.aliasSymbol)?.getName() === "ArgsContext") return false;
  if (fn.parameters.length > 12) x.r.fail("TSBPF2022", fn.parameters[12], "12", 11);
  const region: RefVal["region"] = x.kind.wrapper === "rawTracepoint" ? "kernel" : "btf";
  const kt = kernelTypes(x.checker);
  fn.parameters.forEach((p, i) => {
    if (!ts.isIdentifier(p.name)) x.r.fail("TSBPF1029", p.name);
    const sym = x.symbolOf(p.name)!;
    const t = x.checker.getTypeAtLocation(p.name);
    const it = x.types.intOf(t);
    if (it) {
      const raw = x.b.value("i64");
      x.b.emit({ op: "load", dst: raw, base: x.ctx, offset: i * 8, width: 8 });
      const v = convert(x.b, { k: "int", v: raw, t: INT_TYPES.u64 }, it);
      x.locals.set(sym, { kind: "int", t: it, mutable: true });
      x.b.writeVar(sym, v.v);
      return;
    }
    const view = kt.rootView(x.checker.getNonNullableType(t));
    if (!view) x.r.fail("TSBPF2251", p.name, p.name.text, x.checker.typeToString(t));
    const ptr = x.b.value("ptr");
    x.b.emit({ op: "load", dst: ptr, base: x.ctx, offset: i * 8, width: 8 });
    x.locals.set(sym, { kind: "ptr", t: view, nullable: true, region, mutable: false });
    x.b.writeVar(sym, ptr);
  });
  return true;
}
