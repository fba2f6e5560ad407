// A diagnostic as every stage reports it. Codes and message templates live in diagnostics-table.ts.

export type Severity = "error" | "warning" | "internal";

export interface Diagnostic {
  /** Stable code, e.g. "TSBPF1012"; tsc's own errors keep their "TS2322" codes. */
  code: string;
  severity: Severity;
  message: string;
  /** One-line fix suggestion. */
  hint?: string;
  file: string;
  /** 0-based character offset and length of the span in the file. */
  start: number;
  length: number;
  /** 1-based line and column of `start`. */
  line: number;
  col: number;
}
