// Dominator tree over a function's CFG (Cooper, Harvey & Kennedy's iterative algorithm on reverse
// postorder), plus dominance frontiers. Only blocks reachable from the entry (blocks[0]) take part;
// `isReachable` tells which those are. The tree is a snapshot: recompute after changing the CFG.

import { type Func, successors } from "./ir.js";

export interface DomTree {
  /** Entry block id (blocks[0]). */
  readonly entry: number;
  /** Reachable block ids in reverse postorder (entry first). */
  readonly rpo: readonly number[];
  /** Immediate dominator of every reachable block except the entry. */
  readonly idom: ReadonlyMap<number, number>;
  /** Dominator-tree children, in reverse postorder. Every reachable block has an entry. */
  readonly children: ReadonlyMap<number, readonly number[]>;
  /** Predecessors, over all blocks (reachable or not), in layout order. */
  readonly preds: ReadonlyMap<number, readonly number[]>;
  isReachable(block: number): boolean;
  /** Does `a` dominate `b`? Reflexive. False when either is unreachable. */
  dominates(a: number, b: number): boolean;
  strictlyDominates(a: number, b: number): boolean;
  /** Reachable blocks in dominator-tree preorder (every block after its dominators). */
  preorder(): number[];
}

export function computeDominators(f: Func): DomTree {
  const preds = new Map<number, number[]>();
  const succs = new Map<number, number[]>();
  for (const b of f.blocks) {
    preds.set(b.id, []);
    succs.set(b.id, []);
  }
  for (const b of f.blocks) {
    for (const s of successors(b.term)) {
      if (!preds.has(s)) continue; // dangling target: the checker reports it
      succs.get(b.id)!.push(s);
      preds.get(s)!.push(b.id);
    }
  }

  const entry = f.blocks.length > 0 ? f.blocks[0]!.id : -1;
  // Iterative DFS for postorder.
  const postorder: number[] = [];
  const visited = new Set<number>();
  if (entry !== -1) {
    const stack: { id: number; next: number }[] = [{ id: entry, next: 0 }];
    visited.add(entry);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const ss = succs.get(top.id)!;
      if (top.next < ss.length) {
        const s = ss[top.next++]!;
        if (!visited.has(s)) {
          visited.add(s);
          stack.push({ id: s, next: 0 });
        }
      } else {
        postorder.push(top.id);
        stack.pop();
      }
    }
  }
  const rpo = postorder.slice().reverse();
  const poIndex = new Map<number, number>();
  postorder.forEach((id, k) => poIndex.set(id, k));

  const idomArr = new Map<number, number>();
  if (entry !== -1) idomArr.set(entry, entry);
  const intersect = (x: number, y: number): number => {
    let a = x;
    let b = y;
    while (a !== b) {
      while (poIndex.get(a)! < poIndex.get(b)!) a = idomArr.get(a)!;
      while (poIndex.get(b)! < poIndex.get(a)!) b = idomArr.get(b)!;
    }
    return a;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const b of rpo) {
      if (b === entry) continue;
      let nd: number | undefined;
      for (const p of preds.get(b)!) {
        if (!idomArr.has(p)) continue; // unprocessed or unreachable
        nd = nd === undefined ? p : intersect(p, nd);
      }
      if (nd !== undefined && idomArr.get(b) !== nd) {
        idomArr.set(b, nd);
        changed = true;
      }
    }
  }

  const idom = new Map<number, number>();
  const children = new Map<number, number[]>();
  for (const b of rpo) children.set(b, []);
  for (const b of rpo) {
    if (b === entry) continue;
    const d = idomArr.get(b)!;
    idom.set(b, d);
    children.get(d)!.push(b);
  }

  // Pre/post numbering of the tree for O(1) dominance queries.
  const pre = new Map<number, number>();
  const post = new Map<number, number>();
  const preorderList: number[] = [];
  if (entry !== -1) {
    let clock = 0;
    const stack: { id: number; next: number }[] = [{ id: entry, next: 0 }];
    pre.set(entry, clock++);
    preorderList.push(entry);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const cs = children.get(top.id)!;
      if (top.next < cs.length) {
        const c = cs[top.next++]!;
        pre.set(c, clock++);
        preorderList.push(c);
        stack.push({ id: c, next: 0 });
      } else {
        post.set(top.id, clock++);
        stack.pop();
      }
    }
  }

  const dominates = (a: number, b: number): boolean => {
    const pa = pre.get(a);
    const pb = pre.get(b);
    if (pa === undefined || pb === undefined) return false;
    return pa <= pb && post.get(b)! <= post.get(a)!;
  };
  return {
    entry,
    rpo,
    idom,
    children,
    preds,
    isReachable: (b) => visited.has(b),
    dominates,
    strictlyDominates: (a, b) => a !== b && dominates(a, b),
    preorder: () => preorderList.slice(),
  };
}

/** Dominance frontier of every reachable block (Cooper, Harvey & Kennedy). */
export function dominanceFrontiers(dt: DomTree): Map<number, Set<number>> {
  const df = new Map<number, Set<number>>();
  for (const b of dt.rpo) df.set(b, new Set());
  for (const b of dt.rpo) {
    const ps = dt.preds.get(b)!.filter((p) => dt.isReachable(p));
    if (ps.length < 2) continue;
    const stop = dt.idom.get(b);
    for (const p of ps) {
      let runner: number | undefined = p;
      while (runner !== undefined && runner !== stop) {
        df.get(runner)!.add(b);
        runner = dt.idom.get(runner);
      }
    }
  }
  return df;
}

/** Blocks on a cycle (a back edge's target and every block that reaches the source inside it). */
export function loopBlocks(f: Func, dom: DomTree): Set<number> {
  const out = new Set<number>();
  const preds = dom.preds;
  for (const b of f.blocks) {
    for (const s of successors(b.term)) {
      if (!dom.dominates(s, b.id)) continue;
      // Natural loop of the back edge b -> s.
      out.add(s);
      const stack = [b.id];
      while (stack.length > 0) {
        const x = stack.pop()!;
        if (out.has(x)) continue;
        out.add(x);
        for (const p of preds.get(x) ?? []) stack.push(p);
      }
    }
  }
  return out;
}

/** A natural loop: its header and every block of it (the header's back edges merged). */
export interface NaturalLoop {
  header: number;
  body: Set<number>;
}

/** The natural loops of `f`, one per header, in no particular order. */
export function naturalLoops(f: Func, dom: DomTree): NaturalLoop[] {
  const loops: NaturalLoop[] = [];
  for (const b of f.blocks) {
    if (!dom.isReachable(b.id)) continue;
    for (const h of successors(b.term)) {
      if (!dom.dominates(h, b.id)) continue;
      const body = new Set<number>([h]);
      const work = [b.id];
      while (work.length > 0) {
        const x = work.pop()!;
        if (body.has(x)) continue;
        body.add(x);
        for (const p of dom.preds.get(x) ?? []) if (dom.isReachable(p)) work.push(p);
      }
      const same = loops.find((l) => l.header === h);
      if (same) for (const x of body) same.body.add(x);
      else loops.push({ header: h, body });
    }
  }
  return loops;
}
