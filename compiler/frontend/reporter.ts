// Collects diagnostics with spans taken from node.getStart(), and the Bail signal that stops lowering
// a function at its first error (the rest of the file is still checked).

import type { Diagnostic } from "../diagnostic.js";
import { DIAGNOSTICS, formatMessage, type DiagnosticCode } from "../diagnostics-table.js";
import { lineCol, type ts } from "./ts-adapter.js";

/** Thrown to abandon lowering of the current program after a diagnostic was reported. */
export class Bail extends Error {
  constructor() {
    super("bail");
  }
}

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly sourceFile: ts.SourceFile) {}

  report(code: DiagnosticCode, node: ts.Node, ...args: (string | number)[]): void {
    const sf = node.getSourceFile() ?? this.sourceFile;
    const start = node.getStart(sf);
    const { line, col } = lineCol(sf, start);
    const def = DIAGNOSTICS[code] as { message: string; hint: string; severity?: Diagnostic["severity"] };
    this.diagnostics.push({
      code,
      severity: def.severity ?? "error",
      message: formatMessage(code, args),
      hint: def.hint.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? "")),
      file: sf.fileName,
      start,
      length: node.getEnd() - start,
      line,
      col,
    });
  }

  /** Report at a text span that is no node (a comment). */
  reportAt(code: DiagnosticCode, start: number, length: number, ...args: (string | number)[]): void {
    const sf = this.sourceFile;
    const { line, col } = lineCol(sf, start);
    const def = DIAGNOSTICS[code] as { message: string; hint: string; severity?: Diagnostic["severity"] };
    this.diagnostics.push({
      code,
      severity: def.severity ?? "error",
      message: formatMessage(code, args),
      hint: def.hint,
      file: sf.fileName,
      start,
      length,
      line,
      col,
    });
  }

  /** Report and abandon the current function. */
  fail(code: DiagnosticCode, node: ts.Node, ...args: (string | number)[]): never {
    this.report(code, node, ...args);
    throw new Bail();
  }

  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity !== "warning");
  }
}
