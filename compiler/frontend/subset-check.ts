// Stage 3 of the front end: decides, in this one place, which TypeScript constructs are outside the
// BPF subset, and reports each with its own code at its exact span. Runs only after tsc itself found
// no errors; lowering may then assume the subset (and still reports what depends on types).

import type { DiagnosticCode } from "../diagnostics-table.js";
import type { Reporter } from "./reporter.js";
import { STDLIB_MODULE, ts } from "./ts-adapter.js";
import { isLocalSpecifier } from "./local-modules.js";
import { parseIntLiteral } from "./int-ops.js";

const K = ts.SyntaxKind;

/** Statements allowed inside a program body. */
const BODY_STATEMENTS = new Set([
  K.VariableStatement,
  K.ExpressionStatement,
  K.IfStatement,
  K.ForStatement,
  K.ReturnStatement,
  K.Block,
  K.BreakStatement,
  K.ContinueStatement,
  K.EmptyStatement,
  K.WhileStatement,
  K.DoStatement,
  K.SwitchStatement,
  K.LabeledStatement,
]);

const UNSUPPORTED_NODES: Partial<Record<ts.SyntaxKind, [DiagnosticCode, string?]>> = {
  [K.ClassDeclaration]: ["TSBPF1001"],
  [K.ClassExpression]: ["TSBPF1001"],
  [K.FunctionExpression]: ["TSBPF1002"],
  [K.TryStatement]: ["TSBPF1005"],
  [K.ThrowStatement]: ["TSBPF1005"],
  [K.AwaitExpression]: ["TSBPF1006"],
  [K.YieldExpression]: ["TSBPF1007"],
  [K.SpreadElement]: ["TSBPF1008"],
  [K.SpreadAssignment]: ["TSBPF1008"],
  [K.TemplateExpression]: ["TSBPF1013"],
  [K.NoSubstitutionTemplateLiteral]: ["TSBPF1013"],
  [K.TaggedTemplateExpression]: ["TSBPF1013"],
  [K.ArrayLiteralExpression]: ["TSBPF1014"],
  [K.RegularExpressionLiteral]: ["TSBPF1016"],
  [K.DeleteExpression]: ["TSBPF1017", "delete"],
  [K.TypeOfExpression]: ["TSBPF1017", "typeof"],
  [K.VoidExpression]: ["TSBPF1017", "void"],
  [K.BigIntLiteral]: ["TSBPF1020"],
  [K.ThisKeyword]: ["TSBPF1024"],
  [K.ForInStatement]: ["TSBPF1032"],
  [K.ForOfStatement]: ["TSBPF1032"],
  [K.GetAccessor]: ["TSBPF1031"],
  [K.SetAccessor]: ["TSBPF1031"],
  [K.ObjectBindingPattern]: ["TSBPF1029"],
  [K.ArrayBindingPattern]: ["TSBPF1029"],
  [K.NonNullExpression]: ["TSBPF1036"],
  [K.TypeAssertionExpression]: ["TSBPF1037"],
  [K.AnyKeyword]: ["TSBPF1011", "any"],
  [K.UnknownKeyword]: ["TSBPF1011", "unknown"],
  [K.WithStatement]: ["TSBPF1035"],
  [K.DebuggerStatement]: ["TSBPF1035"],
  [K.MetaProperty]: ["TSBPF1035"],
  [K.ModuleDeclaration]: ["TSBPF1034", "namespace"],
  [K.ImportEqualsDeclaration]: ["TSBPF1018"],
  [K.ExportAssignment]: ["TSBPF1019"],
  [K.Decorator]: ["TSBPF1043"],
};

const BINARY_UNSUPPORTED: Partial<Record<ts.SyntaxKind, [DiagnosticCode, string?]>> = {
  [K.AsteriskAsteriskToken]: ["TSBPF1027"],
  [K.AsteriskAsteriskEqualsToken]: ["TSBPF1027"],
  [K.QuestionQuestionToken]: ["TSBPF1026"],
  [K.QuestionQuestionEqualsToken]: ["TSBPF1026"],
  [K.BarBarEqualsToken]: ["TSBPF1017", "||="],
  [K.AmpersandAmpersandEqualsToken]: ["TSBPF1017", "&&="],
  [K.InKeyword]: ["TSBPF1017", "in"],
  [K.InstanceOfKeyword]: ["TSBPF1017", "instanceof"],
  [K.CommaToken]: ["TSBPF1030"],
};

export function checkSubset(sf: ts.SourceFile, r: Reporter): void {
  checkSuppressions(sf, r);
  for (const st of sf.statements) checkModuleStatement(st, r);
  walk(sf, r);
}

/**
 * `@ts-ignore`, `@ts-expect-error` and `@ts-nocheck` would silence tsc's null and type errors, which
 * here stand for verifier rules: an object built past them fails to load. They are refused outright.
 */
function checkSuppressions(sf: ts.SourceFile, r: Reporter): void {
  if (!/@ts-(ignore|expect-error|nocheck)/.test(sf.text)) return;
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, false, ts.LanguageVariant.Standard, sf.text);
  for (let tok = scanner.scan(); tok !== K.EndOfFileToken; tok = scanner.scan()) {
    if (tok !== K.SingleLineCommentTrivia && tok !== K.MultiLineCommentTrivia) continue;
    const m = /@ts-(ignore|expect-error|nocheck)\b/.exec(scanner.getTokenText());
    if (m) r.reportAt("TSBPF1042", scanner.getTokenStart() + m.index, m[0].length, m[0]);
  }
}

function checkModuleStatement(st: ts.Statement, r: Reporter): void {
  switch (st.kind) {
    case K.ImportDeclaration: {
      const imp = st as ts.ImportDeclaration;
      const spec = imp.moduleSpecifier;
      if (ts.isStringLiteral(spec) && spec.text !== STDLIB_MODULE && namedRelative(imp)) return; // vmlinux.d.ts, local modules
      if (!ts.isStringLiteral(spec) || (spec.text !== STDLIB_MODULE && !isLocalSpecifier(spec.text))) r.report("TSBPF1018", spec);
      return;
    }
    case K.InterfaceDeclaration:
    case K.TypeAliasDeclaration:
    case K.EnumDeclaration:
    case K.EmptyStatement:
      return;
    case K.VariableStatement: {
      const list = (st as ts.VariableStatement).declarationList;
      if (!(list.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let))) r.report("TSBPF1028", st);
      return;
    }
    case K.FunctionDeclaration: {
      const f = st as ts.FunctionDeclaration;
      if (f.asteriskToken) r.report("TSBPF1007", f);
      else if (f.modifiers?.some((m) => m.kind === K.AsyncKeyword)) r.report("TSBPF1006", f);
      return;
    }
    case K.ClassDeclaration:
    case K.ModuleDeclaration:
    case K.ImportEqualsDeclaration:
    case K.ExportAssignment:
      return; // reported by the walk
    default:
      r.report("TSBPF1019", st);
  }
}

/**
 * An array literal in a typed module-level variable's initializer (`const PREFIX: FixedArray<u8, 3> =
 * [0x2f, 0x65, 0x74]`, also inside a struct literal there): a constant table module-scan encodes.
 */
function inGlobalInitializer(node: ts.Node): boolean {
  let at = node;
  while (
    ts.isArrayLiteralExpression(at.parent) ||
    ts.isObjectLiteralExpression(at.parent) ||
    ts.isPropertyAssignment(at.parent) ||
    ts.isParenthesizedExpression(at.parent)
  )
    at = at.parent;
  const d = at.parent;
  return (
    ts.isVariableDeclaration(d) &&
    d.initializer === at &&
    d.type !== undefined &&
    ts.isVariableDeclarationList(d.parent) &&
    ts.isVariableStatement(d.parent.parent) &&
    ts.isSourceFile(d.parent.parent.parent)
  );
}

function walk(node: ts.Node, r: Reporter): void {
  const bad = node.kind === K.ArrayLiteralExpression && inGlobalInitializer(node) ? undefined : UNSUPPORTED_NODES[node.kind];
  if (bad) {
    r.report(bad[0], node, ...(bad[1] ? [bad[1]] : []));
    return; // one diagnostic per construct, not one per nested node
  }
  switch (node.kind) {
    case K.NumericLiteral: {
      const text = (node as ts.NumericLiteral).getText();
      if (parseIntLiteral(text) === undefined) r.report("TSBPF1010", node);
      break;
    }
    case K.StringLiteral:
      if (!isAllowedString(node as ts.StringLiteral)) r.report("TSBPF1009", node);
      break;
    case K.BinaryExpression: {
      const b = BINARY_UNSUPPORTED[(node as ts.BinaryExpression).operatorToken.kind];
      if (b) r.report(b[0], (node as ts.BinaryExpression).operatorToken, ...(b[1] ? [b[1]] : []));
      break;
    }
    case K.AsExpression:
      // `as const` on a module-level object of constants is fine: it only narrows types.
      if (!isAsConstObject(node as ts.AsExpression)) {
        r.report("TSBPF1037", node);
        return;
      }
      break;
    case K.PropertyAccessExpression:
    case K.CallExpression:
      if ((node as ts.PropertyAccessExpression | ts.CallExpression).questionDotToken) {
        r.report("TSBPF1025", node);
        return;
      }
      break;
    case K.ArrowFunction:
      if (!isProgramCallback(node as ts.ArrowFunction)) {
        r.report("TSBPF1002", node);
        return;
      }
      if ((node as ts.ArrowFunction).modifiers?.some((m) => m.kind === K.AsyncKeyword)) {
        r.report("TSBPF1006", node);
        return;
      }
      break;
    case K.FunctionDeclaration:
      if (node.parent.kind !== K.SourceFile) {
        r.report("TSBPF1002", node);
        return;
      }
      // A generator or async function was reported whole by checkModuleStatement.
      if (
        (node as ts.FunctionDeclaration).asteriskToken ||
        (node as ts.FunctionDeclaration).modifiers?.some((m) => m.kind === K.AsyncKeyword)
      )
        return;
      break;
    case K.NewExpression:
      if (!isModuleConstInitializer(node)) {
        r.report("TSBPF1022", node);
        return;
      }
      break;
    case K.Parameter: {
      const p = node as ts.ParameterDeclaration;
      if (p.initializer || p.questionToken) {
        r.report("TSBPF1044", p);
        return;
      }
      break;
    }
    case K.VariableDeclarationList:
      // Module-level statements were judged whole by checkModuleStatement.
      if (!(node.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let)) && node.parent.parent?.kind !== K.SourceFile) {
        r.report("TSBPF1028", node);
        return;
      }
      break;
  }
  if (isStatementInBody(node) && !BODY_STATEMENTS.has(node.kind)) {
    r.report("TSBPF1035", node);
    return;
  }
  ts.forEachChild(node, (c) => walk(c, r));
}

function isStatementInBody(node: ts.Node): boolean {
  const p = node.parent;
  return (
    !!p &&
    ts.isStatement(node as ts.Statement) &&
    p.kind !== K.SourceFile &&
    (ts.isBlock(p) || ts.isIfStatement(p) || ts.isIterationStatement(p, false) || ts.isLabeledStatement(p) || ts.isCaseOrDefaultClause(p))
  );
}

function isAllowedString(s: ts.StringLiteral): boolean {
  const p = s.parent;
  if (ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isLiteralTypeNode(p)) return true;
  // offsetof<T>("field")
  if (ts.isCallExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === "offsetof") return true;
  // coreFieldExists(task, "pid"), coreFieldSize(task, "comm"): a kernel field name
  if (ts.isCallExpression(p) && ts.isIdentifier(p.expression) && /^coreField(Exists|Size)$/.test(p.expression.text) && p.arguments[1] === s)
    return true;
  // bpfPrintk("format %d\n", x): the format, checked and kept in .rodata (printk.ts)
  if (ts.isCallExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === "bpfPrintk" && p.arguments[0] === s) return true;
  // seqPrintf(meta.seq, "format %d\n", x): the same, for iterators (seq-output.ts)
  if (ts.isCallExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === "seqPrintf" && p.arguments[1] === s) return true;
  // Attach points of program wrappers: tracepoint("syscalls", "sys_enter_execve", ...)
  if (ts.isCallExpression(p) && p.arguments.includes(s) && isModuleConstInitializer(p)) return true;
  // export const LICENSE = "GPL"
  if (ts.isVariableDeclaration(p) && p.initializer === s && ts.isIdentifier(p.name) && p.name.text === "LICENSE") return true;
  return false;
}

function isProgramCallback(f: ts.ArrowFunction): boolean {
  const call = f.parent;
  return ts.isCallExpression(call) && call.arguments[call.arguments.length - 1] === f && isModuleConstInitializer(call);
}

function isModuleConstInitializer(e: ts.Node): boolean {
  const d = e.parent;
  return ts.isVariableDeclaration(d) && d.initializer === e && d.parent.parent.parent?.kind === K.SourceFile;
}

function isAsConstObject(e: ts.AsExpression): boolean {
  return ts.isConstTypeReference(e.type) && ts.isObjectLiteralExpression(e.expression) && isModuleConstInitializer(e);
}

/**
 * `import { type task_struct, pid_type } from "./vmlinux"`: named imports from a relative path, for
 * kernel declarations (types and const enums). Anything else imported has no value in BPF code and
 * is reported where it is used (TSBPF2016).
 */
function namedRelative(imp: ts.ImportDeclaration): boolean {
  const spec = imp.moduleSpecifier as ts.StringLiteral;
  if (!spec.text.startsWith("./") && !spec.text.startsWith("../")) return false;
  const clause = imp.importClause;
  const b = clause?.namedBindings;
  return !!clause && !clause.name && !!b && ts.isNamedImports(b);
}
