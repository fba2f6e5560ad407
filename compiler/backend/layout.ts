// Pass: block layout, branch resolution and the line table.
//
// Needs:       an MFunc in physical registers with final stack offsets (regalloc + frame).
// Produces:    the final Insn[]: blocks ordered entry first, each followed where possible by the
//              block it falls into once all of that block's forward predecessors are placed (joins
//              and shared returns come after the paths into them); jumps through empty blocks threaded to their final target;
//              conditional jumps inverted when that turns the taken branch into the fall-through;
//              a block's `walkFirst` successor placed next when it can be, else reached by a `ja`
//              right after the inverted jump (the verifier walks the fall-through first);
//              `ja` only where control does not fall through; unreachable blocks dropped (the
//              verifier rejects unreachable instructions). Jump offsets count 8-byte slots from the
//              next instruction (ld_imm64 takes two). Also the line table: an entry at each
//              instruction whose source location differs from the previous instruction's.
//              A loop exit that is only the fall-through of the back edge gets a `ja +0` when no
//              pruning point comes soon after it (exitCheckpoints below).
// Invalidates: the MFunc (it is consumed).

import type { Insn } from "../isa/insn.js";
import { insnSlots } from "../isa/insn.js";
import type { SourceLoc } from "../ir/ir.js";
import { CALL } from "../isa/opcodes.js";
import * as E from "./emit-helpers.js";
import type { MBlock, MFunc, MInst } from "./mir.js";
import { rotateLoops } from "./rotate-loops.js";

export interface LineEntry {
  /** Index into `insns` (not a slot number). */
  insn: number;
  line: number;
  col: number;
  /** Set for code from an imported local module. */
  file?: string;
}

export interface LaidOut {
  insns: Insn[];
  lines: LineEntry[];
}

interface Item {
  insn: Insn;
  loc?: SourceLoc;
  /** For jumps: the block whose first instruction is the target. */
  toBlock?: number;
  /** A `ja +0` placed on purpose (exitCheckpoints): not removed as useless. */
  keep?: boolean;
}

export function layout(mf: MFunc): LaidOut {
  const byId = new Map(mf.blocks.map((b) => [b.id, b]));
  threadJumps(mf, byId);
  rotateLoops(mf, byId);
  const order = chooseOrder(mf, byId);

  // Emit each block, deciding the branch shape from what follows it.
  const items: Item[] = [];
  const blockStart = new Map<number, number>(); // block id -> index into items
  for (const [k, b] of order.entries()) {
    const next = order[k + 1]?.id;
    blockStart.set(b.id, items.length);
    const last = b.insns[b.insns.length - 1] as MInst | undefined;
    const cond = last?.target !== undefined ? last : undefined;
    const body = cond ? b.insns.slice(0, -1) : b.insns;
    for (const m of body) items.push({ insn: m.insn, loc: m.loc });
    if (cond) {
      const T = cond.target!;
      const F = b.fall!;
      const inverse = E.invertJmpOp(cond.insn.opcode & 0xf0);
      const first = b.walkFirst;
      if (first !== undefined && first !== next && (first === F || inverse !== undefined)) {
        // `if passes goto other; ja first`: the `ja` is the fall-through the verifier walks first.
        if (first === T) cond.insn.opcode = (cond.insn.opcode & ~0xf0) | inverse!;
        items.push({ insn: cond.insn, loc: cond.loc, toBlock: first === T ? F : T });
        items.push({ insn: E.ja(), loc: b.termLoc, toBlock: first });
      } else if (F === next) {
        items.push({ insn: cond.insn, loc: cond.loc, toBlock: T });
      } else if (T === next && inverse !== undefined) {
        cond.insn.opcode = (cond.insn.opcode & ~0xf0) | inverse;
        items.push({ insn: cond.insn, loc: cond.loc, toBlock: F });
      } else {
        items.push({ insn: cond.insn, loc: cond.loc, toBlock: T });
        items.push({ insn: E.ja(), loc: b.termLoc, toBlock: F });
      }
    } else if (b.fall !== undefined) {
      if (b.fall !== next) items.push({ insn: E.ja(), loc: b.termLoc, toBlock: b.fall });
    } else if (!last || !E.isExit(last.insn)) {
      throw new Error(`internal: block b${b.id} of ${mf.name} neither exits nor continues`);
    }
  }

  // Resolve offsets; drop any `ja` that lands on the very next instruction and try again; then
  // give fall-through loop exits their checkpoint, once.
  let checkpointsPlaced = false;
  for (;;) {
    const pos: number[] = [];
    let p = 0;
    for (const it of items) {
      pos.push(p);
      p += insnSlots(it.insn);
    }
    const target = (it: Item): number => {
      const idx = blockStart.get(it.toBlock!)!;
      return idx < items.length ? pos[idx] : p;
    };
    const useless = items.findIndex((it, i) => it.toBlock !== undefined && !it.keep && E.isJa(it.insn) && target(it) === pos[i] + 1);
    if (useless >= 0) {
      items.splice(useless, 1);
      for (const [id, idx] of blockStart) if (idx > useless) blockStart.set(id, idx - 1);
      continue;
    }
    if (!checkpointsPlaced) {
      checkpointsPlaced = true;
      const at = exitCheckpoints(items, pos, target);
      if (at.length > 0) {
        for (const i of at.reverse()) {
          const exitBlock = [...blockStart].find(([, idx]) => idx === i)?.[0];
          if (exitBlock === undefined) continue;
          items.splice(i, 0, { insn: E.ja(), loc: items[i - 1]!.loc, toBlock: exitBlock, keep: true });
          for (const [id, idx] of blockStart) if (idx >= i) blockStart.set(id, idx + 1);
        }
        continue;
      }
    }
    items.forEach((it, i) => {
      if (it.toBlock === undefined) return;
      const off = target(it) - (pos[i] + 1);
      if (!E.fitsS16(off)) throw new Error(`jump too far in ${mf.name}: ${off} instructions`);
      it.insn.off = off;
    });
    break;
  }

  const lines: LineEntry[] = [];
  let prev: SourceLoc | undefined;
  items.forEach((it, i) => {
    const l = it.loc;
    if (!l || (prev && prev.line === l.line && prev.col === l.col && prev.file === l.file)) return;
    lines.push({ insn: i, line: l.line, col: l.col, ...(l.file ? { file: l.file } : {}) });
    prev = l;
  });
  const last = items[items.length - 1]?.insn;
  if (!last || !(E.isExit(last) || E.isJa(last))) throw new Error(`internal: ${mf.name} does not end in exit or ja`);
  return { insns: items.map((it) => it.insn), lines };
}

/**
 * Where a loop's back edge is a conditional jump and its exit the very next instruction, the
 * verifier pushes the next trip, walks the exit path, and pops the trip: once per trip whose exit it
 * cannot decide (a trip count that depends on data). The exit path is only cut short where it
 * reaches a pruning point (a jump target, a conditional jump, the instruction after a call) and
 * matches a state stored there; a fall-through exit is neither, so without help every trip walks on
 * to the next call or branch (measured: an i16 do/while of 32,767 trips followed by 32 straight
 * instructions, 37 processed per trip, 1,000,001 in all and refused; clang -O2's object for the same
 * loop walks 26 per trip). A `ja +0` there makes the exit a jump target and so a pruning point (7 per
 * trip, 230,009 in all); the kernel removes it after verification. Returns the item indices (of the
 * exits) that get one: those whose walk to the next pruning point would be longer than the `ja`.
 */
function exitCheckpoints(items: Item[], pos: number[], target: (it: Item) => number): number[] {
  const targeted = new Set<number>();
  for (const it of items) if (it.toBlock !== undefined) targeted.add(target(it));
  const out: number[] = [];
  items.forEach((it, i) => {
    if (it.toBlock === undefined || !E.isCondJump(it.insn) || target(it) > pos[i]! || i + 1 >= items.length) return;
    if (targeted.has(pos[i + 1]!)) return;
    // Instructions the exit path processes before its first pruning point.
    let walk = 0;
    for (let j = i + 1; j < items.length; j++) {
      const x = items[j]!.insn;
      if (j > i + 1 && targeted.has(pos[j]!)) break;
      if (E.isCondJump(x)) break;
      walk++;
      if (E.isExit(x) || E.isJa(x) || x.opcode === CALL) break;
    }
    if (walk > 2) out.push(i + 1);
  });
  return out;
}

/** Retarget jumps that lead to empty blocks (only a fall-through) to where those blocks lead. */
function threadJumps(mf: MFunc, byId: Map<number, MBlock>): void {
  const resolve = (id: number): number => {
    const seen = new Set<number>();
    let b = byId.get(id)!;
    while (b.insns.length === 0 && b.fall !== undefined && !seen.has(b.id)) {
      seen.add(b.id);
      b = byId.get(b.fall)!;
    }
    return b.id;
  };
  for (const b of mf.blocks) {
    if (b.fall !== undefined) b.fall = resolve(b.fall);
    if (b.walkFirst !== undefined) b.walkFirst = resolve(b.walkFirst);
    const last = b.insns[b.insns.length - 1];
    if (last?.target !== undefined) {
      last.target = resolve(last.target);
      // Both ways lead to the same place: the compare is pointless.
      if (last.target === b.fall) {
        b.insns.pop();
        b.walkFirst = undefined;
      }
    }
  }
}

/**
 * Entry first; then follow fall-through chains, but only into blocks all of whose forward
 * predecessors (in reverse postorder) are placed already, so join blocks and shared return blocks
 * come after every path into them and those paths fall or branch forward to them (a block that
 * waits for its other predecessors would otherwise be reached by a `ja` back). The fall-through
 * successor is preferred, then the taken one (the branch is inverted); when neither is ready, the
 * next block in reverse postorder.
 */
function chooseOrder(mf: MFunc, byId: Map<number, MBlock>): MBlock[] {
  const succs = (b: MBlock): number[] => {
    const last = b.insns[b.insns.length - 1];
    const out: number[] = [];
    if (b.fall !== undefined) out.push(b.fall);
    if (last?.target !== undefined && last.target !== b.fall) out.push(last.target);
    return out;
  };
  // Reverse postorder of the reachable blocks (iterative DFS, fall-through explored first).
  const post: number[] = [];
  const seen = new Set<number>([mf.blocks[0].id]);
  const stack: { id: number; next: number }[] = [{ id: mf.blocks[0].id, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const ss = succs(byId.get(top.id)!);
    if (top.next < ss.length) {
      const s = ss[top.next++];
      if (!seen.has(s)) {
        seen.add(s);
        stack.push({ id: s, next: 0 });
      }
      continue;
    }
    post.push(top.id);
    stack.pop();
  }
  const rpo = post.reverse();
  const index = new Map(rpo.map((id, k) => [id, k]));
  const forwardPreds = new Map<number, number[]>(rpo.map((id) => [id, []]));
  for (const id of rpo) {
    for (const s of succs(byId.get(id)!)) if (index.get(s)! > index.get(id)!) forwardPreds.get(s)!.push(id);
  }
  const placed = new Set<number>();
  const ready = (id: number): boolean => !placed.has(id) && forwardPreds.get(id)!.every((p) => placed.has(p));
  const order: MBlock[] = [];
  let cur: MBlock | undefined = mf.blocks[0];
  while (cur) {
    placed.add(cur.id);
    order.push(cur);
    let next: number | undefined = cur.walkFirst !== undefined && ready(cur.walkFirst) ? cur.walkFirst : succs(cur).find(ready);
    next ??= rpo.find((id) => !placed.has(id));
    cur = next === undefined ? undefined : byId.get(next);
  }
  return order;
}
