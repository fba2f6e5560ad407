// Layout step: loop rotation — the back edge of a loop whose header is only its exit test takes
// a copy of that test instead of jumping to it.
//
// `for (i = 0; i < 64; i++) body` is laid out as `head: if i >= 64 goto out; body; i++; ja head`:
// two jumps per iteration, and the verifier walks both at every iteration. With the test copied to
// the end of the body (`i++; if i < 64 goto body`), one conditional jump per iteration remains; the
// header's test still runs once on entry. The copy is exact (same registers, after allocation), so
// the transformation is safe for any block that consists of one conditional jump; it is only done
// for retreating edges (the header comes first in reverse postorder), where the latch could not fall
// through into the header anyway, so the copy replaces a `ja` and never adds a slot.
//
// Needs: an MFunc in physical registers, empty blocks already threaded. Produces: the same MFunc
// with latches ending in the copied conditional jump (fall = the header's fall-through).

import { isExit } from "./emit-helpers.js";
import { type MBlock, type MFunc, mblockSuccessors } from "./mir.js";

export function rotateLoops(mf: MFunc, byId: Map<number, MBlock>): boolean {
  const index = reversePostorder(mf, byId);
  let changed = false;
  for (const latch of mf.blocks) {
    if (latch.fall === undefined || !index.has(latch.id)) continue;
    const last = latch.insns[latch.insns.length - 1];
    if (last?.target !== undefined || (last && isExit(last.insn))) continue;
    const head = byId.get(latch.fall);
    if (!head || head === latch || head.fall === undefined || head.insns.length !== 1) continue;
    const test = head.insns[0]!;
    if (test.target === undefined) continue;
    if (index.get(head.id)! > index.get(latch.id)!) continue; // a forward edge: it may fall through
    latch.insns.push({ ...test, insn: { ...test.insn }, defs: [...test.defs], uses: [...test.uses] });
    latch.fall = head.fall;
    latch.walkFirst = head.walkFirst;
    latch.termLoc = head.termLoc ?? test.loc;
    changed = true;
  }
  return changed;
}

/** Reverse-postorder index of every block reachable from the entry. */
function reversePostorder(mf: MFunc, byId: Map<number, MBlock>): Map<number, number> {
  const post: number[] = [];
  const seen = new Set<number>([mf.blocks[0]!.id]);
  const stack: { id: number; next: number }[] = [{ id: mf.blocks[0]!.id, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const ss = mblockSuccessors(byId.get(top.id)!);
    if (top.next < ss.length) {
      const s = ss[top.next++]!;
      if (!seen.has(s)) {
        seen.add(s);
        stack.push({ id: s, next: 0 });
      }
      continue;
    }
    post.push(top.id);
    stack.pop();
  }
  return new Map(post.reverse().map((id, k) => [id, k] as const));
}
