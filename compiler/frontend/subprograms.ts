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
import type { SubprogramInfo } from "./module-scan.js";

/** `@noinline` asks for a call; `@inline` (or nothing) inlines. */
export function wantsCall(decl: ts.FunctionDeclaration): boolean {
  return ts.getJSDocTags(decl).some((t) => t.tagName.text === "noinline");
}

/**
 * `@global` (with `@noinline`) asks for a global function: BTF linkage global, verified once from its
 * prototype instead of at every call site. `export` alone does not: multi-file programs export the
 * functions they share.
 */
export function wantsGlobal(decl: ts.FunctionDeclaration): boolean {
  return wantsCall(decl) && ts.getJSDocTags(decl).some((t) => t.tagName.text === "global");
}

/** Why a function cannot be global from its signature alone (the verifier's rules for globals). */
function signatureRefusal(shapes: ParamShape[], ret: CInt | undefined): string | undefined {
  if (!ret) return "it returns void (a global function must return an integer)";
  for (const s of shapes) {
    if (s.kind === "ctx" && !s.prog.ctxStruct) return `the kernel has no context type for ${s.prog.ctxName} arguments of global functions`;
  }
  return undefined;
}

/** Regions a caller may pass to a global function's struct parameter: memory it may read and write. */
const GLOBAL_ARG_REGIONS = new Set<string>(["map", "packet", "stack", "global", "param"]);

export type ParamShape =
  | { kind: "int"; t: CInt }
  /** A pointer to memory; `region` when the kernel says where it points (a timer callback's value: "map"). */
  | { kind: "ref"; t: CType; region?: "map" }
  | { kind: "ctx"; prog: ProgramKind }
  /** A pointer the body does not use (a timer callback's map). */
  | { kind: "opaque" }
  /** A pointer to an integer, read once on entry (a timer callback's key). */
  | { kind: "deref"; t: CInt };

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

/** The parameter's C type in the subprogram's BTF prototype. */
export function paramCType(s: ParamShape): CType {
  if (s.kind === "int") return s.t;
  return { kind: "ptr", to: s.kind === "ref" || s.kind === "deref" ? s.t : null };
}

/** The subprogram's result type: an integer, or undefined for void. */
export function resultType(x: ExprLowerer, decl: ts.FunctionDeclaration): CInt | undefined {
  const ret = x.checker.getReturnTypeOfSignature(x.checker.getSignatureFromDeclaration(decl)!);
  if (ret.flags & ts.TypeFlags.Void) return undefined;
  const it = x.types.intOf(ret);
  if (!it)
    x.r.fail(
      "TSBPF2021",
      decl.type ?? decl.name ?? decl,
      `${x.checker.typeToString(ret)} as a @noinline function's result (an integer, a boolean or void)`,
    );
  return it;
}

/** Records that `decl` is compiled as a subprogram (called, or passed to bpf_loop). */
export function registerSubprogram(x: ExprLowerer, decl: ts.FunctionDeclaration, shapes = paramShapes(x, decl)): void {
  if (x.mod.subprograms.has(decl)) return;
  const info: SubprogramInfo = { name: decl.name!.text, decl, kind: shapes.find((s) => s.kind === "ctx")?.prog };
  if (wantsGlobal(decl)) {
    info.global = true;
    info.notGlobal = signatureRefusal(shapes, resultType(x, decl));
  }
  x.mod.subprograms.set(decl, info);
}

/** Emits the call of a `@noinline` function and registers it for compilation. */
export function emitCall(x: ExprLowerer, decl: ts.FunctionDeclaration, call: ts.CallExpression): Val {
  const name = decl.name!.text;
  const shapes = paramShapes(x, decl);
  const ret = resultType(x, decl);
  const regions: string[] = [];
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
    if (v.k === "ref") {
      regions.push(v.region);
      return x.addOff(v);
    }
    if (v.k === "nullable") {
      regions.push(v.region);
      return x.materialize(v.ptr);
    }
    x.r.fail("TSBPF2015", a);
  });
  registerSubprogram(x, decl, shapes);
  const info = x.mod.subprograms.get(decl)!;
  const badRegion = regions.find((r) => !GLOBAL_ARG_REGIONS.has(r));
  if (info.global && !info.notGlobal && badRegion)
    info.notGlobal = `a call passes ${badRegion === "rodata" ? "read-only" : badRegion} memory, which a global function's struct parameter cannot take`;
  info.calledDirectly = true;
  // A loop() body's returns are stop flags (0/1), which this caller would get instead of the value.
  if (info.loopBody && ret) x.r.report("TSBPF2211", call, name);
  // The result travels in r0, typed like the callee's `ret` values (i32 for types up to 32 bits).
  const dst = ret ? x.b.value(irTy(ret)) : undefined;
  x.b.emit({ op: "callfn", func: name, args, dst });
  return ret && dst ? { k: "int", v: dst, t: ret } : { k: "int", v: { imm: 0n }, t: INT_TYPES.i32 };
}
