// Pass manager: runs named function passes in order.
//
// Needs: a valid function (checked first when `check` is on). Produces: the function as the passes
// leave it. Invalidates: whatever each pass invalidates (passes recompute their own analyses, e.g.
// the dominator tree, so nothing cached survives between passes).
//
// With `check`, checkFunc runs on the input and after every pass; a failure throws an Error naming
// the pass that broke the IR, with the problems and the printed IR. `dumpAfter` names passes whose
// output is printed through `dump` (default: stderr); it backs `--dump-ir=<pass>`. The names "*" /
// "all" dump after every pass, "input" dumps the IR before the first pass.

import { checkFunc } from "../ir/check.js";
import type { Func, Module } from "../ir/ir.js";
import { printFunc } from "../ir/print.js";

export interface Pass {
  /** Kebab-case name, as used by --dump-ir. */
  name: string;
  /** Transforms f in place; returns true when it changed something (undefined means "maybe"). */
  run(f: Func): boolean | undefined;
}

export interface RunOptions {
  check: boolean;
  dumpAfter?: ReadonlySet<string>;
  dump?: (passName: string, text: string) => void;
}

export class IrCheckError extends Error {
  constructor(
    readonly pass: string,
    readonly func: string,
    readonly problems: string[],
    readonly ir: string,
  ) {
    super(
      `IR check failed ${pass === "input" ? "on the input" : `after pass '${pass}'`} in function ${func}:\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        `\n${ir}`,
    );
    this.name = "IrCheckError";
  }
}

const defaultDump = (pass: string, text: string) => {
  process.stderr.write(`; ---- IR after ${pass} ----\n${text}`);
};

/** Runs `passes` over `f` in order; returns true when any pass reported a change. */
export function runPasses(f: Func, passes: readonly Pass[], opts: RunOptions): boolean {
  const dumpAll = opts.dumpAfter?.has("*") || opts.dumpAfter?.has("all");
  const dump = opts.dump ?? defaultDump;
  const verify = (stage: string) => {
    if (!opts.check) return;
    const problems = checkFunc(f);
    if (problems.length > 0) throw new IrCheckError(stage, f.name, problems, safePrint(f));
  };
  verify("input");
  if (opts.dumpAfter?.has("input")) dump("input", printFunc(f));
  let changed = false;
  for (const p of passes) {
    if (p.run(f) !== false) changed = true;
    verify(p.name);
    if (dumpAll || opts.dumpAfter?.has(p.name)) dump(p.name, printFunc(f));
  }
  return changed;
}

export function runPassesOnModule(m: Module, passes: readonly Pass[], opts: RunOptions): boolean {
  let changed = false;
  for (const f of m.funcs) if (runPasses(f, passes, opts)) changed = true;
  return changed;
}

function safePrint(f: Func): string {
  try {
    return printFunc(f);
  } catch (e) {
    return `<unprintable: ${(e as Error).message}>\n`;
  }
}
