// Quick fixes the language-service plugin offers in .bpf.ts files, only where the edit is mechanical:
//   - no LICENSE (TSBPF3001): append `export const LICENSE = "GPL";`
//   - a possibly-null value used (tsc's TS18047/TS18049/TS2531, tsbpf's TSBPF1036 for `x!`): wrap the
//     statement in `if (x !== null) { ... }` (not for declarations, whose names would go out of scope)
//   - an integer that does not fit (TS2322 on `let x: u32 = wide`) or an `as` that does not convert
//     (TSBPF1037): write the conversion `u32(...)`, importing it from "tsbpf/bpf" when needed.
// Node kinds come from the editor's TypeScript (`tsx`), whose program the nodes belong to.

import type { ts } from "../frontend/ts-adapter.js";

type Ts = typeof ts;

const INT_TYPES = new Set(["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"]);
/** tsc codes we add fixes for (besides our own TSBPF codes). */
export const FIXABLE_TS_CODES = [18047, 18049, 2531, 2322];
const NULL_CODES = ["TS18047", "TS18049", "TS2531", "TSBPF1036"];

export function bpfFixes(tsx: Ts, sf: ts.SourceFile, start: number, end: number, codes: Set<string>): ts.CodeFixAction[] {
  const out: ts.CodeFixAction[] = [];
  const fix = (fixName: string, description: string, textChanges: ts.TextChange[]): void => {
    out.push({ fixName, description, changes: [{ fileName: sf.fileName, textChanges }] });
  };

  if (codes.has("TSBPF3001") && !/export\s+const\s+LICENSE\b/.test(sf.text)) {
    const sep = sf.text.endsWith("\n") || sf.text === "" ? "" : "\n";
    fix("tsbpfAddLicense", 'Add export const LICENSE = "GPL"', [
      { span: { start: sf.text.length, length: 0 }, newText: `${sep}\nexport const LICENSE = "GPL";\n` },
    ]);
  }

  const node = nodeAt(tsx, sf, start, end);
  if (node && NULL_CODES.some((c) => codes.has(c))) {
    const nn = findUp(tsx, node, tsx.isNonNullExpression);
    const target = nn ? nn.expression : node;
    const stmt = enclosingStatement(tsx, target);
    if (stmt && isNarrowable(tsx, target) && !tsx.isVariableStatement(stmt) && !tsx.isReturnStatement(stmt)) {
      const name = target.getText(sf);
      const indent = indentOf(sf, stmt.getStart(sf));
      let body = sf.text.slice(stmt.getStart(sf), stmt.end);
      if (nn) {
        const s = nn.getStart(sf) - stmt.getStart(sf);
        body = body.slice(0, s) + name + body.slice(s + nn.getText(sf).length);
      }
      const newText = `if (${name} !== null) {\n${indent}  ${body.replace(/\n/g, `\n  `)}\n${indent}}`;
      fix("tsbpfAddNullCheck", `Add the null check: if (${name} !== null) { ... }`, [
        { span: { start: stmt.getStart(sf), length: stmt.end - stmt.getStart(sf) }, newText },
      ]);
    }
  }

  if (node && codes.has("TSBPF1037")) {
    const as = findUp(tsx, node, tsx.isAsExpression);
    const t = as && tsx.isTypeReferenceNode(as.type) ? as.type.typeName.getText(sf) : undefined;
    if (as && t && INT_TYPES.has(t)) {
      fix("tsbpfConvert", `Convert with ${t}(...)`, [
        { span: { start: as.getStart(sf), length: as.end - as.getStart(sf) }, newText: `${t}(${as.expression.getText(sf)})` },
        ...importValue(tsx, sf, t),
      ]);
    }
  }

  if (node && codes.has("TS2322")) {
    const decl = findUp(tsx, node, tsx.isVariableDeclaration);
    const t = decl?.type && tsx.isTypeReferenceNode(decl.type) ? decl.type.typeName.getText(sf) : undefined;
    if (decl?.initializer && t && INT_TYPES.has(t) && decl.name.getStart(sf) <= start && start <= decl.name.end) {
      const init = decl.initializer;
      fix("tsbpfConvert", `Convert with ${t}(...)`, [
        { span: { start: init.getStart(sf), length: init.end - init.getStart(sf) }, newText: `${t}(${init.getText(sf)})` },
        ...importValue(tsx, sf, t),
      ]);
    }
  }
  return out;
}

/** The innermost node that spans [start, end) exactly, else the innermost one containing start. */
function nodeAt(tsx: Ts, sf: ts.SourceFile, start: number, end: number): ts.Node | undefined {
  let best: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (n.getStart(sf) <= start && end <= n.end) {
      best = n;
      tsx.forEachChild(n, visit);
    }
  };
  tsx.forEachChild(sf, visit);
  return best;
}

function findUp<T extends ts.Node>(_tsx: Ts, n: ts.Node, is: (n: ts.Node) => n is T): T | undefined {
  for (let p: ts.Node | undefined = n; p; p = p.parent) if (is(p)) return p;
  return undefined;
}

function enclosingStatement(tsx: Ts, n: ts.Node): ts.Statement | undefined {
  for (let p: ts.Node | undefined = n; p?.parent; p = p.parent) {
    if (tsx.isBlock(p.parent) || tsx.isSourceFile(p.parent) || tsx.isCaseClause(p.parent) || tsx.isDefaultClause(p.parent))
      return p as ts.Statement;
  }
  return undefined;
}

/** `x` or `a.b.c`: expressions a `!== null` test narrows. */
function isNarrowable(tsx: Ts, n: ts.Node): boolean {
  if (tsx.isIdentifier(n)) return true;
  return tsx.isPropertyAccessExpression(n) && isNarrowable(tsx, n.expression);
}

function indentOf(sf: ts.SourceFile, pos: number): string {
  const lineStart = sf.text.lastIndexOf("\n", pos - 1) + 1;
  return /^[ \t]*/.exec(sf.text.slice(lineStart, pos))![0];
}

/** Edits that make `name` a value import from "tsbpf/bpf" (drop `type`, or add it), or none. */
function importValue(tsx: Ts, sf: ts.SourceFile, name: string): ts.TextChange[] {
  for (const st of sf.statements) {
    if (!tsx.isImportDeclaration(st) || !tsx.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== "tsbpf/bpf") continue;
    const named = st.importClause?.namedBindings;
    if (!named || !tsx.isNamedImports(named) || st.importClause!.isTypeOnly) continue;
    const spec = named.elements.find((e) => e.name.text === name);
    if (spec && !spec.isTypeOnly) return [];
    if (spec) return [{ span: { start: spec.getStart(sf), length: spec.name.getStart(sf) - spec.getStart(sf) }, newText: "" }];
    const last = named.elements[named.elements.length - 1];
    return last ? [{ span: { start: last.end, length: 0 }, newText: `, ${name}` }] : [];
  }
  return [{ span: { start: 0, length: 0 }, newText: `import { ${name} } from "tsbpf/bpf";\n` }];
}
