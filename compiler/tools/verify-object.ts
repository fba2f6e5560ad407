// `--verify` of `tsbpf build` and `tsbpf check`: load the compiled object into the running kernel,
// attaching nothing, and report the verifier's verdict. A refusal becomes an error diagnostic at the
// TypeScript line the kernel stopped at (TSBPF2205); a load that fails for another reason (a program
// kind this kernel refuses, a map it cannot create) is a warning (TSBPF2206). The compiler itself
// never needs the kernel: this is the opt-in check for machines that have bpf() (root or CAP_BPF).

import { basename } from "node:path";
import type { Diagnostic } from "../diagnostic.js";
import { DIAGNOSTICS, formatMessage } from "../diagnostics-table.js";
import { BpfPermissionError, bpfAvailable, loadObject, VerifierError } from "../../runtime/index.js";

export interface ProgramVerdict {
  name: string;
  /** Instructions the verifier processed (its "processed N insns"). */
  processed: number;
  /** States it stored ("total_states"). */
  states: number;
}

export type Verification =
  | { ok: true; programs: ProgramVerdict[] }
  | { ok: false; diagnostics: Diagnostic[] }
  /** No bpf() here (not root, no CAP_BPF, no kernel support): nothing was checked. */
  | { ok: false; unavailable: string };

/** Loads `object` (compiled from `file`, whose text is `text`) and unloads it again. */
export function verifyObject(file: string, text: string, object: Uint8Array): Verification {
  const avail = bpfAvailable();
  if (!avail.ok) return { ok: false, unavailable: avail.reason };
  try {
    const o = loadObject(object, { logLevel: 4, name: basename(file).replace(/\..*$/, "").slice(0, 8) || "tsbpf" });
    const programs = [...o.programs.values()].map((p) => ({
      name: p.name,
      processed: Number(/processed (\d+) insns/.exec(p.verifierLog)?.[1] ?? Number.NaN),
      states: Number(/total_states (\d+)/.exec(p.verifierLog)?.[1] ?? Number.NaN),
    }));
    o.close();
    return { ok: true, programs };
  } catch (first) {
    // The statistics log (level 4) has no instruction lines to explain a refusal with: load once
    // more as the runtime does by default, which keeps the failing path and maps it to the source.
    let e = first;
    if (first instanceof VerifierError && first.errno !== 1)
      try {
        loadObject(object).close();
      } catch (again) {
        e = again;
      }
    if (e instanceof BpfPermissionError) return { ok: false, unavailable: e.message };
    if (e instanceof VerifierError && e.errno !== 1) {
      const reason = e.reason ?? lastLogLine(e.log);
      return {
        ok: false,
        diagnostics: [at(file, text, e.program, "TSBPF2205", [e.program, reason], e.source?.line, e.source?.col, e.hint)],
      };
    }
    // EPERM with nothing verified (a program kind this kernel refuses to load), or not a verdict.
    const why = e instanceof VerifierError ? (e.reason ?? lastLogLine(e.log)) : (e as Error).message.split("\n")[0]!;
    const program = e instanceof VerifierError ? e.program : (/program '([^']+)'/.exec(why)?.[1] ?? "the object");
    return { ok: false, diagnostics: [at(file, text, program, "TSBPF2206", [program, why])] };
  }
}

function lastLogLine(log: string): string {
  const lines = log
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^processed \d+ insns/.test(l) && !/^verification time/.test(l) && !/^stack depth/.test(l));
  return lines[lines.length - 1] ?? "no reason given";
}

/**
 * A diagnostic at `line`:`col` of `file` when the object's line info names it, else at the
 * program's declaration (`export const <name> =`), else at the file's start.
 */
function at(
  file: string,
  text: string,
  program: string,
  code: "TSBPF2205" | "TSBPF2206",
  args: string[],
  line?: number,
  col?: number,
  hint?: string,
): Diagnostic {
  const def: { hint: string; severity?: "error" | "warning" } = DIAGNOSTICS[code];
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  let start = 0;
  if (line !== undefined && line >= 1 && line <= starts.length) start = starts[line - 1]! + Math.max(0, (col ?? 1) - 1);
  else {
    const decl = new RegExp(`\\b(?:const|let|var)\\s+${program.replace(/[^\w$]/g, "")}\\s*=`).exec(text);
    if (decl) start = decl.index;
  }
  start = Math.min(start, text.length);
  const lineNo = starts.filter((s) => s <= start).length;
  const end = text.indexOf("\n", start);
  return {
    code,
    severity: def.severity ?? "error",
    message: formatMessage(code, args),
    hint: hint ?? def.hint,
    file,
    start,
    length: Math.max(0, (end < 0 ? text.length : end) - start),
    line: lineNo,
    col: start - starts[lineNo - 1]! + 1,
  };
}
