// Integer types and value ranges for the verifier-cost estimate (verifier-cost.ts): the type a
// counter wraps and compares in, what the AST shows of an expression's values, and the range a loop
// counter may hold on entry (narrowed by the conditions and early exits before the loop).

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { isCounterOf, writes } from "./verifier-cost-writes.js";

const K = ts.SyntaxKind;

/** `u32(x)`, `i16(x)`, ...: a conversion, at most a shift pair, mostly nothing. */
export const isIntCast = (n: ts.CallExpression): boolean => ts.isIdentifier(n.expression) && /^[ui](8|16|32|64)$/.test(n.expression.text);

/** Does the statement end every path in `return`, `break` or `continue`? */
export function returns(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.length > 0 && returns(s.statements[s.statements.length - 1]);
  if (ts.isIfStatement(s)) return !!s.elseStatement && returns(s.thenStatement) && returns(s.elseStatement);
  return false;
}

export const K_REL = new Set([
  K.LessThanToken,
  K.LessThanEqualsToken,
  K.GreaterThanToken,
  K.GreaterThanEqualsToken,
  K.ExclamationEqualsEqualsToken,
  K.ExclamationEqualsToken,
]);

/** Relations and equalities: a branch on one is decided when the verifier knows both sides. */
export const COMPARISONS: ReadonlySet<ts.SyntaxKind> = new Set([...K_REL, K.EqualsEqualsEqualsToken, K.EqualsEqualsToken]);

/** `a op b` for a relational or (strict) equality operator; undefined for any other. */
export function relation(op: ts.SyntaxKind, a: bigint, b: bigint): boolean | undefined {
  if (op === K.LessThanToken) return a < b;
  if (op === K.LessThanEqualsToken) return a <= b;
  if (op === K.GreaterThanToken) return a > b;
  if (op === K.GreaterThanEqualsToken) return a >= b;
  if (op === K.EqualsEqualsEqualsToken) return a === b;
  if (op === K.ExclamationEqualsEqualsToken) return a !== b;
  return undefined;
}

/** Orderings: they split a range in two at the other operand's value. */
export const ORDERINGS: ReadonlySet<ts.SyntaxKind> = new Set([
  K.LessThanToken,
  K.LessThanEqualsToken,
  K.GreaterThanToken,
  K.GreaterThanEqualsToken,
]);

/**
 * For an `if` one of whose sides leaves the loop (`if (acc > 1000) break;`): the parts to search for
 * orderings that split a value going on. An ordering that is the condition itself splits nothing
 * that goes on (one side leaves), so only its operands count (a `?:` in them does), and the sides.
 * Undefined for any other node.
 */
export function leavingIfParts(x: ts.Node): ts.Node[] | undefined {
  if (!ts.isIfStatement(x) || !(returns(x.thenStatement) || (x.elseStatement !== undefined && returns(x.elseStatement)))) return undefined;
  let c = x.expression;
  while (ts.isParenthesizedExpression(c)) c = c.expression;
  const parts: ts.Node[] = ts.isBinaryExpression(c) && ORDERINGS.has(c.operatorToken.kind) ? [c.left, c.right] : [c];
  parts.push(x.thenStatement);
  if (x.elseStatement) parts.push(x.elseStatement);
  return parts;
}

export interface IntT {
  signed: boolean;
  bits: number;
}
export const wrapT = (t: IntT, v: bigint): bigint => (t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v));
export const minT = (t: IntT): bigint => (t.signed ? -(1n << BigInt(t.bits - 1)) : 0n);
export const maxT = (t: IntT): bigint => (t.signed ? (1n << BigInt(t.bits - 1)) - 1n : (1n << BigInt(t.bits)) - 1n);

/**
 * The integer type of a counter (`u32`, `i16`, ...), from its annotation or what tsc infers. Where
 * tsc only says `number` (`let x = u8(a) & 63`), the type the lowering gives it: C's usual
 * conversions over the operands (below 32 bits promotes to i32), i32 for a bare number.
 */
export function intTypeOf(id: ts.Node, checker: ts.TypeChecker, depth = 0): IntT | undefined {
  const m = /^([ui])(8|16|32|64)$/.exec(checker.typeToString(checker.getTypeAtLocation(id)));
  if (m) return { signed: m[1] === "i", bits: Number(m[2]) };
  if (depth > 8) return undefined;
  let e: ts.Node = id;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) {
    const d = checker.getSymbolAtLocation(e)?.valueDeclaration;
    if (d && ts.isVariableDeclaration(d) && !d.type && d.initializer) return intTypeOf(d.initializer, checker, depth + 1);
    return undefined;
  }
  if (ts.isNumericLiteral(e)) return { signed: true, bits: 32 };
  if (ts.isPrefixUnaryExpression(e)) return promote(intTypeOf(e.operand, checker, depth + 1));
  if (ts.isBinaryExpression(e) && !K_REL.has(e.operatorToken.kind)) {
    const a = promote(intTypeOf(e.left, checker, depth + 1));
    const b = promote(intTypeOf(e.right, checker, depth + 1));
    const op = e.operatorToken.kind;
    // Shifts take the left operand's type.
    if (op === K.LessThanLessThanToken || op === K.GreaterThanGreaterThanToken || op === K.GreaterThanGreaterThanGreaterThanToken) return a;
    if (!a || !b) return a ?? b;
    if (a.bits !== b.bits) return a.bits > b.bits ? a : b;
    return a.signed ? b : a;
  }
  return undefined;
}
const promote = (t: IntT | undefined): IntT | undefined => (t && t.bits < 32 ? { signed: true, bits: 32 } : t);

/**
 * The type a counter is compared in against a constant bound: the counter's promoted type when the
 * bound fits there (literal adaptation), else C's usual conversions with the bound's literal type.
 */
export function compareType(ct: IntT, bound: bigint): IntT {
  const p: IntT = ct.bits < 32 ? { signed: true, bits: 32 } : ct;
  if (bound >= minT(p) && bound <= maxT(p)) return p;
  const lit: IntT =
    bound >= -(1n << 31n) && bound < 1n << 31n
      ? { signed: true, bits: 32 }
      : bound < 1n << 63n
        ? { signed: true, bits: 64 }
        : { signed: false, bits: 64 };
  if (lit.bits !== p.bits) return lit.bits > p.bits ? lit : p;
  return p.signed ? lit : p;
}

const FLIP: Partial<Record<ts.SyntaxKind, ts.SyntaxKind>> = {
  [K.LessThanToken]: K.GreaterThanToken,
  [K.LessThanEqualsToken]: K.GreaterThanEqualsToken,
  [K.GreaterThanToken]: K.LessThanToken,
  [K.GreaterThanEqualsToken]: K.LessThanEqualsToken,
};

/** `counter OP constant` (either way round), normalised to the counter on the left. */
export function counterCondition(
  c: ts.Expression,
  checker: ts.TypeChecker,
): { id: ts.Identifier; sym: ts.Symbol; bound: bigint; op: ts.SyntaxKind } | undefined {
  while (ts.isParenthesizedExpression(c)) c = c.expression;
  if (!ts.isBinaryExpression(c) || !K_REL.has(c.operatorToken.kind)) return undefined;
  const op = c.operatorToken.kind;
  for (const [id, other, o] of [
    [c.left, c.right, op],
    [c.right, c.left, FLIP[op] ?? op],
  ] as const) {
    if (!ts.isIdentifier(id)) continue;
    const bound = constEval(other, checker);
    const sym = checker.getSymbolAtLocation(id);
    if (bound !== undefined && sym) return { id, sym, bound, op: o };
  }
  return undefined;
}

type Range = [bigint, bigint];
const typeRange = (t: IntT): Range => [minT(t), maxT(t)];
const meet = (a: Range, b: Range): Range => {
  const r: Range = [a[0] > b[0] ? a[0] : b[0], a[1] < b[1] ? a[1] : b[1]];
  return r[0] <= r[1] ? r : a;
};

/** Operators whose result is 0 when their left operand is 0. */
const ZERO_LEFT: ReadonlySet<ts.SyntaxKind> = new Set([
  K.AsteriskToken,
  K.AmpersandToken,
  K.SlashToken,
  K.PercentToken,
  K.LessThanLessThanToken,
  K.GreaterThanGreaterThanToken,
  K.GreaterThanGreaterThanGreaterThanToken,
]);

/**
 * What the AST shows of an expression's values: constants, masks, remainders, shifts, narrow types.
 * `args`: the ranges of a called function's parameters, while its body is read for a call.
 */
export function rangeOf(e: ts.Expression, checker: ts.TypeChecker, depth = 0, args?: ReadonlyMap<ts.Symbol, Range>): Range | undefined {
  const c = constEval(e, checker);
  if (c !== undefined) return [c, c];
  if (depth > 8) return undefined;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  const t = intTypeOf(e, checker);
  const own = t ? typeRange(t) : undefined;
  if (args && ts.isIdentifier(e)) {
    const sym = checker.getSymbolAtLocation(e);
    const r = sym && args.get(sym);
    if (r) return own ? meet(own, r) : r;
  }
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    const a = rangeOf(e.left, checker, depth + 1, args);
    const b = rangeOf(e.right, checker, depth + 1, args);
    let r: Range | undefined;
    const zero = (x: Range | undefined) => x !== undefined && x[0] === 0n && x[1] === 0n;
    // Zero stays zero whatever the other side (x / 0 and x % 0 are 0 in BPF; seed 20261216's
    // `v0 = (0 >>> v0) % v0` starts its counter at exactly 0).
    if ((zero(a) && ZERO_LEFT.has(op)) || (zero(b) && (op === K.AsteriskToken || op === K.AmpersandToken || op === K.SlashToken)))
      r = [0n, 0n];
    else if (op === K.AmpersandToken) {
      const m = [a, b].find((x) => x && x[0] === x[1] && x[0] >= 0n);
      if (m) r = [0n, m[1]];
    } else if (op === K.BarToken && a && b && a[0] >= 0n && b[0] >= 0n) {
      // Bits only add: at least the larger low end, at most all bits up to the larger high end.
      const hi = a[1] > b[1] ? a[1] : b[1];
      r = [a[0] > b[0] ? a[0] : b[0], (1n << BigInt(hi.toString(2).length)) - 1n];
    } else if (op === K.PercentToken && a && b && a[0] >= 0n && b[0] === b[1] && b[0] > 0n) r = [0n, b[0] - 1n];
    else if (
      (op === K.GreaterThanGreaterThanToken || op === K.GreaterThanGreaterThanGreaterThanToken) &&
      a &&
      b &&
      a[0] >= 0n &&
      b[0] === b[1] &&
      b[0] >= 0n &&
      b[0] < 64n
    )
      r = [a[0] >> b[0], a[1] >> b[0]];
    else if (op === K.LessThanLessThanToken && a && b && a[0] >= 0n && b[0] >= 0n && b[1] < 64n) r = [a[0] << b[0], a[1] << b[1]];
    else if (op === K.GreaterThanGreaterThanGreaterThanToken && b && b[0] === b[1]) {
      // An unsigned shift of any value of an n-bit type by c (taken mod n) is below 2^(n - c).
      const lt = intTypeOf(e.left, checker);
      if (lt) r = [0n, ((1n << BigInt(lt.bits)) - 1n) >> (b[0] & BigInt(lt.bits - 1))];
    }
    if (r) return own ? meet(own, r) : r;
  }
  if (ts.isPrefixUnaryExpression(e) && own && (e.operator === K.TildeToken || e.operator === K.MinusToken)) {
    // `~x` is -x - 1 in a signed type and max - x in an unsigned one; `-x` is -x in a signed one
    // (`~p.u16b`, promoted to i32, is [-65536, -1], not all of i32: seed 20261266 #4878, refused with
    // no warning while its `++v1` on some trips was taken for a wrapping whole range).
    const a = rangeOf(e.operand, checker, depth + 1, args);
    if (a && a[0] >= own[0] && a[1] <= own[1]) {
      const r: Range | undefined =
        e.operator === K.TildeToken
          ? own[0] < 0n
            ? [-a[1] - 1n, -a[0] - 1n]
            : [own[1] - a[1], own[1] - a[0]]
          : own[0] < 0n && -a[1] >= own[0] && -a[0] <= own[1]
            ? [-a[1], -a[0]]
            : undefined;
      if (r) return meet(own, r);
    }
  }
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && !isIntCast(e)) {
    // A module-level function that only returns an expression: what that allows for the call's
    // arguments (seed 20261216's `prog0_f1(0)`, whose body is `return 0 % (0 * a0)`, and seed
    // 20261219's `prog0_f0(0)`, `return (a0 / a0) >> (0x21 / a0)`: the counter starts at exactly 0).
    const f = checker.getSymbolAtLocation(e.expression)?.valueDeclaration;
    const only = f && ts.isFunctionDeclaration(f) && f.body?.statements.length === 1 ? f.body.statements[0] : undefined;
    if (f && ts.isFunctionDeclaration(f) && only && ts.isReturnStatement(only) && only.expression) {
      const inner = new Map<ts.Symbol, Range>();
      f.parameters.forEach((prm, k) => {
        const arg = e.arguments[k];
        const sym = ts.isIdentifier(prm.name) ? checker.getSymbolAtLocation(prm.name) : undefined;
        const r = arg && sym ? rangeOf(arg, checker, depth + 1, args) : undefined;
        if (sym && r) inner.set(sym, r);
      });
      const r = rangeOf(only.expression, checker, depth + 1, inner);
      if (r) return own ? meet(own, r) : r;
    }
  }
  if (ts.isCallExpression(e) && isIntCast(e) && e.arguments.length === 1 && own) {
    // A conversion keeps a value that fits its type.
    const r = rangeOf(e.arguments[0]!, checker, depth + 1, args);
    if (r && r[0] >= own[0] && r[1] <= own[1]) return r;
  }
  if (ts.isIdentifier(e)) {
    // A const local: what its initializer allows.
    const d = checker.getSymbolAtLocation(e)?.valueDeclaration;
    if (d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) {
      const r = rangeOf(d.initializer, checker, depth + 1);
      if (r) return own ? meet(own, r) : r;
    }
  }
  return own;
}

/** Narrows `r` by `counter OP constant` holding (or, with `neg`, failing). */
function narrow(r: Range, c: ts.Expression, sym: ts.Symbol, neg: boolean, checker: ts.TypeChecker): Range {
  while (ts.isParenthesizedExpression(c)) c = c.expression;
  if (ts.isPrefixUnaryExpression(c) && c.operator === K.ExclamationToken) return narrow(r, c.operand, sym, !neg, checker);
  if (ts.isBinaryExpression(c) && c.operatorToken.kind === (neg ? K.BarBarToken : K.AmpersandAmpersandToken))
    return narrow(narrow(r, c.left, sym, neg, checker), c.right, sym, neg, checker);
  const cc = counterCondition(c, checker);
  if (!cc || cc.sym !== sym || cc.bound < r[0] - 1n || cc.bound > r[1] + 1n) return r;
  const NEG: Partial<Record<ts.SyntaxKind, ts.SyntaxKind>> = {
    [K.LessThanToken]: K.GreaterThanEqualsToken,
    [K.LessThanEqualsToken]: K.GreaterThanToken,
    [K.GreaterThanToken]: K.LessThanEqualsToken,
    [K.GreaterThanEqualsToken]: K.LessThanToken,
    [K.ExclamationEqualsEqualsToken]: K.EqualsEqualsEqualsToken,
    [K.ExclamationEqualsToken]: K.EqualsEqualsEqualsToken,
  };
  const op = neg ? NEG[cc.op] : cc.op;
  const b = cc.bound;
  if (op === K.LessThanToken) return meet(r, [r[0], b - 1n]);
  if (op === K.LessThanEqualsToken) return meet(r, [r[0], b]);
  if (op === K.GreaterThanToken) return meet(r, [b + 1n, r[1]]);
  if (op === K.GreaterThanEqualsToken) return meet(r, [b, r[1]]);
  if (op === K.EqualsEqualsEqualsToken) return meet(r, [b, b]);
  return r;
}

/**
 * The values a while/do loop's counter may have on entry: from its declaration's initializer,
 * narrowed by the conditions of enclosing ifs and by early exits (`if (n > 16) return ...;`) between
 * the declaration and the loop; a write in between starts again from what it assigns.
 */
export function entryRange(loop: ts.Statement, sym: ts.Symbol, ct: IntT, checker: ts.TypeChecker): Range {
  const full = typeRange(ct);
  const d = sym.valueDeclaration;
  if (!d || !ts.isVariableDeclaration(d)) return full;
  const declStmt = d.parent?.parent;
  type Ev = { stmts: readonly ts.Statement[] } | { cond: ts.Expression; neg: boolean };
  const events: Ev[] = [];
  let at: ts.Node = loop;
  let found = false;
  while (at.parent && !ts.isFunctionLike(at.parent) && !found) {
    const par: ts.Node = at.parent;
    if (ts.isBlock(par) || ts.isSourceFile(par) || ts.isCaseClause(par) || ts.isDefaultClause(par)) {
      const stmts = par.statements as readonly ts.Statement[];
      const idx = stmts.indexOf(at as ts.Statement);
      const di = stmts.indexOf(declStmt as ts.Statement);
      found = di >= 0 && di < idx;
      events.unshift({ stmts: stmts.slice(found ? di + 1 : 0, idx) });
    } else if (ts.isIfStatement(par)) {
      if (par.thenStatement === at) events.unshift({ cond: par.expression, neg: false });
      else if (par.elseStatement === at) events.unshift({ cond: par.expression, neg: true });
    } else if (ts.isIterationStatement(par, false) && writes(par, sym, checker)) return full;
    at = par;
  }
  if (!found) return full;
  let r = d.initializer ? meet(full, rangeOf(d.initializer, checker) ?? full) : ([0n, 0n] as Range);
  for (const ev of events) {
    if ("cond" in ev) {
      r = narrow(r, ev.cond, sym, ev.neg, checker);
      continue;
    }
    for (const st of ev.stmts) {
      if (writes(st, sym, checker)) {
        const e = ts.isExpressionStatement(st) ? st.expression : undefined;
        const plain = e && ts.isBinaryExpression(e) && e.operatorToken.kind === K.EqualsToken && isCounterOf(e.left, sym, checker);
        r = plain ? meet(full, rangeOf((e as ts.BinaryExpression).right, checker) ?? full) : full;
      } else if (ts.isIfStatement(st) && !st.elseStatement && returns(st.thenStatement)) r = narrow(r, st.expression, sym, true, checker);
    }
  }
  return r;
}
