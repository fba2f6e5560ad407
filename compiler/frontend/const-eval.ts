// Compile-time evaluation of integer constant expressions: literals, enum members, module-level and
// stdlib constants, and the arithmetic operators on them. Returns undefined when not constant.

import { parseIntLiteral } from "./int-ops.js";
import { ts } from "./ts-adapter.js";

/**
 * `pick`, when given, evaluates a `?:` as the side it picks (the value on one path: a verifier-cost
 * question, where both sides are walked).
 */
export function constEval(
  e: ts.Expression,
  checker: ts.TypeChecker,
  depth = 0,
  pick?: (c: ts.ConditionalExpression) => ts.Expression,
): bigint | undefined {
  if (depth > 32) return undefined;
  const rec = (x: ts.Expression) => constEval(x, checker, depth + 1, pick);
  if (ts.isParenthesizedExpression(e)) return rec(e.expression);
  if (pick && ts.isConditionalExpression(e)) return rec(pick(e));
  if (ts.isNumericLiteral(e)) return parseIntLiteral(e.getText());
  if (e.kind === ts.SyntaxKind.TrueKeyword) return 1n;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return 0n;
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    const v = checker.getConstantValue(e);
    if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
    // Members of (non-const) enums: tsc only inlines const enums, so ask the member's declaration.
    const member = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(e) ? e.name : e)?.valueDeclaration;
    if (member && ts.isEnumMember(member)) {
      const mv = checker.getConstantValue(member);
      return typeof mv === "number" && Number.isInteger(mv) ? BigInt(mv) : undefined;
    }
    // A field of a module-level constant object: `const PORT = { HTTP: 80 } as const; PORT.HTTP`.
    if (ts.isPropertyAccessExpression(e)) {
      const obj = constObject(e.expression, checker);
      const prop = obj?.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText() === e.name.text);
      if (prop && ts.isPropertyAssignment(prop)) return rec(prop.initializer);
    }
    return undefined;
  }
  if (ts.isIdentifier(e)) {
    let sym = checker.getSymbolAtLocation(e);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    const d = sym?.valueDeclaration;
    if (d && ts.isEnumMember(d)) {
      const v = checker.getConstantValue(d);
      return typeof v === "number" ? BigInt(v) : undefined;
    }
    if (d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) {
      // Module constants fold; a typed one lives in .rodata too, and where a compile-time constant is
      // required (map sizes, loop bounds, offsets) its initial value is used.
      const isModuleLevel = ts.isSourceFile(d.parent.parent.parent);
      if (isModuleLevel) return rec(d.initializer);
    }
    return undefined;
  }
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.arguments.length === 1) {
    // Integer conversions and byte-order swaps of constants: `u16(443)`, `htons(80)` (a case label).
    const name = stdlibName(e.expression, checker);
    const fold = name ? CONST_CALLS[name] : undefined;
    const v = fold ? rec(e.arguments[0]!) : undefined;
    return fold && v !== undefined ? fold(v) : undefined;
  }
  if (ts.isPrefixUnaryExpression(e)) {
    const v = rec(e.operand);
    if (v === undefined) return undefined;
    switch (e.operator) {
      case ts.SyntaxKind.MinusToken:
        return -v;
      case ts.SyntaxKind.PlusToken:
        return v;
      case ts.SyntaxKind.TildeToken:
        return ~v;
      default:
        return undefined;
    }
  }
  if (ts.isBinaryExpression(e)) {
    const a = rec(e.left);
    const b = rec(e.right);
    if (a === undefined || b === undefined) return undefined;
    switch (e.operatorToken.kind) {
      case ts.SyntaxKind.PlusToken:
        return a + b;
      case ts.SyntaxKind.MinusToken:
        return a - b;
      case ts.SyntaxKind.AsteriskToken:
        return a * b;
      case ts.SyntaxKind.SlashToken:
        return b === 0n ? undefined : a / b;
      case ts.SyntaxKind.PercentToken:
        return b === 0n ? undefined : a % b;
      case ts.SyntaxKind.AmpersandToken:
        return a & b;
      case ts.SyntaxKind.BarToken:
        return a | b;
      case ts.SyntaxKind.CaretToken:
        return a ^ b;
      case ts.SyntaxKind.LessThanLessThanToken:
        return b >= 0n && b < 64n ? a << b : undefined;
      case ts.SyntaxKind.GreaterThanGreaterThanToken:
        return b >= 0n && b < 64n ? a >> b : undefined;
      default:
        return undefined;
    }
  }
  return undefined;
}

/** The byte-swapped low `bits` of v. */
function swap(v: bigint, bits: number): bigint {
  let x = BigInt.asUintN(bits, v);
  let out = 0n;
  for (let i = 0; i < bits / 8; i++, x >>= 8n) out = (out << 8n) | (x & 0xffn);
  return out;
}

/** The stdlib functions that fold on a constant: conversions wrap as at run time, swaps swap. */
const CONST_CALLS: Record<string, (v: bigint) => bigint> = {
  u8: (v) => BigInt.asUintN(8, v),
  u16: (v) => BigInt.asUintN(16, v),
  u32: (v) => BigInt.asUintN(32, v),
  u64: (v) => BigInt.asUintN(64, v),
  i8: (v) => BigInt.asIntN(8, v),
  i16: (v) => BigInt.asIntN(16, v),
  i32: (v) => BigInt.asIntN(32, v),
  i64: (v) => BigInt.asIntN(64, v),
  htons: (v) => swap(v, 16),
  ntohs: (v) => swap(v, 16),
  htonl: (v) => swap(v, 32),
  ntohl: (v) => swap(v, 32),
  htonll: (v) => swap(v, 64),
  ntohll: (v) => swap(v, 64),
};

/** The name of the stdlib ("tsbpf/bpf") function `id` calls, if it calls one. */
export function stdlibName(id: ts.Identifier, checker: ts.TypeChecker): string | undefined {
  let sym = checker.getSymbolAtLocation(id);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const d = sym?.declarations?.[0];
  return d && /stdlib[\\/](bpf|globals)\.d\.ts$/.test(d.getSourceFile().fileName) ? sym!.getName() : undefined;
}

/** The object literal a module-level `const X = { ... }` (optionally `as const`) names. */
function constObject(e: ts.Expression, checker: ts.TypeChecker): ts.ObjectLiteralExpression | undefined {
  if (!ts.isIdentifier(e)) return undefined;
  let sym = checker.getSymbolAtLocation(e);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const d = sym?.valueDeclaration;
  if (!d || !ts.isVariableDeclaration(d) || !d.initializer || !(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const)) return undefined;
  if (!ts.isSourceFile(d.parent.parent.parent)) return undefined;
  let init = d.initializer;
  if (ts.isAsExpression(init)) init = init.expression;
  return ts.isObjectLiteralExpression(init) ? init : undefined;
}
