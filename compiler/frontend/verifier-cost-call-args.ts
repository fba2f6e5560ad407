// Parameters the verifier knows, for the verifier-cost estimate of loop() states
// (verifier-cost-loop-bodies.ts): the verifier walks a called (static) function with its caller's
// registers, so a parameter every call gives a constant is that constant there.

import { constEval } from "./const-eval.js";
import { ts } from "./ts-adapter.js";
import { fieldPath, skipParens } from "./verifier-cost-known.js";
import { loopTrips } from "./verifier-cost-loops.js";
import { isIntCast } from "./verifier-cost-ranges.js";
import { writeTarget } from "./verifier-cost-writes.js";

/** Per parameter: whether every call passes a constant (a file is scanned once per parameter). */
const constantParams = new WeakMap<ts.ParameterDeclaration, boolean>();

/**
 * Whether `e` is a parameter of a function, not exported, that every call in its file passes a
 * constant (outside loops that never run): the verifier walks a called function with its caller's
 * registers, so it knows the value (fuzz:cost seed 20261345 #996: `s.a >>>= a1` in a function always called with 1
 * for a1, before calls that step `s.a`, refused with no warning).
 */
export function constantArgument(e: ts.Expression, checker: ts.TypeChecker): boolean {
  const x = skipParens(e);
  const d = ts.isIdentifier(x) ? checker.getSymbolAtLocation(x)?.valueDeclaration : undefined;
  const prm = d && ts.isParameter(d) ? d : undefined;
  const fn = prm?.parent;
  if (!prm || !fn || !ts.isFunctionDeclaration(fn) || !fn.name || prm.initializer || prm.dotDotDotToken) return false;
  // Another file may call an exported function with anything.
  if (fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return false;
  const cached = constantParams.get(prm);
  if (cached !== undefined) return cached;
  const k = fn.parameters.indexOf(prm);
  const sym = checker.getSymbolAtLocation(fn.name);
  let calls = 0;
  let constant = true;
  // An explicit stack: the file may nest deeply.
  const stack: ts.Node[] = [fn.getSourceFile()];
  while (stack.length && constant) {
    const n = stack.pop()!;
    if (ts.isIdentifier(n) && n !== fn.name && checker.getSymbolAtLocation(n) === sym) {
      const call = n.parent;
      const arg = ts.isCallExpression(call) && call.expression === n ? call.arguments[k] : undefined;
      if (arg && constEval(arg, checker) !== undefined) calls++;
      else constant = false;
    }
    // A loop that never runs calls nothing (see elsewhereOf).
    if (!(ts.isForStatement(n) && loopTrips(n, checker)?.trips === 0))
      ts.forEachChild(n, (c) => {
        stack.push(c);
      });
  }
  constantParams.set(prm, constant && calls > 0);
  return constant && calls > 0;
}

/**
 * The parameters of `fn` that `call` gives a constant (or leaves to a constant default) and `fn`
 * never changes: the verifier knows them where it walks `fn` from this call (differential seed
 * 20261363: `f1(s0, 127, 1)` compared `a0 !== s.a` after a loop() call stepping `s.a`, in a 6-trip
 * loop, while another call passed data for a0; refused with no warning).
 */
export function constantsGiven(call: ts.CallExpression, fn: ts.FunctionDeclaration, checker: ts.TypeChecker): ReadonlySet<ts.Symbol> {
  const out = new Set<ts.Symbol>();
  fn.parameters.forEach((p, k) => {
    const arg = call.arguments[k] ?? p.initializer;
    const sym = ts.isIdentifier(p.name) && !p.dotDotDotToken ? checker.getSymbolAtLocation(p.name) : undefined;
    if (sym && arg && constEval(arg, checker) !== undefined) out.add(sym);
  });
  if (out.size === 0 || !fn.body) return out;
  const stack: ts.Node[] = [fn.body];
  while (stack.length) {
    const n = stack.pop()!;
    const t = writeTarget(n);
    if (t && ts.isIdentifier(skipParens(t))) {
      const sym = checker.getSymbolAtLocation(skipParens(t));
      if (sym) out.delete(sym);
    }
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  return out;
}

/**
 * Whether `e` reads only constants, parameters every call gives a constant, and fields of the state
 * (`sym`) that `known` accepts, through arithmetic and integer conversions.
 */
export function readsKnownFields(e: ts.Expression, sym: ts.Symbol, known: (path: string) => boolean, checker: ts.TypeChecker): boolean {
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isPropertyAccessExpression(x)) {
      const path = fieldPath(x, sym, checker);
      if (path ? !known(path) : constEval(x, checker) === undefined) return false;
      continue;
    }
    if (ts.isIdentifier(x) && constEval(x, checker) === undefined && !constantArgument(x, checker)) return false;
    if (ts.isCallExpression(x)) {
      if (!isIntCast(x)) return false;
      st.push(...x.arguments);
      continue;
    }
    if (ts.isElementAccessExpression(x)) return false;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return true;
}
