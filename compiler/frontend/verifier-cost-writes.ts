// What a loop writes and how, for the verifier-cost estimate (verifier-cost.ts): which variables,
// under which conditions (on loop counters or on data), by which kind of step. The lowest layer of
// the estimate: plain questions about the AST that the other parts ask.

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";

const K = ts.SyntaxKind;

/**
 * The variable `e` names: a local's or global's symbol, or, for a field of a struct local to the
 * program (`t0.a`, `t0.inner.x` of `let t0: T = zero<T>()` or an object literal), the field's
 * property symbol. The verifier tracks such a field on the stack exactly as it tracks a local (an
 * aligned spill of a known scalar keeps its range), so a counter kept in one multiplies states the
 * same way (seed 20261218 #389: `t0.a++` in an inner loop, `>> t0.a` feeding a packet offset).
 * Two structs of one type share the field's symbol: the estimate treats them as one variable.
 */
export function varSymbol(e: ts.Node, checker: ts.TypeChecker): ts.Symbol | undefined {
  if (ts.isIdentifier(e)) return checker.getSymbolAtLocation(e);
  if (!ts.isPropertyAccessExpression(e)) return undefined;
  let root: ts.Expression = e.expression;
  while (ts.isPropertyAccessExpression(root)) root = root.expression;
  if (!ts.isIdentifier(root)) return undefined;
  const d = checker.getSymbolAtLocation(root)?.valueDeclaration;
  // A struct parameter of a module function is the caller's struct, passed by reference: `s.b--`
  // in it is a write of the caller's `s0.b` (seed 20261267 #4940 of fuzz:cost).
  if (d && ts.isParameter(d) && ts.isFunctionDeclaration(d.parent)) return checker.getSymbolAtLocation(e.name);
  if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !isStackStruct(d.initializer)) return undefined;
  // Not a module-level struct: that lives in a map (.bss/.data), whose loads the verifier does not track.
  if (isGlobal(d)) return undefined;
  return checker.getSymbolAtLocation(e.name);
}

/** The function `node` is in. */
export function enclosingFunction(node: ts.Node): ts.Node | undefined {
  let fn = node.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  return fn;
}

/**
 * A module-level `let` lives in a global-data map: the verifier loads it as an unknown value at every
 * read, so what a loop did to it makes no state differ (seed 20261213: `--gd` under a condition,
 * compared later, warned at 3.6M and processed in 1,900).
 */
export function isGlobal(d: ts.VariableDeclaration): boolean {
  return ts.isVariableDeclarationList(d.parent) && ts.isVariableStatement(d.parent.parent) && ts.isSourceFile(d.parent.parent.parent);
}

/** `zero<T>()` or `{ … }`: a struct on the program's stack (not a pointer into a map or the packet). */
function isStackStruct(init: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(init)) init = init.expression;
  if (ts.isObjectLiteralExpression(init)) return true;
  return ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === "zero";
}

export const isCounterOf = (e: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker): boolean => varSymbol(e, checker) === sym;

/** Does `node` read or write `sym` (a local, or a stack struct's field as varSymbol names it)? */
export function mentions(node: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  const stack: ts.Node[] = [node];
  while (stack.length) {
    const x = stack.pop()!;
    if (isCounterOf(x, sym, checker)) return true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return false;
}

/** The one statement of a block that holds only it (`{ break; }`), else `s` itself. */
export function soleStatement(s: ts.Statement): ts.Statement {
  return ts.isBlock(s) && s.statements.length === 1 ? s.statements[0]! : s;
}

/** Does `n` assign, increment or decrement `sym`? */
export function writes(n: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  let found = false;
  const stack: ts.Node[] = [n];
  while (stack.length && !found) {
    const x = stack.pop()!;
    if (
      ts.isBinaryExpression(x) &&
      x.operatorToken.kind >= K.FirstAssignment &&
      x.operatorToken.kind <= K.LastAssignment &&
      isCounterOf(x.left, sym, checker)
    )
      found = true;
    if (
      (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
      (x.operator === K.PlusPlusToken || x.operator === K.MinusMinusToken) &&
      isCounterOf(x.operand, sym, checker)
    )
      found = true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return found;
}

/** The module function a call names, with a body to walk. */
export function calleeOf(call: ts.CallExpression, checker: ts.TypeChecker): ts.FunctionDeclaration | undefined {
  if (!ts.isIdentifier(call.expression)) return undefined;
  const d = checker.getSymbolAtLocation(call.expression)?.valueDeclaration;
  return d && ts.isFunctionDeclaration(d) && d.body && !d.getSourceFile().isDeclarationFile ? d : undefined;
}

/**
 * loopBody's answers, per checker: a watch-mode rebuild reuses unchanged AST nodes (a loop) while
 * the functions it calls may be parsed afresh, so an answer is good for one compile only.
 */
const bodies = new WeakMap<ts.TypeChecker, WeakMap<ts.IterationStatement, { roots: ts.Node[]; calls?: ts.CallExpression[] }>>();

function bodyOf(loop: ts.IterationStatement, checker: ts.TypeChecker): { roots: ts.Node[]; calls?: ts.CallExpression[] } {
  let cache = bodies.get(checker);
  if (!cache) bodies.set(checker, (cache = new WeakMap()));
  let b = cache.get(loop);
  if (!b) cache.set(loop, (b = { roots: walkBody(loop, checker) }));
  return b;
}

/**
 * What one trip of `loop` runs: its body, then the bodies of the module functions it calls (and
 * they call). Inlined or verified at each call, the verifier walks their writes within the trip.
 */
export function loopBody(loop: ts.IterationStatement, checker: ts.TypeChecker): readonly ts.Node[] {
  return bodyOf(loop, checker).roots;
}

/** Every call in loopBody's roots, those in nested functions included. */
function loopCalls(loop: ts.IterationStatement, checker: ts.TypeChecker): readonly ts.CallExpression[] {
  const b = bodyOf(loop, checker);
  if (b.calls) return b.calls;
  const calls: ts.CallExpression[] = [];
  const stack: ts.Node[] = [...b.roots];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isCallExpression(x)) calls.push(x);
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  b.calls = calls;
  return calls;
}

function walkBody(loop: ts.IterationStatement, checker: ts.TypeChecker): ts.Node[] {
  const roots: ts.Node[] = [loop.statement];
  const seen = new Set<ts.Node>();
  for (let i = 0; i < roots.length; i++) {
    const stack: ts.Node[] = [roots[i]!];
    while (stack.length) {
      const x = stack.pop()!;
      const d = ts.isCallExpression(x) ? calleeOf(x, checker) : undefined;
      if (d?.body && !seen.has(d)) {
        seen.add(d);
        roots.push(d.body);
      }
      ts.forEachChild(x, (c) => {
        if (!ts.isFunctionLike(c)) stack.push(c);
      });
    }
  }
  return roots;
}

/**
 * Is `e` a call of a module function that steps a field of a struct it is passed (`s.b -= 256` in
 * `f(s: S)`, called as `f(s0)`)? The struct lives on the caller's stack, where the verifier tracks a
 * stored constant exactly, so each call returns another known value.
 */
export function countedCall(e: ts.Expression, checker: ts.TypeChecker): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  const fn = ts.isCallExpression(e) ? calleeOf(e, checker) : undefined;
  if (!fn?.body || !ts.isCallExpression(e)) return false;
  const call = e;
  const stack: ts.Node[] = [fn.body];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isFunctionLike(x)) continue;
    const target = writeTarget(x);
    if (target && ts.isPropertyAccessExpression(target) && constantStep(x, checker)) {
      let root: ts.Expression = target;
      while (ts.isPropertyAccessExpression(root)) root = root.expression;
      const d = ts.isIdentifier(root) ? checker.getSymbolAtLocation(root)?.valueDeclaration : undefined;
      if (d && ts.isParameter(d) && d.parent === fn && ts.isIdentifier(call.arguments[fn.parameters.indexOf(d)] ?? root)) return true;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return false;
}

/**
 * Is the last write of `sym` in `loop`'s body a statement of the body (under no `if`) setting it to
 * a countedCall? Every trip then ends with `sym` known, and each exit holds the value the trips
 * before it left, whatever other writes did before that statement.
 */
export function endsCounted(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  const body = ts.isBlock(loop.statement) ? loop.statement.statements : [loop.statement];
  for (let i = body.length - 1; i >= 0; i--) {
    const st = body[i]!;
    if (!writes(st, sym, checker)) continue;
    const e = ts.isExpressionStatement(st) ? st.expression : undefined;
    return (
      !!e &&
      ts.isBinaryExpression(e) &&
      e.operatorToken.kind === K.EqualsToken &&
      isCounterOf(e.left, sym, checker) &&
      countedCall(e.right, checker)
    );
  }
  return false;
}

/** Is `sym` a local of a function `loop` calls (made afresh at each call)? */
function calleeLocal(sym: ts.Symbol, loop: ts.IterationStatement): boolean {
  const d = sym.valueDeclaration;
  if (!d) return false;
  const fn = enclosingFunction(d);
  return fn !== undefined && fn !== enclosingFunction(loop);
}

/** Is `x` a step by a constant: `++`, `--`, or `+=`/`-=` of a constant? */
export function constantStep(x: ts.Node, checker: ts.TypeChecker): boolean {
  return (
    ts.isPrefixUnaryExpression(x) ||
    ts.isPostfixUnaryExpression(x) ||
    (ts.isBinaryExpression(x) &&
      (x.operatorToken.kind === K.PlusEqualsToken || x.operatorToken.kind === K.MinusEqualsToken) &&
      constEval(x.right, checker) !== undefined)
  );
}

/** Compound assignments that change nothing by 0. */
const ZERO_NEUTRAL = new Set<ts.SyntaxKind>([
  K.PlusEqualsToken,
  K.MinusEqualsToken,
  K.BarEqualsToken,
  K.CaretEqualsToken,
  K.LessThanLessThanEqualsToken,
  K.GreaterThanGreaterThanEqualsToken,
  K.GreaterThanGreaterThanGreaterThanEqualsToken,
]);

/**
 * Is `x` a step by a parameter of a function `loop` calls (`s.a -= a0`) that every call in the
 * loop passes as 0? It changes nothing (fuzz:cost seed 20261271 #3338: `prog0_f0(s0, 0)`, warned
 * at 18 billion, processed 12,696).
 */
function zeroStep(x: ts.Node, loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  if (!ts.isBinaryExpression(x) || !ZERO_NEUTRAL.has(x.operatorToken.kind)) return false;
  let r = x.right;
  while (ts.isParenthesizedExpression(r)) r = r.expression;
  const args = ts.isIdentifier(r) ? argumentsFor(r, loop, checker) : undefined;
  return args?.every((a) => a !== undefined && constEval(a, checker) === 0n) === true;
}

/**
 * Is `target` a field of a struct parameter (`s.a` in `f(s: S)`) that every call of the function in
 * `loop` passes a struct made afresh in a loop around it, or in it (`const s15: S = {…}` in the
 * enclosing loop's body)? What the call changes dies with that trip, whatever other struct of the
 * type shares the field's symbol (fuzz:cost seed 20261275 #243: warned at 667 billion, processes
 * 56,151).
 */
function freshArgument(target: ts.Expression, loop: ts.IterationStatement, checker: ts.TypeChecker): boolean {
  let root = target;
  while (ts.isPropertyAccessExpression(root)) root = root.expression;
  const args = ts.isIdentifier(root) ? argumentsFor(root, loop, checker) : undefined;
  return (
    args?.every((a) => {
      const d = a && ts.isIdentifier(a) ? checker.getSymbolAtLocation(a)?.valueDeclaration : undefined;
      return d !== undefined && ts.isVariableDeclaration(d) && madeInLoopAround(d, loop);
    }) === true
  );
}

/**
 * When `id` names a parameter of a module function: what each call of that function in `loop`
 * (loopBody's calls) passes for it; undefined when it names something else or the loop makes no
 * such call.
 */
export function argumentsFor(
  id: ts.Identifier,
  loop: ts.IterationStatement,
  checker: ts.TypeChecker,
): (ts.Expression | undefined)[] | undefined {
  const d = checker.getSymbolAtLocation(id)?.valueDeclaration;
  if (!d || !ts.isParameter(d) || !ts.isFunctionDeclaration(d.parent) || !d.parent.name) return undefined;
  const at = d.parent.parameters.indexOf(d);
  const name = d.parent.name.text;
  const calls = loopCalls(loop, checker).filter((c) => ts.isIdentifier(c.expression) && c.expression.text === name);
  return calls.length > 0 ? calls.map((c) => c.arguments[at]) : undefined;
}

/** Is `d` declared in the body of `loop` or of a loop around it? */
function madeInLoopAround(d: ts.Node, loop: ts.IterationStatement): boolean {
  for (let n: ts.Node | undefined = loop; n && !ts.isFunctionLike(n); n = n.parent)
    if (ts.isIterationStatement(n, false) && d.pos >= n.statement.pos && d.end <= n.statement.end) return true;
  return false;
}

/** Variables a loop assigns (its counter included), in its body or in a function it calls. */
export function loopWrites(loop: ts.IterationStatement, checker: ts.TypeChecker): Set<ts.Symbol> {
  const written = new Set<ts.Symbol>();
  const stack: ts.Node[] = [...loopBody(loop, checker)];
  while (stack.length) {
    const x = stack.pop()!;
    const target = writeTarget(x) ?? (ts.isVariableDeclaration(x) ? x.name : undefined);
    const sym = target ? varSymbol(target, checker) : undefined;
    if (
      sym &&
      !calleeLocal(sym, loop) &&
      !zeroStep(x, loop, checker) &&
      !(target && ts.isPropertyAccessExpression(target) && freshArgument(target, loop, checker))
    )
      written.add(sym);
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return written;
}

/**
 * The locals `loop` writes that are declared before it (not in it, not globals) and are no loop's
 * counter: the values it carries from trip to trip.
 */
export function carriedWrites(loop: ts.IterationStatement, checker: ts.TypeChecker): { v: ts.Symbol; d: ts.VariableDeclaration }[] {
  const counters = loopCounters(loop, checker);
  const out: { v: ts.Symbol; d: ts.VariableDeclaration }[] = [];
  for (const v of loopWrites(loop, checker)) {
    const d = v.valueDeclaration;
    if (counters.has(v) || !d || !ts.isVariableDeclaration(d) || (d.pos >= loop.pos && d.end <= loop.end) || isGlobal(d)) continue;
    out.push({ v, d });
  }
  return out;
}

/** What an assignment, `++` or `--` at `x` writes; undefined for anything else. */
export function writeTarget(x: ts.Node): ts.Expression | undefined {
  if (ts.isBinaryExpression(x) && x.operatorToken.kind >= K.FirstAssignment && x.operatorToken.kind <= K.LastAssignment) return x.left;
  if (
    (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
    (x.operator === K.PlusPlusToken || x.operator === K.MinusMinusToken)
  )
    return x.operand;
  return undefined;
}

/**
 * The conditions `x` runs under inside `loop`'s body: enclosing if, ?: and the left of && / ||, and
 * an earlier `if` in an enclosing block one of whose sides ends with `continue` (seed 20261219:
 * `if (data) { continue; } else { … }` and then `acc4--`, changed only on the trips that go on).
 */
export function guards(x: ts.Node, loop: ts.IterationStatement, site?: ts.CallExpression): ts.Expression[] {
  const out: ts.Expression[] = [];
  for (let at: ts.Node = x; at !== loop.statement && at.parent; at = at.parent) {
    // In a function the loop calls (loopBody): on to the conditions of the call in the loop (`site`,
    // or the first call of it there).
    if (ts.isFunctionDeclaration(at)) {
      const call = site ?? (at.name && callNamed(loop.statement, at.name.text));
      if (!call) break;
      at = call;
      site = undefined;
    }
    const par = at.parent;
    if (ts.isBlock(par))
      for (const prev of par.statements) {
        if (prev === at) break;
        if (ts.isIfStatement(prev) && (continues(prev.thenStatement) || (prev.elseStatement && continues(prev.elseStatement))))
          out.push(prev.expression);
      }
    if (ts.isIfStatement(par) && par.expression !== at) {
      // The other side leaves the loop (`if (p !== null) { ++v; } else { return 0; }`): every path
      // that goes on in the loop ran `x`.
      const other = par.thenStatement === at ? par.elseStatement : par.thenStatement;
      if (!other || !leavesLoop(other, par, loop)) out.push(par.expression);
    } else if (ts.isCaseOrDefaultClause(par)) out.push(par.parent.parent.expression);
    else if (ts.isConditionalExpression(par) && par.condition !== at) out.push(par.condition);
    else if (
      ts.isBinaryExpression(par) &&
      (par.operatorToken.kind === K.AmpersandAmpersandToken || par.operatorToken.kind === K.BarBarToken) &&
      par.right === at
    )
      out.push(par.left);
  }
  return out;
}

/** The first call of the function named `name` in `node`. */
function callNamed(node: ts.Node, name: string): ts.CallExpression | undefined {
  const stack: ts.Node[] = [node];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isCallExpression(x) && ts.isIdentifier(x.expression) && x.expression.text === name) return x;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return undefined;
}

/**
 * Does `s`, a side of `iff` in `loop`, leave the loop: a `return`, or a `break` of `loop`, itself or
 * a block's last statement?
 */
function leavesLoop(s: ts.Statement, iff: ts.IfStatement, loop: ts.IterationStatement): boolean {
  const last = ts.isBlock(s) ? s.statements[s.statements.length - 1] : s;
  if (!last || !(ts.isReturnStatement(last) || ts.isBreakStatement(last))) return false;
  // Not in a function the loop calls (there a `return` ends the call, not the loop), and a `break`
  // with no label leaves the innermost loop or switch around it.
  let inner = false;
  for (let n: ts.Node | undefined = iff.parent; n !== loop; n = n.parent) {
    if (!n || ts.isFunctionLike(n)) return false;
    if (ts.isIterationStatement(n, false) || ts.isSwitchStatement(n)) inner = true;
  }
  if (ts.isReturnStatement(last)) return true;
  if (last.label) return ts.isLabeledStatement(loop.parent) && loop.parent.label.text === last.label.text;
  return !inner;
}

/** Does `s` end its trip with `continue` (itself, or a block's last statement)? */
function continues(s: ts.Statement): boolean {
  if (ts.isContinueStatement(s)) return true;
  const last = ts.isBlock(s) ? s.statements[s.statements.length - 1] : undefined;
  return last !== undefined && ts.isContinueStatement(last);
}

/** Compound assignments that, by a constant, map each known value to one known value and add none. */
const NEUTRAL_OPS = new Set<ts.SyntaxKind>([
  K.AmpersandEqualsToken,
  K.BarEqualsToken,
  K.CaretEqualsToken,
  K.GreaterThanGreaterThanEqualsToken,
  K.GreaterThanGreaterThanGreaterThanEqualsToken,
  K.SlashEqualsToken,
  K.PercentEqualsToken,
]);

/**
 * Does every write of `sym` in `loop` keep a range that grows or moves trip by trip (`++`, `--`,
 * `+=`, `-=`, `= sym + e`, `*=`/`<<=` by a constant, `= c`; masks and shifts by a constant are
 * neutral), so that each exit holds its own range?
 * Bit operations, products and shifts by variables, or a value loaded from data make it unknown
 * at every exit, and unknown values prune.
 */
export function keepsRange(
  loop: ts.IterationStatement,
  sym: ts.Symbol,
  checker: ts.TypeChecker,
  keepsBits?: (operand: ts.Expression) => boolean,
): boolean {
  if (endsCounted(loop, sym, checker)) return true;
  const isSym = (e: ts.Expression) => isCounterOf(e, sym, checker);
  const isConst = (e: ts.Expression) => constEval(e, checker) !== undefined;
  const bounded = (e: ts.Expression): boolean =>
    ts.isBinaryExpression(e) &&
    ((e.operatorToken.kind === K.AmpersandToken && (isConst(e.left) || isConst(e.right))) ||
      (e.operatorToken.kind === K.PercentToken && isConst(e.right)));
  let ok = true;
  let masked = false;
  let grows = false;
  const stack: ts.Node[] = [...loopBody(loop, checker)];
  while (stack.length && ok) {
    const x = stack.pop()!;
    if (
      (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
      (x.operator === K.PlusPlusToken || x.operator === K.MinusMinusToken) &&
      isSym(x.operand)
    )
      grows = true;
    else if (
      ts.isBinaryExpression(x) &&
      x.operatorToken.kind >= K.FirstAssignment &&
      x.operatorToken.kind <= K.LastAssignment &&
      isSym(x.left)
    ) {
      const op = x.operatorToken.kind;
      let r = x.right;
      while (ts.isParenthesizedExpression(r)) r = r.expression;
      if (op === K.PlusEqualsToken || op === K.MinusEqualsToken) grows = true;
      else if (op === K.AsteriskEqualsToken || op === K.LessThanLessThanEqualsToken) ok = isConst(r);
      // By a constant, a mask, shift or division maps each known value to a known value (the
      // fuzzer's `v0 >>= 32768` beside a `v0++`, seed 20261207): it neither grows nor forgets.
      else if (NEUTRAL_OPS.has(op))
        // `|=` or `^=` of a value narrower than sym (`acc |= b << (k & 7)`, b a byte) leaves its high
        // bits as they were, and the verifier tracks them: paths that differ there stay apart.
        ok = isConst(r) || ((op === K.BarEqualsToken || op === K.CaretEqualsToken) && keepsBits?.(r) === true);
      else if (op === K.EqualsToken)
        ok =
          isConst(r) ||
          // A mask or remainder by a constant (`acc0 = 0x80 & (...)` beside `acc0 += b2`, seed
          // 20261216): a small known range again, from which the adds grow apart (alone, as
          // `v = (v + 1) & 255`, it keeps one range: checked below).
          (bounded(r) && (masked = true)) ||
          // `x = (x -= 31)`: the inner write is looked at on its own.
          (ts.isBinaryExpression(r) &&
            r.operatorToken.kind >= K.FirstAssignment &&
            r.operatorToken.kind <= K.LastAssignment &&
            isSym(r.left)) ||
          (ts.isBinaryExpression(r) &&
            (r.operatorToken.kind === K.PlusToken || r.operatorToken.kind === K.MinusToken) &&
            (isSym(r.left) || isSym(r.right)));
      else ok = false;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return ok && (!masked || grows);
}

/** Does `e` read nothing but `known` variables and constants (so the verifier can decide it)? */
export function readsOnly(e: ts.Node, known: ReadonlySet<ts.Symbol>, checker: ts.TypeChecker): boolean {
  let ok = true;
  const st: ts.Node[] = [e];
  while (st.length && ok) {
    const x = st.pop()!;
    if (ts.isIdentifier(x)) {
      const sym = checker.getSymbolAtLocation(x);
      if (!sym || (!known.has(sym) && constEval(x, checker) === undefined)) ok = false;
    } else if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x) || ts.isCallExpression(x)) {
      if (constEval(x as ts.Expression, checker) === undefined) ok = false;
      continue;
    }
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return ok;
}

/** The counter a `for` loop declares. */
export function forCounter(loop: ts.IterationStatement, checker: ts.TypeChecker): ts.Symbol | undefined {
  if (!ts.isForStatement(loop) || !loop.initializer || !ts.isVariableDeclarationList(loop.initializer)) return undefined;
  const d = loop.initializer.declarations[0];
  return d && ts.isIdentifier(d.name) ? checker.getSymbolAtLocation(d.name) : undefined;
}

export type WriteKind = "every" | "data" | "counter";
export const worse = (a: WriteKind | undefined, b: WriteKind): WriteKind =>
  a === "data" || b === "data" ? "data" : a === "every" || b === "every" ? "every" : "counter";

/** The counters of `loop` and the loops around it. */
export function loopCounters(loop: ts.Node, checker: ts.TypeChecker): Set<ts.Symbol> {
  const counters = new Set<ts.Symbol>();
  for (let n: ts.Node | undefined = loop; n && !ts.isFunctionLike(n); n = n.parent) {
    const c = ts.isIterationStatement(n, false) ? forCounter(n, checker) : undefined;
    if (c) counters.add(c);
  }
  return counters;
}

/**
 * How `loop` writes `sym`: on every trip (a write not under a condition), only under conditions on
 * loop counters and constants, or under a condition on data (the worst of its writes).
 */
export function writeKind(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): WriteKind {
  const counters = loopCounters(loop, checker);
  let kind: WriteKind | undefined;
  const stack: ts.Node[] = [...loopBody(loop, checker)];
  while (stack.length) {
    const x = stack.pop()!;
    const target = writeTarget(x);
    if (target && isCounterOf(target, sym, checker)) {
      let k: WriteKind = "every";
      for (const cond of guards(x, loop)) k = worse(k === "every" ? undefined : k, readsOnly(cond, counters, checker) ? "counter" : "data");
      kind = kind === undefined ? k : worse(kind, k);
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return kind ?? "every";
}

/**
 * Does `loop` only set `sym` to constants (`acc0 = 0x68`)? Its exits then hold one of those values
 * or the one it came in with, however many trips ran: nothing multiplies (the fuzzer's seed
 * 20261210, warned by TSBPF3012 at 333M and processed in 2,267).
 */
export function setsOnlyConstants(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  let only = true;
  const stack: ts.Node[] = [...loopBody(loop, checker)];
  while (stack.length && only) {
    const x = stack.pop()!;
    const target = writeTarget(x);
    if (target && isCounterOf(target, sym, checker))
      only = ts.isBinaryExpression(x) && x.operatorToken.kind === K.EqualsToken && constEval(x.right, checker) !== undefined;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return only;
}

/**
 * Does `loop` set `sym` to constants, and otherwise only count it down by one inside an `if (sym >
 * 0)` (or `!== 0`, `>= 1`)? A UTF-8 continuation count (`need = 3;` for a lead byte, `need--` for a
 * continuation) holds a few values, and each constant forgets how it got there: measured linear
 * (bench/natural/utf8-check.bpf.ts: 512 bytes 105,541 processed).
 */
export function setsConstantsCountsDown(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  let constants = 0;
  for (const x of writesOf(loop, sym, checker)) {
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === K.EqualsToken && constEval(x.right, checker) !== undefined) constants++;
    else if (!countsDownGuarded(x, sym, checker)) return false;
  }
  return constants > 0;
}

/** `sym--` (or `-= 1`) as a statement of an `if (sym > 0)`'s then-side. */
function countsDownGuarded(x: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  const down =
    ((ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) && x.operator === K.MinusMinusToken) ||
    (ts.isBinaryExpression(x) && x.operatorToken.kind === K.MinusEqualsToken && constEval(x.right, checker) === 1n);
  if (!down || !ts.isExpressionStatement(x.parent)) return false;
  for (let at: ts.Node = x.parent; at.parent; at = at.parent) {
    const par = at.parent;
    if (ts.isBlock(par)) continue;
    if (!ts.isIfStatement(par) || par.thenStatement !== at) return false;
    let c = par.expression;
    while (ts.isParenthesizedExpression(c)) c = c.expression;
    if (!ts.isBinaryExpression(c) || !ts.isIdentifier(c.left) || checker.getSymbolAtLocation(c.left) !== sym) return false;
    const bound = constEval(c.right, checker);
    const op = c.operatorToken.kind;
    return (
      (bound === 0n && (op === K.GreaterThanToken || op === K.ExclamationEqualsEqualsToken || op === K.ExclamationEqualsToken)) ||
      (bound === 1n && op === K.GreaterThanEqualsToken)
    );
  }
  return false;
}

/**
 * Does `loop` only change `sym` by constants (`++`, `+= 3`, `<<= 1`, `^= 4`) or set it to constants?
 * `known`: locals that count as constants too (a local pinned for the trip: `if (b !== 255) break;`).
 */
export function constantSteps(
  loop: ts.IterationStatement,
  sym: ts.Symbol,
  checker: ts.TypeChecker,
  known: ReadonlySet<ts.Symbol> = new Set(),
): boolean {
  let ok = true;
  const stack: ts.Node[] = [...loopBody(loop, checker)];
  while (stack.length && ok) {
    const x = stack.pop()!;
    if (
      ts.isBinaryExpression(x) &&
      x.operatorToken.kind >= K.FirstAssignment &&
      x.operatorToken.kind <= K.LastAssignment &&
      isCounterOf(x.left, sym, checker)
    ) {
      // Any operator with a constant operand (`<<= 1`, `>>= 3`, `|= 4`): from a known start the
      // value stays known on every path, and the paths differ in it.
      ok = constEval(x.right, checker) !== undefined || (known.size > 0 && readsOnly(x.right, known, checker));
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return ok;
}

/** Writes of `sym` in `loop`'s body, outside loops nested in it, under a condition on data. */
export function dataWriteSites(
  loop: ts.IterationStatement,
  sym: ts.Symbol,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
  skip?: (write: ts.Node) => boolean,
): number {
  let n = 0;
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isIterationStatement(x, false) || ts.isFunctionLike(x)) continue;
    const target = writeTarget(x);
    // A mask or shift by a constant is idempotent or converges: it adds no value trip by trip.
    const neutral = ts.isBinaryExpression(x) && NEUTRAL_OPS.has(x.operatorToken.kind) && constEval(x.right, checker) !== undefined;
    if (target && !neutral && isCounterOf(target, sym, checker) && !skip?.(x)) {
      if (guards(x, loop).some((cond) => !readsOnly(cond, counters, checker))) n++;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return n;
}

/** The writes (assignments, `++`, `--`) of `sym` in `loop`'s body, outside nested functions. */
export function writesOf(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): ts.Node[] {
  const out: ts.Node[] = [];
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    const target = writeTarget(x);
    if (target && isCounterOf(target, sym, checker)) out.push(x);
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return out;
}
