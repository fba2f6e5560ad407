// How a loop() body and its caller test, order and read a state field, for verifier-cost-loop-bodies.ts:
// which tests the verifier cannot decide, which uses need a field on one side only, which reads
// are packet offsets or orders against a loop's counter.

import { sizeOf } from "../../common/ctypes.js";
import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { TypeMapper } from "./types.js";
import { fieldPath, skipParens } from "./verifier-cost-known.js";
import { isIntCast } from "./verifier-cost-ranges.js";

const K = ts.SyntaxKind;

/**
 * Whether `e` holds a `?:` whose test the verifier cannot decide (`decided`) and whose sides differ
 * and are both known (`known`: a side of data or the index leaves the field any value there, and
 * the walks converge; fuzz:cost seed 20261344 #2966, `s.a = u8(i < 0x121 ? i : 195)`: 2,458 processed).
 */
export function undecidedFork(e: ts.Node, decided: (c: ts.Expression) => boolean, known: (e: ts.Expression) => boolean): boolean {
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (
      ts.isConditionalExpression(x) &&
      !decided(x.condition) &&
      x.whenTrue.getText() !== x.whenFalse.getText() &&
      known(x.whenTrue) &&
      known(x.whenFalse)
    )
      return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}

/**
 * Whether a use `u` of field `path` needs it on one side of a test the verifier cannot decide only:
 * a `?:` in it whose one side reads the field and the other does not (`(i ? s.b-- : 0) & 1`
 * returned), or a return under an `if` on such a test while another return does not read it (`if
 * (i) return s.b-- & 1; return 0;`). The verifier then holds the field exact on some paths and not
 * on others, and a loop around the call that walks it trip by trip multiplies those states (see
 * ONE_SIDED_WALKS in verifier-cost.ts).
 */
export function oneSided(
  u: ts.Node,
  path: string,
  top: ts.Block,
  state: ts.Symbol,
  checker: ts.TypeChecker,
  known: (e: ts.Expression) => boolean,
): boolean {
  const reads = (e: ts.Node): boolean => readsField(e, path, state, checker);
  const st: ts.Node[] = [u];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isConditionalExpression(x) && !known(x.condition) && reads(x.whenTrue) !== reads(x.whenFalse)) return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  let under: ts.IfStatement | undefined;
  for (let x: ts.Node = u; x !== top && x.parent; x = x.parent)
    if (ts.isIfStatement(x.parent) && x !== x.parent.expression && !known(x.parent.expression)) under = x.parent;
  if (!under || !ts.isReturnStatement(ts.findAncestor(u, (y) => ts.isReturnStatement(y) || y === top) ?? top)) return false;
  const fromUnder = (r: ts.Node) => ts.findAncestor(r, (y) => y === under || y === top) === under;
  const other: ts.ReturnStatement[] = [];
  const walk = (n: ts.Node): void => {
    if (ts.isReturnStatement(n) && !fromUnder(n)) other.push(n);
    if (!ts.isFunctionLike(n)) ts.forEachChild(n, walk);
  };
  ts.forEachChild(top, walk);
  return other.some((r) => r.expression !== undefined && !reads(r.expression));
}

/**
 * Whether `n` runs on one side of a test the verifier cannot decide: a side of an `if` or `?:`, or
 * the right of `&&`/`||`.
 */
export function undecidedSide(n: ts.Node, top: ts.Node, decided: (e: ts.Expression) => boolean): boolean {
  for (let x: ts.Node = n; x !== top && x.parent; x = x.parent) {
    const p = x.parent;
    if (ts.isIfStatement(p) && x !== p.expression && !decided(p.expression)) return true;
    if (ts.isConditionalExpression(p) && x !== p.condition && !decided(p.condition)) return true;
    const k = ts.isBinaryExpression(p) ? p.operatorToken.kind : undefined;
    if (ts.isBinaryExpression(p) && x === p.right && (k === K.AmpersandAmpersandToken || k === K.BarBarToken) && !decided(p.left))
      return true;
  }
  return false;
}

/** `ctx.header<T>(offset)`: a packet read at an offset. */
export const isHeaderRead = (x: ts.CallExpression): boolean =>
  ts.isPropertyAccessExpression(x.expression) && x.expression.name.text === "header";

/** An order (`<`, `>=`, ...) of something against the counter of a `for` loop around it. */
export function orderedWithCounter(n: ts.Node, checker: ts.TypeChecker): boolean {
  if (!ts.isBinaryExpression(n)) return false;
  const op = n.operatorToken.kind;
  if (op !== K.LessThanToken && op !== K.LessThanEqualsToken && op !== K.GreaterThanToken && op !== K.GreaterThanEqualsToken) return false;
  const counter = (e: ts.Expression): boolean => {
    const x = skipParens(e);
    const sym = ts.isIdentifier(x) ? checker.getSymbolAtLocation(x) : undefined;
    const decl = sym?.valueDeclaration;
    if (!decl || !ts.isVariableDeclaration(decl)) return false;
    const loop = decl.parent.parent;
    return ts.isForStatement(loop) && loop.initializer === decl.parent && n.pos >= loop.statement.pos && n.end <= loop.statement.end;
  };
  return counter(n.left) || counter(n.right);
}

/** Does `e` read the state's field `path` (`s.a` in `~(s.a++)`; `path` a field, not a struct in it)? */
export function readsField(e: ts.Node, path: string, state: ts.Symbol, checker: ts.TypeChecker): boolean {
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isPropertyAccessExpression(x) && fieldPath(x, state, checker) === path) return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}

/**
 * Whether field read `n` is shifted right by 32 or more (0 for the small values a step gives) into a
 * field of an object literal narrower than 8 bytes (`{ ..., f: u32(s0.b >> 33) }`): the verifier
 * writes a known 0 narrower than a stack slot as zero bytes and marks the value precise for it, so
 * the field is needed exactly (fuzz:cost seed 20261345 #2369, three stepping calls before it,
 * refused with no warning). Linux 6.18, three calls then `saved.update(1, { ..., f: u32(s0.b >>
 * 33) })`, over `& 7`, `& 15`, `& 31`: 13,929, 82,015, 831,815 processed, `& 63` refused; `>> 3`
 * (not 0), 1,191; into the 8-byte field `b`, 279.
 */
export function zeroIntoStruct(n: ts.Node, checker: ts.TypeChecker): boolean {
  const up = (x: ts.Node): ts.Node => {
    let y = x;
    while (ts.isParenthesizedExpression(y.parent) || (ts.isCallExpression(y.parent) && isIntCast(y.parent) && y.parent.arguments[0] === y))
      y = y.parent;
    return y;
  };
  const shift = up(n).parent;
  if (
    !ts.isBinaryExpression(shift) ||
    skipParens(shift.left) !== n ||
    (shift.operatorToken.kind !== K.GreaterThanGreaterThanToken && shift.operatorToken.kind !== K.GreaterThanGreaterThanGreaterThanToken)
  )
    return false;
  const by = constEval(shift.right, checker);
  if (by === undefined || (by & 63n) < 32n) return false;
  let v = up(shift);
  // Through assignments (`f: (p.u32b = s0.b >> 33)`): the assignment's value is the shift's.
  while (ts.isBinaryExpression(v.parent) && v.parent.operatorToken.kind === K.EqualsToken && v.parent.right === v) v = up(v.parent);
  if (!ts.isPropertyAssignment(v.parent) || v.parent.initializer !== v || !ts.isObjectLiteralExpression(v.parent.parent)) return false;
  // An 8-byte field is a spill of the register, which keeps its value without marking it.
  const type = checker.getContextualType(v as ts.Expression);
  const field = type && new TypeMapper(checker).memType(type);
  return field != null && sizeOf(field) < 8;
}

/** The fields of `state` that the `return`s of the function whose body is `top` read, but not those it sets with `=`. */
export function returnedFields(
  top: ts.Node,
  state: ts.Symbol,
  checker: ts.TypeChecker,
): { path: string; node: ts.PropertyAccessExpression }[] {
  const out: { path: string; node: ts.PropertyAccessExpression }[] = [];
  const stack: ts.Node[] = [top];
  const returns: ts.Node[] = [];
  // Fields the function sets with `=` hold what it stored there, not the caller's value.
  const set = new Set<string>();
  while (stack.length) {
    const n = stack.pop()!;
    if (ts.isReturnStatement(n) && n.expression) returns.push(n.expression);
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === K.EqualsToken && ts.isPropertyAccessExpression(n.left)) {
      const path = fieldPath(n.left, state, checker);
      if (path) set.add(path);
    }
    ts.forEachChild(n, (c) => {
      if (!ts.isFunctionLike(c)) stack.push(c);
    });
  }
  for (const r of returns) {
    const st: ts.Node[] = [r];
    while (st.length) {
      const x = st.pop()!;
      if (ts.isPropertyAccessExpression(x) && !ts.isPropertyAccessExpression(x.parent)) {
        const path = fieldPath(x, state, checker);
        if (path && !set.has(path)) out.push({ path, node: x });
      }
      ts.forEachChild(x, (c) => {
        st.push(c);
      });
    }
  }
  return out;
}
