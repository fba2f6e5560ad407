// Pass: loop-sr — strength reduction of `base + i` in bounded loops: a pointer induction variable.
//
// `ctx.header<u8>(42 + i)` in `for (i = 0; i < 64; i++)` computes `data + i` at every iteration (a
// register copy and an add), then `+ 43` for the bounds check (another copy and add). The verifier
// walks the body once per iteration, so each of those costs 64 processed instructions. Here the
// pointer becomes a phi of its own that starts at `base + c0` and grows by the counter's step, and
// it is rebased on the offset compared against `data_end`, so the check uses the phi directly and
// the load reads at a small negative offset from it:
//
//   p = phi [pre: base + c0 + K], [latch: p + s]     (K: the offset of the pointer that is compared)
//   if p > data_end goto out;  x = *(u8 *)(p - 1);  ...;  p += s
//
// The verifier tracks such a pointer with a constant offset that grows by s per iteration, and a
// check of it against data_end gives the range that the load at `p - 1` needs (same pointer id).
//
// Safe only while `base + i` is exactly the pointer, that is while the counter does not wrap: the
// counter must start at a constant c0 >= 0 and step by a constant s > 0 in the one latch, and the
// header's exit test `i < C` (or `i <= C`) must guard the step, with C - 1 + s (C + s) in range.
// The base must be defined outside the loop; loops with calls are left alone (a pointer live across
// a call costs a callee-saved register).
//
// Needs: valid SSA. Produces: valid SSA (the replaced ptradds are removed; later addr-fold folds the
// constant ptradds of the phi into the loads, dce drops what is left). Invalidates: nothing
// structural (no block is added).

import { computeDominators } from "../ir/dominators.js";
import {
  instDst,
  instUses,
  isImm,
  isValue,
  newValue,
  replaceUses,
  type Block,
  type Func,
  type Inst,
  type Operand,
  type Phi,
  type Value,
} from "../ir/ir.js";

const S16_MIN = -32768;
const S16_MAX = 32767;

export function loopSr(f: Func): boolean {
  const dom = computeDominators(f);
  const blocks = new Map(f.blocks.map((b) => [b.id, b] as const));
  const defBlock = new Map<number, number>();
  const defInst = new Map<number, Inst>();
  for (const b of f.blocks) {
    for (const p of b.phis) defBlock.set(p.dst.id, b.id);
    for (const i of b.insts) {
      const d = instDst(i);
      if (d) {
        defBlock.set(d.id, b.id);
        defInst.set(d.id, i);
      }
    }
  }
  let changed = false;

  for (const b of f.blocks) {
    if (!dom.isReachable(b.id)) continue;
    const header = blocks.get(b.id)!;
    const preds = dom.preds.get(header.id) ?? [];
    const latches = preds.filter((p) => dom.dominates(header.id, p));
    const outside = preds.filter((p) => !dom.dominates(header.id, p));
    if (latches.length !== 1 || outside.length !== 1) continue;
    const latch = latches[0]!;
    const pre = blocks.get(outside[0]!)!;
    if (pre.term.op !== "br") continue;
    const body = loopBody(header.id, latch, dom.preds);
    const bodyBlocks = [...body].map((id) => blocks.get(id)!);
    if (bodyBlocks.some((x) => x.insts.some((i) => i.op === "call" || i.op === "callfn"))) continue;

    // The exit test: `cbr ult/ule %i, C -> inside, outside` on a header phi.
    const t = header.term;
    if (t.op !== "cbr" || !isImm(t.b) || (t.cond !== "ult" && t.cond !== "ule")) continue;
    if (!body.has(t.then) || body.has(t.else)) continue;
    const phi = header.phis.find((p) => p.dst.id === (t.a as Value).id);
    if (!phi || phi.dst.ty === "ptr") continue;
    const iv = basicIv(phi, pre.id, latch, defInst);
    if (!iv) continue;
    const bits = phi.dst.ty === "i32" || t.width === 32 ? 32n : 64n;
    const maxAtStep = t.cond === "ult" ? t.b.imm - 1n : t.b.imm;
    if (maxAtStep < 0n || maxAtStep + iv.step >= 1n << bits) continue;
    // The step runs only after a passed exit test.
    if (!dom.dominates(t.then, defBlock.get(iv.next.id)!)) continue;

    // Candidates: `ptradd base, %i * c` (c = 1, or a constant multiplier or shift; through a `zext`)
    // in the loop, base defined outside it, and i * c never wrapping while the loop runs.
    const limit = (1n << bits) - 1n;
    const scaleOf = (o: Operand): bigint | undefined => {
      if (!isValue(o)) return undefined;
      if (o.id === phi.dst.id) return 1n;
      const z = defInst.get(o.id);
      if (z?.op === "zext" && isValue(z.a)) return scaleOf(z.a);
      if (z?.op !== "bin" || z.dst.ty !== phi.dst.ty) return undefined;
      const self = (x: Operand) => isValue(x) && x.id === phi.dst.id;
      let c: bigint | undefined;
      if (z.kind === "mul") c = self(z.a) && isImm(z.b) ? z.b.imm : self(z.b) && isImm(z.a) ? z.a.imm : undefined;
      else if (z.kind === "shl" && self(z.a) && isImm(z.b) && z.b.imm >= 0n && z.b.imm < 16n) c = 1n << z.b.imm;
      if (c === undefined || c <= 0n || c > 0x7fffn || (maxAtStep + iv.step) * c > limit || iv.step * c > 0x7fffn) return undefined;
      return c;
    };
    const byBase = new Map<string, { base: Value; scale: bigint; adds: { block: Block; inst: Inst & { op: "ptradd" } }[] }>();
    for (const x of bodyBlocks) {
      for (const i of x.insts) {
        if (i.op !== "ptradd") continue;
        const scale = scaleOf(i.offset);
        if (scale === undefined) continue;
        const db = defBlock.get(i.base.id);
        if (db !== undefined && body.has(db)) continue;
        const key = `${i.base.id}*${scale}`;
        const g = byBase.get(key) ?? { base: i.base, scale, adds: [] };
        g.adds.push({ block: x, inst: i });
        byBase.set(key, g);
      }
    }
    for (const g of byBase.values()) {
      const p = newValue(f, "ptr");
      const loc = f.locs?.get(g.adds[0]!.inst);
      for (const { block, inst } of g.adds) {
        block.insts = block.insts.filter((i) => i !== inst);
        replaceUses(f, inst.dst.id, p);
      }
      const K = rebaseOffset(f, p, body, blocks);
      const init = iv.init * g.scale + K;
      let start: Value = g.base;
      if (init !== 0n) {
        start = newValue(f, "ptr");
        const add: Inst = { op: "ptradd", dst: start, base: g.base, offset: { imm: init } };
        pre.insts.push(add);
        if (loc) f.locs?.set(add, loc);
      }
      const next = newValue(f, "ptr");
      const inc: Inst = { op: "ptradd", dst: next, base: p, offset: { imm: iv.step * g.scale } };
      const stepBlock = blocks.get(defBlock.get(iv.next.id)!)!;
      const at = stepBlock.insts.indexOf(defInst.get(iv.next.id)!);
      stepBlock.insts.splice(at + 1, 0, inc);
      const stepLoc = f.locs?.get(defInst.get(iv.next.id)!);
      if (stepLoc) f.locs?.set(inc, stepLoc);
      const np: Phi = {
        dst: p,
        incoming: [
          { block: pre.id, value: start },
          { block: latch, value: next },
        ],
      };
      header.phis.push(np);
      changed = true;
    }
  }
  return changed;
}

/** The natural loop of the back edge latch -> header. */
function loopBody(header: number, latch: number, preds: ReadonlyMap<number, readonly number[]>): Set<number> {
  const body = new Set<number>([header]);
  const work = [latch];
  while (work.length > 0) {
    const x = work.pop()!;
    if (body.has(x)) continue;
    body.add(x);
    for (const p of preds.get(x) ?? []) work.push(p);
  }
  return body;
}

/** `%i = phi [pre: c0], [latch: %n]` with `%n = add %i, s`, c0 >= 0 and s > 0 constants. */
function basicIv(
  phi: Phi,
  pre: number,
  latch: number,
  defInst: Map<number, Inst>,
): { init: bigint; step: bigint; next: Value } | undefined {
  if (phi.incoming.length !== 2) return undefined;
  const a = phi.incoming.find((x) => x.block === pre)?.value;
  const n = phi.incoming.find((x) => x.block === latch)?.value;
  if (!a || !n || !isImm(a) || !isValue(n) || a.imm < 0n) return undefined;
  const d = defInst.get(n.id);
  if (d?.op !== "bin" || d.kind !== "add") return undefined;
  const self = (o: typeof d.a) => isValue(o) && o.id === phi.dst.id;
  const step = self(d.a) && isImm(d.b) ? d.b.imm : self(d.b) && isImm(d.a) ? d.a.imm : undefined;
  if (step === undefined || step <= 0n || step > 0x7fffn) return undefined;
  const bits = phi.dst.ty === "i32" ? 32n : 64n;
  if (a.imm >= 1n << bits) return undefined;
  return { init: a.imm, step, next: n };
}

/**
 * When the new pointer phi `p` (not yet defined; its uses are in place) is compared through exactly
 * one constant offset K (`q = p + K; cbr q, ...`), and every use of p and of pointers derived from it
 * by constants is in the loop, rewrites the derived pointers relative to p + K and returns K (the
 * caller starts p at K more). Otherwise changes nothing and returns 0.
 */
function rebaseOffset(f: Func, p: Value, body: Set<number>, blocks: Map<number, Block>): bigint {
  // Derived values: id -> offset from p, with their defining ptradd.
  const derived = new Map<number, { off: bigint; inst?: Inst & { op: "ptradd" } }>([[p.id, { off: 0n }]]);
  let compared: bigint | undefined;
  let ok = true;
  for (let grew = true; grew && ok; ) {
    grew = false;
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if (i.op === "ptradd" && derived.has(i.base.id) && !derived.has(i.dst.id)) {
          if (!isImm(i.offset)) continue; // a variable offset: a use we do not rewrite (checked below)
          derived.set(i.dst.id, { off: derived.get(i.base.id)!.off + i.offset.imm, inst: i });
          grew = true;
        }
      }
    }
  }
  for (const b of f.blocks) {
    const inLoop = body.has(b.id);
    const uses = (v: { id: number } | undefined) => v !== undefined && derived.has(v.id);
    for (const phi of b.phis) for (const inc of phi.incoming) if (isValue(inc.value) && derived.has(inc.value.id)) ok = false;
    for (const i of b.insts) {
      if (i.op === "ptradd" && uses(i.base)) {
        if (!inLoop || !isImm(i.offset)) ok = false;
        continue;
      }
      if ((i.op === "load" || i.op === "store" || i.op === "atomic" || i.op === "atomic_add") && uses(i.base)) {
        if (!inLoop) ok = false;
        if (i.op === "store" && isValue(i.value) && derived.has(i.value.id)) ok = false;
        if (
          i.op === "atomic" &&
          ((isValue(i.value) && derived.has(i.value.id)) || (i.expected && isValue(i.expected) && derived.has(i.expected.id)))
        )
          ok = false;
        continue;
      }
      for (const o of instUses(i)) if (isValue(o) && derived.has(o.id)) ok = false;
    }
    const t = b.term;
    if (t.op === "cbr") {
      for (const o of [t.a, t.b]) {
        if (!isValue(o) || !derived.has(o.id)) continue;
        if (!inLoop) ok = false;
        const off = derived.get(o.id)!.off;
        if (compared === undefined) compared = off;
        else if (compared !== off) ok = false;
      }
    } else if (t.op === "ret" && isValue(t.value) && derived.has(t.value.id)) ok = false;
  }
  if (!ok || compared === undefined || compared === 0n) return 0n;
  const K = compared;
  // Loads and stores must still reach their bytes with a 16-bit offset from p + K (after addr-fold).
  for (const [id, d] of derived) {
    if (id === p.id) continue;
    if (d.off - K < BigInt(S16_MIN) || d.off - K > BigInt(S16_MAX)) return 0n;
  }
  const direct: (Inst & { offset: number })[] = [];
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if ((i.op === "load" || i.op === "store" || i.op === "atomic" || i.op === "atomic_add") && i.base.id === p.id) {
        if (BigInt(i.offset) - K < BigInt(S16_MIN) || BigInt(i.offset) - K > BigInt(S16_MAX)) return 0n;
        direct.push(i);
      }
    }
  }
  for (const i of direct) i.offset = Number(BigInt(i.offset) - K);
  for (const [id, d] of derived) {
    if (!d.inst) continue;
    if (d.off === K) {
      for (const b of blocks.values()) b.insts = b.insts.filter((i) => i !== d.inst);
      replaceUses(f, id, p);
    } else {
      d.inst.base = p;
      d.inst.offset = { imm: d.off - K };
    }
  }
  return K;
}
