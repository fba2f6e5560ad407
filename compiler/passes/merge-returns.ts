// Pass: merge-returns — one block per returned constant.
//
// Early returns like `if (eth === null) return XdpAction.PASS;` each make a block holding only
// `ret 2`; every copy costs two instructions (mov, exit). Branches to such blocks are redirected to
// the first block returning the same constant, as clang's tail merging does; a block that ends in
// returning one of those constants after other work jumps to that block instead.
//
// Needs: valid SSA. Produces: at most one phi-free, instruction-free `ret <imm>` block per constant.
// Invalidates: CFG (the duplicates become unreachable and are removed).

import { isImm, removeUnreachableBlocks, type Block, type Func } from "../ir/ir.js";

export function mergeReturns(f: Func): boolean {
  const canonical = new Map<bigint, number>();
  const redirect = new Map<number, number>();
  for (const b of f.blocks) {
    if (!isBareReturn(b) || b.id === f.blocks[0].id) continue;
    const v = (b.term as { value: { imm: bigint } }).value.imm;
    const c = canonical.get(v);
    if (c === undefined) canonical.set(v, b.id);
    else redirect.set(b.id, c);
  }
  let changed = false;
  // A block that does work and then returns a constant a bare block returns too ends in a jump
  // there: `mov r0, C; exit` becomes one `ja`, or nothing when layout puts the bare block next
  // (proc-threads: its last statement's `return 0` and the early returns share one exit).
  for (const b of f.blocks) {
    const t = b.term;
    if (t.op !== "ret" || !isImm(t.value) || isBareReturn(b)) continue;
    const c = canonical.get(t.value.imm);
    if (c === undefined || c === b.id) continue;
    const loc = f.locs?.get(t);
    b.term = { op: "br", target: c };
    if (loc) f.locs!.set(b.term, loc);
    changed = true;
  }
  if (redirect.size === 0) return changed;
  for (const b of f.blocks) {
    const t = b.term;
    const to = (id: number) => redirect.get(id) ?? id;
    if (t.op === "br" && redirect.has(t.target)) {
      t.target = to(t.target);
      changed = true;
    } else if (t.op === "cbr" && (redirect.has(t.then) || redirect.has(t.else))) {
      t.then = to(t.then);
      t.else = to(t.else);
      changed = true;
    }
  }
  if (changed) removeUnreachableBlocks(f);
  return changed;
}

function isBareReturn(b: Block): boolean {
  return b.phis.length === 0 && b.insts.length === 0 && b.term.op === "ret" && isImm(b.term.value);
}
