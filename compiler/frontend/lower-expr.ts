// Lowers expressions of a program body to SSA IR: integer arithmetic with C conversions, field
// reads and writes through references, conditions as branches (short-circuit), assignments.
// Calls (helpers, map methods, context methods) are in lower-call.ts, which FunctionLowerer
// (lower-stmt.ts) plugs in through `callExpression`, so this file need not import it; statements
// are in lower-stmt.ts.

import { INT_TYPES, sizeOf, type CInt, type CType } from "../../common/ctypes.js";
import { isImm, type BinOp, type CondOp, type Operand, type Value } from "../ir/ir.js";
import { constEval } from "./const-eval.js";
import { evalCond, swappedCond } from "../passes/const-fold.js";
import { commonType, convert, fits, irTy, literalType, parseIntLiteral, promote, wrapConst, type IntVal } from "./int-ops.js";
import { ctxFields } from "./program-kinds.js";
import { ts } from "./ts-adapter.js";
import type { LocalInfo, RefVal, Val } from "./values.js";
import type { ElementRef, ExprContext } from "./expr-context.js";
import { ctxKernelPointer, kernelField, kernelRef } from "./lower-kernel.js";
import { notePacketLocal, usePacketLocal } from "./packet-refs.js";
import { LowererBase } from "./lower-base.js";
export type { LoweringTarget } from "./lower-base.js";

const K = ts.SyntaxKind;

const ARITH: Partial<Record<ts.SyntaxKind, "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>" | ">>>">> = {
  [K.PlusToken]: "+",
  [K.MinusToken]: "-",
  [K.AsteriskToken]: "*",
  [K.SlashToken]: "/",
  [K.PercentToken]: "%",
  [K.AmpersandToken]: "&",
  [K.BarToken]: "|",
  [K.CaretToken]: "^",
  [K.LessThanLessThanToken]: "<<",
  [K.GreaterThanGreaterThanToken]: ">>",
  [K.GreaterThanGreaterThanGreaterThanToken]: ">>>",
};

export const COMPOUND: Partial<Record<ts.SyntaxKind, ts.SyntaxKind>> = {
  [K.PlusEqualsToken]: K.PlusToken,
  [K.MinusEqualsToken]: K.MinusToken,
  [K.AsteriskEqualsToken]: K.AsteriskToken,
  [K.SlashEqualsToken]: K.SlashToken,
  [K.PercentEqualsToken]: K.PercentToken,
  [K.AmpersandEqualsToken]: K.AmpersandToken,
  [K.BarEqualsToken]: K.BarToken,
  [K.CaretEqualsToken]: K.CaretToken,
  [K.LessThanLessThanEqualsToken]: K.LessThanLessThanToken,
  [K.GreaterThanGreaterThanEqualsToken]: K.GreaterThanGreaterThanToken,
  [K.GreaterThanGreaterThanGreaterThanEqualsToken]: K.GreaterThanGreaterThanGreaterThanToken,
};

const COMPARE: Partial<Record<ts.SyntaxKind, { s: CondOp; u: CondOp }>> = {
  [K.EqualsEqualsEqualsToken]: { s: "eq", u: "eq" },
  [K.EqualsEqualsToken]: { s: "eq", u: "eq" },
  [K.ExclamationEqualsEqualsToken]: { s: "ne", u: "ne" },
  [K.ExclamationEqualsToken]: { s: "ne", u: "ne" },
  [K.LessThanToken]: { s: "slt", u: "ult" },
  [K.LessThanEqualsToken]: { s: "sle", u: "ule" },
  [K.GreaterThanToken]: { s: "sgt", u: "ugt" },
  [K.GreaterThanEqualsToken]: { s: "sge", u: "uge" },
};

export abstract class ExprLowerer extends LowererBase implements ExprContext {
  /** Calls of module-level functions; statements are needed to lower their bodies (lower-stmt.ts). */
  callUserFunction(decl: ts.FunctionDeclaration, call: ts.CallExpression): Val {
    this.r.fail("TSBPF1033", call.expression, decl.name?.text ?? "function");
  }

  /** Calls: lowerCall (lower-call.ts), which calls back into this class for arguments. */
  abstract callExpression(e: ts.CallExpression): Val;

  // ---------------------------------------------------------------------------------- values

  lower(e: ts.Expression): Val {
    switch (e.kind) {
      case K.ParenthesizedExpression:
        return this.lower((e as ts.ParenthesizedExpression).expression);
      case K.SatisfiesExpression:
        return this.lower((e as ts.SatisfiesExpression).expression);
      case K.NumericLiteral: {
        const v = parseIntLiteral(e.getText());
        if (v === undefined) this.r.fail("TSBPF1010", e);
        if (v > 0xffffffffffffffffn) this.r.fail("TSBPF2011", e, e.getText(), "u64");
        return { k: "int", v: { imm: v }, t: literalType(v), literal: true };
      }
      case K.TrueKeyword:
      case K.FalseKeyword:
        return { k: "int", v: { imm: e.kind === K.TrueKeyword ? 1n : 0n }, t: INT_TYPES.bool };
      case K.NullKeyword:
        return { k: "nullable", ptr: { imm: 0n }, t: INT_TYPES.u8, region: "stack" };
      case K.Identifier:
        return this.identifier(e as ts.Identifier);
      case K.PropertyAccessExpression:
        return this.property(e as ts.PropertyAccessExpression);
      case K.ElementAccessExpression:
        return this.element(e as ts.ElementAccessExpression);
      case K.CallExpression:
        return this.callExpression(e as ts.CallExpression);
      case K.PrefixUnaryExpression:
        return this.prefix(e as ts.PrefixUnaryExpression);
      case K.PostfixUnaryExpression:
        return this.increment(
          e as ts.PostfixUnaryExpression,
          (e as ts.PostfixUnaryExpression).operator === K.PlusPlusToken ? "+" : "-",
          true,
        );
      case K.BinaryExpression:
        return this.binary(e as ts.BinaryExpression);
      case K.ConditionalExpression:
        return this.conditional(e as ts.ConditionalExpression);
      case K.ObjectLiteralExpression:
        return this.objectLiteral(e as ts.ObjectLiteralExpression);
      default:
        this.r.fail("TSBPF1035", e);
    }
  }

  /** Lowers and requires an integer (loading it when it is a reference to an integer). */
  int(e: ts.Expression): IntVal {
    const v = this.lower(e);
    return this.asInt(v, e);
  }

  asInt(v: Val, node: ts.Node): IntVal {
    if (v.k === "int") return v;
    if (v.k === "ref" && v.t.kind === "int") return this.load(v, v.t);
    if (v.k === "ref" && v.t.kind === "struct") this.r.fail("TSBPF2018", node);
    this.r.fail("TSBPF2014", node);
  }

  private identifier(id: ts.Identifier): Val {
    const sym = this.symbolOf(id);
    if (!sym) this.r.fail("TSBPF2016", id, id.text);
    const local = this.locals.get(sym);
    if (local) {
      if (local.kind === "ptr" && local.region === "packet") usePacketLocal(this, sym, id);
      const v = this.readLocal(sym, local);
      // Where tsc has narrowed `T | null` to T, the IR holds the null test that narrowed it (if,
      // &&, ||, ?: and early returns all lower to branches), so the pointer is a plain reference.
      if (v.k === "nullable" && !this.mayBeNull(id)) return { k: "ref", base: this.materialize(v.ptr), off: 0, t: v.t, region: v.region };
      return v;
    }
    const map = this.mod.maps.get(sym);
    if (map) return { k: "map", map };
    const g = this.mod.globals.get(sym);
    if (g) {
      const ref = this.globalRef(g);
      return g.type.kind === "int" ? this.load(ref, g.type) : ref;
    }
    const c = constEval(id, this.checker);
    if (c !== undefined) return this.constant(c, id);
    this.r.fail("TSBPF2016", id, id.text);
  }

  /** The memory an assignable expression names (a field, a constant-index element, a global). */
  lvalueRef(e: ts.Expression): RefVal {
    if (ts.isParenthesizedExpression(e)) return this.lvalueRef(e.expression);
    if (ts.isIdentifier(e)) {
      const g = this.mod.globals.get(this.symbolOf(e)!);
      if (g) return this.globalRef(g);
    }
    if (ts.isPropertyAccessExpression(e)) {
      const obj = this.lower(e.expression);
      const ref =
        obj.k === "ref"
          ? obj
          : obj.k === "nullable"
            ? { k: "ref" as const, base: this.materialize(obj.ptr), off: 0, t: obj.t, region: obj.region }
            : undefined;
      if (ref && ref.t.kind === "struct") {
        const f = ref.t.fields.find((x) => x.name === e.name.text);
        if (f) return { ...ref, off: ref.off + f.offset, t: f.type };
      }
    }
    if (ts.isElementAccessExpression(e)) {
      const r = this.elementRef(e);
      if (r.kind === "const") return r.ref;
    }
    this.r.fail("TSBPF2027", e);
  }

  private mayBeNull(node: ts.Node): boolean {
    const t = this.checker.getTypeAtLocation(node);
    const parts = t.isUnion() ? t.types : [t];
    return parts.some((p) => !!(p.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
  }

  /** Reports a literal that does not fit the type it initialises or is assigned to. */
  checkLiteral(v: Val, t: CType, node: ts.Node): void {
    if (v.k !== "int" || !v.literal || !isImm(v.v) || t.kind !== "int" || t.name === "bool") return;
    if (fits(v.v.imm, t)) return;
    let lit: ts.Node = node;
    while (ts.isParenthesizedExpression(lit)) lit = lit.expression;
    if (ts.isNumericLiteral(lit) || (ts.isPrefixUnaryExpression(lit) && ts.isNumericLiteral(lit.operand)))
      this.r.fail("TSBPF2011", node, String(v.v.imm), t.name);
    this.r.fail("TSBPF2201", node, exprText(node), String(v.v.imm), t.name);
  }

  /** A module or stdlib constant, typed by its declaration when it names one of our int types. */
  constant(v: bigint, node: ts.Node): IntVal {
    const declared = this.types.intOf(this.checker.getTypeAtLocation(node));
    if (declared && declared.name !== "bool") return { k: "int", v: { imm: wrapConst(v, declared) }, t: declared };
    return { k: "int", v: { imm: v }, t: literalType(v), literal: true };
  }

  readLocal(sym: ts.Symbol, l: LocalInfo): Val {
    switch (l.kind) {
      case "int":
        return { k: "int", v: this.b.readVar(sym, irTy(l.t)), t: l.t };
      case "ptr": {
        const p = this.b.readVar(sym, "ptr");
        if (l.nullable) return { k: "nullable", ptr: p, t: l.t, region: l.region };
        return { k: "ref", base: this.materialize(p), off: 0, t: l.t, region: l.region };
      }
      case "ctx":
        // A tracepoint's context is the record itself: fields are loads at constant offsets of ctx.
        if (this.prog.ctxType) return { k: "ref", base: this.ctx, off: 0, t: this.prog.ctxType, region: "ctx" };
        return { k: "ctx", v: this.ctx };
      case "stack": {
        const dst = this.b.value("ptr");
        this.b.emit({ op: "stackaddr", dst, slot: l.slot });
        return { k: "ref", base: dst, off: 0, t: l.t, region: "stack" };
      }
    }
  }

  private property(e: ts.PropertyAccessExpression): Val {
    const folded = constEval(e, this.checker);
    if (folded !== undefined) return this.constant(folded, e);
    const vf = this.varField(e);
    if (vf) {
      const t = vf.elem;
      if (t.kind !== "int") this.r.fail("TSBPF2030", e);
      return this.guarded(vf, (ref) => this.load(ref, t), t);
    }
    const obj = this.lower(e.expression);
    const name = e.name.text;
    if (obj.k === "ctx") {
      // A pointer in the context (flow_keys; netfilter's kernel pointers): a reference to what it points to.
      const f = ctxFields(this.kind)[name];
      if (!f?.points && !f?.kernel) return this.ctxField(name, e);
      const dst = this.b.value("ptr");
      this.b.emit({ op: "load", dst, base: this.ctx, offset: f.offset, width: 8 });
      if (f.kernel) return ctxKernelPointer(this, e, dst, f.kernel);
      return { k: "ref", base: dst, off: 0, t: f.points!, region: "param" };
    }
    const kref = kernelRef(obj);
    if (kref) return kernelField(this, kref, name, e);
    if (obj.k === "nullable") {
      // tsc's strict null checks reject this unless the value was narrowed; narrowing by control flow
      // we did not model (e.g. through a boolean variable) lands here.
      return this.fieldRef({ k: "ref", base: this.materialize(obj.ptr), off: 0, t: obj.t, region: obj.region }, name, e);
    }
    if (obj.k === "ref") return this.fieldRef(obj, name, e);
    this.r.fail("TSBPF2015", e);
  }

  /**
   * `arr[i]` on a FixedArray. A constant index is checked here. A variable index is compared with the
   * length at run time — the check the verifier needs to bound the access; reads outside give 0 and
   * writes outside are dropped.
   */
  private element(e: ts.ElementAccessExpression): Val {
    const r = this.elementRef(e);
    if (r.kind === "const") return r.ref.t.kind === "int" ? this.load(r.ref, r.ref.t) : r.ref;
    const t = r.elem;
    if (t.kind !== "int") this.r.fail("TSBPF2030", e);
    return this.guarded(r, (ref) => this.load(ref, t), t);
  }

  /** Resolves an element access to a reference (constant index) or a pending bounds check. */
  elementRef(
    e: ts.ElementAccessExpression,
  ): { kind: "const"; ref: RefVal } | { kind: "var"; arr: RefVal; index: IntVal; elem: CType; len: number } {
    const obj = this.lower(e.expression);
    if (obj.k !== "ref" || obj.t.kind !== "array") this.r.fail("TSBPF1012", e);
    const arr = obj as RefVal & { t: { kind: "array"; elem: CType; len: number } };
    const esize = sizeOf(arr.t.elem);
    const c = constEval(e.argumentExpression, this.checker);
    if (c !== undefined) {
      if (c < 0n || c >= BigInt(arr.t.len)) this.r.fail("TSBPF2023", e.argumentExpression, String(c), arr.t.len);
      return { kind: "const", ref: { ...arr, off: arr.off + Number(c) * esize, t: arr.t.elem } };
    }
    if (arr.region === "packet") this.r.fail("TSBPF2024", e.argumentExpression);
    const index = convert(this.b, this.int(e.argumentExpression), INT_TYPES.u32);
    return { kind: "var", arr, index, elem: arr.t.elem, len: arr.t.len };
  }

  /**
   * `arr[i].f.g` with a run-time `i` into an array of structs: the field, bounds-checked like an
   * element (a read past the end gives 0, a write there is dropped). Undefined for any other shape.
   */
  private varField(e: ts.PropertyAccessExpression): (ElementRef & { kind: "var" }) | undefined {
    const names: string[] = [];
    let x: ts.Expression = e;
    while (ts.isPropertyAccessExpression(x) || ts.isParenthesizedExpression(x)) {
      if (ts.isPropertyAccessExpression(x)) names.unshift(x.name.text);
      x = x.expression;
    }
    if (!ts.isElementAccessExpression(x) || constEval(x.argumentExpression, this.checker) !== undefined) return undefined;
    if (this.types.memType(this.checker.getTypeAtLocation(x))?.kind !== "struct") return undefined;
    const r = this.elementRef(x);
    if (r.kind !== "var") return undefined;
    let t = r.elem;
    let sub = 0;
    for (const name of names) {
      const f = t.kind === "struct" ? t.fields.find((y) => y.name === name) : undefined;
      if (!f) this.r.fail("TSBPF2015", e);
      sub += f.offset;
      t = f.type;
    }
    return { ...r, elem: t, stride: sizeOf(r.elem), sub };
  }

  /** Runs `body` on the element's reference only when the index is in range; 0 otherwise. */
  guarded(
    r: { arr: RefVal; index: IntVal; elem: CType; len: number; stride?: number; sub?: number },
    body: (ref: RefVal) => IntVal | undefined,
    t?: CInt,
  ): IntVal {
    const inB = this.b.newBlock();
    const outB = this.b.newBlock();
    const join = this.b.newBlock();
    this.branch("ult", 32, r.index.v, { imm: BigInt(r.len) }, inB, outB);
    this.b.seal(inB);
    this.b.seal(outB);
    this.b.switchTo(inB);
    const idx64 = this.b.value("i64");
    this.b.emit({ op: "zext", dst: idx64, a: r.index.v });
    const scaled = this.b.value("i64");
    this.b.emit({ op: "bin", kind: "mul", dst: scaled, a: idx64, b: { imm: BigInt(r.stride ?? sizeOf(r.elem)) } });
    const p = this.b.value("ptr");
    this.b.emit({ op: "ptradd", dst: p, base: this.addOff(r.arr), offset: scaled });
    const v = body({ ...r.arr, base: p, off: r.sub ?? 0, t: r.elem });
    this.b.jump(join);
    const inEnd = this.b.current;
    this.b.switchTo(outB);
    this.b.jump(join);
    this.b.seal(join);
    this.b.switchTo(join);
    if (!v || !t) return { k: "int", v: { imm: 0n }, t: INT_TYPES.i32 };
    const dst = this.b.phi(join, irTy(t), [
      { block: inEnd, value: v.v },
      { block: outB, value: { imm: 0n } },
    ]);
    return { k: "int", v: dst, t };
  }

  /** Reads a field: integers are loaded, structs and arrays stay references. */
  fieldRef(obj: RefVal, name: string, node: ts.Node): Val {
    if (obj.t.kind !== "struct") this.r.fail("TSBPF2015", node);
    const f = obj.t.fields.find((x) => x.name === name);
    if (!f) this.r.fail("TSBPF2015", node);
    const ref: RefVal = { ...obj, off: obj.off + f.offset, t: f.type };
    // The verifier refuses a tracepoint program's reads of the record's common header (bytes 0-7:
    // "invalid bpf_context access off=4 size=4" on Linux 6.18).
    if (obj.region === "ctx" && this.prog.ctxType && f.type.kind === "int" && ref.off < 8) this.r.fail("TSBPF1046", node, name);
    if (f.type.kind === "int") return this.load(ref, f.type);
    return ref;
  }

  private ctxField(name: string, node: ts.Node): IntVal {
    // XDP (and TC) read `len` as the packet bounds' difference; sk_skb reads __sk_buff.len, the whole
    // message, which a stream parser returns and which may be longer than the linear data.
    if (name === "len" && this.kind.packet && this.kind.type !== "SK_SKB") {
      const [data, end] = this.packetBounds();
      const d = this.b.value("i64");
      this.b.emit({ op: "bin", kind: "sub", dst: d, a: end, b: data });
      return convert(this.b, { k: "int", v: d, t: INT_TYPES.u64 }, INT_TYPES.u32);
    }
    const f = ctxFields(this.kind)[name];
    if (!f) this.r.fail("TSBPF2008", node, name, this.kind.ctxName);
    const t = f.size === 8 ? INT_TYPES.u64 : INT_TYPES.u32;
    const dst = this.b.value(irTy(t));
    this.b.emit({ op: "load", dst, base: this.ctx, offset: f.offset, width: f.size });
    return { k: "int", v: dst, t };
  }

  // ------------------------------------------------------------------------------ operators

  private prefix(e: ts.PrefixUnaryExpression): Val {
    switch (e.operator) {
      case K.PlusPlusToken:
        return this.increment(e, "+", false);
      case K.MinusMinusToken:
        return this.increment(e, "-", false);
      case K.PlusToken:
        return this.int(e.operand);
      case K.MinusToken: {
        const a = this.int(e.operand);
        if (isImm(a.v)) {
          const v = -a.v.imm;
          return a.literal
            ? { k: "int", v: { imm: v }, t: literalType(v), literal: true }
            : { k: "int", v: { imm: wrapConst(v, promote(a.t)) }, t: promote(a.t) };
        }
        const t = promote(a.t);
        const x = convert(this.b, a, t);
        const dst = this.b.value(irTy(t));
        this.b.emit({ op: "neg", dst, a: x.v });
        return { k: "int", v: dst, t };
      }
      case K.TildeToken: {
        const a = this.int(e.operand);
        const t = promote(a.t);
        // Not a literal any more: `const mask: u32 = ~0` converts like C instead of being range-checked.
        if (isImm(a.v)) return { k: "int", v: { imm: wrapConst(~a.v.imm, t) }, t };
        const x = convert(this.b, a, t);
        const dst = this.b.value(irTy(t));
        this.b.emit({ op: "bin", kind: "xor", dst, a: x.v, b: { imm: -1n } });
        return { k: "int", v: dst, t };
      }
      case K.ExclamationToken:
        return this.boolValue(e);
    }
    this.r.fail("TSBPF1035", e);
  }

  private binary(e: ts.BinaryExpression): Val {
    const op = e.operatorToken.kind;
    if (op === K.EqualsToken) return this.assign(e.left, () => this.lower(e.right), e);
    const compound = COMPOUND[op];
    if (compound) {
      const sym = ARITH[compound]!;
      // JavaScript reads the target's old value before evaluating the right-hand side.
      return this.assign(
        e.left,
        (old) => {
          const before: IntVal = { k: "int", v: old.v, t: old.t };
          return this.arith(sym, before, this.int(e.right), e);
        },
        e,
      );
    }
    const a = ARITH[op];
    if (a) return this.arith(a, this.int(e.left), this.int(e.right), e);
    if (COMPARE[op] || op === K.AmpersandAmpersandToken || op === K.BarBarToken) return this.boolValue(e);
    this.r.fail("TSBPF1035", e.operatorToken);
  }

  arith(op: NonNullable<(typeof ARITH)[ts.SyntaxKind]>, a: IntVal, b: IntVal, node: ts.Node): IntVal {
    const shift = op === "<<" || op === ">>" || op === ">>>";
    let t = shift ? promote(a.t) : commonType(a.t, b.t);
    // An untyped literal adapts to the other operand when it fits (x + 1 stays u64 for a u64 x).
    if (!shift && a.literal && !b.literal && isImm(a.v) && fits(a.v.imm, promote(b.t))) t = promote(b.t);
    if (!shift && b.literal && !a.literal && isImm(b.v) && fits(b.v.imm, promote(a.t))) t = promote(a.t);
    const x = convert(this.b, a, t);
    const y = convert(this.b, b, t);
    const kind: BinOp = {
      "+": "add",
      "-": "sub",
      "*": "mul",
      "/": t.signed ? "sdiv" : "udiv",
      "%": t.signed ? "smod" : "umod",
      "&": "and",
      "|": "or",
      "^": "xor",
      "<<": "shl",
      ">>": t.signed ? "ashr" : "lshr",
      ">>>": "lshr",
    }[op] as BinOp;
    const literal = !!a.literal && !!b.literal;
    if (isImm(x.v) && isImm(y.v)) {
      const folded = foldConst(kind, x.v.imm, y.v.imm, t);
      if (folded !== undefined) {
        if (literal) {
          // Constant expressions are checked like literals: no 64-bit type holds the result.
          if (folded.exact > 0xffffffffffffffffn || folded.exact < -0x8000000000000000n)
            this.r.fail("TSBPF2201", node, exprText(node), String(folded.exact), "a 64-bit integer");
          return { k: "int", v: { imm: folded.exact }, t: literalType(folded.exact), literal };
        }
        return { k: "int", v: { imm: folded.wrapped }, t };
      }
    }
    const dst = this.b.value(irTy(t));
    this.b.emit({ op: "bin", kind, dst, a: x.v, b: y.v });
    void node;
    return { k: "int", v: dst, t };
  }

  /** `target = value` and compound forms; `compute` receives the old value for compound ones. */
  assign(target: ts.Expression, compute: (old: IntVal) => Val, node: ts.Node): Val {
    if (ts.isParenthesizedExpression(target)) return this.assign(target.expression, compute, node);
    if (ts.isIdentifier(target)) {
      const sym = this.symbolOf(target);
      const g = sym && this.mod.globals.get(sym);
      if (g) {
        if (g.section === ".rodata" || g.type.kind !== "int") this.r.fail("TSBPF2010", target, target.text);
        const ref = this.globalRef(g);
        const t = g.type;
        const nv = compute(lazyInt(() => this.load(ref, t)));
        this.checkLiteral(nv, t, node);
        const v = this.asInt(nv, node);
        this.store(ref, t, v);
        return convert(this.b, v, t);
      }
      const l = sym && this.locals.get(sym);
      if (!sym || !l) this.r.fail("TSBPF2010", target, target.text);
      if (l.kind === "int") {
        if (!l.mutable) this.r.fail("TSBPF2010", target, target.text);
        const old: IntVal = { k: "int", v: this.b.readVar(sym, irTy(l.t)), t: l.t };
        const nv = compute(old);
        this.checkLiteral(nv, l.t, node);
        const v = convert(this.b, this.asInt(nv, node), l.t);
        this.b.writeVar(sym, v.v);
        return v;
      }
      if (l.kind === "stack") {
        // Assigning a struct local copies into its stack slot.
        const src = compute(undefined as unknown as IntVal);
        if (src.k !== "ref" || sizeOf(src.t) !== sizeOf(l.t)) this.r.fail("TSBPF2018", node);
        const dst = this.readLocal(sym, l) as RefVal;
        this.copy(dst, src, sizeOf(l.t));
        return dst;
      }
      if (l.kind === "ptr" && l.mutable) {
        const v = compute(undefined as unknown as IntVal);
        if (v.k !== "nullable" && v.k !== "ref") this.r.fail("TSBPF2014", node);
        this.b.writeVar(sym, v.k === "ref" ? this.addOff(v) : v.ptr);
        if (l.region === "packet") notePacketLocal(this, sym);
        return v;
      }
      this.r.fail("TSBPF2010", target, target.text);
    }
    const vf = ts.isPropertyAccessExpression(target) ? this.varField(target) : undefined;
    if (ts.isElementAccessExpression(target) || vf) {
      const r = vf ?? this.elementRef(target as ts.ElementAccessExpression);
      const region = r.kind === "const" ? r.ref.region : r.arr.region;
      if (region === "rodata" || region === "ctx") this.r.fail("TSBPF2010", target, target.getText());
      const write = (ref: RefVal): IntVal => {
        if (ref.t.kind !== "int") this.r.fail("TSBPF2015", target);
        const t = ref.t;
        const v = this.asInt(compute(lazyInt(() => this.load(ref, t))), node);
        this.store(ref, t, v);
        return convert(this.b, v, t);
      };
      if (r.kind === "const") return write(r.ref);
      // A run-time index: the right-hand side runs whatever the index, as in TypeScript (it used to
      // run only in range, skipping its side effects); an element past the end reads 0 and is not
      // written, and the assignment's value is the converted right-hand side.
      if (r.elem.kind !== "int") this.r.fail("TSBPF2030", target);
      const t = r.elem;
      const v = convert(this.b, this.asInt(compute(lazyInt(() => this.guarded(r, (ref) => this.load(ref, t), t))), node), t);
      this.guarded(r, (ref) => {
        this.store(ref, t, v);
        return undefined;
      });
      return v;
    }
    if (ts.isPropertyAccessExpression(target)) {
      const obj = this.lower(target.expression);
      if (obj.k === "ctx") return this.assignCtxField(target, compute, node);
      const ref: RefVal | undefined =
        obj.k === "ref"
          ? obj
          : obj.k === "nullable"
            ? { k: "ref", base: this.materialize(obj.ptr), off: 0, t: obj.t, region: obj.region }
            : undefined;
      if (ref?.t.kind !== "struct") this.r.fail("TSBPF2015", target);
      if (ref.region === "rodata" || ref.region === "ctx") this.r.fail("TSBPF2010", target, target.getText());
      const f = ref.t.fields.find((x) => x.name === target.name.text);
      if (f && f.type.kind !== "int") {
        // Whole struct or array fields are copied, as C's struct assignment does.
        const src = compute(undefined as unknown as IntVal);
        if (src.k !== "ref" || sizeOf(src.t) !== sizeOf(f.type)) this.r.fail("TSBPF2018", node);
        this.copy({ ...ref, off: ref.off + f.offset, t: f.type }, src, sizeOf(f.type));
        return src;
      }
      if (f?.type.kind !== "int") this.r.fail("TSBPF2010", target, target.getText());
      const fref: RefVal = { ...ref, off: ref.off + f.offset, t: f.type };
      const old = () => this.load(fref, f.type as CInt);
      const v = this.asInt(compute(lazyInt(old)), node);
      this.store(fref, f.type, v);
      return convert(this.b, v, f.type);
    }
    this.r.fail("TSBPF2010", target, target.getText());
  }

  /** Writes a writable context field (e.g. __sk_buff.mark in TC programs). */
  private assignCtxField(target: ts.PropertyAccessExpression, compute: (old: IntVal) => Val, node: ts.Node): Val {
    const f = ctxFields(this.kind)[target.name.text];
    if (!f) this.r.fail("TSBPF2008", target.name, target.name.text, this.kind.ctxName);
    if (!f.writable) this.r.fail("TSBPF2010", target, target.getText());
    const t = f.size === 8 ? INT_TYPES.u64 : INT_TYPES.u32;
    const v = convert(this.b, this.asInt(compute(lazyInt(() => this.ctxField(target.name.text, target))), node), t);
    // The verifier forbids immediate stores (BPF_ST) into the context: store from a register.
    this.b.emit({ op: "store", base: this.ctx, offset: f.offset, width: f.size, value: this.materialize(v.v, irTy(t)) });
    return v;
  }

  private increment(e: ts.PrefixUnaryExpression | ts.PostfixUnaryExpression, op: "+" | "-", postfix: boolean): Val {
    let before: IntVal | undefined;
    const after = this.assign(
      e.operand,
      (old) => {
        before = { k: "int", v: old.v, t: old.t }; // read the target now, as JavaScript does
        return this.arith(op, before, { k: "int", v: { imm: 1n }, t: INT_TYPES.i32, literal: true }, e);
      },
      e,
    );
    return postfix && before ? before : after;
  }

  private conditional(e: ts.ConditionalExpression): Val {
    // A choice between references or structs (`isV4 ? a : b`, `ok ? hdr : null`): no value to merge.
    const type = this.checker.getTypeAtLocation(e);
    const parts = type.isUnion() ? type.types : [type];
    if (
      parts.some(
        (p) => p.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined) || ["struct", "array"].includes(this.types.memType(p)?.kind ?? ""),
      )
    )
      this.r.fail("TSBPF2031", e);
    const thenB = this.b.newBlock();
    const elseB = this.b.newBlock();
    const join = this.b.newBlock();
    this.cond(e.condition, thenB, elseB);
    this.b.seal(thenB);
    this.b.seal(elseB);
    this.b.switchTo(thenB);
    const a = this.int(e.whenTrue);
    const aEnd = this.b.current;
    this.b.switchTo(elseB);
    const c = this.int(e.whenFalse);
    // An untyped literal branch adapts to the other branch's type only when it fits there.
    const adapts = (lit: IntVal, other: IntVal) => lit.literal && !other.literal && isImm(lit.v) && fits(lit.v.imm, promote(other.t));
    const t = adapts(a, c) ? promote(c.t) : adapts(c, a) ? promote(a.t) : commonType(a.t, c.t);
    const cv = convert(this.b, c, t);
    this.b.jump(join);
    const cEnd = this.b.current;
    this.b.switchTo(aEnd);
    const av = convert(this.b, a, t);
    this.b.jump(join);
    const aEnd2 = this.b.current;
    this.b.seal(join);
    this.b.switchTo(join);
    const dst = this.b.phi(join, irTy(t), [
      { block: aEnd2, value: av.v },
      { block: cEnd, value: cv.v },
    ]);
    return { k: "int", v: dst, t };
  }

  /** A condition used as a value: 0 or 1 through two blocks and a phi. */
  boolValue(e: ts.Expression): IntVal {
    const dst = this.b.diamond(
      "i32",
      (t, f) => this.cond(e, t, f),
      () => ({ imm: 1n }),
      () => ({ imm: 0n }),
    );
    return { k: "int", v: dst, t: INT_TYPES.bool };
  }

  // ----------------------------------------------------------------------------- conditions

  /** Lowers `e` as a branch: control goes to `t` when it is true, `f` otherwise. */
  cond(e: ts.Expression, t: number, f: number): void {
    if (ts.isParenthesizedExpression(e)) return this.cond(e.expression, t, f);
    if (ts.isPrefixUnaryExpression(e) && e.operator === K.ExclamationToken) return this.cond(e.operand, f, t);
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === K.AmpersandAmpersandToken || op === K.BarBarToken) {
        const mid = this.b.newBlock();
        if (op === K.AmpersandAmpersandToken) this.cond(e.left, mid, f);
        else this.cond(e.left, t, mid);
        this.b.seal(mid);
        this.b.switchTo(mid);
        return this.cond(e.right, t, f);
      }
      const cmp = COMPARE[op];
      if (cmp) return this.compare(e, cmp, t, f);
    }
    const v = this.lower(e);
    if (v.k === "nullable" && v.t.kind === "int") {
      // `u8 | null` (`ctx.header<u8>(i)`) is falsy when null and when 0, as in TypeScript: `if (!b)
      // break;` stops at a zero byte too. The null test, then the value's.
      const mid = this.b.newBlock();
      this.branch("ne", 64, v.ptr, { imm: 0n }, mid, f);
      this.b.seal(mid);
      this.b.switchTo(mid);
      const i = this.load({ k: "ref", base: this.materialize(v.ptr), off: 0, t: v.t, region: v.region }, v.t);
      return this.branch("ne", i.t.size === 8 ? 64 : 32, i.v, { imm: 0n }, t, f);
    }
    if (v.k === "nullable") return this.branch("ne", 64, v.ptr, { imm: 0n }, t, f);
    // A checked reference to a struct is never null; one to an integer (`ctx.header<u8>(i)` after
    // its null test) tests the integer it points at.
    if (v.k === "ref" && v.t.kind !== "int") return this.b.jump(t);
    const i = this.asInt(v, e);
    return this.branch("ne", i.t.size === 8 ? 64 : 32, i.v, { imm: 0n }, t, f);
  }

  private compare(e: ts.BinaryExpression, cmp: { s: CondOp; u: CondOp }, t: number, f: number): void {
    const l = this.lower(e.left);
    const r = this.lower(e.right);
    // References to integers (a null-checked `ctx.header<u8>(i)`) compare by the integer's value.
    const isRef = (v: Val) => v.k === "nullable" || (v.k === "ref" && v.t.kind !== "int");
    if (isRef(l) || isRef(r)) {
      // Only comparisons with null make sense for references (tsc rejects the others).
      if (cmp.s !== "eq" && cmp.s !== "ne") this.r.fail("TSBPF2018", e);
      const isNull = (v: Val) => v.k === "nullable" && isImm(v.ptr) && v.ptr.imm === 0n;
      // Only tests against null: two references are never compared by address or contents.
      if (!isNull(l) && !isNull(r)) this.r.fail("TSBPF2018", e);
      const other = isNull(l) ? r : l;
      if (other.k === "ref") return this.b.jump(cmp.s === "ne" ? t : f); // a checked reference is never null
      if (other.k !== "nullable") this.r.fail("TSBPF2018", e);
      return this.branch(cmp.s, 64, other.ptr, { imm: 0n }, t, f);
    }
    const a = this.asInt(l, e.left);
    const b = this.asInt(r, e.right);
    let ty = commonType(a.t, b.t);
    if (a.literal && !b.literal && isImm(a.v) && fits(a.v.imm, promote(b.t))) ty = promote(b.t);
    if (b.literal && !a.literal && isImm(b.v) && fits(b.v.imm, promote(a.t))) ty = promote(a.t);
    const x = convert(this.b, a, ty);
    const y = convert(this.b, b, ty);
    this.branch(ty.signed ? cmp.s : cmp.u, ty.size === 8 ? 64 : 32, x.v, y.v, t, f);
  }

  /** Branches on `subject == value` with the comparison typed like `subject === <literal>`. */
  compareWith(subject: IntVal, value: bigint, node: ts.Node, t: number, f: number): void {
    const lit: IntVal = { k: "int", v: { imm: value }, t: literalType(value), literal: true };
    const ty = fits(value, promote(subject.t)) ? promote(subject.t) : commonType(subject.t, lit.t);
    const x = convert(this.b, subject, ty);
    const y = convert(this.b, lit, ty);
    void node;
    this.branch("eq", ty.size === 8 ? 64 : 32, x.v, y.v, t, f);
  }

  branch(cond: CondOp, width: 32 | 64, a: Operand, b: Operand, t: number, f: number): void {
    if (isImm(a) && isImm(b)) return this.b.jump(evalCond(cond, width, a.imm, b.imm) ? t : f);
    if (isImm(a)) return this.branch(swappedCond[cond], width, b, a, t, f);
    this.b.terminate({ op: "cbr", cond, width, a: a as Value, b, then: t, else: f });
  }

  // ---------------------------------------------------------------------------- memory

  /** Writes an integer or struct value into memory at `dst` (a stack slot, map value, ...). */
  writeValue(dst: RefVal, t: CType, e: ts.Expression): void {
    if (this.isZeroCall(e)) return this.zero(dst, sizeOf(t));
    if (t.kind === "int") return this.store({ ...dst, t }, t, this.int(e));
    if (ts.isObjectLiteralExpression(e)) return this.writeObject(dst, t, e);
    const v = this.lower(e);
    if (v.k !== "ref" || sizeOf(v.t) !== sizeOf(t)) this.r.fail("TSBPF1015", e);
    this.copy(dst, v, sizeOf(t));
  }

  /**
   * An object literal where tsc expects a struct (a function's struct parameter: `bump({ a: 5, b: 0 },
   * 3)`) is a new stack struct, as `const tmp: S = { ... }` would make; elsewhere it is TSBPF1015.
   */
  private objectLiteral(e: ts.ObjectLiteralExpression): Val {
    const ctxType = this.checker.getContextualType(e);
    const t = ctxType && this.types.memType(ctxType);
    if (t?.kind !== "struct") return this.r.fail("TSBPF1015", e);
    const { ref } = this.newStackValue(t);
    this.writeObject(ref, t, e);
    return ref;
  }

  /**
   * A new stack slot for a value of type t and a reference to it. 8-aligned whatever t's alignment:
   * zero() and copy() pick access widths from offsets within the slot, and the verifier refuses a
   * misaligned stack access (a 36-byte SockTuple6 was one).
   */
  newStackValue(t: CType): { slot: number; ref: RefVal } {
    const slot = this.b.slot(sizeOf(t), 8);
    const addr = this.b.value("ptr");
    this.b.emit({ op: "stackaddr", dst: addr, slot });
    return { slot, ref: { k: "ref", base: addr, off: 0, t, region: "stack" } };
  }

  /** Zero-fills `dst` and stores the literal's fields (the verifier wants padding initialised too). */
  writeObject(dst: RefVal, t: CType, e: ts.ObjectLiteralExpression): void {
    if (t.kind !== "struct") this.r.fail("TSBPF1015", e);
    this.zero(dst, t.size);
    this.storeFields(dst, t, e);
  }

  private storeFields(dst: RefVal, t: CType, e: ts.ObjectLiteralExpression): void {
    if (t.kind !== "struct") this.r.fail("TSBPF1015", e);
    for (const p of e.properties) {
      if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) this.r.fail("TSBPF1015", p);
      const name = p.name.getText();
      const f = t.fields.find((x) => x.name === name);
      if (!f) this.r.fail("TSBPF1015", p);
      const fdst: RefVal = { ...dst, off: dst.off + f.offset, t: f.type };
      const init = ts.isPropertyAssignment(p) ? p.initializer : p.name;
      if (this.isZeroCall(init)) continue; // the whole struct was zero-filled first
      if (f.type.kind === "int") {
        const v = this.int(init);
        this.checkLiteral(v, f.type, init);
        if (isImm(v.v) && wrapConst(v.v.imm, f.type) === 0n) continue; // already zero
        this.store(fdst, f.type, v);
      } else if (ts.isObjectLiteralExpression(init)) {
        this.storeFields(fdst, f.type, init);
      } else {
        this.writeValue(fdst, f.type, init);
      }
    }
  }
}

/** An expression's text for a message, shortened when long. */
function exprText(node: ts.Node): string {
  const t = node.getText().replace(/\s+/g, " ");
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/** Folds a binary operation on constants: the exact result (for untyped literals) and the wrapped one. */
function foldConst(kind: BinOp, a: bigint, b: bigint, t: CInt): { exact: bigint; wrapped: bigint } | undefined {
  const bits = BigInt(t.size * 8);
  let r: bigint;
  switch (kind) {
    case "add":
      r = a + b;
      break;
    case "sub":
      r = a - b;
      break;
    case "mul":
      r = a * b;
      break;
    case "udiv":
    case "sdiv":
      if (b === 0n) return undefined;
      r = a / b;
      break;
    case "umod":
    case "smod":
      if (b === 0n) return undefined;
      r = a % b;
      break;
    case "and":
      r = a & b;
      break;
    case "or":
      r = a | b;
      break;
    case "xor":
      r = a ^ b;
      break;
    case "shl":
      r = a << (b & (bits - 1n));
      break;
    case "lshr":
      r = BigInt.asUintN(Number(bits), a) >> (b & (bits - 1n));
      break;
    case "ashr":
      r = a >> (b & (bits - 1n));
      break;
  }
  return { exact: r, wrapped: wrapConst(r, t) };
}

// A target's old value is only loaded when the computation asks for it (plain `=` never does).
function lazyInt(load: () => IntVal): IntVal {
  let cached: IntVal | undefined;
  const get = () => (cached ??= load());
  return new Proxy({} as IntVal, { get: (_t, p) => (get() as unknown as Record<string | symbol, unknown>)[p] });
}
