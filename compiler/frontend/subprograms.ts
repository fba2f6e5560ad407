// Module-level functions compiled as BPF-to-BPF calls. A function marked `@noinline` in its JSDoc
// becomes a static subprogram in .text (verified by the kernel at each call site, so pointer
// arguments keep what the caller proved about them); every other function is inlined. This file
// decides which, describes a subprogram's parameters, and builds the caller's `callfn`.

import { INT_TYPES, type CInt, type CType } from "../../common/ctypes.js";
import type { Operand, Ty } from "../ir/ir.js";
import { convert, irTy, narrowImm } from "./int-ops.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import { PROGRAM_KINDS, type ProgramKind } from "./program-kinds.js";
import { ts } from "./ts-adapter.js";
import type { Val } from "./values.js";

/** `@noinline` asks for a call; `@inline` (or nothing) inlines. */
export function wantsCall(decl: ts.FunctionDeclaration): boolean {
  return ts.getJSDocTags(decl).some((t) => t.tagName.text === "noinline");
}

export type ParamShape = { kind: "int"; t: CInt } | { kind: "ref"; t: CType } | { kind: "ctx"; prog: ProgramKind };

/** Context interfaces in stdlib -> the program kind whose context they are. */
function kindOfContext(name: string): ProgramKind | undefined {
  return Object.values(PROGRAM_KINDS).find((k) => k.ctxName === name && k.ctx.kind === "fields");
}

/** How each parameter travels in r1..r5; reports unsupported parameter types. */
export function paramShapes(x: ExprLowerer, decl: ts.FunctionDeclaration): ParamShape[] {
  if (decl.parameters.length > 5) x.r.fail("TSBPF2004", decl.parameters[5]);
  return decl.parameters.map((p) => {
    const t = x.checker.getTypeAtLocation(p.name);
    const it = x.types.intOf(t);
    if (it) return { kind: "int", t: it };
    const sym = t.aliasSymbol ?? t.getSymbol();
    const ctxKind = sym && x.types.isStdlibSymbol(sym) ? kindOfContext(sym.getName()) : undefined;
    if (ctxKind) return { kind: "ctx", prog: ctxKind };
    const mt = x.types.memType(t);
    if (mt && mt.kind !== "int") return { kind: "ref", t: mt };
    x.r.fail("TSBPF2021", p, x.checker.typeToString(t));
  });
}

export const paramTy = (s: ParamShape): Ty => (s.kind === "int" ? irTy(s.t) : "ptr");

/** The subprogram's result type: an integer, or undefined for void. */
export function resultType(x: ExprLowerer, decl: ts.FunctionDeclaration): CInt | undefined {
  const ret = x.checker.getReturnTypeOfSignature(x.checker.getSignatureFromDeclaration(decl)!);
  if (ret.flags & ts.TypeFlags.Void) return undefined;
  const it = x.types.intOf(ret);
  if (!it) x.r.fail("TSBPF2021", decl.type ?? decl.name ?? decl, "a return type other than an integer, boolean or void");
  return it;
}

/** Records that `decl` is compiled as a subprogram (called, or passed to bpf_loop). */
export function registerSubprogram(x: ExprLowerer, decl: ts.FunctionDeclaration, shapes = paramShapes(x, decl)): void {
  if (x.mod.subprograms.has(decl)) return;
  x.mod.subprograms.set(decl, { name: decl.name!.text, decl, kind: shapes.find((s) => s.kind === "ctx")?.prog });
}

/** Emits the call of a `@noinline` function and registers it for compilation. */
export function emitCall(x: ExprLowerer, decl: ts.FunctionDeclaration, call: ts.CallExpression): Val {
  const name = decl.name!.text;
  const shapes = paramShapes(x, decl);
  const ret = resultType(x, decl);
  const args: Operand[] = call.arguments.map((a, i) => {
    const shape = shapes[i];
    const v = x.lower(a);
    // A constant argument for a parameter up to 32 bits is passed zero-extended, as the callee
    // expects of an i32 value (found by the differential fuzzer: i16(-1) arrived as 64-bit -1).
    if (shape.kind === "int") return narrowImm(convert(x.b, x.asInt(v, a), shape.t).v, shape.t);
    if (shape.kind === "ctx") {
      if (v.k !== "ctx") x.r.fail("TSBPF2015", a);
      return x.ctx;
    }
    if (v.k === "ref") return x.addOff(v);
    if (v.k === "nullable") return x.materialize(v.ptr);
    x.r.fail("TSBPF2015", a);
  });
  registerSubprogram(x, decl, shapes);
  const info = x.mod.subprograms.get(decl)!;
  info.calledDirectly = true;
  // A loop() body's returns are stop flags (0/1), which this caller would get instead of the value.
  if (info.loopBody && ret) x.r.report("TSBPF2211", call, name);
  // The result travels in r0, typed like the callee's `ret` values (i32 for types up to 32 bits).
  const dst = ret ? x.b.value(irTy(ret)) : undefined;
  x.b.emit({ op: "callfn", func: name, args, dst });
  return ret && dst ? { k: "int", v: dst, t: ret } : { k: "int", v: { imm: 0n }, t: INT_TYPES.i32 };
}
