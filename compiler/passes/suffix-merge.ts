// Pass: suffix-merge — one copy of the common end of two blocks (cross-jumping).
//
// tail-merge needs two whole blocks to match. Inlined helpers more often leave blocks that differ only
// at the start: `account(2, len); return DROP` and `account(1, len); return DROP` store a different key
// and then run the same lookup, null check and atomic adds. clang's branch folding shares such tails;
// this pass does the same on the IR.
//
// Two blocks A and B (neither a successor of the other, no loop header among what they reach here) are
// compared from their ends. Their terminators must match: same shape and targets, or targets that are
// reached only from A and only from B, have no phis, and match as whole blocks (recursively: the
// "region" of A and of B, e.g. the atomic adds after a null check). Walking backwards from the
// terminator, instructions of the same shape pair up; instructions without operands that are cheap to
// redo (const, stackaddr, mapaddr, globaladdr, funcaddr) may be left out of the pairing on either side.
// The paired instructions are the suffix. Operands of the suffix and region must match one for one:
// equal, or values defined at the same position in the suffix/region, or (the only difference allowed)
// different values or immediates coming in from outside, each of which becomes a phi (never two
// different maps or subprograms: the verifier inlines a map lookup only when one known map reaches
// it); two copies of the same constant-like definition are redone in the merged block instead of
// getting a phi. Values the
// suffix or region defines may be used nowhere else, and the phis of the blocks they finally reach
// must take corresponding values from both sides.
//
// The suffix moves into a new block C (or stays in A when A is left with nothing else), A and B keep
// the rest and jump to C; B's region is deleted. Done only when the shared code is worth more than the
// jumps and the phis (moves) it may cost. Repeated, one merge at a time, up to a fixed point.
//
// Needs: valid SSA. Produces: valid SSA; may leave empty blocks that only jump (simplify-cfg removes
// them) and dead constant-like definitions (dce removes them). Invalidates: CFG, dominators, preds.

import {
  type Block,
  type Func,
  type Inst,
  type Operand,
  type Phi,
  type Terminator,
  type Ty,
  type Value,
  definitions,
  instDst,
  instUses,
  isImm,
  mapInstOperands,
  mapTermOperands,
  newValue,
  predecessors,
  successors,
  termUses,
} from "../ir/ir.js";

/** Merges done per run at most, and pairs tried per merge (keeps huge functions near-linear). */
const MAX_MERGES = 256;
const MAX_PAIRS = 4096;
/** Phis a merge may add. */
const MAX_PHIS = 3;
/** Depth of the exclusive-successor region compared after the terminators. */
const MAX_REGION_DEPTH = 3;

export function suffixMerge(f: Func): boolean {
  let changed = false;
  for (let n = 0; n < MAX_MERGES && mergeOne(f); n++) changed = true;
  return changed;
}

const json = (x: unknown): string => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
const OPERAND_KEYS = ["dst", "a", "b", "base", "value", "expected", "args", "ctx"] as const;

/** An instruction without its operands (attributes, constants and result type): pairs share it. */
function shape(i: Inst): string {
  const rest: Record<string, unknown> = { ...i };
  for (const k of OPERAND_KEYS) delete rest[k];
  if (i.op === "const") rest.value = i.value;
  if (i.op === "ptradd") delete rest.offset;
  const d = instDst(i);
  return json(rest) + (d ? `:${d.ty}` : "") + `/${instUses(i).length}`;
}

/** Definitions with no operands and no effects: redoing one costs what keeping it costs. */
const rematerializable = (i: Inst): boolean =>
  i.op === "const" || i.op === "stackaddr" || i.op === "mapaddr" || i.op === "globaladdr" || i.op === "funcaddr";

/** Instruction slots an instruction takes once emitted (ld_imm64 forms take two). */
function slotsOf(i: Inst): number {
  if (i.op === "mapaddr" || i.op === "globaladdr" || i.op === "funcaddr") return 2;
  if (i.op === "const") return i.value >= -(1n << 31n) && i.value < 1n << 31n ? 1 : 2;
  return 1;
}

/** The type an immediate has in operand position `n` of `i` (undefined: no phi of two immediates there). */
function immTy(i: Inst, n: number): Ty | undefined {
  switch (i.op) {
    case "bin":
      return i.dst.ty === "ptr" ? undefined : i.dst.ty;
    case "store":
      return n === 1 ? (i.width === 8 ? "i64" : "i32") : undefined;
    case "atomic":
      return n >= 1 ? (i.width === 8 ? "i64" : "i32") : undefined;
    case "call":
    case "callfn":
      return "i64";
    case "ptradd":
      return n === 1 ? "i64" : undefined;
    default:
      return undefined;
  }
}

function termKeyPart(t: Terminator): string {
  switch (t.op) {
    case "br":
      return "br";
    case "cbr":
      return `cbr ${t.cond}${t.width}`;
    case "ret":
      return "ret";
  }
}

interface Diff {
  a: Operand;
  b: Operand;
  ty: Ty;
  /** Both sides are the same constant-like definition: redone in the merged block, no phi. */
  remat?: Inst;
}

/** Where a differing operand sits in A's code: instruction (or terminator), operand index, diff. */
interface Site {
  at: Inst | Terminator;
  n: number;
  diff: number;
}

interface Plan {
  a: Block;
  b: Block;
  /** Indices (into a.insts / b.insts) of the paired suffix, in order. */
  suffixA: number[];
  suffixB: number[];
  /** Region blocks, pairwise (A's, B's). */
  region: [Block, Block][];
  diffs: Diff[];
  sites: Site[];
  saved: number;
}

function mergeOne(f: Func): boolean {
  const entry = f.blocks[0]?.id;
  const preds = predecessors(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const usedIn = useBlocks(f);
  const defs = definitions(f);
  const headers = loopHeaders(f, entry);
  const uses = new Map<number, number>();
  let retTy: Ty = "i64";
  const count = (o: Operand): void => {
    if (!isImm(o)) uses.set(o.id, (uses.get(o.id) ?? 0) + 1);
  };
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) count(inc.value);
    for (const i of b.insts) for (const o of instUses(i)) count(o);
    for (const o of termUses(b.term)) count(o);
    if (b.term.op === "ret" && !isImm(b.term.value)) retTy = b.term.value.ty;
  }
  const exclusive = (t: number, from: number): Block | undefined => {
    const tb = byId.get(t);
    const p = preds.get(t) ?? [];
    return tb && t !== entry && t !== from && p.length === 1 && p[0] === from && tb.phis.length === 0 ? tb : undefined;
  };
  const key = (b: Block): string => {
    const t = b.term;
    const targets = successors(t).map((s) => (exclusive(s, b.id) ? "x" : String(s)));
    return `${termKeyPart(t)} ${t.op === "cbr" ? `${t.then === t.else}` : ""} ${targets.join(",")}`;
  };
  const groups = new Map<string, Block[]>();
  for (const b of f.blocks) {
    if (b.insts.length === 0 && b.term.op === "br") continue;
    if (successors(b.term).some((s) => s === b.id || headers.has(s))) continue;
    const k = key(b);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(b);
  }
  let tried = 0;
  for (const group of groups.values()) {
    for (let j = group.length - 1; j > 0; j--) {
      for (let i = j - 1; i >= 0; i--) {
        if (++tried > MAX_PAIRS) return false;
        const plan = planPair(group[i]!, group[j]!, { exclusive, usedIn, uses, retTy, byId, defs, headers });
        if (!plan) continue;
        apply(f, plan, preds, entry);
        return true;
      }
    }
  }
  return false;
}

interface Env {
  exclusive: (t: number, from: number) => Block | undefined;
  usedIn: Map<number, Set<number>>;
  /** Number of uses of each value (instruction operands, terminators, phi incomings). */
  uses: Map<number, number>;
  /** The type of the function's returned values (phis of returned immediates take it). */
  retTy: Ty;
  byId: Map<number, Block>;
  defs: Map<number, Inst>;
  headers: Set<number>;
}

function planPair(a: Block, b: Block, env: Env): Plan | undefined {
  if (a === b) return undefined;
  if (successors(a.term).includes(b.id) || successors(b.term).includes(a.id)) return undefined;
  // Backward pairing by shape; constant-like instructions may be skipped on either side.
  const pa: number[] = [];
  const pb: number[] = [];
  let i = a.insts.length - 1;
  let j = b.insts.length - 1;
  while (i >= 0 && j >= 0) {
    const x = a.insts[i]!;
    const y = b.insts[j]!;
    if (shape(x) === shape(y)) {
      pa.unshift(i--);
      pb.unshift(j--);
    } else if (rematerializable(x)) i--;
    else if (rematerializable(y)) j--;
    else break;
  }
  // Shorter suffixes when the longest one does not check out (a value used outside, say).
  for (let drop = 0; drop <= Math.min(pa.length, 4); drop++) {
    const plan = check(a, b, pa.slice(drop), pb.slice(drop), env);
    if (plan) return plan;
  }
  return undefined;
}

function check(a: Block, b: Block, sa: number[], sb: number[], env: Env): Plan | undefined {
  const local = new Map<number, number>(); // value defined in A's suffix/region -> B's counterpart
  const localB = new Set<number>();
  const diffs: Diff[] = [];
  const sites: Site[] = [];
  const regionA = new Set<number>([a.id]);
  const regionB = new Set<number>([b.id]);
  const region: [Block, Block][] = [];
  const same = (x: Operand, y: Operand): boolean => {
    if (isImm(x) || isImm(y)) return isImm(x) && isImm(y) && x.imm === y.imm;
    if (local.has(x.id) || localB.has(y.id)) return local.get(x.id) === y.id;
    return x.id === y.id;
  };
  const pair = (at: Inst | Terminator, n: number, x: Operand, y: Operand, ty?: Ty): boolean => {
    if (same(x, y)) return true;
    if ((!isImm(x) && local.has(x.id)) || (!isImm(y) && localB.has(y.id))) return false;
    if (!isImm(x) && !isImm(y) && x.ty !== y.ty) return false;
    const t = !isImm(x) ? x.ty : !isImm(y) ? y.ty : ty;
    if (t === undefined) return false;
    let k = diffs.findIndex((d) => same(d.a, x) && same(d.b, y));
    if (k < 0) {
      const dx = isImm(x) ? undefined : env.defs.get(x.id);
      const dy = isImm(y) ? undefined : env.defs.get(y.id);
      const remat = dx && dy && rematerializable(dx) && shape(dx) === shape(dy) ? dx : undefined;
      // Two different maps (or subprograms) must not meet in one register: the verifier inlines a
      // map lookup only when one map reaches the call (a phi of map pointers makes every lookup
      // through it a real helper call: 6 -> 16 ns per packet on proto_counters), and wants a known
      // callback.
      if (!remat && [dx, dy].some((d) => d?.op === "mapaddr" || d?.op === "funcaddr")) return false;
      diffs.push({ a: x, b: y, ty: t, remat });
      k = diffs.length - 1;
    }
    sites.push({ at, n, diff: k });
    return true;
  };
  const pairInsts = (x: Inst, y: Inst): boolean => {
    if (shape(x) !== shape(y)) return false;
    const ux = instUses(x);
    const uy = instUses(y);
    for (let n = 0; n < ux.length; n++) if (!pair(x, n, ux[n]!, uy[n]!, immTy(x, n))) return false;
    const dx = instDst(x);
    const dy = instDst(y);
    if (dx && dy) {
      local.set(dx.id, dy.id);
      localB.add(dy.id);
    }
    return true;
  };
  for (let k = 0; k < sa.length; k++) if (!pairInsts(a.insts[sa[k]!]!, b.insts[sb[k]!]!)) return undefined;
  // Terminators, then the exclusive successors they lead to, breadth first.
  const queue: [Block, Block, number][] = [[a, b, 0]];
  const ends: [number, number, number][] = []; // external successor reached: target, from A-side block, from B-side block
  while (queue.length > 0) {
    const [x, y, depth] = queue.shift()!;
    const tx = x.term;
    const ty = y.term;
    if (termKeyPart(tx) !== termKeyPart(ty)) return undefined;
    const ux = termUses(tx);
    const uy = termUses(ty);
    for (let n = 0; n < ux.length; n++) if (!pair(tx, n, ux[n]!, uy[n]!, tx.op === "ret" ? env.retTy : undefined)) return undefined;
    const targets = (t: Terminator): number[] => (t.op === "br" ? [t.target] : t.op === "cbr" ? [t.then, t.else] : []);
    const gx = targets(tx);
    const gy = targets(ty);
    for (let n = 0; n < gx.length; n++) {
      const sx = gx[n]!;
      const sy = gy[n]!;
      if (sx === sy) {
        if (regionA.has(sx) || regionB.has(sx)) return undefined;
        ends.push([sx, x.id, y.id]);
        continue;
      }
      const bx = env.exclusive(sx, x.id);
      const by = env.exclusive(sy, y.id);
      if (!bx || !by || depth >= MAX_REGION_DEPTH || bx.insts.length !== by.insts.length) return undefined;
      if ([sx, sy].some((s) => regionA.has(s) || regionB.has(s))) return undefined;
      if (successors(bx.term).some((s) => env.headers.has(s) || s === bx.id)) return undefined;
      regionA.add(sx);
      regionB.add(sy);
      for (let k = 0; k < bx.insts.length; k++) if (!pairInsts(bx.insts[k]!, by.insts[k]!)) return undefined;
      region.push([bx, by]);
      queue.push([bx, by, depth + 1]);
    }
  }
  // Values defined in the shared code stay inside it.
  const inside = (id: number, blocks: Set<number>): boolean => {
    const s = env.usedIn.get(id);
    return !s || [...s].every((x) => blocks.has(x));
  };
  for (const [x] of local) if (!inside(x, regionA)) return undefined;
  for (const y of localB) if (!inside(y, regionB)) return undefined;
  // Blocks reached from both sides take corresponding values from each.
  for (const [t, fx, fy] of ends) {
    for (const phi of env.byId.get(t)?.phis ?? []) {
      const vx = phi.incoming.find((p) => p.block === fx)?.value;
      const vy = phi.incoming.find((p) => p.block === fy)?.value;
      if (vx === undefined || vy === undefined || !same(vx, vy)) return undefined;
    }
  }
  const phis = diffs.filter((d) => !d.remat).length;
  if (phis > MAX_PHIS) return undefined;
  // A phi costs a move on a side unless that side's operand is an immediate returned anyway (the
  // move into r0 is there already) or a value the side defines just for this use (it can be
  // computed straight into the phi's register).
  const restOf = (blk: Block, suffix: number[]): Set<number> => {
    const inSuffix = new Set(suffix);
    const ids = new Set<number>();
    blk.insts.forEach((i, k) => {
      const d = instDst(i);
      if (d && !inSuffix.has(k)) ids.add(d.id);
    });
    return ids;
  };
  const ownA = restOf(a, sa);
  const ownB = restOf(b, sb);
  const freeOn = (o: Operand, own: Set<number>, blk: Block, d: number): boolean => {
    if (isImm(o)) return sites.every((st) => st.diff !== d || (st.at.op === "ret" && true));
    const where = env.usedIn.get(o.id);
    return own.has(o.id) && where !== undefined && where.size === 1 && where.has(blk.id);
  };
  let moves = 0;
  diffs.forEach((d, k) => {
    if (d.remat) return;
    if (!freeOn(d.a, ownA, a, k)) moves++;
    if (!freeOn(d.b, ownB, b, k)) moves++;
  });
  let shared = 0;
  for (const k of sa) shared += slotsOf(a.insts[k]!);
  for (const [x] of region) for (const i of x.insts) shared += slotsOf(i);
  shared += a.term.op === "br" ? 0 : 1;
  for (const [x] of region) shared += x.term.op === "br" ? 0 : 1;
  let remat = 0;
  for (const d of diffs) if (d.remat) remat += slotsOf(d.remat);
  // Costs: a jump from B (A usually falls through), one move per phi and predecessor side.
  const saved = shared - 1 - moves - remat;
  if (saved < 2) return undefined;
  return { a, b, suffixA: sa, suffixB: sb, region, diffs, sites, saved };
}

function apply(f: Func, plan: Plan, preds: Map<number, number[]>, entry: number | undefined): void {
  const { a, b, region, diffs } = plan;
  const inSuffixA = new Set(plan.suffixA);
  const inSuffixB = new Set(plan.suffixB);
  const suffix = a.insts.filter((_, k) => inSuffixA.has(k));
  const restA = a.insts.filter((_, k) => !inSuffixA.has(k));
  const restB = b.insts.filter((_, k) => !inSuffixB.has(k));
  // A's own phis can take B's values too when each feeds exactly one difference (and nothing else
  // needs a value from B's side).
  const phiOfA = new Map(a.phis.map((p) => [p.dst.id, p] as const));
  const extend = new Map<Phi, Operand>();
  let reuse = restA.length === 0 && a.id !== entry;
  if (reuse && a.phis.length > 0) {
    for (const d of diffs) {
      const p = !isImm(d.a) && !d.remat ? phiOfA.get(d.a.id) : undefined;
      if (!p) continue;
      if (extend.has(p)) reuse = false;
      extend.set(p, d.b);
    }
    if (extend.size !== a.phis.length) reuse = false;
  }
  if (!reuse) extend.clear();
  const target: Block = reuse ? a : { id: Math.max(...f.blocks.map((x) => x.id)) + 1, phis: [], insts: [], term: a.term, loc: a.loc };
  // One value per diff: a phi (new, or A's own extended), or a fresh copy of the constant-like definition.
  const remats: Inst[] = [];
  const aPreds = reuse ? (preds.get(a.id) ?? []) : [a.id];
  const fresh: Phi[] = [];
  const values: Value[] = diffs.map((d) => {
    const own = !isImm(d.a) && !d.remat ? phiOfA.get(d.a.id) : undefined;
    if (own && extend.has(own)) return own.dst;
    const v = newValue(f, d.ty);
    if (d.remat) {
      remats.push({ ...d.remat, dst: v } as Inst);
    } else {
      fresh.push({ dst: v, incoming: [...aPreds.map((p) => ({ block: p, value: d.a })), { block: b.id, value: d.b }] });
    }
    return v;
  });
  // Substitute at the recorded sites.
  const bySite = new Map<Inst | Terminator, Map<number, number>>();
  for (const s of plan.sites) {
    if (!bySite.has(s.at)) bySite.set(s.at, new Map());
    bySite.get(s.at)!.set(s.n, s.diff);
  }
  for (const [at, m] of bySite) {
    let n = 0;
    const fn = (o: Operand): Operand => {
      const k = m.get(n++);
      return k === undefined ? o : values[k]!;
    };
    if (at.op === "br" || at.op === "cbr" || at.op === "ret") mapTermOperands(at as Terminator, fn);
    else mapInstOperands(at as Inst, fn);
  }
  // Blocks reached after the shared code no longer come from B's side; from A's side they now come
  // from the target block (when it is new).
  const regionB = new Set(region.map(([, y]) => y.id));
  const fromB = new Set([b.id, ...regionB]);
  const afterA = new Set(successors(a.term));
  for (const blk of f.blocks) {
    for (const phi of blk.phis) {
      if (extend.has(phi)) continue;
      phi.incoming = phi.incoming.filter((p) => !fromB.has(p.block));
      if (!reuse && afterA.has(blk.id)) for (const p of phi.incoming) if (p.block === a.id) p.block = target.id;
    }
  }
  for (const [p, v] of extend) p.incoming.push({ block: b.id, value: v });
  target.phis.push(...fresh);
  if (reuse) {
    a.insts = [...remats, ...suffix];
  } else {
    target.insts = [...remats, ...suffix];
    a.insts = restA;
    a.term = { op: "br", target: target.id };
    f.blocks.splice(f.blocks.indexOf(a) + 1, 0, target);
  }
  b.insts = restB;
  b.term = { op: "br", target: target.id };
  f.blocks = f.blocks.filter((x) => !regionB.has(x.id));
}

/** Block ids where each value is used (a phi incoming counts as a use at the end of its block). */
function useBlocks(f: Func): Map<number, Set<number>> {
  const m = new Map<number, Set<number>>();
  const note = (o: Operand, b: number): void => {
    if (isImm(o)) return;
    if (!m.has(o.id)) m.set(o.id, new Set());
    m.get(o.id)!.add(b);
  };
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) note(inc.value, inc.block);
    for (const i of b.insts) for (const o of instUses(i)) note(o, b.id);
    for (const o of termUses(b.term)) note(o, b.id);
  }
  return m;
}

/** Targets of back edges (found by an iterative depth-first walk from the entry). */
function loopHeaders(f: Func, entry: number | undefined): Set<number> {
  const out = new Set<number>();
  if (entry === undefined) return out;
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const state = new Map<number, 1 | 2>(); // 1 on the stack, 2 done
  const stack: [number, number[]][] = [[entry, successors(byId.get(entry)!.term)]];
  state.set(entry, 1);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const next = top[1].shift();
    if (next === undefined) {
      state.set(top[0], 2);
      stack.pop();
      continue;
    }
    const s = state.get(next);
    if (s === 1) out.add(next);
    else if (s === undefined && byId.has(next)) {
      state.set(next, 1);
      stack.push([next, successors(byId.get(next)!.term)]);
    }
  }
  return out;
}
