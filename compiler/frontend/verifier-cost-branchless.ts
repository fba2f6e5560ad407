// Which conditional writes the if-convert pass (compiler/passes/if-convert.ts) computes without a
// branch, seen from the AST, so the verifier-cost estimate does not count them as states that
// multiply per trip (selfExactFactor). The pass converts an `if` whose only statement is a simple
// write (or a `?:`) when the condition and the written value are pure and the variable, and what is
// computed from it, is used only in arithmetic, compares and packet offsets, one of which it reaches.
// This side must not say "branchless" where the pass keeps the branch (the estimate would then miss
// a refusal), so it asks for a little more: no `else`, no `&&`/`||` or null check in the condition,
// no array index, no call but an integer conversion or a packet read, no write to anything but locals.

import { ts } from "./ts-adapter.js";
import { isIntCast } from "./verifier-cost-ranges.js";
import { isGlobal } from "./verifier-cost-writes.js";

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

/** Is the write `x` (an assignment or `++`/`--` of a local) the only statement of an `if` with a pure condition and no `else`? */
export function branchlessWrite(x: ts.Node): boolean {
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

/**
 * Is every use of `sym` in `fn` (and of the locals computed from it) arithmetic, a compare or a
 * packet offset, with at least one packet offset?
 */
export function branchlessVar(sym: ts.Symbol, fn: ts.Node, checker: ts.TypeChecker): boolean {
  const todo: ts.Symbol[] = [sym];
  const seen = new Set<ts.Symbol>([sym]);
  let offset = false;
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
        if (p.operator === K.PlusPlusToken || p.operator === K.MinusMinusToken) return true; // a write of itself
        e = p;
      } else if (ts.isBinaryExpression(p)) {
        if (!isAssignment(p.operatorToken.kind)) e = p;
        else if (p.left === e) return ts.isIdentifier(e);
        else return ts.isIdentifier(p.left) && follow(checker.getSymbolAtLocation(p.left));
      } else if (ts.isConditionalExpression(p)) {
        if (p.condition === e) return true;
        e = p;
      } else if (ts.isCallExpression(p)) {
        if (isIntCast(p)) e = p;
        else if (isPacketRead(p) && p.arguments.includes(e as ts.Expression)) {
          offset = true;
          return true;
        } else return false;
      } else if (ts.isVariableDeclaration(p))
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
  return offset;
}
