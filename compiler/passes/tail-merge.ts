// Pass: tail-merge — one copy of identical blocks.
//
// Inlined helpers leave the same code in several places: `count(rule.value); return DROP` after two
// different lookups is the same lookup-and-increment twice, differing only in which map value
// pointer it reads. Two phi-free, non-entry blocks A and B merge when their instructions match one
// for one (same operation and attributes; operands equal, or values defined earlier in the block at
// the same position, or — the only difference allowed — different values or immediates coming in
// from outside), their terminators match (same targets, operands as above), no value they define is
// used outside them, and the phis of their successors take corresponding values from both. B's
// predecessors then jump to A; each differing operand becomes a phi of A (A's operand from A's
// predecessors, B's from B's), which the register allocator usually coalesces away since both
// values die there. Merges with new phis need A and B to have no predecessor in common, and are
// only done when the block is worth more than the copies the phis might cost (instructions > 2 x
// phis, at most 3 phis). Repeated to a fixed point, latest blocks first, so merged successors make
// their predecessors identical in turn.
//
// Phis left taking one value from every predecessor are replaced by that value.
//
// Needs: valid SSA. Produces: valid SSA (new phis in merged blocks; B removed). Invalidates: CFG,
// dominators, predecessor lists.

import {
  type Block,
  type Func,
  type Inst,
  type Operand,
  type Phi,
  type Terminator,
  type Value,
  instDst,
  instUses,
  isImm,
  mapInstOperands,
  mapTermOperands,
  newValue,
  predecessors,
  replaceUses,
  successors,
  termUses,
} from "../ir/ir.js";

const MAX_PHIS = 3;

export function tailMerge(f: Func): boolean {
  let changed = false;
  while (mergeOne(f)) changed = true;
  if (changed) dropTrivialPhis(f);
  return changed;
}

/** Phis that take one value from every predecessor (a merged block's successor may be left with
 *  a single predecessor) are that value. */
function dropTrivialPhis(f: Func): void {
  for (let again = true; again; ) {
    again = false;
    for (const b of f.blocks) {
      for (const phi of b.phis) {
        const v = phi.incoming[0]?.value;
        if (!v || isImm(v) || v.id === phi.dst.id || !phi.incoming.every((i) => !isImm(i.value) && i.value.id === v.id)) continue;
        b.phis = b.phis.filter((x) => x !== phi);
        replaceUses(f, phi.dst.id, v);
        again = true;
        break;
      }
    }
  }
}

function mergeOne(f: Func): boolean {
  const entry = f.blocks[0]?.id;
  const preds = predecessors(f);
  const usedIn = useBlocks(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const groups = new Map<string, Block[]>();
  for (const b of f.blocks) {
    if (b.id === entry || b.phis.length > 0 || (b.insts.length === 0 && b.term.op !== "cbr")) continue;
    if (successors(b.term).includes(b.id)) continue;
    const k = signature(b);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(b);
  }
  for (const group of [...groups.values()].reverse()) {
    for (let j = group.length - 1; j > 0; j--) {
      for (let i = j - 1; i >= 0; i--) {
        const a = group[i]!;
        const b = group[j]!;
        const m = match(a, b, usedIn, byId);
        if (!m) continue;
        const pa = preds.get(a.id) ?? [];
        const pb = preds.get(b.id) ?? [];
        if (successors(a.term).includes(b.id) || successors(b.term).includes(a.id)) continue;
        const saved = a.insts.length + (a.term.op === "br" ? 0 : 1);
        if (m.diffs.length > 0) {
          if (m.diffs.length > MAX_PHIS || saved <= 2 * m.diffs.length) continue;
          if (pa.some((p) => pb.includes(p))) continue;
        } else if (saved < 1) continue;
        apply(f, a, b, m.diffs, pa, pb, byId);
        return true;
      }
    }
  }
  return false;
}

/** Operation shapes of a block, without operands: blocks that can match share it. */
function signature(b: Block): string {
  return [...b.insts.map(shape), termShape(b.term)].join("; ");
}

const json = (x: unknown): string => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? `${v}n` : v));

const OPERAND_KEYS = ["dst", "a", "b", "base", "value", "expected", "args", "ctx"] as const;

function shape(i: Inst): string {
  const rest: Record<string, unknown> = { ...i };
  for (const k of OPERAND_KEYS) delete rest[k];
  if (i.op === "const") rest.value = i.value; // the constant itself is an attribute, not an operand
  if (i.op === "ptradd") delete rest.offset; // an operand there (a number for load/store)
  const d = instDst(i);
  return json(rest) + (d ? `:${d.ty}` : "") + `/${instUses(i).length}`;
}

function termShape(t: Terminator): string {
  switch (t.op) {
    case "br":
      return `br ${t.target}`;
    case "cbr":
      return `cbr ${t.cond}${t.width} ${t.then} ${t.else}`;
    case "ret":
      return "ret";
  }
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

interface Diff {
  a: Operand;
  b: Operand;
  ty: Value["ty"];
}

interface Match {
  /** Operand pairs that differ, in first-occurrence order (each becomes one phi). */
  diffs: Diff[];
}

function match(a: Block, b: Block, usedIn: Map<number, Set<number>>, byId: Map<number, Block>): Match | undefined {
  if (a.insts.length !== b.insts.length) return undefined;
  const local = new Map<number, number>(); // value defined in a -> its counterpart in b
  const localB = new Set<number>();
  const diffs: Diff[] = [];
  const same = (x: Operand, y: Operand): boolean => {
    if (isImm(x) || isImm(y)) return isImm(x) && isImm(y) && x.imm === y.imm;
    if (local.has(x.id) || localB.has(y.id)) return local.get(x.id) === y.id;
    return x.id === y.id;
  };
  /** Operands at one position: equal, or a difference a phi can carry. */
  const pair = (x: Operand, y: Operand): boolean => {
    if (same(x, y)) return true;
    if ((!isImm(x) && local.has(x.id)) || (!isImm(y) && localB.has(y.id))) return false;
    const ty = !isImm(x) ? x.ty : !isImm(y) ? y.ty : undefined;
    if (ty === undefined) return false; // two different immediates: the slot's type is unknown here
    if (!isImm(x) && !isImm(y) && x.ty !== y.ty) return false;
    if (!diffs.some((d) => same(d.a, x) && same(d.b, y))) diffs.push({ a: x, b: y, ty });
    return true;
  };
  for (let k = 0; k < a.insts.length; k++) {
    const x = a.insts[k]!;
    const y = b.insts[k]!;
    if (shape(x) !== shape(y)) return undefined;
    const ux = instUses(x);
    const uy = instUses(y);
    for (let n = 0; n < ux.length; n++) if (!pair(ux[n]!, uy[n]!)) return undefined;
    const dx = instDst(x);
    const dy = instDst(y);
    if (dx && dy) {
      if (!onlyIn(usedIn, dx.id, a.id) || !onlyIn(usedIn, dy.id, b.id)) return undefined;
      local.set(dx.id, dy.id);
      localB.add(dy.id);
    }
  }
  if (termShape(a.term) !== termShape(b.term)) return undefined;
  const tx = termUses(a.term);
  const ty = termUses(b.term);
  for (let n = 0; n < tx.length; n++) if (!pair(tx[n]!, ty[n]!)) return undefined;
  // Successors' phis must take the same value from both (up to the correspondence).
  for (const s of successors(a.term)) {
    for (const phi of byId.get(s)?.phis ?? []) {
      const va = phi.incoming.find((i) => i.block === a.id)?.value;
      const vb = phi.incoming.find((i) => i.block === b.id)?.value;
      if (va === undefined || vb === undefined || !same(va, vb)) return undefined;
    }
  }
  return { diffs };
}

function onlyIn(usedIn: Map<number, Set<number>>, id: number, block: number): boolean {
  const s = usedIn.get(id);
  return !s || (s.size === 1 && s.has(block));
}

function apply(f: Func, a: Block, b: Block, diffs: Diff[], pa: number[], pb: number[], byId: Map<number, Block>): void {
  // New phis for the differing operands, substituted position by position in a.
  const phis: Phi[] = diffs.map((d) => ({
    dst: newValue(f, d.ty),
    incoming: [...pa.map((p) => ({ block: p, value: d.a })), ...pb.map((p) => ({ block: p, value: d.b }))],
  }));
  if (phis.length > 0) {
    const local = new Map<number, number>();
    const sameOp = (x: Operand, y: Operand): boolean =>
      isImm(x) || isImm(y) ? isImm(x) && isImm(y) && x.imm === y.imm : (local.get(x.id) ?? x.id) === y.id;
    const substitute = (x: Operand, y: Operand): Operand => {
      if (sameOp(x, y)) return x;
      const k = diffs.findIndex((d) => sameOp(d.a, x) && sameOp(d.b, y));
      return k >= 0 ? phis[k]!.dst : x;
    };
    for (let k = 0; k < a.insts.length; k++) {
      const x = a.insts[k]!;
      const uy = instUses(b.insts[k]!);
      let n = 0;
      mapInstOperands(x, (o) => substitute(o, uy[n++]!));
      const dx = instDst(x);
      const dy = instDst(b.insts[k]!);
      if (dx && dy) local.set(dx.id, dy.id);
    }
    const ty = termUses(b.term);
    let n = 0;
    mapTermOperands(a.term, (o) => substitute(o, ty[n++]!));
    a.phis.push(...phis);
  }
  // b's predecessors jump to a; successors forget b.
  for (const p of pb) {
    const t = byId.get(p)!.term;
    if (t.op === "br" && t.target === b.id) t.target = a.id;
    if (t.op === "cbr") {
      if (t.then === b.id) t.then = a.id;
      if (t.else === b.id) t.else = a.id;
    }
  }
  for (const s of successors(b.term)) {
    const sb = byId.get(s);
    if (sb) for (const phi of sb.phis) phi.incoming = phi.incoming.filter((i) => i.block !== b.id);
  }
  f.blocks = f.blocks.filter((x) => x !== b);
}
