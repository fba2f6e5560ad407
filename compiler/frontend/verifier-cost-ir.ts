// What the IR passes did to a program's `if`s, for the verifier-cost estimate. The estimate reads
// the AST, but whether an `if` still branches is decided later, by the if-convert pass, which
// computes a conditional count or select without a branch. Guessing that from the AST misses both
// ways: a count the pass converts is warned as multiplying paths (a false alarm on a state machine
// of `else if`s), and one it keeps may be taken as branchless. So the compile records which source
// positions still have a conditional branch after the passes, and which had one that if-convert
// replaced, and the estimate asks about an `if` by its position.
//
// A statement's branches carry its position (the lowerer sets it per statement; passes copy it onto
// the terminators they rebuild). An `if` with neither fact gets no answer: its branch may have been
// merged into another statement's (a header's null check into the packet bounds check), which still
// splits the verifier's paths. A function whose branches do not all carry a position gives none.

import type { Func } from "../ir/ir.js";
import { lineCol, ts } from "./ts-adapter.js";

/** `file:line:col` of the statements with a conditional branch in `f`, or undefined if one has no position. */
export function branchSites(f: Func): Set<string> | undefined {
  const out = new Set<string>();
  for (const b of f.blocks) {
    if (b.term.op !== "cbr") continue;
    const loc = f.locs?.get(b.term);
    if (!loc?.file) return undefined;
    out.add(siteKey(loc.file, loc));
  }
  return out;
}

/** `file:line:col` of the branches if-convert replaced in `f`. */
export function convertedSites(f: Func): Set<string> {
  return new Set((f.converted ?? []).flatMap((l) => (l.file ? [siteKey(l.file, l)] : [])));
}

const siteKey = (file: string, at: { line: number; col: number }): string => `${file}:${at.line}:${at.col}`;

/** A program's branch sites after the passes, and those if-convert replaced. */
export interface BranchFacts {
  kept: ReadonlySet<string>;
  converted: ReadonlySet<string>;
}

// The facts of the program being estimated (estimateVerifierCost sets them for the length of its run).
let current: BranchFacts | undefined;

export function withBranchFacts<T>(facts: BranchFacts | undefined, run: () => T): T {
  const before = current;
  current = facts;
  try {
    return run();
  } finally {
    current = before;
  }
}

/** The position the lowerer gives the statement's code (lower-base.ts, setLoc). */
function siteOf(s: ts.Statement): string {
  const sf = s.getSourceFile();
  return siteKey(sf.fileName, lineCol(sf, s.getStart(sf)));
}

/**
 * Does `iff` still branch in the program's code after the passes? Undefined when the compile gave
 * no facts, or neither a branch nor if-convert's replacement carries its position.
 */
export function branchKept(iff: ts.IfStatement): boolean | undefined {
  if (!current) return undefined;
  const site = siteOf(iff);
  if (current.kept.has(site)) return true;
  return current.converted.has(site) ? false : undefined;
}

/**
 * Do the writes `xs` run with no branch around them inside `loop` (every `if` between each write and
 * the loop's body gone after the passes)? With `innermost`, only the nearest `if` around each.
 * Undefined when an `if` on the way has no facts, a write is not a statement of its own under
 * blocks and `if`s only, or not under an `if` at all.
 */
export function writesUnbranched(xs: readonly ts.Node[], loop: ts.IterationStatement, innermost = false): boolean | undefined {
  if (xs.length === 0) return undefined;
  for (const x of xs) {
    let under = false;
    if (!ts.isExpressionStatement(x.parent)) return undefined;
    for (let at: ts.Node = x.parent; at !== loop.statement; at = at.parent) {
      const par = at.parent;
      // Only blocks and `if` arms on the way: an inner loop or a `switch` splits paths its own way.
      if (!par || !(ts.isBlock(par) || (ts.isIfStatement(par) && par.expression !== at))) return undefined;
      if (ts.isIfStatement(par)) {
        const kept = branchKept(par);
        if (kept === undefined) return undefined;
        if (kept) return false;
        under = true;
        if (innermost) break;
      }
    }
    if (!under) return undefined;
  }
  return true;
}
