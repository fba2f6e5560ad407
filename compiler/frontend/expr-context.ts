// What call lowerings (lower-call.ts, lower-map.ts, lower-intrinsic.ts, lower-kernel.ts, printk.ts,
// subprograms.ts, call-utils.ts) may use of the expression lowerer: the shared lowering state and
// memory primitives (LowererBase) plus the expression methods below. ExprLowerer (lower-expr.ts)
// implements it. It lives apart so that those files need not import lower-expr.ts, which would
// close an import cycle; it imports nothing that lowers expressions or calls.
//
// Those files import it as `import type { ExprContext as ExprLowerer }`: their signatures keep the
// name they had, so branches that add code there still merge and type-check.

import type { CType } from "../../common/ctypes.js";
import type { CondOp, Operand } from "../ir/ir.js";
import type { IntVal } from "./int-ops.js";
import type { LowererBase } from "./lower-base.js";
import type { ts } from "./ts-adapter.js";
import type { LocalInfo, RefVal, Val } from "./values.js";

/** JavaScript's integer operators, as `arith` takes them. */
export type ArithOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>" | ">>>";

/** A constant-index element reference, or an element whose index is checked at run time. */
/**
 * An element at a constant index, or one at a run-time index to bounds-check. `stride` and `sub`: a
 * field of a struct element (`arr[i].f`): the element's size and the field's offset in it, `elem` the
 * field's type.
 */
export type ElementRef =
  | { kind: "const"; ref: RefVal }
  | { kind: "var"; arr: RefVal; index: IntVal; elem: CType; len: number; stride?: number; sub?: number };

export interface ExprContext extends LowererBase {
  /** Calls of module-level functions (inlined or a bpf-to-bpf call). */
  callUserFunction(decl: ts.FunctionDeclaration, call: ts.CallExpression): Val;
  /** Lowers an expression to a value. */
  lower(e: ts.Expression): Val;
  /** Lowers and requires an integer (loading it when it is a reference to an integer). */
  int(e: ts.Expression): IntVal;
  asInt(v: Val, node: ts.Node): IntVal;
  /** The memory an assignable expression names (a field, a constant-index element, a global). */
  lvalueRef(e: ts.Expression): RefVal;
  /** Reports a literal that does not fit the type it initialises or is assigned to. */
  checkLiteral(v: Val, t: CType, node: ts.Node): void;
  /** A module or stdlib constant, typed by its declaration when it names one of our int types. */
  constant(v: bigint, node: ts.Node): IntVal;
  readLocal(sym: ts.Symbol, l: LocalInfo): Val;
  elementRef(e: ts.ElementAccessExpression): ElementRef;
  /** Reads a field: integers are loaded, structs and arrays stay references. */
  fieldRef(obj: RefVal, name: string, node: ts.Node): Val;
  arith(op: ArithOp, a: IntVal, b: IntVal, node: ts.Node): IntVal;
  /** `target = value` and compound forms; `compute` receives the old value for compound ones. */
  assign(target: ts.Expression, compute: (old: IntVal) => Val, node: ts.Node): Val;
  /** A condition used as a value: 0 or 1. */
  boolValue(e: ts.Expression): IntVal;
  /** Lowers `e` as a branch: control goes to `t` when it is true, `f` otherwise. */
  cond(e: ts.Expression, t: number, f: number): void;
  /** Branches on `subject == value` with the comparison typed like `subject === <literal>`. */
  compareWith(subject: IntVal, value: bigint, node: ts.Node, t: number, f: number): void;
  branch(cond: CondOp, width: 32 | 64, a: Operand, b: Operand, t: number, f: number): void;
  /** Writes an integer or struct value into memory at `dst` (a stack slot, map value, ...). */
  writeValue(dst: RefVal, t: CType, e: ts.Expression): void;
  /** Zero-fills `dst` and stores the literal's fields. */
  writeObject(dst: RefVal, t: CType, e: ts.ObjectLiteralExpression): void;
}
