// Pass: merge-returns — one block per returned constant.
//
// Early returns like `if (eth === null) return XdpAction.PASS;` each make a block holding only
// `ret 2`; every copy costs two instructions (mov, exit). Branches to such blocks are redirected to
// the first block returning the same constant, as clang's tail merging does.
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
  if (redirect.size === 0) return false;
  let changed = false;
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
