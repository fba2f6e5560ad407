// Pass: step-floor — a loop-carried offset that one path moves by a constant and another by a value
// from data gets that value through an `and` with all ones, so the verifier forgets its floor.
//
// `if (o.kind === 1) { off++; continue; } if (o.len < 2) break; off += o.len;` (TCP options, TLVs
// with a one-byte pad): after the compare the verifier knows the length is at least 2, so after a
// trips with the constant step and m with the length, `off` is in [54 + a + 2m, 54 + a + 255m].
// Every split of a trip count gives a range that neither holds nor is held by the others, so the
// states of a trip never prune each other, and since the verifier keeps few states while a loop
// is in progress it walks them again and again: 20 trips of that loop processed 422,969
// instructions and 24 were refused (clang's code for the C twin: 310,536 and refused at 40). An
// `and` sets a value's floor to its known bits (scalar_min_max_and: umin = var_off.value), 0 for a
// length, while the value and its ceiling stay: `off` is then in [54 + a, 54 + a + 255m], the
// ranges of a trip nest, and they prune. The mask costs one instruction per variable step.
//
// Only where it pays: the offset is a phi of a loop header that reaches a ptradd's offset (so the
// verifier needs it exactly), each value it gets around the loop is itself or itself plus a constant
// or plus a value (through phis of the loop), at least one is plus a value, and they are not all
// the same step. A loop whose every trip adds a value (a TLV walk) holds one range per trip already.
//
// Needs: valid SSA, run after the last const-fold and bit-fold (which would drop the mask as an
// identity). Produces: valid SSA. Invalidates: nothing structural.

import { computeDominators, naturalLoops } from "../ir/dominators.js";
import {
  blockById,
  definitions,
  imm,
  isImm,
  isValue,
  newValue,
  type Func,
  type Inst,
  type Operand,
  type Phi,
  type Value,
} from "../ir/ir.js";

export function stepFloor(f: Func): boolean {
  const dom = computeDominators(f);
  const defs = definitions(f);
  const offsets = offsetSources(defs, f);
  let changed = false;
  for (const loop of naturalLoops(f, dom)) {
    const header = blockById(f, loop.header);
    for (const phi of header.phis) {
      if (phi.dst.ty === "ptr" || !offsets.has(phi.dst.id)) continue;
      const steps = carriedSteps(f, phi, loop.body, defs);
      if (!steps) continue;
      const variable = steps.filter((s) => s.inst !== undefined);
      const kinds = new Set(steps.map((s) => (s.inst ? `v${(s.inst[s.side!] as Value).id}` : `c${s.constant}`)));
      if (variable.length === 0 || kinds.size < 2) continue;
      for (const s of variable) changed = mask(f, s.inst!, s.side!) || changed;
    }
  }
  return changed;
}

interface Step {
  /** `add phi, value` or `add value, phi`; undefined for a constant step. */
  inst?: Extract<Inst, { op: "bin" }>;
  /** The value's operand of `inst`. */
  side?: "a" | "b";
  constant?: bigint;
}

/**
 * What the back edges of `phi`'s loop carry into it, as steps from `phi` itself: through phis of
 * the loop's blocks, down to `phi` (step 0), `add phi, c` or `add phi, v`. Undefined if any is
 * something else.
 */
function carriedSteps(f: Func, phi: Phi, body: ReadonlySet<number>, defs: Map<number, Inst>): Step[] | undefined {
  const steps: Step[] = [];
  const seen = new Set<number>();
  const work: Operand[] = phi.incoming.filter((i) => body.has(i.block)).map((i) => i.value);
  const phis = new Map<number, Phi>();
  for (const id of body) for (const p of blockById(f, id).phis) phis.set(p.dst.id, p);
  while (work.length > 0) {
    const v = work.pop()!;
    if (!isValue(v)) return undefined;
    if (seen.has(v.id)) continue;
    seen.add(v.id);
    if (v.id === phi.dst.id) {
      steps.push({ constant: 0n });
      continue;
    }
    const p = phis.get(v.id);
    if (p) {
      for (const i of p.incoming) work.push(i.value);
      continue;
    }
    const d = defs.get(v.id);
    if (d?.op !== "bin" || d.kind !== "add") return undefined;
    const side = isValue(d.a) && d.a.id === phi.dst.id ? "b" : isValue(d.b) && d.b.id === phi.dst.id ? "a" : undefined;
    if (!side) return undefined;
    const step = d[side];
    steps.push(isImm(step) ? { constant: step.imm } : { inst: d, side });
  }
  return steps;
}

/** The values that reach the offset of a ptradd through copies, width changes and additions. */
function offsetSources(defs: Map<number, Inst>, f: Func): Set<number> {
  const out = new Set<number>();
  const work: number[] = [];
  for (const b of f.blocks) for (const i of b.insts) if (i.op === "ptradd" && isValue(i.offset)) work.push(i.offset.id);
  while (work.length > 0) {
    const id = work.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    const d = defs.get(id);
    if (!d) continue;
    if ((d.op === "copy" || d.op === "zext") && isValue(d.a)) work.push(d.a.id);
    else if (d.op === "bin" && d.kind === "add") for (const o of [d.a, d.b]) if (isValue(o)) work.push(o.id);
  }
  return out;
}

/** Puts `m = v & -1` before `add` and adds `m` in place of `v`; false if `v` is already such a mask. */
function mask(f: Func, add: Extract<Inst, { op: "bin" }>, side: "a" | "b"): boolean {
  const b = add[side] as Value;
  for (const blk of f.blocks) {
    const at = blk.insts.indexOf(add);
    if (at < 0) continue;
    const prev = blk.insts[at - 1];
    if (prev?.op === "bin" && prev.kind === "and" && prev.dst.id === b.id && isImm(prev.b) && prev.b.imm === -1n) return false;
    const m = newValue(f, b.ty);
    const inst: Inst = { op: "bin", kind: "and", dst: m, a: b, b: imm(-1) };
    blk.insts.splice(at, 0, inst);
    const loc = f.locs?.get(add);
    if (loc) f.locs!.set(inst, loc);
    add[side] = m;
    return true;
  }
  return false;
}
