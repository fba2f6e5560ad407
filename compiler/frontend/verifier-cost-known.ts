// What the verifier knows of values in a loop() body, for verifier-cost-loop-bodies.ts: which
// values it holds exactly at each walk (constants and the state fields it tracks), which
// expressions decide a branch, and which bits of a count are always clear.

import { constEval, stdlibName } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { COMPARISONS, intTypeOf, isIntCast, relation } from "./verifier-cost-ranges.js";
import { enclosingFunction, writeTarget } from "./verifier-cost-writes.js";
import { pureExpr } from "./verifier-cost-branchless.js";

const K = ts.SyntaxKind;

/**
 * The bits `e` may have set, where the AST shows some are always clear (`(0x40 & x) & 63` is 0,
 * `htons(u8(x)) & 63` too: the verifier tracks such bits, and a count it knows is 0 calls nothing).
 */
export function possibleBits(e: ts.Expression, checker: ts.TypeChecker, depth = 0): bigint | undefined {
  e = skipParens(e);
  const c = constEval(e, checker);
  if (c !== undefined) return c >= 0n ? c : undefined;
  const t = intTypeOf(e, checker);
  const all = t && !t.signed ? (1n << BigInt(t.bits)) - 1n : undefined;
  if (depth > 8) return all;
  const rec = (x: ts.Expression) => possibleBits(x, checker, depth + 1);
  let r: bigint | undefined;
  if (ts.isBinaryExpression(e)) {
    const a = rec(e.left);
    const b = rec(e.right);
    const op = e.operatorToken.kind;
    if (op === K.AmpersandToken) r = a === undefined ? b : b === undefined ? a : a & b;
    else if ((op === K.BarToken || op === K.CaretToken) && a !== undefined && b !== undefined) r = a | b;
    else if (op === K.AsteriskToken && all !== undefined) {
      // A product keeps the low zero bits of both factors.
      const tz = (x: bigint | undefined) => (x !== undefined && x > 0n ? BigInt((x & -x).toString(2).length - 1) : 0n);
      const z = tz(a) + tz(b);
      r = (all >> z) << z;
    } else if (op === K.LessThanLessThanToken && a !== undefined) {
      const k = constEval(e.right, checker);
      if (k !== undefined && k >= 0n && k < 64n) r = all === undefined ? a << k : (a << k) & all;
    }
  } else if (ts.isConditionalExpression(e)) {
    const a = rec(e.whenTrue);
    const b = rec(e.whenFalse);
    if (a !== undefined && b !== undefined) r = a | b;
  } else if (ts.isIdentifier(e)) {
    const d = checker.getSymbolAtLocation(e)?.valueDeclaration;
    if (d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) r = rec(d.initializer);
    if (r !== undefined && all !== undefined) r &= all;
  } else if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.arguments.length === 1) {
    const name = stdlibName(e.expression, checker) ?? "";
    const a = rec(e.arguments[0]!);
    if (/^u(8|16|32|64)$/.test(name) && a !== undefined && all !== undefined) r = a & all;
    else if ((name === "htons" || name === "ntohs") && a !== undefined) r = ((a & 0xffn) << 8n) | ((a >> 8n) & 0xffn);
  }
  return r ?? all;
}

/** Integer conversions and byte-order functions: the verifier follows their value through. */
const VALUE_FUNCTIONS = /^([ui](8|16|32|64)|hton[sl]l?|ntoh[sl]l?)$/;

/** Operators whose result the verifier does not follow (see knownValue). */
const DIVISIONS: ReadonlySet<ts.SyntaxKind> = new Set([K.SlashToken, K.PercentToken, K.SlashEqualsToken, K.PercentEqualsToken]);

/**
 * Whether the verifier knows `e`'s value at each walk: constants, and fields of the state it tracks
 * (`tracked`), through operators, conversions and byte-order functions; not the index (unless
 * `pinned`: a test pins it on some path, see pinnedIndex), data or other calls. `pinned` may also
 * be the parameters a call gives constants (constantsGiven), for a function walked from that call.
 */
export function knownValue(
  e: ts.Expression,
  state: ts.Symbol,
  tracked: (path: string) => boolean,
  checker: ts.TypeChecker,
  fixed?: (path: string) => bigint | undefined,
  pinned?: ts.Symbol | ReadonlySet<ts.Symbol>,
  slotStart?: (path: string) => boolean,
  lowOnes?: (path: string) => number,
): boolean {
  const rec = (x: ts.Expression): boolean => knownValue(x, state, tracked, checker, fixed, pinned, slotStart, lowOnes);
  e = skipParens(e);
  if (constEval(e, checker) !== undefined || knownZero(e, checker)) return true;
  if (ts.isIdentifier(e)) {
    const sym = checker.getSymbolAtLocation(e);
    const here = pinned instanceof Set ? sym !== undefined && pinned.has(sym) : pinned !== undefined && sym === pinned;
    return here || constantLocal(e, checker);
  }
  if (ts.isPropertyAccessExpression(e)) {
    const path = fieldPath(e, state, checker);
    return path !== undefined && tracked(path);
  }
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    // An assignment's value is its right side's (for `s.f op= x`, both sides').
    // A store into a field no wider than the value's clear low bits stores 0 (clearLowBits).
    if (op === K.EqualsToken) return rec(e.right) || clearLowBits(e.right, checker) >= (intTypeOf(e.left, checker)?.bits ?? 64);
    // The verifier (Linux 6.18) does not follow a division or a remainder: the result is any value
    // (`((++s.n) / 3) & 1` returned: 134 processed for two calls over `ctx.len & 15`; `* 3`: 5,235).
    if (DIVISIONS.has(op)) return false;
    // A mask keeps only the low bits: known where those are (`((i << 1) ^ --s.b) & 1`).
    if (op === K.AmpersandToken) {
      const l = constEval(e.left, checker);
      const r = constEval(e.right, checker);
      const mask = r ?? l;
      const pathOf = (x: ts.Expression) => (ts.isPropertyAccessExpression(x) ? fieldPath(x, state, checker) : undefined);
      // A read right after a store into a field that starts its 8-byte slot gets the stored value back.
      const respilled = (x: ts.Expression): boolean => {
        const path = pathOf(x);
        return path !== undefined && slotStart?.(path) === true;
      };
      // A field whose low bits stay ones (its start's, kept by `|=` alone: lowOnes).
      const ones = (x: ts.Expression, n: number): boolean => {
        const path = pathOf(x);
        return path !== undefined && (lowOnes?.(path) ?? 0) >= n;
      };
      if (mask !== undefined && mask > 0n)
        return knownLowBits(r !== undefined ? e.left : e.right, mask.toString(2).length, rec, respilled, checker, ones);
    }
    return rec(e.left) && rec(e.right);
  }
  if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) return rec(e.operand);
  if (ts.isConditionalExpression(e)) {
    const c = constCondition(e.condition, checker, fixed && ((x) => fixedValue(x, state, fixed, checker)));
    if (c !== undefined) return rec(c ? e.whenTrue : e.whenFalse);
    // The compiler branches: the path through a known side holds a known value, and one path
    // that decides a comparison makes the verifier keep the values it came from exactly.
    return rec(e.whenTrue) || rec(e.whenFalse);
  }
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) {
    const name = stdlibName(e.expression, checker) ?? "";
    if (VALUE_FUNCTIONS.test(name)) return e.arguments.every((a) => rec(a));
  }
  return false;
}

/**
 * Whether the verifier knows the low `n` bits of `e`: it knows `e` (`known`), or they are clear
 * (clearLowBits), or they come from operands whose low `n` bits it knows through operators that
 * carry upward only (`^ | & + - *`, conversions), or they are known ones (`fieldOnes`: fields whose
 * low bits stay set). Linux 6.18: `((i << 1) ^ (--s.b)) & 1` returned processes 3,198 for two calls
 * over `ctx.len & 15` (the step needed exactly), `((i + i) ^ (--s.b)) & 1` 145 (the verifier does not
 * see `i + i` as even).
 */
function knownLowBits(
  e: ts.Expression,
  n: number,
  known: (x: ts.Expression) => boolean,
  respilled: (x: ts.Expression) => boolean,
  checker: ts.TypeChecker,
  fieldOnes: (x: ts.Expression, n: number) => boolean = () => false,
  depth = 0,
): boolean {
  e = skipParens(e);
  if (known(e) || clearLowBits(e, checker) >= n || fieldOnes(e, n)) return true;
  if (depth > 8) return false;
  const rec = (x: ts.Expression) => knownLowBits(x, n, known, respilled, checker, fieldOnes, depth + 1);
  const low = (1n << BigInt(n)) - 1n;
  // `a | b`: known where either side's low bits are known ones (a constant's, or a field's that
  // only `|=` changes from a start with them set: differential seed 20261365, `(s.a |= i) + s.a`
  // from `a: 1` is even, and the result `^ (s.b--)` decides on s.b).
  const or = (a: ts.Expression, b: ts.Expression): boolean => {
    const ones = (x: ts.Expression) => {
      const c = constEval(x, checker);
      return c !== undefined ? (c & low) === low : fieldOnes(skipParens(x), n);
    };
    return ones(a) || ones(b) || (rec(a) && rec(b));
  };
  // `a & b`: known where either side's low bits are known zeros: a constant's (`(i & 2) ^ --s.b`:
  // 3,198 processed), or, stored into a field (`stored`), a known value's on the walks where it has
  // them (`(s.c &= ++s.a) + s.c` returned: 4,990, where `(i & ++s.a) ^ 5` converges, 203;
  // differential seed 20261350, refused with no warning).
  const and = (a: ts.Expression, b: ts.Expression, intoField = false): boolean => {
    const zero = (x: ts.Expression) => {
      const c = constEval(x, checker);
      return c !== undefined ? (c & low) === 0n : intoField && known(skipParens(x));
    };
    return zero(a) || zero(b) || (rec(a) && rec(b));
  };
  // The value an assignment stores (`s.c &= v` stores `s.c & v`).
  const stored = (x: ts.BinaryExpression): boolean | undefined => {
    if (x.operatorToken.kind === K.EqualsToken) return rec(x.right);
    const op = COMPOUND_OPS.get(x.operatorToken.kind);
    if (op === K.AmpersandToken) return and(x.left, x.right, true);
    if (op === K.BarToken) return or(x.left, x.right);
    return op !== undefined && LOW_CARRY.has(op) ? rec(x.left) && rec(x.right) : undefined;
  };
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    const st = stored(e);
    if (st !== undefined) return st;
    // `(s.e = v) + s.e`: the read gets back the value just stored (the verifier follows the spill
    // where the field starts its slot: `s.z = 5` at offset 12 is forgotten, 122 processed).
    const l = skipParens(e.left);
    if (LOW_CARRY.has(op) && ts.isBinaryExpression(l) && sameAccess(l.left, e.right) && respilled(skipParens(l.left))) {
      const v = stored(l);
      if (v !== undefined) return v;
    }
    if (op === K.AmpersandToken) return and(e.left, e.right);
    if (op === K.BarToken) return or(e.left, e.right);
    if (LOW_CARRY.has(op)) return rec(e.left) && rec(e.right);
    return false;
  }
  if (ts.isPrefixUnaryExpression(e) && (e.operator === K.TildeToken || e.operator === K.MinusToken)) return rec(e.operand);
  if (ts.isCallExpression(e) && isIntCast(e) && e.arguments.length === 1) return rec(e.arguments[0]!);
  return false;
}

/** The same chain of property reads (`s.e` and `s.e`). */
function sameAccess(a: ts.Expression, b: ts.Expression): boolean {
  a = skipParens(a);
  b = skipParens(b);
  if (ts.isIdentifier(a) && ts.isIdentifier(b)) return a.text === b.text;
  return (
    ts.isPropertyAccessExpression(a) &&
    ts.isPropertyAccessExpression(b) &&
    a.name.text === b.name.text &&
    sameAccess(a.expression, b.expression)
  );
}

/** Operators whose low result bits depend only on their operands' low bits. */
const LOW_CARRY: ReadonlySet<ts.SyntaxKind> = new Set([
  K.CaretToken,
  K.BarToken,
  K.AmpersandToken,
  K.PlusToken,
  K.MinusToken,
  K.AsteriskToken,
]);

/**
 * Whether `id` is a local its function sets to constants and changes only by constants (`let k =
 * -3;`, `k -= 3` in a loop): the verifier holds it exactly on every path (differential seed
 * 20261352: `s0.b ^= k10` compared after loop() calls stepping `s.b`, refused with no warning).
 */
function constantLocal(id: ts.Identifier, checker: ts.TypeChecker): boolean {
  const sym = checker.getSymbolAtLocation(id);
  if (!sym) return false;
  let v = constantLocals.get(sym);
  if (v === undefined) constantLocals.set(sym, (v = localOfConstants(sym, checker)));
  return v;
}

/** constantLocal's answers: it walks the whole function, and knownValue asks for every read. */
const constantLocals = new WeakMap<ts.Symbol, boolean>();

function localOfConstants(sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  const d = sym.valueDeclaration;
  if (!d || !ts.isVariableDeclaration(d) || !d.initializer || constEval(d.initializer, checker) === undefined) return false;
  const fn = enclosingFunction(d);
  if (!fn || !ts.isVariableDeclarationList(d.parent)) return false;
  const stack: ts.Node[] = [fn];
  while (stack.length) {
    const x = stack.pop()!;
    const t = writeTarget(x);
    if (t && ts.isIdentifier(skipParens(t)) && checker.getSymbolAtLocation(skipParens(t)) === sym) {
      const byConstant = !ts.isBinaryExpression(x) || (!DIVISIONS.has(x.operatorToken.kind) && constEval(x.right, checker) !== undefined);
      if (!byConstant) return false;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return true;
}

/**
 * A condition's value when it is a constant or compares constants (the compiler folds the other
 * side away), or, with `value`, values the verifier holds exactly (it decides the branch).
 */
function constCondition(
  e: ts.Expression,
  checker: ts.TypeChecker,
  value: (e: ts.Expression) => bigint | undefined = (x) => constEval(x, checker),
): boolean | undefined {
  e = skipParens(e);
  const c = value(e);
  if (c !== undefined) return c !== 0n;
  if (!ts.isBinaryExpression(e) || !COMPARISONS.has(e.operatorToken.kind)) return undefined;
  // Loose and strict equality agree on integers.
  const op = e.operatorToken.kind;
  const strict =
    op === K.EqualsEqualsToken ? K.EqualsEqualsEqualsToken : op === K.ExclamationEqualsToken ? K.ExclamationEqualsEqualsToken : op;
  // A variable against itself (`a0 < a0`): the compiler folds it.
  const l = skipParens(e.left);
  const r = skipParens(e.right);
  if (ts.isIdentifier(l) && ts.isIdentifier(r) && l.text === r.text) return relation(strict, 0n, 0n);
  const a = value(e.left);
  const b = value(e.right);
  if (a === undefined || b === undefined) return undefined;
  return relation(strict, a, b);
}

/** A constant, or a state field with a `fixed` value: what a condition on it compares. */
function fixedValue(
  e: ts.Expression,
  state: ts.Symbol,
  fixed: (path: string) => bigint | undefined,
  checker: ts.TypeChecker,
): bigint | undefined {
  e = skipParens(e);
  const c = constEval(e, checker);
  if (c !== undefined) return c;
  const path = ts.isPropertyAccessExpression(e) ? fieldPath(e, state, checker) : undefined;
  return path === undefined ? undefined : fixed(path);
}

/**
 * The expression whose value decides a branch or is the body's result, which `n` is part of: the
 * comparison it is an operand of, the operand of `&&`/`||`, a condition, or the returned value.
 */
export function decidedBy(n: ts.Node, top: ts.Node): ts.Node | undefined {
  for (let x: ts.Node = n; x !== top; x = x.parent) {
    const p = x.parent;
    if (ts.isReturnStatement(p)) return x;
    if ((ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === x) return x;
    if (ts.isForStatement(p) && p.condition === x) return x;
    if (ts.isConditionalExpression(p) && p.condition === x) return x;
    if (ts.isSwitchStatement(p) && p.expression === x) return x;
    if (ts.isCaseClause(p) && p.expression === x) return x;
    if (ts.isBinaryExpression(p) && COMPARISONS.has(p.operatorToken.kind)) return p;
    if (ts.isBinaryExpression(p) && (p.operatorToken.kind === K.AmpersandAmpersandToken || p.operatorToken.kind === K.BarBarToken))
      return x;
    if (ts.isStatement(p) || ts.isBlock(p)) return undefined;
  }
  return undefined;
}

/** `s.a.b` for an access through the state parameter, undefined for anything else. */
export function fieldPath(e: ts.PropertyAccessExpression, state: ts.Symbol, checker: ts.TypeChecker): string | undefined {
  const names: string[] = [];
  let x: ts.Expression = e;
  while (ts.isPropertyAccessExpression(x)) {
    names.unshift(x.name.text);
    x = x.expression;
  }
  return ts.isIdentifier(x) && checker.getSymbolAtLocation(x) === state ? names.join(".") : undefined;
}

export const skipParens = (e: ts.Expression): ts.Expression => (ts.isParenthesizedExpression(e) ? skipParens(e.expression) : e);

/**
 * A value that is 0 whatever its operands hold, as the verifier computes it: `x & 0`, `x * 0` (and
 * `&=`, `*=` by such a value), `0 << x` (and the other shifts, divisions and remainders of 0), `x ^
 * x` and `x - x` of one expression, through parentheses, integer conversions and byte-order
 * functions. Differential seed 20261361 set `s0.a = 0 & (data)` before calls stepping `s.a`, and
 * fuzz:cost seed 20261348 #3629 had `s.d *= htonll(a0 ^ a0)` beside the step: each made a known
 * field look unknown, and the refusals went unwarned. Not folded by constEval, which the lowering
 * also uses: x may have effects.
 */
export function knownZero(e: ts.Expression, checker: ts.TypeChecker, depth = 0): boolean {
  e = skipParens(e);
  if (constEval(e, checker) === 0n) return true;
  if (depth > 8) return false;
  const rec = (x: ts.Expression): boolean => knownZero(x, checker, depth + 1);
  if (ts.isCallExpression(e) && e.arguments.length === 1 && ts.isIdentifier(e.expression)) {
    const name = stdlibName(e.expression, checker) ?? "";
    return VALUE_FUNCTIONS.test(name) && rec(e.arguments[0]!);
  }
  if (!ts.isBinaryExpression(e)) return false;
  const op = e.operatorToken.kind;
  if (op === K.AmpersandEqualsToken || op === K.AsteriskEqualsToken) return rec(e.right);
  if (op === K.AmpersandToken || op === K.AsteriskToken) return rec(e.left) || rec(e.right);
  // 0 shifted, or divided (BPF's division by 0 gives 0, its remainder the dividend).
  if (SHIFTS_AND_DIVISIONS.has(op)) return rec(e.left);
  if (op === K.CaretToken || op === K.MinusToken) return sameValue(e.left, e.right);
  return false;
}

const SHIFTS_AND_DIVISIONS: ReadonlySet<ts.SyntaxKind> = new Set([
  K.LessThanLessThanToken,
  K.GreaterThanGreaterThanToken,
  K.GreaterThanGreaterThanGreaterThanToken,
  K.SlashToken,
  K.PercentToken,
]);

/**
 * Are `a` and `b` one expression with no effects (pureExpr), written alike in one place (`a0 >> a0`
 * twice)? The compiler computes it once, and `x ^ x` of one value is 0.
 */
function sameValue(a: ts.Expression, b: ts.Expression): boolean {
  a = skipParens(a);
  b = skipParens(b);
  return pureExpr(a) && a.getText() === b.getText();
}

/**
 * How many low bits of `v` are 0 whatever its operands: a shift left by a constant, a product or
 * mask with a constant. Stored into a field no wider, it is a store of 0 (the verifier's bit
 * tracking sees the same: `s.e = (k * i) << 11` into an i8 field, then a step returned, was refused).
 */
export function clearLowBits(v: ts.Expression, checker: ts.TypeChecker, depth = 0): number {
  v = skipParens(v);
  const c = constEval(v, checker);
  if (c !== undefined) return lowZeros(c);
  if (depth > 8) return 0;
  // A conversion keeps the low bits.
  if (ts.isCallExpression(v) && isIntCast(v) && v.arguments.length === 1) return clearLowBits(v.arguments[0]!, checker, depth + 1);
  // A byte swap moves a narrow value's bytes to the top: `ntohll(u8(i))` has its low 56 bits clear
  // (differential seed 20261357: `^ ntohll(u8(i))` in a result that needed a stepped field). Only
  // where the code narrows it (`u8()`, `u16()`, a mask): the verifier takes the loop() index, typed
  // u32, for any 64-bit value (fuzz:cost seed 20261344 #985, `u32(ntohll(i))`: 484 processed).
  if (ts.isCallExpression(v) && ts.isIdentifier(v.expression) && v.arguments.length === 1) {
    const width = BYTE_SWAPS.get(stdlibName(v.expression, checker) ?? "");
    const bits = narrowed(v.arguments[0]!, checker) ? possibleBits(v.arguments[0]!, checker) : undefined;
    if (width !== undefined && bits !== undefined) return Math.max(0, width - 8 * Math.ceil(bits.toString(2).length / 8));
  }
  if (!ts.isBinaryExpression(v)) return 0;
  // A compound assignment's value is its operation's (`s.f *= 0` stores 0).
  const op = COMPOUND_OPS.get(v.operatorToken.kind) ?? v.operatorToken.kind;
  const r = constEval(v.right, checker);
  if (op === K.LessThanLessThanToken && r !== undefined && r >= 0n && r < 64n)
    return Math.min(64, Number(r) + clearLowBits(v.left, checker, depth + 1));
  if (op === K.AsteriskToken) return Math.min(64, clearLowBits(v.left, checker, depth + 1) + clearLowBits(v.right, checker, depth + 1));
  if (op === K.AmpersandToken) return Math.max(clearLowBits(v.left, checker, depth + 1), clearLowBits(v.right, checker, depth + 1));
  return 0;
}

/** Whether the code narrows `e` itself to zero-extended bytes: `u8(x)`, `u16(x)`, or `x & C`. */
function narrowed(e: ts.Expression, checker: ts.TypeChecker): boolean {
  e = skipParens(e);
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) return /^u(8|16)$/.test(stdlibName(e.expression, checker) ?? "");
  return (
    ts.isBinaryExpression(e) &&
    e.operatorToken.kind === K.AmpersandToken &&
    (constEval(e.left, checker) !== undefined || constEval(e.right, checker) !== undefined)
  );
}

/** The operation of a compound assignment (`s.f *= 0` stores `s.f * 0`). */
const COMPOUND_OPS: ReadonlyMap<ts.SyntaxKind, ts.SyntaxKind> = new Map([
  [K.CaretEqualsToken, K.CaretToken],
  [K.BarEqualsToken, K.BarToken],
  [K.PlusEqualsToken, K.PlusToken],
  [K.MinusEqualsToken, K.MinusToken],
  [K.AsteriskEqualsToken, K.AsteriskToken],
  [K.AmpersandEqualsToken, K.AmpersandToken],
  [K.LessThanLessThanEqualsToken, K.LessThanLessThanToken],
]);

/** The byte-order functions and the width they swap. */
const BYTE_SWAPS: ReadonlyMap<string, number> = new Map([
  ["htons", 16],
  ["ntohs", 16],
  ["htonl", 32],
  ["ntohl", 32],
  ["htonll", 64],
  ["ntohll", 64],
]);

/** The low zero bits of `x` (64 for 0). */
export function lowZeros(x: bigint): number {
  let n = 0;
  for (x = x < 0n ? -x : x; x !== 0n && (x & 1n) === 0n; x >>= 1n) n++;
  return x === 0n ? 64 : n;
}

/**
 * The side of `c` the compiler drops when its condition compares a value with itself (`i >= i`,
 * always true; `i > i`, never: differential seed 20261359, `s.b = (a0 >= a0) ? ++s.b : s.e--`,
 * which the compiler makes `++s.b`).
 */
export function deadSide(c: ts.ConditionalExpression, checker: ts.TypeChecker): ts.Expression | undefined {
  const cond = skipParens(c.condition);
  if (!ts.isBinaryExpression(cond)) return undefined;
  const l = skipParens(cond.left);
  const r = skipParens(cond.right);
  if (!ts.isIdentifier(l) || !ts.isIdentifier(r) || checker.getSymbolAtLocation(l) !== checker.getSymbolAtLocation(r)) return undefined;
  const k = cond.operatorToken.kind;
  if (SELF_TRUE.has(k)) return c.whenFalse;
  if (SELF_FALSE.has(k)) return c.whenTrue;
  return undefined;
}

const SELF_TRUE = new Set([K.GreaterThanEqualsToken, K.LessThanEqualsToken, K.EqualsEqualsEqualsToken, K.EqualsEqualsToken]);
const SELF_FALSE = new Set([K.GreaterThanToken, K.LessThanToken, K.ExclamationEqualsEqualsToken, K.ExclamationEqualsToken]);

/** `e` without parentheses and the `?:` sides deadSide drops. */
export function liveValue(e: ts.Expression, checker: ts.TypeChecker): ts.Expression {
  let x = skipParens(e);
  for (let dead = ts.isConditionalExpression(x) ? deadSide(x, checker) : undefined; dead; ) {
    const c = x as ts.ConditionalExpression;
    x = skipParens(dead === c.whenTrue ? c.whenFalse : c.whenTrue);
    dead = ts.isConditionalExpression(x) ? deadSide(x, checker) : undefined;
  }
  return x;
}

const SHIFTS = new Set([K.LessThanLessThanToken, K.GreaterThanGreaterThanToken, K.GreaterThanGreaterThanGreaterThanToken]);

/** `e` without shifts by a constant multiple of 64 (no shift at all once the compiler masks the amount). */
export function unshifted(e: ts.Expression, checker: ts.TypeChecker): ts.Expression {
  let x = skipParens(e);
  while (ts.isBinaryExpression(x) && SHIFTS.has(x.operatorToken.kind) && (constEval(x.right, checker) ?? 1n) % 64n === 0n)
    x = skipParens(x.left);
  return x;
}
