// Values that leave a statement as one of several: a call of a module function with several
// `return`s (a character class, a digit's value) hands each caller path one of its results, each
// with its own range. When later code needs the value exactly (a comparison the verifier decides, an
// offset, a key), those paths stay apart until the value dies, and a second such value splits each
// of them again: the code after k calls of a function with R results is walked R^k times. Measured
// (bench/natural/base64-decode.bpf.ts): four calls of a 6-result sextet decoder per group, their OR
// compared, process 436 instructions with two calls, 1,134 with three, 24,707 with four (6^4 =
// 1,296 walks of the tail), and 16 groups 858,647; clang's code for the C twin, 603,054.

import { ts } from "./ts-adapter.js";
import { calleeOf } from "./verifier-cost-writes.js";

/** The local a statement sets from calls of multi-result functions, and how many results it may hold. */
export interface Outcomes {
  sym: ts.Symbol;
  count: number;
  node: ts.Node;
}

/** `const x = f(...)` or `x = f(...)` where the calls in the value have more than one result in all. */
export function outcomesOf(s: ts.Statement, checker: ts.TypeChecker): Outcomes | undefined {
  let name: ts.Identifier | undefined;
  let value: ts.Expression | undefined;
  if (ts.isVariableStatement(s) && s.declarationList.declarations.length === 1) {
    const d = s.declarationList.declarations[0]!;
    if (ts.isIdentifier(d.name)) [name, value] = [d.name, d.initializer];
  } else if (
    ts.isExpressionStatement(s) &&
    ts.isBinaryExpression(s.expression) &&
    s.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isIdentifier(s.expression.left)
  )
    [name, value] = [s.expression.left, s.expression.right];
  if (!name || !value) return undefined;
  let count = 1;
  const st: ts.Node[] = [value];
  while (st.length) {
    const x = st.pop()!;
    const d = ts.isCallExpression(x) ? calleeOf(x, checker) : undefined;
    if (d?.body) count *= distinctReturns(d.body);
    ts.forEachChild(x, (c) => {
      if (!ts.isFunctionLike(c)) st.push(c);
    });
  }
  const sym = checker.getSymbolAtLocation(name);
  return sym && count > 1 ? { sym, count, node: value } : undefined;
}

/** The distinct values (by their text) a function body returns. */
function distinctReturns(body: ts.Block): number {
  const seen = new Set<string>();
  const st: ts.Node[] = [body];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isReturnStatement(x)) seen.add(x.expression ? x.expression.getText().replace(/\s+/g, "") : "");
    ts.forEachChild(x, (c) => {
      if (!ts.isFunctionLike(c)) st.push(c);
    });
  }
  return Math.max(1, seen.size);
}
