// Which conditional writes the if-convert pass (compiler/passes/if-convert.ts) computes without a
// branch, seen from the AST, so the verifier-cost estimate does not count them as states that
// multiply per trip (selfExactFactor). The pass converts an `if` whose only statement is a simple
// write (or a `?:`, whose side may write the variable) when the condition and the written value are
// pure and the variable, and what is computed from it, is used only in arithmetic, compares, stored
// values and packet offsets, one of which it reaches; or, for a count (`if (b === 10) n++;`), the
// same with one compare at least.
// When the compile says which `if`s the pass replaced (verifier-cost-ir.ts), that answers. Otherwise
// this side guesses, and must not say "branchless" where the pass keeps the branch (the estimate
// would then miss a refusal), so it asks for a little more: no `else`, no `&&`/`||` or null check
// in the condition, no array index, no call but an integer conversion or a packet read, no write to
// anything but locals.

import { ts } from "./ts-adapter.js";
import { COMPARISONS, isIntCast } from "./verifier-cost-ranges.js";
import { isMap } from "./verifier-cost-sides.js";
import { enclosingFunction, isGlobal, writeTarget, writesOf } from "./verifier-cost-writes.js";
import { writesUnbranched } from "./verifier-cost-ir.js";

const K = ts.SyntaxKind;

const isAssignment = (k: ts.SyntaxKind): boolean => k >= K.FirstAssignment && k <= K.LastAssignment;

/** `ctx.header<T>(offset)`, `ctx.load<T>(offset, start?)`: the offset is added to a packet pointer. */
export const isPacketRead = (x: ts.CallExpression): boolean =>
  ts.isPropertyAccessExpression(x.expression) && (x.expression.name.text === "header" || x.expression.name.text === "load");

/** No call (but integer conversions), assignment, `++`/`--`, array index or `new` in `e`. */
export function pureExpr(e: ts.Node): boolean {
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isCallExpression(x) && !isIntCast(x)) return false;
    if (ts.isElementAccessExpression(x) || ts.isNewExpression(x) || ts.isFunctionLike(x)) return false;
    if (ts.isBinaryExpression(x) && isAssignment(x.operatorToken.kind)) return false;
    if (
      (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
      (x.operator === K.PlusPlusToken || x.operator === K.MinusMinusToken)
    )
      return false;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return true;
}

function mentionsNull(e: ts.Node): boolean {
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (x.kind === K.NullKeyword) return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}

function mentionsNullOrLogic(e: ts.Node): boolean {
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (x.kind === K.NullKeyword) return true;
    if (ts.isBinaryExpression(x) && (x.operatorToken.kind === K.AmpersandAmpersandToken || x.operatorToken.kind === K.BarBarToken))
      return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}

/**
 * Is the write `x` (an assignment or `++`/`--` of a local) the only statement of an `if` with a pure
 * condition and no `else`, or a side of a `?:` with a pure condition and a pure other side whose
 * value goes into a packet offset (`ctx.header<u8>(((c ? acc-- : acc * acc) & 31) + k)`: the pass
 * computes both sides and selects)?
 */
export function branchlessWrite(x: ts.Node): boolean {
  const q = conditionalOf(x);
  if (q) {
    const other = skipParensUp(x) === q.whenTrue ? q.whenFalse : q.whenTrue;
    if (!pureExpr(q.condition) || mentionsNullOrLogic(q.condition) || !pureExpr(other) || !intoPacketOffset(q)) return false;
    if (ts.isBinaryExpression(x)) return x.operatorToken.kind !== K.EqualsToken && pureExpr(x.right);
    return ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x);
  }
  const st = x.parent;
  if (!st || !ts.isExpressionStatement(st)) return false;
  let node: ts.Node = st;
  if (ts.isBlock(node.parent) && node.parent.statements.length === 1) node = node.parent;
  const iff = node.parent;
  if (!iff || !ts.isIfStatement(iff) || iff.thenStatement !== node || iff.elseStatement) return false;
  // The pass keeps a branch on a pointer (a null check), and an `&&`/`||` whose later part reads
  // the stack: here neither counts as branchless.
  if (!pureExpr(iff.expression) || mentionsNullOrLogic(iff.expression)) return false;
  if (ts.isBinaryExpression(x)) return pureExpr(x.right);
  return ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x);
}

/** `x` with the parentheses around it. */
function skipParensUp(x: ts.Node): ts.Node {
  while (x.parent && ts.isParenthesizedExpression(x.parent)) x = x.parent;
  return x;
}

/** The `?:` whose side `x` is (through parentheses). */
function conditionalOf(x: ts.Node): ts.ConditionalExpression | undefined {
  const side = skipParensUp(x);
  const q = side.parent;
  return q && ts.isConditionalExpression(q) && (q.whenTrue === side || q.whenFalse === side) ? q : undefined;
}

/** Does `e`'s value go, through arithmetic, conversions and parentheses only, into a packet read's offset? */
function intoPacketOffset(e: ts.Node): boolean {
  for (let x = e; x.parent; x = x.parent) {
    const p = x.parent;
    if (ts.isCallExpression(p)) {
      if (isPacketRead(p)) return p.arguments[0] === x;
      if (!isIntCast(p)) return false;
    } else if (ts.isBinaryExpression(p)) {
      if (isAssignment(p.operatorToken.kind) || COMPARISONS.has(p.operatorToken.kind)) return false;
    } else if (!ts.isParenthesizedExpression(p) && !ts.isPrefixUnaryExpression(p)) return false;
  }
  return false;
}

/**
 * Is every use of `sym` in `fn` (and of the locals computed from it) arithmetic, a compare, a
 * packet offset or a value stored (a field, a map's `update` value), with at least one packet
 * offset? As a `count`: the same, with at least one compare.
 */
export function branchlessVar(sym: ts.Symbol, fn: ts.Node, checker: ts.TypeChecker, count = false): boolean {
  const todo: ts.Symbol[] = [sym];
  const seen = new Set<ts.Symbol>([sym]);
  let offset = false;
  let compared = false;
  const follow = (s: ts.Symbol | undefined): boolean => {
    if (!s) return false;
    const d = s.valueDeclaration;
    if (!d || !ts.isVariableDeclaration(d) || isGlobal(d)) return false;
    if (!seen.has(s)) {
      seen.add(s);
      todo.push(s);
    }
    return true;
  };
  /** Where the value read at `id` goes: true when that is allowed. */
  const use = (id: ts.Identifier): boolean => {
    let e: ts.Node = id;
    for (;;) {
      const p = e.parent;
      if (!p) return false;
      if (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p)) e = p;
      else if (ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) {
        // A write of itself; its value, where used (`c ? acc-- : y` in an offset), goes on.
        const unused = ts.isExpressionStatement(p.parent) || (ts.isForStatement(p.parent) && p.parent.incrementor === p);
        if ((p.operator === K.PlusPlusToken || p.operator === K.MinusMinusToken) && unused) return true;
        e = p;
      } else if (ts.isBinaryExpression(p)) {
        if (!isAssignment(p.operatorToken.kind)) {
          if (COMPARISONS.has(p.operatorToken.kind)) compared = true;
          e = p;
        } else if (p.left === e) return ts.isIdentifier(e);
        else if (p.operatorToken.kind === K.EqualsToken && (ts.isPropertyAccessExpression(p.left) || ts.isElementAccessExpression(p.left)))
          return true;
        else return ts.isIdentifier(p.left) && follow(checker.getSymbolAtLocation(p.left));
      } else if (ts.isConditionalExpression(p)) {
        if (p.condition === e) return true;
        e = p;
      } else if (ts.isCallExpression(p)) {
        if (isIntCast(p)) e = p;
        else if (!count && isPacketRead(p) && p.arguments.includes(e as ts.Expression)) {
          offset = true;
          return true;
        }
        // A map method's key or value is stored on the stack and passed by its address.
        else
          return (
            p.arguments.includes(e as ts.Expression) &&
            ts.isPropertyAccessExpression(p.expression) &&
            isMap(p.expression.expression, checker)
          );
      } else if (ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.parent))
        return p.initializer === e; // a field stored
      else if (ts.isVariableDeclaration(p))
        return p.initializer === e && ts.isIdentifier(p.name) && follow(checker.getSymbolAtLocation(p.name));
      else if (ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) return p.expression === e;
      else if (ts.isForStatement(p)) return p.condition === e;
      else return false;
    }
  };
  for (let k = 0; k < todo.length; k++) {
    const s = todo[k]!;
    const st: ts.Node[] = [fn];
    while (st.length) {
      const x = st.pop()!;
      if (ts.isIdentifier(x) && !(ts.isVariableDeclaration(x.parent) && x.parent.name === x) && checker.getSymbolAtLocation(x) === s) {
        if (!use(x)) return false;
      }
      ts.forEachChild(x, (c) => {
        st.push(c);
      });
    }
  }
  return count ? compared : offset;
}

/** At most this many statements in a converted `if` (the pass takes arms of up to 16 instructions). */
const MAX_COUNT_STATEMENTS = 6;

/** At most this many operations (and field reads) in a written value of a converted `if`. */
const MAX_WRITE_OPERATIONS = 4;

/** Operators, casts and field reads in `e`: about the instructions it compiles to. */
function operations(e: ts.Node): number {
  let n = 0;
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (
      ts.isBinaryExpression(x) ||
      ts.isPrefixUnaryExpression(x) ||
      ts.isCallExpression(x) ||
      ts.isPropertyAccessExpression(x) ||
      ts.isConditionalExpression(x)
    )
      n++;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return n;
}

/**
 * Does the if-convert pass compute every write `loop` makes to `v` without a branch, as a count (or a
 * running extreme, a pick, a halving) that goes only into arithmetic, compares and stored values?
 * Each write must sit in an `if` of the loop whose condition is pure, with no null check (and no
 * `&&` or `||` in a nested one), whose then-side holds only short simple writes of variables from
 * before the loop and at most one such `if` with no `else`, followed by another statement, and whose
 * else-side, if any, only short simple writes (no `else if`); and every variable such an `if` writes
 * must be used that way.
 */
export function branchlessCount(v: ts.Symbol, loop: ts.IterationStatement, checker: ts.TypeChecker, innermost = false): boolean {
  const fn = enclosingFunction(loop);
  if (!fn) return false;
  const written = new Set<ts.Symbol>();
  const writes = writesOf(loop, v, checker);
  if (writes.length === 0) return false;
  // What the passes did, when the compile says: that, not the guess below.
  const done = writesUnbranched(writes, loop, innermost);
  if (done !== undefined) return done;
  for (const x of writes) {
    const top = countConstruct(x, loop, innermost);
    if (!top) return false;
    let statements = 0;
    if (!convertibleIf(top, false, checker, written, () => ++statements <= MAX_COUNT_STATEMENTS)) return false;
  }
  for (const w of written) {
    const d = w.valueDeclaration;
    if (!d || !ts.isVariableDeclaration(d) || (d.pos >= loop.pos && d.end <= loop.end) || isGlobal(d)) return false;
    if (!branchlessVar(w, fn, checker, true)) return false;
  }
  return true;
}

/**
 * The outermost `if` of the loop's body around the write `x`, through blocks and `if`s only; with
 * `innermost`, the nearest one, which the pass converts first whatever is around it, if it has its
 * own join (it is not the last statement of an enclosing `if`'s block).
 */
function countConstruct(x: ts.Node, loop: ts.IterationStatement, innermost = false): ts.IfStatement | undefined {
  const stmt = x.parent;
  if (!stmt || !ts.isExpressionStatement(stmt) || stmt.expression !== x) return undefined;
  let top: ts.IfStatement | undefined;
  for (let at: ts.Node = stmt; at !== loop.statement; at = at.parent) {
    const par = at.parent;
    if (!par) return undefined;
    if (ts.isIfStatement(par)) {
      if (par.expression === at) return undefined;
      top = par;
      if (innermost) {
        const block = par.parent;
        if (ts.isBlock(block) && block !== loop.statement && block.statements[block.statements.length - 1] === par) return undefined;
        return par;
      }
    } else if (!ts.isBlock(par)) return undefined;
  }
  return top;
}

/** A write of a local (`v = e`, `v += e`, `v++`) with a pure value, as a statement. */
function simpleWrite(s: ts.Statement, checker: ts.TypeChecker, written: Set<ts.Symbol>): boolean {
  if (!ts.isExpressionStatement(s)) return false;
  const e = s.expression;
  const target = writeTarget(e);
  if (!target || !ts.isIdentifier(target)) return false;
  // A short value: the pass takes arms of up to 16 instructions (MAX_ARM).
  if (ts.isBinaryExpression(e) && (!pureExpr(e.right) || operations(e.right) > MAX_WRITE_OPERATIONS)) return false;
  const sym = checker.getSymbolAtLocation(target);
  if (!sym) return false;
  written.add(sym);
  return true;
}

function convertibleIf(
  iff: ts.IfStatement,
  nested: boolean,
  checker: ts.TypeChecker,
  written: Set<ts.Symbol>,
  count: () => boolean,
): boolean {
  // The outermost `if` may test `a && b` (the pass turns the compares into one 0/1 value); a nested
  // one may not, since its arithmetic then becomes part of an arm, which the pass keeps short.
  if (!count() || !pureExpr(iff.expression) || (nested ? mentionsNullOrLogic(iff.expression) : mentionsNull(iff.expression))) return false;
  let sawNested = 0;
  const arm = (s: ts.Statement, ifs: boolean): boolean => {
    const list = ts.isBlock(s) ? [...s.statements] : [s];
    if (list.length === 0) return false;
    return list.every((x, k) => {
      if (!count()) return false;
      // One nested `if` at most: its converted arithmetic becomes part of this arm (MAX_ARM).
      if (ifs && ts.isIfStatement(x))
        return k < list.length - 1 && !nested && !sawNested++ && convertibleIf(x, true, checker, written, count);
      return simpleWrite(x, checker, written);
    });
  };
  if (!arm(iff.thenStatement, true)) return false;
  if (!iff.elseStatement) return true;
  return !nested && arm(iff.elseStatement, false);
}

/**
 * The `if`s of `loop` that the pass converts on their own (the nearest one around each write of a
 * carried value branchlessCount takes with `innermost`): their conditions become arithmetic, so a
 * comparison there makes nothing exact.
 */
export function convertedIfs(loop: ts.IterationStatement, vars: readonly ts.Symbol[], checker: ts.TypeChecker): Set<ts.Node> {
  const out = new Set<ts.Node>();
  for (const v of vars) {
    if (!branchlessCount(v, loop, checker, true)) continue;
    for (const x of writesOf(loop, v, checker)) {
      const top = writesUnbranched([x], loop, true) ? nearestIf(x, loop) : countConstruct(x, loop, true);
      if (top) out.add(top);
    }
  }
  return out;
}

/** The nearest `if` around `x` inside `loop`'s body. */
function nearestIf(x: ts.Node, loop: ts.IterationStatement): ts.IfStatement | undefined {
  for (let at = x.parent; at && at !== loop.statement; at = at.parent) if (ts.isIfStatement(at)) return at;
  return undefined;
}
