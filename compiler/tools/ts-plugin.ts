// The TypeScript language-service plugin `tsbpf/ts-plugin`: in .bpf.ts files the editor shows
// tsbpf's own diagnostics (subset, module scan, lowering and verifier-rule errors) next to tsc's,
// and offers quick fixes where the fix is mechanical (add the null check, add LICENSE, convert an
// integer). It runs the compiler on the editor's own ts.Program (no second program per keystroke)
// and caches the result per source file: the language service keeps the SourceFile objects of files
// that did not change, so a file is compiled again only when it or a module it imports changed.
//
// Enable it in the tsconfig of the BPF sources: "plugins": [{ "name": "tsbpf/ts-plugin" }].

import { compile } from "../compile.js";
import type { Diagnostic } from "../diagnostic.js";
import { DIAGNOSTICS } from "../diagnostics-table.js";
import { localModules } from "../frontend/local-modules.js";
import { ts } from "../frontend/ts-adapter.js";
import { bpfFixes, FIXABLE_TS_CODES } from "./ts-plugin-fixes.js";

type Ts = typeof ts;

const isBpfFile = (f: string): boolean => /\.bpf\.ts$/.test(f);
const numeric = (code: string): number => Number(code.replace(/^\D+/, ""));
/** tsbpf's codes as the numbers a ts.Diagnostic carries (with source "tsbpf"). */
export const TSBPF_NUMERIC_CODES = Object.keys(DIAGNOSTICS).map(numeric);

/**
 * tsbpf's diagnostics from compiling `fileName` as an entry file, without tsc's (the language
 * service has those). They may lie in the modules it imports; callers filter by file.
 */
export function tsbpfDiagnostics(program: ts.Program, fileName: string, sameTs: boolean): Diagnostic[] {
  const sf = program.getSourceFile(fileName);
  if (!sf) return [];
  // A different TypeScript copy in the editor: its nodes do not match our SyntaxKind numbers, so
  // compile the file on our own (slower, but right).
  const result = compile(sf.fileName, sf.text, sameTs ? { program } : {});
  return result.diagnostics.filter((d) => !/^TS\d/.test(d.code));
}

/** The .bpf.ts files of the program that import `fileName` (directly or not): its entry files. */
function entriesImporting(program: ts.Program, fileName: string): string[] {
  const target = program.getSourceFile(fileName);
  if (!target) return [];
  return program
    .getSourceFiles()
    .filter((f) => isBpfFile(f.fileName) && !f.isDeclarationFile && f !== target && localModules(program, f).includes(target))
    .map((f) => f.fileName);
}

function sameFile(a: string, b: string): boolean {
  return a.replace(/\\/g, "/") === b.replace(/\\/g, "/") || a.endsWith(b) || b.endsWith(a);
}

function toTsDiagnostic(tsx: Ts, d: Diagnostic, file: ts.SourceFile): ts.Diagnostic {
  return {
    file,
    start: d.start,
    length: Math.max(0, d.length),
    messageText: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
    category: d.severity === "warning" ? tsx.DiagnosticCategory.Warning : tsx.DiagnosticCategory.Error,
    code: numeric(d.code),
    source: "tsbpf",
  };
}

function init(modules: { typescript: Ts }) {
  const tsx = modules.typescript;
  const sameTs = tsx === ts || tsx.version === ts.version;

  function create(info: ts.server.PluginCreateInfo): ts.LanguageService {
    const ls = info.languageService;
    const log = (s: string) => info.project?.projectService?.logger?.info(`[tsbpf] ${s}`);
    // Entry file -> its diagnostics and the SourceFile objects (its own and its imports') they came from.
    const cache = new WeakMap<ts.SourceFile, { deps: ts.SourceFile[]; diags: Diagnostic[] }>();

    /** Diagnostics of compiling `entry`; reused while neither it nor a local module it imports changed. */
    const compiled = (program: ts.Program, entry: string): Diagnostic[] => {
      const sf = program.getSourceFile(entry);
      if (!sf) return [];
      const deps = localModules(program, sf);
      const hit = cache.get(sf);
      if (hit && hit.deps.length === deps.length && hit.deps.every((d, i) => d === deps[i])) return hit.diags;
      const t0 = performance.now();
      let diags: Diagnostic[];
      try {
        diags = tsbpfDiagnostics(program, entry, sameTs);
      } catch (e) {
        log(`internal error on ${entry}: ${(e as Error).stack}`);
        diags = [];
      }
      cache.set(sf, { deps, diags });
      log(`${entry}: ${diags.length} diagnostics in ${(performance.now() - t0).toFixed(1)} ms`);
      return diags;
    };

    // A .bpf.ts file is compiled as an entry; a module a .bpf.ts file imports (common.ts) shows
    // what compiling its importers reports inside it.
    const ours = (fileName: string): { diags: Diagnostic[]; sf?: ts.SourceFile } => {
      const program = ls.getProgram();
      const sf = program?.getSourceFile(fileName);
      if (!program || !sf || sf.isDeclarationFile) return { diags: [] };
      const entries = isBpfFile(fileName) ? [fileName] : entriesImporting(program, fileName);
      const seen = new Set<string>();
      const diags = entries
        .flatMap((e) => compiled(program, e))
        .filter((d) => sameFile(d.file, sf.fileName))
        .filter((d) => {
          const key = `${d.code}:${d.start}:${d.length}`;
          return !seen.has(key) && !!seen.add(key);
        });
      return { diags, sf };
    };

    const proxy = Object.create(null) as ts.LanguageService;
    for (const k of Object.keys(ls) as (keyof ts.LanguageService)[]) {
      const f = ls[k] as unknown;
      (proxy as unknown as Record<string, unknown>)[k] =
        typeof f === "function" ? (...args: unknown[]) => (f as (...a: unknown[]) => unknown).apply(ls, args) : f;
    }

    proxy.getSemanticDiagnostics = (fileName) => {
      const base = ls.getSemanticDiagnostics(fileName);
      const { diags, sf } = ours(fileName);
      return sf ? [...base, ...diags.map((d) => toTsDiagnostic(tsx, d, sf))] : base;
    };

    proxy.getSupportedCodeFixes = (fileName?: string) => {
      const base = ls.getSupportedCodeFixes ? ls.getSupportedCodeFixes(fileName) : [];
      return [...new Set([...base, ...TSBPF_NUMERIC_CODES.map(String), ...FIXABLE_TS_CODES.map(String)])];
    };

    proxy.getCodeFixesAtPosition = (fileName, start, end, errorCodes, formatOptions, preferences) => {
      const base = ls.getCodeFixesAtPosition(fileName, start, end, errorCodes, formatOptions, preferences);
      const program = ls.getProgram();
      const sf = program?.getSourceFile(fileName);
      // Only BPF code: a .bpf.ts file or a module one imports (never user-space files).
      if (!program || !sf || (!isBpfFile(fileName) && !entriesImporting(program, fileName).length)) return base;
      const at = ours(fileName).diags.filter((d) => d.start <= end && d.start + d.length >= start);
      const codes = new Set<string>([...at.map((d) => d.code), ...errorCodes.map((c) => `TS${c}`)]);
      try {
        return [...base, ...bpfFixes(tsx, sf, start, end, codes)];
      } catch (e) {
        log(`quick fix failed: ${(e as Error).stack}`);
        return base;
      }
    };

    log(`loaded (TypeScript ${tsx.version}${sameTs ? "" : `, compiler uses ${ts.version}: files are compiled separately`})`);
    return proxy;
  }

  return { create };
}

export default init;
