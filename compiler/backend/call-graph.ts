// Analysis: the call graph of a module and the verifier's call-chain limits.
//
// Needs:       IR functions (any form) and, for the stack check, each function's frame size as
//              `generate` reports it (`GeneratedCode.stackSize`).
// Produces:    callee lists (bpf-to-bpf calls and `funcaddr` callback references: the verifier
//              counts a callback's frame on top of the frame that passes it, like a call),
//              recursion cycles (the verifier rejects any), and the deepest stack along a call
//              chain. The kernel adds up each frame's stack, rounded up to 32 bytes (at least 32 for
//              an empty frame) when the program may run interpreted, to 16 with a JIT; we use the
//              stricter 32 by default. The limit is 512 bytes over the whole chain, and 8 frames.
// Invalidates: nothing.

import type { Func } from "../ir/ir.js";

/** The kernel's MAX_BPF_STACK: the sum over the deepest call chain must stay within it. */
export const MAX_CHAIN_STACK = 512;
/** The kernel's MAX_CALL_FRAMES: the main program plus at most 7 nested calls. */
export const MAX_CALL_FRAMES = 8;

/** Callees of each function, in first-reference order, from `callfn` and `funcaddr`. */
export function callGraph(funcs: readonly Func[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of funcs) {
    const out: string[] = [];
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if ((i.op === "callfn" || i.op === "funcaddr") && !out.includes(i.func)) out.push(i.func);
      }
    }
    g.set(f.name, out);
  }
  return g;
}

/**
 * A call cycle reachable from `roots` (default: every function), as the list of names along it with
 * the first name repeated at the end (`["a", "b", "a"]`; `["f", "f"]` for self-recursion), or
 * undefined when the graph is acyclic. Calls to functions not in `funcs` are ignored.
 */
export function findRecursion(
  funcs: readonly Func[],
  roots?: readonly string[],
  graph?: ReadonlyMap<string, readonly string[]>,
): string[] | undefined {
  const g = graph ?? callGraph(funcs);
  const state = new Map<string, 1 | 2>(); // 1: on the DFS stack, 2: done
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    const s = state.get(n);
    if (s === 2) return undefined;
    if (s === 1) return [...path.slice(path.indexOf(n)), n];
    state.set(n, 1);
    path.push(n);
    for (const c of g.get(n) ?? []) {
      if (!g.has(c)) continue;
      const cyc = visit(c);
      if (cyc) return cyc;
    }
    path.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const r of roots ?? [...g.keys()]) {
    if (!g.has(r)) continue;
    const cyc = visit(r);
    if (cyc) return cyc;
  }
  return undefined;
}

export interface ChainStackOptions {
  /** Functions the chains start from (programs); default: every function. */
  roots?: readonly string[];
  /** Per-frame rounding: 32 (interpreter rule, default) or 16 (JIT rule). */
  roundTo?: 16 | 32;
  /**
   * `callGraph(funcs)`, when the caller already has it: asking once per program of a module would
   * otherwise rescan every function's instructions each time (quadratic in the number of programs).
   */
  graph?: ReadonlyMap<string, readonly string[]>;
}

export interface ChainStack {
  /** Stack bytes along the deepest chain (each frame rounded); Infinity when there is recursion. */
  depth: number;
  /** That chain, root first (the cycle's path when there is recursion). */
  chain: string[];
  /** Frames along the longest chain by frame count (not necessarily the deepest by bytes). */
  maxFrames: number;
  /** Present when the graph has a cycle: names along it, the first repeated at the end. */
  cycle?: string[];
}

/** The kernel's round_up_stack_depth. */
export function frameStack(size: number, roundTo: 16 | 32 = 32): number {
  if (roundTo === 16) return Math.ceil(size / 16) * 16;
  return Math.ceil(Math.max(size, 1) / 32) * 32;
}

/**
 * The deepest stack use over all call chains starting at the roots: the sum of the (rounded) frame
 * sizes of the functions along the chain. Compare `depth` with MAX_CHAIN_STACK and `maxFrames`
 * with MAX_CALL_FRAMES. `stackSizes` gives each function's frame size (a missing function counts 0).
 */
export function callChainStack(
  funcs: readonly Func[],
  stackSizes: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
  opts: ChainStackOptions = {},
): ChainStack {
  const roundTo = opts.roundTo ?? 32;
  const sizeOf = (n: string): number =>
    frameStack((stackSizes instanceof Map ? stackSizes.get(n) : (stackSizes as Record<string, number>)[n]) ?? 0, roundTo);
  const g = opts.graph ?? callGraph(funcs);
  const cycle = findRecursion(funcs, opts.roots, g);
  if (cycle) return { depth: Infinity, chain: cycle, maxFrames: Infinity, cycle };

  const memo = new Map<string, { depth: number; chain: string[]; frames: number }>();
  const deepest = (n: string): { depth: number; chain: string[]; frames: number } => {
    const hit = memo.get(n);
    if (hit) return hit;
    let best: { depth: number; chain: string[]; frames: number } = { depth: 0, chain: [], frames: 0 };
    let frames = 0;
    for (const c of g.get(n) ?? []) {
      if (!g.has(c)) continue;
      const sub = deepest(c);
      if (sub.depth > best.depth || best.chain.length === 0) best = sub;
      frames = Math.max(frames, sub.frames);
    }
    const r = { depth: sizeOf(n) + best.depth, chain: [n, ...best.chain], frames: frames + 1 };
    memo.set(n, r);
    return r;
  };
  let out: ChainStack = { depth: 0, chain: [], maxFrames: 0 };
  for (const r of opts.roots ?? [...g.keys()]) {
    if (!g.has(r)) continue;
    const d = deepest(r);
    if (d.depth > out.depth || out.chain.length === 0)
      out = { depth: d.depth, chain: d.chain, maxFrames: Math.max(out.maxFrames, d.frames) };
    else out.maxFrames = Math.max(out.maxFrames, d.frames);
  }
  return out;
}
