// Small pieces every call lowering shares: argument-count checks, type arguments, the
// `ok ? p : null` join that turns a helper's success test into a nullable reference, and a stack
// slot a helper fills.

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

/**
 * A helper that copies into a fresh stack slot of `size` bytes and returns 0 on success (probe
 * reads, skb loads, queue pops): `rc === 0 ? &slot : null`. `call` emits the helper, given the
 * slot's address, and returns its result.
 */
export function filledSlot(x: ExprLowerer, size: number, t: CType, call: (buf: Value) => Value): NullableVal {
  const slot = x.b.slot(size, 8);
  const buf = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: buf, slot });
  const rc = call(buf);
  const again = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: again, slot });
  return nullableJoin(
    x,
    (ok, bad) => {
      x.b.terminate({ op: "cbr", cond: "ne", width: 64, a: rc, b: { imm: 0n }, then: bad, else: ok });
      return again;
    },
    t,
    "stack",
  );
}
