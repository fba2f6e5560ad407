// The one module that imports the TypeScript compiler API. TypeScript 7 drops the in-process API;
// keeping every use behind this file means a port touches one place. Other front-end files import
// `ts` from here, never from "typescript".

// CommonJS `require` rather than an ES import: Node's ES-module loader scans and syntax-sniffs the
// 9 MB typescript.js before running it (~250 ms of every cold start); require() just compiles it.
// The local `require` is for tools that run this file as TypeScript (tsx, vitest): they turn the
// line below into `const ts = require(...)`, which needs a `require` in an ES module; tsc itself
// emits its own createRequire call.
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
import ts = require("typescript");
import type { Diagnostic } from "../diagnostic.js";
import { TSC_HINTS } from "./tsc-hints.js";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export { ts };

const here = dirname(fileURLToPath(import.meta.url));
/** stdlib/ in the source tree (compiler/frontend/..) and in dist (dist/compiler/frontend/../../..). */
function findStdlib(): string {
  for (const c of [resolve(here, "../../stdlib"), resolve(here, "../../../stdlib")]) {
    try {
      readFileSync(resolve(c, "bpf.d.ts"));
      return c;
    } catch {
      /* try the next layout */
    }
  }
  throw new Error("internal: tsbpf stdlib/ not found next to the compiler");
}

export const STDLIB_DIR = findStdlib();
export const STDLIB_MODULE = "tsbpf/bpf";
const STDLIB_ENTRY = resolve(STDLIB_DIR, "bpf.d.ts");
const STDLIB_GLOBALS = resolve(STDLIB_DIR, "globals.d.ts");

export const compilerOptions: ts.CompilerOptions = {
  noLib: true,
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  types: [],
  noEmit: true,
  skipLibCheck: true,
};

/**
 * A ts.Program over one .bpf.ts file whose text is given, with our stdlib as the only library.
 * Module "tsbpf/bpf" resolves to stdlib/bpf.d.ts; nothing else on disk is visible besides relative
 * imports, which the subset check rejects.
 */
export function createProgram(fileName: string, text: string, oldProgram?: ts.Program): ts.Program {
  const rootName = resolve(fileName);
  const host = ts.createCompilerHost(compilerOptions, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    if (resolve(name) === rootName) return ts.createSourceFile(name, text, languageVersion, true);
    const cached = stdlibFiles.get(name);
    if (cached) return cached;
    const sf = getSourceFile(name, languageVersion, onError, shouldCreate);
    if (sf && resolve(name).startsWith(STDLIB_DIR)) stdlibFiles.set(name, sf);
    return sf;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === rootName || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (resolve(name) === rootName ? text : readFile(name));
  host.resolveModuleNameLiterals = (literals, containingFile) =>
    literals.map((lit) => {
      if (lit.text === STDLIB_MODULE) {
        return { resolvedModule: { resolvedFileName: STDLIB_ENTRY, extension: ts.Extension.Dts, isExternalLibraryImport: false } };
      }
      const r = ts.resolveModuleName(lit.text, containingFile, compilerOptions, host);
      return { resolvedModule: r.resolvedModule };
    });
  return ts.createProgram({ rootNames: [rootName, STDLIB_GLOBALS], options: compilerOptions, host, oldProgram });
}

/**
 * The stdlib's parsed (and, once a program has used them, bound) declaration files, shared by every
 * program in this process: a second compile, a watch rebuild or a start-up snapshot skips parsing
 * and binding ~500 lines of declarations. tsc's language service shares SourceFiles the same way.
 */
const stdlibFiles = new Map<string, ts.SourceFile>();

/**
 * Parse, bind and check the stdlib once with a tiny program, so that its SourceFiles sit in the heap
 * (used when building the start-up snapshot; harmless anywhere else).
 */
export function preloadStdlib(): void {
  const name = resolve(STDLIB_DIR, "__tsbpf_warmup.bpf.ts");
  const program = createProgram(name, `import { u32 } from "${STDLIB_MODULE}";\nexport const x: u32 = 1 as u32;\n`);
  program.getSemanticDiagnostics();
}

/** 1-based line and column of a position. */
export function lineCol(sf: ts.SourceFile, pos: number): { line: number; col: number } {
  const lc = sf.getLineAndCharacterOfPosition(pos);
  return { line: lc.line + 1, col: lc.character + 1 };
}

export function flattenMessage(m: string | ts.DiagnosticMessageChain): string {
  return ts.flattenDiagnosticMessageText(m, "\n");
}

/** A tsc diagnostic in tsbpf's form (code `TSnnnn`, 1-based line and column). */
export function fromTsDiagnostic(d: ts.Diagnostic): Diagnostic {
  const start = d.start ?? 0;
  const { line, col } = d.file ? lineCol(d.file, start) : { line: 1, col: 1 };
  return {
    code: `TS${d.code}`,
    severity: d.category === ts.DiagnosticCategory.Warning ? "warning" : "error",
    message: flattenMessage(d.messageText),
    ...(TSC_HINTS[d.code] !== undefined ? { hint: TSC_HINTS[d.code] } : {}),
    file: d.file?.fileName ?? "",
    start,
    length: d.length ?? 0,
    line,
    col,
  };
}
