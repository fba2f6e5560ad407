// The whole compiler in order. Reading this function shows every stage:
//
//   1. tsc: parse and type-check the file against stdlib/ (syntax, then semantics)
//   2. subset check: TypeScript the BPF subset does not cover          frontend/subset-check.ts
//   3. module scan: maps, programs, globals, LICENSE                  frontend/module-scan.ts
//   4. lowering: each program's body to SSA IR, then each `@noinline`
//      function the programs call (a subprogram in .text)             frontend/lower-stmt.ts
//   5. optimisation passes                                            passes/index.ts
//   6. back end: out-of-SSA, isel, register allocation, layout        backend/index.ts
//      and the verifier's call-chain stack limit                      backend/call-graph.ts
//   7. object writer: ELF, .BTF, .BTF.ext                             elf/write-object.ts
//
// Diagnostics are staged: a stage with errors stops the pipeline, so no object is written for
// input with errors. Anything thrown past the front end becomes an internal-error diagnostic.

import { dirname, join, relative, resolve } from "node:path";
import type { Diagnostic } from "./diagnostic.js";
import { DIAGNOSTICS, formatMessage } from "./diagnostics-table.js";
import { generate } from "./backend/index.js";
import { callChainStack, callGraph, MAX_CALL_FRAMES, MAX_CHAIN_STACK } from "./backend/call-graph.js";
import { writeObject } from "./elf/write-object.js";
import { FunctionLowerer } from "./frontend/lower-stmt.js";
import { NO_CONTEXT } from "./frontend/program-kinds.js";
import { paramShapes, wantsCall } from "./frontend/subprograms.js";
import { scanModule, type ModuleInfo } from "./frontend/module-scan.js";
import { Bail, Reporter } from "./frontend/reporter.js";
import { checkSubset } from "./frontend/subset-check.js";
import { checkTokenNesting, checkTreeDepth } from "./frontend/depth-guard.js";
import { checkReservations } from "./frontend/check-reservations.js";
import { checkImportedModule, localModules } from "./frontend/local-modules.js";
import { branchSites, convertedSites } from "./frontend/verifier-cost-ir.js";
import { estimateVerifierCost, VERIFIER_INSN_LIMIT, VERIFIER_JMP_SEQ_LIMIT, WITHIN_ERROR } from "./frontend/verifier-cost.js";
import { createProgram, fromTsDiagnostic, semanticDiagnostics, ts } from "./frontend/ts-adapter.js";
import { TypeMapper } from "./frontend/types.js";
import type { Func } from "./ir/ir.js";
import type { ObjectModel, ProgramCode } from "./object/model.js";
import { defaultPasses } from "./passes/index.js";
import { runPasses } from "./passes/pass-manager.js";
import { INT_TYPES, type CType } from "../common/ctypes.js";
import { printFunc } from "./ir/print.js";
import {
  changedStatements,
  directCalls,
  nextState,
  programKey,
  type ReuseState,
  reuseProgram,
  StatementIndex,
  storeProgram,
} from "./incremental.js";

export interface CompileOptions {
  /** Run the IR checker after every pass (tests turn this on). */
  checkIr?: boolean;
  /** Pass names after which to dump the IR ("input", "lower", a pass name, or "all"). */
  dumpIr?: ReadonlySet<string>;
  dump?: (stage: string, text: string) => void;
  /** Instruction set level: "v3" (default, kernel 5.1+) or "v4" (MOVSX, SDIV/SMOD; kernel 6.6+). */
  cpu?: "v3" | "v4";
  /** An existing program holding `fileName` (the editor's, in the language-service plugin); not rebuilt. */
  program?: ts.Program;
  /**
   * Kept between compiles of the same file (watch mode): the previous tsc program, whose unchanged
   * files and module resolutions the next one reuses.
   */
  incremental?: IncrementalState;
  /**
   * Build the object even when the verifier-cost estimate refuses it (TSBPF2202/2203 are still
   * reported, as warnings): for tests that show the kernel refusing what the estimate refuses.
   */
  keepCostRefused?: boolean;
  /** Called at the end of each stage with its name (bench/watch-profile.ts times them). */
  mark?: (stage: string) => void;
}

export interface IncrementalState {
  /** Opaque: the last ts.Program built for this file. */
  program?: unknown;
  /** Opaque: what the last compile checked and compiled (incremental.ts). */
  reuse?: unknown;
  /** What the last compile redid: the whole file's type check or some statements', and programs compiled vs reused. */
  last?: { checked: "file" | "statements"; compiled: number; reused: number };
}

export interface CompiledProgram {
  name: string;
  section: string;
  insnCount: number;
  stackSize: number;
  ir: Func;
  /** The verifier-cost estimate (instructions the verifier processes), when this compile built the program. */
  verifierSteps?: number;
}

export interface CompileResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  object?: Uint8Array;
  programs: CompiledProgram[];
  /** The files compiled: the entry and the local modules it imports (what a watcher should watch). */
  files?: string[];
}

export function compile(fileName: string, text: string, opts: CompileOptions = {}): CompileResult {
  try {
    return compileFile(fileName, text, opts);
  } catch (e) {
    // tsc's parser and checker recurse; the depth guards keep known shapes below the stack limit,
    // and this catches the rest (e.g. thousands of sequential ifs in one function).
    if (e instanceof RangeError && /call stack/.test(e.message)) {
      const d = DIAGNOSTICS.TSBPF1041;
      return {
        ok: false,
        programs: [],
        diagnostics: [
          { code: "TSBPF1041", severity: "error", message: d.message, hint: d.hint, file: fileName, start: 0, length: 0, line: 1, col: 1 },
        ],
      };
    }
    return { ok: false, programs: [], diagnostics: [internal(fileName, (e as Error).stack ?? String(e))] };
  }
}

function compileFile(fileName: string, text: string, opts: CompileOptions): CompileResult {
  let files = [fileName];
  const fail = (diagnostics: Diagnostic[]): CompileResult => ({ ok: false, diagnostics, programs: [], files });

  // 0. a name tsc would not read as TypeScript (it leaves such a root out of the program), and
  // nesting the recursive parser could not take
  if (!/\.([cm]?ts|tsx)$/i.test(fileName)) {
    const d = DIAGNOSTICS.TSBPF1048;
    const message = formatMessage("TSBPF1048", [fileName]);
    return fail([{ code: "TSBPF1048", severity: "error", message, hint: d.hint, file: fileName, start: 0, length: 0, line: 1, col: 1 }]);
  }
  const tooDeep = checkTokenNesting(fileName, text);
  if (tooDeep) return fail([tooDeep]);

  // 1. tsc: syntax, of the entry file and the local modules it imports. The editor's program is used
  // as it is; in watch mode the previous program is reused.
  const program = opts.program ?? createProgram(fileName, text, opts.incremental?.program as ts.Program | undefined);
  if (opts.incremental && !opts.program) opts.incremental.program = program;
  opts.mark?.("tsc program");
  // Watch mode: the previous compile's checked statements and compiled programs (incremental.ts).
  // Until this compile's check is clean, the next one checks the whole file again.
  const inc = opts.incremental && !opts.program && !opts.dumpIr ? opts.incremental : undefined;
  const prev = inc?.reuse as ReuseState | undefined;
  if (inc) inc.reuse = prev && { ...prev, checkedClean: false };
  const sf =
    opts.program?.getSourceFile(fileName) ??
    program.getSourceFiles().find((f) => !f.isDeclarationFile && f.fileName.endsWith(fileName.split(/[\\/]/).pop()!));
  if (!sf) return fail([internal(fileName, "source file missing from the program")]);
  const syntactic = program.getSyntacticDiagnostics(sf);
  if (syntactic.length) return fail(syntactic.map((d) => fromTsDiagnostic(d, sf.fileName)));
  const locals = localModules(program, sf);
  files = [fileName, ...locals.map((m) => m.fileName)];
  const localSyntax = locals.flatMap((m) => program.getSyntacticDiagnostics(m));
  if (localSyntax.length) return fail(localSyntax.map((d) => fromTsDiagnostic(d, sf.fileName)));
  for (const f of [sf, ...locals]) {
    const treeTooDeep = checkTreeDepth(f);
    if (treeTooDeep) return fail([treeTooDeep]);
  }
  opts.mark?.("tsc syntax");

  // 2. subset, before tsc's semantic check: constructs outside the subset (generators, tagged
  // templates, decorators) otherwise surface as tsc errors about missing global types.
  const subsetReporter = new Reporter(sf);
  checkSubset(sf, subsetReporter);
  for (const m of locals) {
    checkSubset(m, subsetReporter);
    checkImportedModule(m, subsetReporter);
  }
  if (subsetReporter.hasErrors) return fail(subsetReporter.diagnostics);
  opts.mark?.("subset check");

  // 1b. tsc: semantics. Global diagnostics have no file; they are reported against the entry, once.
  // A rebuild after an edit of statements nothing else names checks only those.
  const idx = inc ? new StatementIndex(sf, prev?.refs) : undefined;
  const localsKey = locals.map((m) => `${m.fileName}\u0000${m.text}`).join("\u0000");
  const only = idx && changedStatements(prev, idx, localsKey);
  const seen = new Set<string>();
  const checked = only ? semanticDiagnostics(program, sf, only) : [sf, ...locals].flatMap((f) => program.getSemanticDiagnostics(f));
  const semantic = [...checked, ...program.getGlobalDiagnostics()]
    .map((d) => fromTsDiagnostic(d, sf.fileName))
    .filter((d) => {
      const key = `${d.file}:${d.code}:${d.start}:${d.message}`;
      return !seen.has(key) && !!seen.add(key);
    });
  if (inc) inc.last = { checked: only ? "statements" : "file", compiled: 0, reused: 0 };
  opts.mark?.("tsc semantic");
  if (semantic.length) return fail(semantic);
  const reused = new Map<string, NonNullable<ReturnType<typeof storeProgram>>>();
  if (inc && idx) inc.reuse = nextState(idx, localsKey, true, reused);
  const reuseKey = `${opts.cpu ?? "v3"}|${!!opts.checkIr}|${localsKey}`;

  const reporter = new Reporter(sf);
  try {
    // 3. module
    const checker = program.getTypeChecker();
    const types = new TypeMapper(checker);
    const mod = scanModule(sf, checker, types, reporter);
    if (mod.license === undefined) reporter.report("TSBPF3001", sf.statements[0] ?? sf);
    opts.mark?.("module scan");

    // 4-6. each program, then each `@noinline` function the programs call (found while lowering)
    const programs: CompiledProgram[] = [];
    const code: ProgramCode[] = [];
    const subprograms: ProgramCode[] = [];
    const funcs: Func[] = [];
    const stack = new Map<string, number>();
    const build = (
      lower: () => Func,
      name: string,
      node: ts.Node,
      isProgram: boolean,
      checkOnly = false,
      onLowered?: (f: Func) => void,
    ) => {
      let f: Func;
      try {
        f = lower();
      } catch (e) {
        if (e instanceof Bail) return undefined;
        throw e;
      }
      if (!checkReservations(f, reporter)) return undefined;
      onLowered?.(f);
      if (opts.dumpIr) dumpIf(opts, "lower", f);
      runPasses(f, defaultPasses, { check: !!opts.checkIr, dumpAfter: opts.dumpIr, dump: opts.dump });
      try {
        const gen = generate(f, { isProgram, cpu: opts.cpu ?? "v3" });
        if (!checkOnly) {
          funcs.push(f);
          stack.set(name, gen.stackSize);
        }
        return { f, gen };
      } catch (e) {
        if (!/^stack frame too large/.test((e as Error).message)) throw e;
        reporter.report("TSBPF2003", node, name, (e as Error).message.match(/(\d+) bytes/)?.[1] ?? "over 512");
        return undefined;
      }
    };
    for (const p of mod.programs) {
      // Watch mode: the same input as in the last compile gives the same code (incremental.ts).
      const key = idx && programKey(idx, p, reuseKey);
      const hit = key && (prev?.programs.get(key.key) ?? reused.get(key.key));
      const again = hit && idx ? reuseProgram(hit, idx, key.members, mod, [sf, ...locals]) : undefined;
      if (hit && again) {
        reused.set(key.key, hit);
        inc!.last!.reused++;
        funcs.push(again.f);
        stack.set(p.name, again.gen.stackSize);
        programs.push({ name: p.name, section: p.section, insnCount: again.gen.insns.length, stackSize: again.gen.stackSize, ir: again.f });
        code.push({
          name: p.name,
          section: p.section,
          insns: again.gen.insns,
          params: PROGRAM_PARAMS,
          ret: INT_TYPES.i32,
          lines: again.gen.lines,
        });
        continue;
      }
      const before = key && {
        diagnostics: reporter.diagnostics.length,
        globals: mod.globals.size,
        subprograms: new Map([...mod.subprograms].map(([d, s]) => [d, { calledDirectly: s.calledDirectly, loopBody: s.loopBody }])),
      };
      if (inc?.last) inc.last.compiled++;
      let calls: string[] | undefined;
      const r = build(
        () => FunctionLowerer.forProgram(reporter, checker, types, mod, p),
        p.name,
        p.decl.name,
        true,
        false,
        (f) => {
          if (before) calls = directCalls(f);
        },
      );
      if (!r) continue;
      const kept = branchSites(r.f);
      const facts = kept && { kept, converted: convertedSites(r.f) };
      programs.push({ name: p.name, section: p.section, insnCount: r.gen.insns.length, stackSize: r.gen.stackSize, ir: r.f });
      // The verifier walks loops iteration by iteration and comparisons path by path: say so here
      // when that adds up past its limit, rather than after the kernel refused the object.
      const cost = estimateVerifierCost(p.fn, checker, r.gen.insns.length, facts);
      programs[programs.length - 1]!.verifierSteps = cost.steps;
      if (cost.unbounded) reporter.report("TSBPF2204", cost.unbounded.loop, p.name, cost.unbounded.reason);
      else if (cost.loopSteps > 2 * VERIFIER_INSN_LIMIT)
        reporter.report("TSBPF2202", cost.hottest ?? p.decl.name, p.name, cost.loopSteps.toLocaleString("en-US"));
      else if (cost.pendingBranches > VERIFIER_JMP_SEQ_LIMIT)
        reporter.report(
          "TSBPF2203",
          cost.pendingLoop ?? p.decl.name,
          p.name,
          cost.pendingBranches.toLocaleString("en-US"),
          VERIFIER_JMP_SEQ_LIMIT.toLocaleString("en-US"),
        );
      else if (cost.steps > 0.9 * VERIFIER_INSN_LIMIT && cost.nestedExits) {
        const x = cost.nestedExits;
        if (x.window) reporter.report("TSBPF3014", x.loop, p.name, cost.steps.toLocaleString("en-US"), String(x.exits));
        else if (x.sum) reporter.report("TSBPF3017", x.loop, p.name, cost.steps.toLocaleString("en-US"), x.sum, String(x.outerTrips));
        else if (x.split) reporter.report("TSBPF3019", x.loop, p.name, cost.steps.toLocaleString("en-US"), x.split, String(x.outerTrips));
        else if (x.extreme)
          reporter.report("TSBPF3022", x.loop, p.name, cost.steps.toLocaleString("en-US"), x.extreme, String(x.outerTrips));
        else if (x.pick) reporter.report("TSBPF3021", x.loop, p.name, cost.steps.toLocaleString("en-US"), x.pick, String(x.outerTrips));
        else if (x.step) reporter.report("TSBPF3024", x.loop, p.name, cost.steps.toLocaleString("en-US"), x.step, String(x.outerTrips));
        else if (x.sides) reporter.report("TSBPF3018", x.loop, p.name, cost.steps.toLocaleString("en-US"), String(x.outerTrips));
        else if (x.self) reporter.report("TSBPF3013", x.loop, p.name, cost.steps.toLocaleString("en-US"), x.self, String(x.outerTrips));
        else reporter.report("TSBPF3012", x.loop, p.name, cost.steps.toLocaleString("en-US"), String(x.exits), String(x.outerTrips));
      } else if (cost.steps > 0.9 * VERIFIER_INSN_LIMIT && cost.exitWalks)
        reporter.report("TSBPF3014", cost.exitWalks.loop, p.name, cost.steps.toLocaleString("en-US"), String(cost.exitWalks.exits));
      else if (cost.steps > 0.9 * VERIFIER_INSN_LIMIT && cost.exactExits) {
        const x = cost.exactExits;
        reporter.report("TSBPF3015", x.loop, p.name, cost.steps.toLocaleString("en-US"), x.name, String(x.exits));
      } else if (cost.steps > 0.9 * VERIFIER_INSN_LIMIT && cost.outcomes) {
        const x = cost.outcomes;
        reporter.report("TSBPF3025", x.node, p.name, cost.steps.toLocaleString("en-US"), x.name, x.walks.toLocaleString("en-US"));
      } else if (cost.steps > 0.9 * VERIFIER_INSN_LIMIT && cost.steppedState) {
        const x = cost.steppedState;
        reporter.report("TSBPF3026", x.call, p.name, cost.steps.toLocaleString("en-US"), x.body, x.field, x.walks.toLocaleString("en-US"));
      } else if (cost.steps > 0.9 * VERIFIER_INSN_LIMIT)
        reporter.report("TSBPF3010", cost.hottest ?? p.decl.name, p.name, cost.steps.toLocaleString("en-US"));
      else if (cost.steps > WITHIN_ERROR && cost.exitWalksNear) {
        const x = cost.exitWalksNear;
        reporter.report("TSBPF3016", x.loop, p.name, cost.steps.toLocaleString("en-US"), String(x.exits));
      } else if (cost.steps > WITHIN_ERROR && cost.steppedStateNear) {
        const x = cost.steppedStateNear;
        reporter.report("TSBPF3026", x.call, p.name, cost.steps.toLocaleString("en-US"), x.body, x.field, x.walks.toLocaleString("en-US"));
      } else if (cost.steps > WITHIN_ERROR && cost.nestedExits?.window) {
        const x = cost.nestedExits;
        reporter.report("TSBPF3016", x.loop, p.name, cost.steps.toLocaleString("en-US"), String(x.exits));
      } else if (cost.steps > WITHIN_ERROR && cost.nestedExits?.records) {
        const x = cost.nestedExits;
        reporter.report("TSBPF3023", x.loop, p.name, cost.steps.toLocaleString("en-US"), String(x.outerTrips));
      } else if (cost.loopCallInLoop) {
        const x = cost.loopCallInLoop;
        const line = x.loop.getSourceFile().getLineAndCharacterOfPosition(x.loop.getStart()).line + 1;
        reporter.report("TSBPF3027", x.call, p.name, String(x.trips), String(line), cost.steps.toLocaleString("en-US"));
      } else if (cost.forkedCeiling) {
        const x = cost.forkedCeiling;
        reporter.report("TSBPF3028", x.fork, p.name, String(x.before), String(x.after), cost.steps.toLocaleString("en-US"));
      } else if (cost.nestedDataLoop) reporter.report("TSBPF3011", cost.nestedDataLoop, p.name);
      const last = reporter.diagnostics[reporter.diagnostics.length - 1];
      if (opts.keepCostRefused && last && (last.code === "TSBPF2202" || last.code === "TSBPF2203" || last.code === "TSBPF2204"))
        last.severity = "warning";
      code.push({ name: p.name, section: p.section, insns: r.gen.insns, params: PROGRAM_PARAMS, ret: INT_TYPES.i32, lines: r.gen.lines });
      if (key && before && idx && reporter.diagnostics.length === before.diagnostics) {
        const c = storeProgram(idx, key.members, r.f, r.gen, mod, before, calls);
        if (c) reused.set(key.key, c);
      }
    }
    opts.mark?.("programs");
    const done = new Set<ts.FunctionDeclaration>();
    for (
      let pending = [...mod.subprograms.values()];
      pending.length;
      pending = [...mod.subprograms.values()].filter((s) => !done.has(s.decl))
    ) {
      for (const s of pending) {
        done.add(s.decl);
        const r = build(() => FunctionLowerer.forSubprogram(reporter, checker, types, mod, s), s.name, s.decl.name ?? s.decl, false);
        if (!r) continue;
        subprograms.push({
          name: s.name,
          section: ".text",
          insns: r.gen.insns,
          params: s.params ?? [],
          ret: s.ret ?? INT_TYPES.i32,
          lines: r.gen.lines,
        });
      }
    }
    markGlobals(mod, subprograms, reporter);
    // Whole-file checking: a function no program calls yet is lowered and compiled too (as if it
    // were a subprogram, into a scratch module so nothing it registers reaches the object).
    // (Walks the whole file: only done when there is a function it could be about.)
    let referenced: Set<string> | undefined;
    for (const st of sf.statements) {
      if (!ts.isFunctionDeclaration(st) || !st.body || !st.name || done.has(st) || mod.subprograms.has(st)) continue;
      if ((referenced ??= referencedFunctions(sf)).has(st.name.text)) continue;
      const scratch = { ...mod, subprograms: new Map(mod.subprograms) };
      const own = new Reporter(sf);
      build(
        () => {
          const probe = new FunctionLowerer(own, checker, types, scratch, { name: st.name!.text, kind: NO_CONTEXT });
          const kind = paramShapes(probe, st).find((p) => p.kind === "ctx")?.prog;
          return FunctionLowerer.forSubprogram(own, checker, types, scratch, { name: st.name!.text, decl: st, kind });
        },
        st.name.text,
        st.name,
        false,
        true,
      );
      // An inlined function may take what a subprogram cannot (a `T | null` reference): checked
      // standalone, its parameter types are only an error when it is @noinline.
      const params = { start: st.parameters.pos, end: st.parameters.end };
      const inParams = (d: Diagnostic) => d.code === "TSBPF2021" && d.start >= params.start && d.start < params.end;
      reporter.diagnostics.push(...own.diagnostics.filter((d) => wantsCall(st) || !inParams(d)));
    }
    // The verifier adds up the frames along the deepest call chain.
    const graph = callGraph(funcs);
    for (const p of mod.programs) {
      if (!stack.has(p.name)) continue;
      const chain = callChainStack(funcs, stack, { roots: [p.name], graph });
      if (chain.cycle) reporter.report("TSBPF2025", p.decl.name, chain.cycle.join(" -> "));
      else if (chain.depth > MAX_CHAIN_STACK) reporter.report("TSBPF2028", p.decl.name, p.name, chain.depth, chain.chain.join(" -> "));
      else if (chain.maxFrames > MAX_CALL_FRAMES)
        reporter.report("TSBPF2028", p.decl.name, p.name, `${chain.maxFrames} frames`, chain.chain.join(" -> "));
    }
    // Said only when nothing else is wrong: an empty object is useless, but other errors come first.
    if (mod.programs.length === 0 && !reporter.hasErrors) reporter.report("TSBPF1045", sf.statements[0] ?? sf);
    if (reporter.hasErrors) return fail(reporter.diagnostics);
    opts.mark?.("subprograms, checks");

    // 7. object
    const model: ObjectModel = {
      sourcePath: fileName,
      sourceLines: text.split(/\r?\n/),
      sources: sourcesOf(fileName, locals),
      license: mod.license ?? "",
      programs: code,
      subprograms,
      maps: [...mod.maps.values()].map((m) => m.def),
      globals: [...mod.globals.values()],
    };
    const object = writeObject(model);
    opts.mark?.("object");
    return { ok: true, diagnostics: reporter.diagnostics, object, programs, files };
  } catch (e) {
    if (e instanceof Bail) return fail(reporter.diagnostics);
    // Out of stack in a pass (a deep dominator tree): compile() reports it as TSBPF1041.
    if (e instanceof RangeError && /call stack/.test(e.message)) throw e;
    return fail([...reporter.diagnostics, internal(fileName, (e as Error).stack ?? String(e))]);
  }
}

/** A program's one parameter, for its BTF FUNC_PROTO. */
const PROGRAM_PARAMS: ProgramCode["params"] = [{ name: "ctx", type: { kind: "ptr", to: null } }];

/** Names of module-level functions used anywhere outside their own body (called, or passed to loop()). */
function referencedFunctions(sf: ts.SourceFile): Set<string> {
  const names = new Set(
    sf.statements
      .filter(ts.isFunctionDeclaration)
      .map((f) => f.name?.text)
      .filter((n) => n !== undefined),
  );
  const used = new Set<string>();
  const stack: [ts.Node, string | undefined][] = sf.statements.map((st) => [st, ts.isFunctionDeclaration(st) ? st.name?.text : undefined]);
  while (stack.length) {
    const [node, owner] = stack.pop()!;
    if (ts.isIdentifier(node) && names.has(node.text) && node.text !== owner && !ts.isFunctionDeclaration(node.parent)) used.add(node.text);
    ts.forEachChild(node, (c) => {
      stack.push([c, owner]);
    });
  }
  return used;
}

/** Imported modules for line info, named relative to the entry file as the user gave its path. */
function sourcesOf(fileName: string, locals: ts.SourceFile[]): ObjectModel["sources"] {
  const out: NonNullable<ObjectModel["sources"]> = {};
  const dir = dirname(resolve(fileName));
  for (const m of locals) out[m.fileName] = { path: join(dirname(fileName), relative(dir, m.fileName)), lines: m.text.split(/\r?\n/) };
  return out;
}

function dumpIf(opts: CompileOptions, stage: string, f: Func): void {
  if (!opts.dumpIr || !(opts.dumpIr.has(stage) || opts.dumpIr.has("all"))) return;
  (opts.dump ?? ((s, t) => process.stderr.write(`; ---- IR after ${s} ----\n${t}`)))(stage, printFunc(f));
}

function internal(file: string, detail: string): Diagnostic {
  if (process.env.TSBPF_DEBUG) process.stderr.write(`${detail}\n`);
  return {
    code: "TSBPF9001",
    severity: "internal",
    message: `internal compiler error: ${detail.split("\n")[0]}`,
    hint: DIAGNOSTICS.TSBPF9001.hint,
    file,
    start: 0,
    length: 0,
    line: 1,
    col: 1,
  };
}

/**
 * `@global` subprograms that may be global get global linkage, their context parameter the kernel's
 * context struct by name (which is how the verifier recognises it) and `arg:nonnull` on struct
 * references; the others stay static with TSBPF3020 saying why.
 */
function markGlobals(mod: ModuleInfo, code: ProgramCode[], reporter: Reporter): void {
  for (const s of mod.subprograms.values()) {
    if (!s.global) continue;
    if (s.loopBody && !s.notGlobal) s.notGlobal = "it is a loop() body, and the kernel wants bpf_loop callbacks static";
    if (s.notGlobal) {
      reporter.report("TSBPF3020", s.decl.name ?? s.decl, s.name, s.notGlobal);
      continue;
    }
    const c = code.find((x) => x.name === s.name);
    if (!c) continue;
    c.global = true;
    c.params = c.params.map((p) => {
      if (p.type.kind !== "ptr") return p;
      if (p.type.to !== null) return { ...p, nonnull: true };
      const ctx: CType = { kind: "struct", name: s.kind?.ctxStruct ?? "", fields: [], size: 0, align: 1 };
      return { ...p, type: { kind: "ptr", to: ctx } };
    });
  }
}
