// What a watch-mode rebuild keeps from the previous compile of the same file (compile.ts's
// `incremental` option), so that a rebuild after an edit only does the work the edit needs:
//
//   - type checking: when the previous build type-checked clean and the edit changed only top-level
//     variable statements that no other statement names (a program like `export const p = xdp(...)`,
//     LICENSE), only those statements are checked again. Nothing else can see their types, so every
//     other statement's diagnostics are what they were.
//   - lowering, passes and the back end: a program is compiled once per distinct *input*: the text of
//     its statement, of every top-level statement it names (maps, types, functions, constants,
//     transitively), of the imports, LICENSE and the statements that declare nothing, of the local
//     modules, and the options. An unchanged input gives the same code; only source positions move,
//     so line info is stored relative to the statement it points into and placed again.
//
// Only programs whose compile reported nothing, placed no globals (printk format strings) and used
// no loop() callback or @global function are kept: their code is independent of what the other programs do. A program
// that calls `@noinline` functions records them and registers them again when it is reused.

import type { Func, SourceLoc } from "./ir/ir.js";
import type { GeneratedCode } from "./backend/index.js";
import type { LineEntry } from "./backend/layout.js";
import type { ModuleInfo, ProgramInfo } from "./frontend/module-scan.js";
import type { ProgramKind } from "./frontend/program-kinds.js";
import { ts } from "./frontend/ts-adapter.js";

/** Kept in `IncrementalState.reuse` between compiles of one file. */
export interface ReuseState {
  /** The previous compile's top-level statements: trimmed text and declared names. */
  statements: { text: string; names: string }[];
  /** Texts of the local modules the previous compile read. */
  localsKey: string;
  /** The previous compile's tsc semantic check found nothing. */
  checkedClean: boolean;
  /** Compiled programs by input key (only those of the last compile are kept). */
  programs: Map<string, CachedProgram>;
  /** The identifiers each statement text names (a function of the text alone), for the next index. */
  refs: Map<string, Set<string>>;
}

interface RelLoc {
  /** Index of the key member the location lies in; -1 for another file (absolute). */
  m: number;
  /** Line relative to the member's first line (absolute when m = -1). */
  dl: number;
  /** Column, relative to the member's first column when the location is on its first line. */
  col: number;
  first: boolean;
  file?: string;
}

interface CachedProgram {
  gen: GeneratedCode;
  f: Func;
  /** Line entries and the IR's locations, relative to the key's members. */
  lines: { insn: number; at: RelLoc }[];
  blockLocs: (RelLoc | undefined)[];
  instLocs: { block: number; index: number; at: RelLoc }[];
  /**
   * `@noinline` functions the program calls: those it registered (`fresh`, in order) and those an
   * earlier program had. Reused only where the same ones are registered already, so the module's
   * subprograms come out in the order a fresh compile gives.
   */
  calls: { name: string; kind?: ProgramKind; fresh: boolean }[];
}

/** Top-level statements of the entry file, with the names each declares and names. */
export class StatementIndex {
  readonly texts: string[] = [];
  /** Position of each statement's trimmed text (after leading whitespace; JSDoc included). */
  readonly starts: number[] = [];
  readonly names: string[][] = [];
  readonly refs: Set<string>[] = [];
  private readonly byName = new Map<string, number>();
  private readonly indexOf = new Map<ts.Statement, number>();
  private ambientList: number[] | undefined;
  private readonly lineStarts: readonly number[];

  /** The identifiers named by each statement text of this file. */
  readonly refsByText = new Map<string, Set<string>>();

  /** `known`: identifiers by statement text from the previous compile (unchanged statements are not walked again). */
  constructor(
    readonly sf: ts.SourceFile,
    known?: ReadonlyMap<string, Set<string>>,
  ) {
    const full = sf.text;
    this.lineStarts = sf.getLineStarts();
    for (const st of sf.statements) {
      const text = full.slice(st.pos, st.end);
      const trimmed = text.trimStart();
      this.indexOf.set(st, this.texts.length);
      this.texts.push(trimmed);
      this.starts.push(st.end - trimmed.length);
      const names = declaredNames(st);
      this.names.push(names);
      for (const n of names) this.byName.set(n, this.byName.has(n) ? -1 : this.texts.length - 1);
    }
    sf.statements.forEach((st, i) => {
      const text = this.texts[i]!;
      let ids = known?.get(text) ?? this.refsByText.get(text);
      if (!ids) {
        const found = new Set<string>();
        const walk = (n: ts.Node): void => {
          if (ts.isIdentifier(n)) found.add(n.text);
          else ts.forEachChild(n, walk);
        };
        walk(st);
        ids = found;
      }
      this.refsByText.set(text, ids);
      this.refs.push(ids);
    });
  }

  /** Statement indices named by statement `i` (top-level names only), transitively, in file order. */
  closure(i: number): number[] {
    const seen = new Set([i]);
    const todo = [i];
    while (todo.length) {
      for (const id of this.refs[todo.pop()!]!) {
        const j = this.byName.get(id);
        if (j === undefined || seen.has(j)) continue;
        if (j < 0) return []; // a name declared twice: no reuse
        seen.add(j);
        todo.push(j);
      }
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** Statements every program's code may depend on without naming them: imports, LICENSE, declarations of nothing. */
  ambient(): number[] {
    return (this.ambientList ??= this.texts
      .map((_, i) => i)
      .filter((i) => this.names[i]!.length === 0 || this.names[i]!.includes("LICENSE") || isImport(this.sf.statements[i]!)));
  }

  /** Index of the top-level statement a node is in, or -1. */
  statementOf(node: ts.Node): number {
    let n: ts.Node = node;
    while (n.parent && n.parent !== this.sf) n = n.parent;
    return this.indexOf.get(n as ts.Statement) ?? -1;
  }

  /** Whether another statement names one of statement `i`'s declarations. */
  isNamedElsewhere(i: number): boolean {
    const mine = this.names[i]!;
    return this.refs.some((r, j) => j !== i && mine.some((n) => r.has(n)));
  }

  /** 1-based line and column of a position. */
  lineCol(pos: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: pos - this.lineStarts[lo]! + 1 };
  }
}

function isImport(st: ts.Statement): boolean {
  return ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st) || ts.isExportDeclaration(st) || ts.isExportAssignment(st);
}

/** Top-level names a statement declares; none for namespaces and `declare global` (kept in every key). */
function declaredNames(st: ts.Statement): string[] {
  if (ts.isVariableStatement(st)) {
    const out: string[] = [];
    const bind = (n: ts.BindingName): void => {
      if (ts.isIdentifier(n)) out.push(n.text);
      else for (const e of n.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
    };
    for (const d of st.declarationList.declarations) bind(d.name);
    return out;
  }
  if (
    (ts.isFunctionDeclaration(st) ||
      ts.isClassDeclaration(st) ||
      ts.isInterfaceDeclaration(st) ||
      ts.isTypeAliasDeclaration(st) ||
      ts.isEnumDeclaration(st)) &&
    st.name &&
    ts.isIdentifier(st.name)
  )
    return [st.name.text];
  return [];
}

/**
 * The statements to type-check again, or undefined for the whole file: only when the last check was
 * clean, the local modules are the same, and every changed statement is a variable statement that
 * declares the same names as before and that no other statement names.
 */
export function changedStatements(prev: ReuseState | undefined, idx: StatementIndex, localsKey: string): ts.Statement[] | undefined {
  if (!prev?.checkedClean || prev.localsKey !== localsKey || prev.statements.length !== idx.texts.length) return undefined;
  const changed: ts.Statement[] = [];
  for (let i = 0; i < idx.texts.length; i++) {
    const was = prev.statements[i]!;
    if (was.text === idx.texts[i]) continue;
    const st = idx.sf.statements[i]!;
    if (!ts.isVariableStatement(st) || was.names !== idx.names[i]!.join(",") || idx.isNamedElsewhere(i)) return undefined;
    changed.push(st);
  }
  return changed;
}

/** The state to keep after this compile. */
export function nextState(idx: StatementIndex, localsKey: string, checkedClean: boolean, programs: Map<string, CachedProgram>): ReuseState {
  return {
    statements: idx.texts.map((text, i) => ({ text, names: idx.names[i]!.join(",") })),
    localsKey,
    checkedClean,
    programs,
    refs: idx.refsByText,
  };
}

/** What a program's code is a function of, as statement indices; its key; undefined when it cannot be reused. */
export function programKey(idx: StatementIndex, p: ProgramInfo, options: string): { key: string; members: number[] } | undefined {
  const i = idx.statementOf(p.decl);
  if (i < 0) return undefined;
  const closure = idx.closure(i);
  if (closure.length === 0) return undefined;
  const members = [...new Set([i, ...closure, ...idx.ambient()])].sort((a, b) => a - b);
  const key = [options, p.name, String(members.indexOf(i)), ...members.map((m) => idx.texts[m])].join("\u0000");
  return { key, members };
}

/** Start line and column of each member. */
function memberStarts(idx: StatementIndex, members: number[]): { line: number; col: number; endLine: number }[] {
  return members.map((m) => {
    const s = idx.lineCol(idx.starts[m]!);
    return { ...s, endLine: idx.lineCol(idx.sf.statements[m]!.end).line };
  });
}

function relLoc(l: SourceLoc, entry: string, starts: { line: number; col: number; endLine: number }[]): RelLoc | undefined {
  if (l.file !== undefined && l.file !== entry) return { m: -1, dl: l.line, col: l.col, first: false, file: l.file };
  const m = starts.findIndex((s) => s.line <= l.line && l.line <= s.endLine);
  // On a line two members share, the location could belong to either: not reusable.
  if (m < 0 || starts.some((s, k) => k !== m && s.line <= l.line && l.line <= s.endLine)) return undefined;
  const s = starts[m]!;
  const first = l.line === s.line;
  return { m, dl: l.line - s.line, col: first ? l.col - s.col : l.col, first, ...(l.file !== undefined ? { file: l.file } : {}) };
}

function absLoc(r: RelLoc, starts: { line: number; col: number }[]): SourceLoc {
  if (r.m < 0) return { line: r.dl, col: r.col, ...(r.file !== undefined ? { file: r.file } : {}) };
  const s = starts[r.m]!;
  return { line: s.line + r.dl, col: r.first ? s.col + r.col : r.col, ...(r.file !== undefined ? { file: r.file } : {}) };
}

/**
 * Remember a freshly compiled program, if it can be reused: `before` is the module's state before
 * it was lowered, `calls` the `@noinline` functions its lowered IR calls.
 */
export function storeProgram(
  idx: StatementIndex,
  members: number[],
  f: Func,
  gen: GeneratedCode,
  mod: ModuleInfo,
  before: { globals: number; subprograms: Map<ts.FunctionDeclaration, { calledDirectly?: boolean; loopBody?: boolean }> },
  calls: string[] | undefined,
): CachedProgram | undefined {
  if (!calls || mod.globals.size !== before.globals) return undefined;
  // Every change to the module's subprograms must be a direct call of one the IR names.
  const registered: CachedProgram["calls"] = [];
  for (const [decl, info] of mod.subprograms) {
    const was = before.subprograms.get(decl);
    // Whether a @global callee stays global depends on every call site's arguments: compile fresh.
    if (info.global && calls.includes(info.name)) return undefined;
    if (info.loopBody) {
      if (calls.includes(info.name) || !was || !was.loopBody) return undefined;
      continue;
    }
    const changed = !was || was.calledDirectly !== info.calledDirectly;
    if (changed && !calls.includes(info.name)) return undefined;
    if (!was) registered.push({ name: info.name, kind: info.kind, fresh: true });
  }
  for (const c of calls) if (!registered.some((r) => r.name === c)) registered.push({ name: c, fresh: false });
  const entry = idx.sf.fileName;
  const starts = memberStarts(idx, members);
  const lines: CachedProgram["lines"] = [];
  for (const l of gen.lines) {
    const at = relLoc(l, entry, starts);
    if (!at) return undefined;
    lines.push({ insn: l.insn, at });
  }
  const blockLocs: CachedProgram["blockLocs"] = [];
  const instLocs: CachedProgram["instLocs"] = [];
  for (let b = 0; b < f.blocks.length; b++) {
    const blk = f.blocks[b]!;
    let at: RelLoc | undefined;
    if (blk.loc && !(at = relLoc(blk.loc, entry, starts))) return undefined;
    blockLocs.push(at);
    const insts = [...blk.insts, blk.term];
    for (let k = 0; k < insts.length; k++) {
      const l = f.locs?.get(insts[k]!);
      if (!l) continue;
      const r = relLoc(l, entry, starts);
      if (!r) return undefined;
      instLocs.push({ block: b, index: k, at: r });
    }
  }
  return { gen, f, lines, blockLocs, instLocs, calls: registered };
}

/**
 * A program's code from an earlier compile, placed at the members' current positions, with its
 * `@noinline` callees registered as lowering would; undefined when it cannot be reused here.
 */
export function reuseProgram(
  c: CachedProgram,
  idx: StatementIndex,
  members: number[],
  mod: ModuleInfo,
  functions: readonly ts.SourceFile[],
): { f: Func; gen: GeneratedCode } | undefined {
  const decls: ts.FunctionDeclaration[] = [];
  for (const call of c.calls) {
    const decl = findFunction(functions, call.name);
    if (!decl) return undefined;
    const info = mod.subprograms.get(decl);
    // Registered by an earlier program then and not now, or the other way round: the order of the
    // subprograms would differ. A callee another program passed to loop(): lowering reports it.
    if (!info !== call.fresh || info?.loopBody) return undefined;
    decls.push(decl);
  }
  c.calls.forEach((call, i) => {
    const decl = decls[i]!;
    let info = mod.subprograms.get(decl);
    if (!info) mod.subprograms.set(decl, (info = { name: call.name, decl, kind: call.kind }));
    info.calledDirectly = true;
  });
  const starts = memberStarts(idx, members);
  const lines: LineEntry[] = c.lines.map((l) => {
    const at = absLoc(l.at, starts);
    return { insn: l.insn, line: at.line, col: at.col, ...(at.file !== undefined ? { file: at.file } : {}) };
  });
  // The IR is handed out as the program's `ir`: its locations follow the source too.
  const f = c.f;
  c.blockLocs.forEach((r, b) => {
    if (r) f.blocks[b]!.loc = absLoc(r, starts);
  });
  for (const l of c.instLocs) {
    const blk = f.blocks[l.block]!;
    f.locs?.set(l.index < blk.insts.length ? blk.insts[l.index]! : blk.term, absLoc(l.at, starts));
  }
  return { f, gen: { ...c.gen, lines } };
}

function findFunction(files: readonly ts.SourceFile[], name: string): ts.FunctionDeclaration | undefined {
  for (const sf of files) for (const st of sf.statements) if (ts.isFunctionDeclaration(st) && st.body && st.name?.text === name) return st;
  return undefined;
}

/** The `@noinline` functions an IR function calls, or undefined if it takes a function's address (loop()). */
export function directCalls(f: Func): string[] | undefined {
  const out: string[] = [];
  for (const b of f.blocks)
    for (const i of b.insts) {
      if (i.op === "funcaddr") return undefined;
      if (i.op === "callfn" && !out.includes(i.func)) out.push(i.func);
    }
  return out;
}
