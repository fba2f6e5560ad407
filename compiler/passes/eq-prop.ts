// Pass: eq-prop — a value compared equal to a constant is that constant where the test held.
//
// `if (icmp.type_code !== htons(0x0800)) return PASS` leaves the rest of the program knowing the
// word is 8; clang folds `csum_replace2(check, icmp->type_code, 0)` down to one add of ~8 because
// of it, and `ip.protocol << 8` after `ip.protocol === IPPROTO_ICMP` to a constant. For a
// `cbr eq`/`cbr ne` of a scalar value against an immediate (compared at the value's own width) whose
// equal-edge target T is entered only from that branch, every use of the value in blocks T
// dominates (and phi incomings coming from them) becomes a `const` of it placed at the start of T;
// const-fold then folds what it feeds and turns the constant into immediates where they fit.
//
// Needs: valid SSA. Produces: valid SSA (uses replaced only). Invalidates: nothing structural.

import { computeDominators } from "../ir/dominators.js";
import { type Func, isImm, mapInstOperands, mapTermOperands, newValue, type Operand, predecessors, type Ty, type Value } from "../ir/ir.js";

interface Fact {
  /** The block entered only where the test held (the const goes at its start). */
  block: number;
  ty: Ty;
  bits: bigint;
}

export function eqProp(f: Func): boolean {
  if (f.blocks.length === 0) return false;
  const preds = predecessors(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  /** For each equal-edge target: values known equal to a constant there. */
  const facts = new Map<number, Map<number, Fact>>();
  let used = false;
  for (const b of f.blocks) {
    const t = b.term;
    if (t.op !== "cbr" || (t.cond !== "eq" && t.cond !== "ne") || !isImm(t.b) || t.then === t.else) continue;
    if (t.a.ty === "ptr" || (t.a.ty === "i32") !== (t.width === 32)) continue;
    const target = t.cond === "eq" ? t.then : t.else;
    const p = preds.get(target) ?? [];
    if (p.length !== 1 || p[0] !== b.id || target === f.blocks[0]!.id) continue;
    // The immediate as the value's own bits (an i32 compared with -1 is 0xffffffff).
    const bits = t.a.ty === "i32" ? BigInt.asUintN(32, t.b.imm) : BigInt.asIntN(64, t.b.imm);
    if (!facts.has(target)) facts.set(target, new Map());
    facts.get(target)!.set(t.a.id, { block: target, ty: t.a.ty, bits });
  }
  if (facts.size === 0) return false;
  const dom = computeDominators(f);
  const incomingFrom = new Map<number, { value: Operand }[]>();
  for (const blk of f.blocks)
    for (const phi of blk.phis)
      for (const inc of phi.incoming) {
        if (!incomingFrom.has(inc.block)) incomingFrom.set(inc.block, []);
        incomingFrom.get(inc.block)!.push(inc);
      }
  // Each fact becomes a `const` at the start of its block, made when first needed.
  const made = new Map<Fact, Value>();
  const constFor = (fact: Fact): Value => {
    let v = made.get(fact);
    if (!v) {
      v = newValue(f, fact.ty);
      made.set(fact, v);
    }
    return v;
  };
  // Dominator tree walk with an explicit stack (deep trees in huge functions).
  const stack: [number, Map<number, Fact>][] = [[f.blocks[0]!.id, new Map()]];
  while (stack.length > 0) {
    const [bid, known] = stack.pop()!;
    const own = facts.get(bid);
    const here = own ? new Map([...known, ...own]) : known;
    const b = byId.get(bid)!;
    if (here.size > 0) {
      const sub = (o: Operand): Operand => {
        if (isImm(o)) return o;
        const k = here.get(o.id);
        if (!k) return o;
        used = true;
        return constFor(k);
      };
      for (const i of b.insts) mapInstOperands(i, sub);
      mapTermOperands(b.term, sub);
      // Phi incomings from this block carry the value along an edge where the fact holds.
      for (const inc of incomingFrom.get(bid) ?? []) inc.value = sub(inc.value);
    }
    for (const c of dom.children.get(bid) ?? []) stack.push([c, here]);
  }
  for (const [fact, v] of made) byId.get(fact.block)!.insts.unshift({ op: "const", dst: v, value: fact.bits });
  return used;
}
