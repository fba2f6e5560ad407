// Pass: cse — common subexpression elimination over the dominator tree.
//
// A pure instruction whose operation and operands equal one in a dominating block (or earlier in
// the same block) is replaced by that one's value. Pure here means: const, bin, neg, zext, sext,
// trunc, bswap, ptradd, stackaddr, mapaddr, context field loads and `ctxptr` (the packet pointers),
// these two only when nothing on a path between the two reads may change the bytes they read: a
// store to the field, a helper given the context, a packet-moving helper (ctx-clobbers.ts).
// Loads from other memory are never merged: a store or helper may change it. `globaladdr` and
// `funcaddr` are link-time constants and merge too. Never merged: helper calls, bpf-to-bpf calls
// (`callfn`: the callee may store, call helpers or use atomics, so two calls with equal arguments
// may return different values), atomics, stores.
//
// Sharing the one `data` pointer is also what the verifier wants: a bounds check proves a range on
// the register it compared and on every copy of it, so later accesses through the same value are
// known safe without re-checking.
//
// The other way round, an instruction computed after a branch that tested one of its operands is not
// merged into a copy computed before that branch: the verifier narrowed the operand's register, and
// so the new result, but not the old result's register, and range-fold may already have dropped a
// bounds check on the strength of the narrowed range (`x === 0 ? ... : arr[x & 7]` sharing an
// earlier `trunc x` was an unbounded stack read).
//
// Needs: valid SSA. Produces: valid SSA, fewer instructions. Invalidates: nothing structural.

import { computeDominators } from "../ir/dominators.js";
import {
  ctxParam,
  instDst,
  instUses,
  isImm,
  mapAllOperands,
  predecessors,
  type Func,
  type Inst,
  type Operand,
  type Value,
} from "../ir/ir.js";
import { CtxClobbers, ctxReadOf } from "./ctx-clobbers.js";

export function cse(f: Func): boolean {
  const dom = computeDominators(f);
  const ctx = ctxParam(f);
  const clobbers = CtxClobbers.of(f);
  const blocks = new Map(f.blocks.map((b) => [b.id, b]));
  const replaced = new Map<number, Value>();
  // The values available at this point of the dominator-tree walk: for each key, one entry per
  // enclosing scope that defined it, innermost last (a scoped hash table: lookups do not walk the
  // scopes, which made long chains of blocks quadratic).
  const avail = new Map<string, { v: Value; depth: number; inst: Inst }[]>();
  const preds = predecessors(f);
  /** Values a branch on the current dominator path narrowed, and the depth below which it did. */
  const narrowed = new Map<number, number>();
  const id = (o: Value): number => (replaced.get(o.id) ?? o).id;

  /** One block's instructions, at dominator-tree depth `depth`; returns the keys it defined. */
  const enter = (bid: number, depth: number): Set<string> => {
    const defined = new Set<string>();
    const b = blocks.get(bid)!;
    b.insts = b.insts.filter((i) => {
      const k = key(i, ctx);
      const d = instDst(i);
      if (!k || !d) return true;
      const stack = avail.get(k);
      // The deepest branch that narrowed an operand: only copies made below it can stand in.
      let after = -1;
      for (const o of instUses(i)) if (!isImm(o)) after = Math.max(after, narrowed.get(id(o)) ?? -1);
      const read = clobbers && ctxReadOf(i, f);
      if (stack) {
        for (let s = stack.length - 1; s >= 0; s--) {
          if (read && clobbers.between(read, stack[s]!.inst, i)) break;
          if (stack[s]!.v.ty === d.ty && stack[s]!.depth >= after) {
            replaced.set(d.id, stack[s]!.v);
            return false;
          }
        }
      }
      if (defined.has(k))
        stack![stack!.length - 1] = { v: d, depth, inst: i }; // this scope's entry for k is replaced
      else {
        defined.add(k);
        if (stack) stack.push({ v: d, depth, inst: i });
        else avail.set(k, [{ v: d, depth, inst: i }]);
      }
      return true;
    });
    return defined;
  };
  // The dominator-tree walk with an explicit stack (a chain of thousands of ifs is as deep): each
  // block is entered, its children walked with the operands its branch tested narrowed, then left.
  type Frame = { bid: number; depth: number; defined?: Set<string>; tested?: [number, number | undefined][] };
  const walk = (): void => {
    const work: Frame[] = [{ bid: f.blocks[0]!.id, depth: 0 }];
    while (work.length > 0) {
      const fr = work.pop()!;
      if (fr.defined) {
        // Leaving: undo the narrowing the parent's branch gave, and this block's definitions.
        for (const [v, before] of (fr.tested ?? []).reverse()) {
          if (before === undefined) narrowed.delete(v);
          else narrowed.set(v, before);
        }
        for (const k of fr.defined) avail.get(k)!.pop();
        continue;
      }
      // Entering: the branch into this block narrowed its operands (remember what they were).
      fr.tested = (fr.tested ?? []).map(([v]) => [v, narrowed.get(v)]);
      for (const [v] of fr.tested) narrowed.set(v, fr.depth);
      fr.defined = enter(fr.bid, fr.depth);
      work.push(fr);
      const t = blocks.get(fr.bid)!.term;
      const children = dom.children.get(fr.bid) ?? [];
      for (let ci = children.length - 1; ci >= 0; ci--) {
        const c = children[ci]!;
        // A child entered only through this block's conditional branch sees its operands narrowed.
        const tested: [number, number | undefined][] = [];
        if (t.op === "cbr" && t.then !== t.else && (preds.get(c) ?? []).length === 1)
          for (const o of [t.a, t.b]) if (!isImm(o)) tested.push([id(o), undefined]);
        work.push({ bid: c, depth: fr.depth + 1, tested });
      }
    }
  };
  // Keys use operand ids after replacement, so rewrite uses as we go: a replaced value's users are
  // visited later in dominator order and see the substitution through `op()`.
  const op = (o: Operand): string => (isImm(o) ? `#${o.imm}` : `%${(replaced.get(o.id) ?? o).id}`);
  function key(i: Inst, ctxValue: Value | undefined): string | undefined {
    switch (i.op) {
      case "const":
        return `const ${i.dst.ty} ${i.value}`;
      case "bin":
        return `bin ${i.kind} ${i.dst.ty} ${op(i.a)} ${op(i.b)}`;
      case "neg":
      case "zext":
        return `${i.op} ${i.dst.ty} ${op(i.a)}`;
      case "sext":
        return `sext ${i.from} ${i.dst.ty} ${op(i.a)}`;
      case "trunc":
        return `trunc ${i.to} ${i.dst.ty} ${op(i.a)}`;
      case "bswap":
        return `bswap ${i.bits} ${i.dst.ty} ${op(i.a)}`;
      case "ptradd":
        return `ptradd ${op(i.base)} ${op(i.offset)}`;
      case "stackaddr":
        return `stackaddr ${i.slot}`;
      case "mapaddr":
        return `mapaddr ${i.map}`;
      case "globaladdr":
        return `globaladdr ${i.section} ${JSON.stringify(i.symbol)}`;
      case "funcaddr":
        return `funcaddr ${JSON.stringify(i.func)}`;
      // Not pure: results may differ between calls, and each one has effects.
      case "call":
      case "callfn":
      case "atomic":
      case "atomic_add":
      case "store":
        return undefined;
      case "ctxptr":
        // Only through the context, whose changes ctx-clobbers.ts knows.
        return ctxValue && i.ctx.id === ctxValue.id ? `ctxptr ${i.offset}` : undefined;
      case "load":
        return ctxValue && i.base.id === ctxValue.id ? `ctxload ${i.offset} ${i.width} ${i.dst.ty}` : undefined;
      default:
        return undefined;
    }
  }
  walk();
  if (replaced.size === 0) return false;
  mapAllOperands(f, (o) => (isImm(o) ? o : (replaced.get(o.id) ?? o)));
  return true;
}
