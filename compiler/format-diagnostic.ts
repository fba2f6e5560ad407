// Renders diagnostics the way tsc does: `file:line:col - error CODE: message`, a code frame with the
// span underlined, and the hint.

import type { Diagnostic } from "./diagnostic.js";

export function formatDiagnostic(d: Diagnostic, sourceText: string | undefined, color = false): string {
  const c = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sev = d.severity === "warning" ? c("33", "warning") : c("31", d.severity === "internal" ? "internal error" : "error");
  let out = `${c("36", d.file)}:${c("33", String(d.line))}:${c("33", String(d.col))} - ${sev} ${c("90", d.code)}: ${d.message}\n`;
  if (sourceText !== undefined && d.length >= 0) {
    const lines = sourceText.split(/\r?\n/);
    const text = lines[d.line - 1];
    if (text !== undefined) {
      const gutter = String(d.line);
      const width = Math.max(1, Math.min(d.length, text.length - (d.col - 1)));
      out += `\n${c("7", gutter)} ${text}\n${c("7", " ".repeat(gutter.length))} ${" ".repeat(d.col - 1)}${c("31", "~".repeat(width))}\n`;
    }
  }
  if (d.hint) out += `  hint: ${d.hint}\n`;
  return out;
}
