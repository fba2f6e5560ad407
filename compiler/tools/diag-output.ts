// How the CLI prints diagnostics: tsc-style text (colour only on a terminal, NO_COLOR honoured) or,
// with --format=json, one JSON object per diagnostic for CI annotations. Shared by build and check.

import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import type { Diagnostic } from "../diagnostic.js";
import { formatDiagnostic } from "../format-diagnostic.js";

export type OutputFormat = "text" | "json";

export interface OutputOptions {
  format: OutputFormat;
  /** Errors only: no warnings, no summary lines. */
  quiet: boolean;
}

/** The machine-readable form: 1-based line/col of both ends of the span. */
export interface JsonDiagnostic {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  code: string;
  severity: string;
  message: string;
  hint: string | null;
}

/**
 * Takes --format=text|json and --quiet out of `args`; returns the options, the remaining arguments,
 * or an error message for a bad value.
 */
export function takeOutputFlags(args: string[]): { opts: OutputOptions; rest: string[] } | { error: string } {
  const opts: OutputOptions = { format: "text", quiet: false };
  const rest: string[] = [];
  for (const a of args) {
    if (a === "--quiet" || a === "-q") opts.quiet = true;
    else if (a.startsWith("--format=")) {
      const f = a.slice("--format=".length);
      if (f !== "text" && f !== "json") return { error: `--format takes text or json, not '${f}'` };
      opts.format = f;
    } else rest.push(a);
  }
  return { opts, rest };
}

/** Colour on a terminal unless NO_COLOR is set to anything non-empty (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stderr): boolean {
  if (process.env.NO_COLOR) return false;
  return !!stream.isTTY;
}

/** Source text per file, read once, for code frames; undefined when the file cannot be read. */
export function sourceCache(known: Record<string, string> = {}): (file: string) => string | undefined {
  const cache = new Map<string, string | undefined>(Object.entries(known));
  return (file) => {
    if (!cache.has(file)) {
      try {
        cache.set(file, readFileSync(file, "utf8"));
      } catch {
        cache.set(file, undefined);
      }
    }
    return cache.get(file);
  };
}

export function toJson(d: Diagnostic, text: string | undefined): JsonDiagnostic {
  let endLine = d.line;
  let endCol = d.col + Math.max(0, d.length);
  if (text !== undefined && d.length > 0) {
    const end = Math.min(text.length, d.start + d.length);
    const before = text.slice(0, end);
    const nl = before.lastIndexOf("\n");
    endLine = before.split("\n").length;
    endCol = end - nl;
  }
  return {
    file: d.file,
    line: d.line,
    col: d.col,
    endLine,
    endCol,
    code: d.code,
    severity: d.severity,
    message: d.message,
    hint: d.hint ?? null,
  };
}

/**
 * Names files the way the user typed them: an input given on the command line keeps its spelling;
 * another file (an imported module) is shown relative to the working directory when inside it.
 */
export function asTyped(diags: readonly Diagnostic[], inputs: readonly string[]): Diagnostic[] {
  const typed = new Map(inputs.map((f) => [resolve(f), f]));
  return diags.map((d) => {
    if (!d.file) return d;
    const abs = resolve(d.file);
    const rel = relative(process.cwd(), abs);
    const file = typed.get(abs) ?? (rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs);
    return file === d.file ? d : { ...d, file };
  });
}

/** Diagnostics the options let through (--quiet drops warnings). */
export function visible(diags: readonly Diagnostic[], opts: OutputOptions): Diagnostic[] {
  return opts.quiet ? diags.filter((d) => d.severity !== "warning") : [...diags];
}

/** Text mode: each diagnostic to stderr with its code frame. */
export function printText(diags: readonly Diagnostic[], source: (file: string) => string | undefined, opts: OutputOptions): void {
  const color = useColor(process.stderr);
  for (const d of visible(diags, opts)) process.stderr.write(formatDiagnostic(d, source(d.file), color) + "\n");
}

/** JSON mode: one array of diagnostics on stdout, nothing else there. */
export function printJson(diags: readonly Diagnostic[], source: (file: string) => string | undefined, opts: OutputOptions): void {
  process.stdout.write(
    JSON.stringify(
      visible(diags, opts).map((d) => toJson(d, source(d.file))),
      null,
      2,
    ) + "\n",
  );
}

export function errorCount(diags: readonly Diagnostic[]): number {
  return diags.filter((d) => d.severity !== "warning").length;
}
