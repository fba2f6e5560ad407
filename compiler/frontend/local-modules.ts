// Multi-file programs: a .bpf.ts entry file may import types, interfaces, enums, constants and
// functions from local modules (`./common.ts`, `./parse.bpf.ts`). The entry file alone holds what
// becomes part of the object (programs, maps, globals, LICENSE); imported modules are checked
// against the same subset, and what only an entry file may declare is reported where it stands.

import type { Reporter } from "./reporter.js";
import { ts } from "./ts-adapter.js";

/** `./x`, `../x`: a module of the user's own, compiled with the entry file. */
export function isLocalSpecifier(text: string): boolean {
  return text.startsWith("./") || text.startsWith("../");
}

/** The local modules `entry` imports, directly or through each other, in import order. */
export function localModules(program: ts.Program, entry: ts.SourceFile): ts.SourceFile[] {
  const checker = program.getTypeChecker();
  const seen = new Set<ts.SourceFile>([entry]);
  const out: ts.SourceFile[] = [];
  const visit = (sf: ts.SourceFile): void => {
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !isLocalSpecifier(st.moduleSpecifier.text)) continue;
      const target = checker.getSymbolAtLocation(st.moduleSpecifier)?.valueDeclaration;
      if (!target || !ts.isSourceFile(target) || target.isDeclarationFile || seen.has(target)) continue;
      seen.add(target);
      out.push(target);
      visit(target);
    }
  };
  visit(entry);
  return out;
}

/**
 * What only an entry file may declare, reported in an imported module: maps, globals (`let`,
 * typed `const`), programs and LICENSE (TSBPF1070). The subset check runs on it separately.
 */
export function checkImportedModule(sf: ts.SourceFile, r: Reporter): void {
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || st.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) continue;
    const isConst = !!(st.declarationList.flags & ts.NodeFlags.Const);
    for (const d of st.declarationList.declarations) {
      const init = d.initializer;
      const plainConst = isConst && !d.type && init && !ts.isNewExpression(init) && !ts.isCallExpression(init) && !ts.isStringLiteral(init);
      if (!plainConst) r.report("TSBPF1070", d.name, d.name.getText());
    }
  }
}
