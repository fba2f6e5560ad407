// The one module that imports the TypeScript compiler API. TypeScript 7 drops the in-process API;
// keeping every use behind this file means a port touches one place. Other front-end files import
// `ts` from here, never from "typescript".

// CommonJS `require` rather than an ES import: Node's ES-module loader scans and syntax-sniffs the
// 9 MB typescript.js before running it (~250 ms of every cold start); require() just compiles it.
// The local `require` is for tools that run this file as TypeScript (tsx, vitest): they turn the
// line below into `const ts = require(...)`, which needs a `require` in an ES module; tsc itself
// emits its own createRequire call.
import { createRequire } from "node:module";
// biome-ignore lint/correctness/noUnusedVariables: used by the require() that tsx and vitest emit for the line below
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
  // Local modules may be imported as "./common.ts" as well as "./common" or "./common.js".
  allowImportingTsExtensions: true,
};

/**
 * A ts.Program over one .bpf.ts file whose text is given, with our stdlib as the only library.
 * Module "tsbpf/bpf" resolves to stdlib/bpf.d.ts; relative imports resolve to the user's local
 * modules on disk (compiled with the entry file, see local-modules.ts).
 */
export function createProgram(fileName: string, text: string, oldProgram?: ts.Program): ts.Program {
  const rootName = resolve(fileName);
  const host = ts.createCompilerHost(compilerOptions, true);
  const getSourceFile = host.getSourceFile.bind(host);
  // A rebuild parses only what the edit touched (the language service's incremental parse): the
  // old program is not used after this one is made, so its file may give up its nodes.
  const previous = oldProgram?.getSourceFile(rootName) ?? oldProgram?.getSourceFiles().find((f) => resolve(f.fileName) === rootName);
  // tsc asks for the root file twice when the old program's structure cannot be kept (the edit
  // changed the imports): the old file may be incrementally parsed only once, and the second
  // update would fail (or, later, read a tree the first one took apart); the second ask gets the
  // same file.
  let root: ts.SourceFile | undefined;
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    if (resolve(name) === rootName) {
      if (root?.fileName === name) return root;
      if (previous?.fileName === name)
        root = previous.text === text ? previous : ts.updateSourceFile(previous, text, textChange(previous.text, text));
      else root = ts.createSourceFile(name, text, languageVersion, true);
      return root;
    }
    // The stdlib declarations are parsed once per process: they dominate a small file's parse.
    const key = resolve(name);
    if (key.startsWith(STDLIB_DIR)) {
      let sf = stdlibFiles.get(key);
      if (!sf) {
        sf = getSourceFile(name, languageVersion, onError, shouldCreate);
        if (sf) stdlibFiles.set(key, sf);
      }
      return sf;
    }
    return getSourceFile(name, languageVersion, onError, shouldCreate);
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

/** The span of `before` that `after` replaces: everything between their common prefix and suffix. */
function textChange(before: string, after: string): ts.TextChangeRange {
  const p = commonPrefix(before, after);
  const q = commonSuffix(before, after, Math.min(before.length, after.length) - p);
  return ts.createTextChangeRange(ts.createTextSpan(p, before.length - p - q), after.length - p - q);
}

// The scans are functions of their own: inlined in textChange, V8 compiled their hot loops with
// on-stack replacement and then threw the code away at the call after them, on every rebuild.
function commonPrefix(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let p = 0;
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return p;
}

function commonSuffix(a: string, b: string, max: number): number {
  let q = 0;
  while (q < max && a.charCodeAt(a.length - 1 - q) === b.charCodeAt(b.length - 1 - q)) q++;
  return q;
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

/**
 * tsc's semantic diagnostics of `sf`, or of only the given top-level statements: TypeScript's region
 * check (the `nodesToCheck` parameter editors use for the visible part of a file, TS 5.6+), which
 * checks those statements and what they reach and leaves the rest of the file alone.
 */
export function semanticDiagnostics(program: ts.Program, sf: ts.SourceFile, only?: readonly ts.Statement[]): readonly ts.Diagnostic[] {
  if (!only) return program.getSemanticDiagnostics(sf);
  type RegionCheck = (sf: ts.SourceFile, token: undefined, nodesToCheck: readonly ts.Node[]) => readonly ts.Diagnostic[];
  return (program.getSemanticDiagnostics as RegionCheck)(sf, undefined, only);
}

/** 1-based line and column of a position. */
export function lineCol(sf: ts.SourceFile, pos: number): { line: number; col: number } {
  const lc = sf.getLineAndCharacterOfPosition(pos);
  return { line: lc.line + 1, col: lc.character + 1 };
}

export function flattenMessage(m: string | ts.DiagnosticMessageChain): string {
  return ts.flattenDiagnosticMessageText(m, "\n");
}

/**
 * A tsc diagnostic in tsbpf's form (code `TSnnnn`, 1-based line and column). A global diagnostic
 * (no file, e.g. "Cannot find global type") is placed at the start of `fallbackFile`.
 */
export function fromTsDiagnostic(d: ts.Diagnostic, fallbackFile = ""): Diagnostic {
  const start = d.start ?? 0;
  const { line, col } = d.file ? lineCol(d.file, start) : { line: 1, col: 1 };
  const rephrased = rephrase(flattenMessage(d.messageText), d);
  const message = rephrased.message;
  const hint = rephrased.hint ?? TSC_HINTS[d.code];
  return {
    code: `TS${d.code}`,
    severity: d.category === ts.DiagnosticCategory.Warning ? "warning" : "error",
    message,
    ...(hint ? { hint } : {}),
    file: d.file?.fileName ?? fallbackFile,
    start,
    length: d.length ?? 0,
    line,
    col,
  };
}

const INT_NAMES = new Set(["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"]);
const MAP_METHODS = new Set(["lookup", "update", "delete", "get", "set", "has", "increment", "lookupOrInit"]);

/**
 * tsc's words for two mistakes every user makes: narrowing an integer (the message would show the
 * `__int` brand that encodes widening in stdlib) and a map key or value of the wrong kind.
 */
function rephrase(message: string, d: ts.Diagnostic): { message: string; hint?: string } {
  const first = message.split("\n")[0];
  const m = /^(?:Type|Argument of type) '(\w+)' is not assignable to (?:type|parameter of type) '(\w+)'\.$/.exec(first);
  if (!m) return { message };
  const [, from, to] = m;
  if (INT_NAMES.has(from) && INT_NAMES.has(to)) {
    return {
      message: `${from} does not fit in ${to} — use ${to}(x)`,
      hint: `convert explicitly: ${to}(x) keeps the low bits, as a C cast does`,
    };
  }
  if ((INT_NAMES.has(from) || from === "number") && !INT_NAMES.has(to) && d.file && d.start !== undefined) {
    const call = callAround(d.file, d.start);
    const method = call && ts.isPropertyAccessExpression(call.expression) ? call.expression.name.text : undefined;
    if (method && MAP_METHODS.has(method)) {
      return {
        message: `this map's ${call!.arguments[0]?.getStart() === d.start ? "key" : "value"} is the struct '${to}', not an integer`,
        hint: `build a struct local and pass it: const k: ${to} = { ... }; then .${method}(k${method === "update" ? ", v" : ""})`,
      };
    }
  }
  return { message };
}

/** The innermost call expression whose argument starts at `pos`. */
function callAround(sf: ts.SourceFile, pos: number): ts.CallExpression | undefined {
  let node: ts.Node = sf;
  let found: ts.CallExpression | undefined;
  for (;;) {
    const next: ts.Node | undefined = ts.forEachChild(node, (c) => (c.getStart(sf) <= pos && pos < c.getEnd() ? c : undefined));
    if (!next) return found;
    if (ts.isCallExpression(next) && next.arguments.some((a) => a.getStart(sf) === pos)) found = next;
    node = next;
  }
}
