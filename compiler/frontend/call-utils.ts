// Small pieces every call lowering shares: argument-count checks, type arguments, and the
// `ok ? p : null` join that turns a helper's success test into a nullable reference.

import type { CType } from "../../common/ctypes.js";
import type { Value } from "../ir/ir.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import type { ts } from "./ts-adapter.js";
import type { NullableVal } from "./values.js";

export function expectArgs(x: ExprLowerer, e: ts.CallExpression, n: number): void {
  if (e.arguments.length !== n) x.r.fail("TSBPF1035", e);
}

export function typeArg(x: ExprLowerer, e: ts.CallExpression): CType {
  const node = e.typeArguments?.[0];
  if (!node) x.r.fail("TSBPF2009", e, "(missing type argument)");
  const t = x.types.memType(x.checker.getTypeFromTypeNode(node));
  if (!t) x.r.fail("TSBPF2009", node, node.getText());
  return t;
}

/**
 * Builds `ok ? p : null` as a phi after the branch `test` emits (it returns p, defined on the way to
 * `ok`); the null-check threading pass later connects the user's own null test to these two edges.
 */
export function nullableJoin(
  x: ExprLowerer,
  test: (ok: number, bad: number) => Value,
  t: CType,
  region: NullableVal["region"],
): NullableVal {
  let p: Value | undefined;
  const dst = x.b.diamond(
    "ptr",
    (ok, bad) => (p = test(ok, bad)),
    () => p!,
    () => ({ imm: 0n }),
  );
  return { k: "nullable", ptr: dst, t, region };
}
