// Where the context may change, for the passes that treat context reads as pure: cse merges equal
// reads, licm hoists them out of loops. The context is not read-only. Programs write fields
// (`ctx.mark = 1` in TC, `user_port` in cgroup sock_addr, the sock_ops `reply`); helpers given the
// context may change fields (skb_change_type, skb_vlan_push, ...); and the packet-moving helpers
// (PACKET_MOVING_HELPERS) change `data` and `data_end`, which `ctxptr` reads. Without this, cse
// compared `a` with `a + 1` in `ctx.mark = a + 1; ctx.mark === a + 1`, reused a `data` read before
// xdp_adjust_head after it (the verifier refused the stale pointer), and licm hoisted a read above
// a store to the same field (the random-function property of test/passes.test.ts found the last).
//
// A clobber is an instruction that may change context bytes:
//   a store or atomic through the context at a constant offset: those bytes;
//   one through another pointer derived from the context (a variable offset), or through a pointer
//     loaded from memory once the context pointer was itself stored somewhere: every byte;
//   a helper call given a context-derived pointer: every field, and `data`/`data_end` too when the
//     helper moves the packet; a bpf-to-bpf call given one: everything.
// A read is clobbered between two instructions when a clobber that meets it lies on some path from
// the first to the second that does not run the first again (which would read anew).

import { PACKET_MOVING_HELPERS } from "../frontend/helper-ids.js";
import { ctxParam, instDst, isImm, successors, type Func, type Inst, type Operand } from "../ir/ir.js";

/** A context read: a field load (`load` through the context) or a packet pointer (`ctxptr`). */
export interface CtxRead {
  packet: boolean;
  offset: number;
  width: number;
}

interface Clobber {
  block: number;
  idx: number;
  /** Bytes written, when known; otherwise `fields`/`packet` say what it meets. */
  range?: [number, number];
  fields: boolean;
  packet: boolean;
}

/** The context read an instruction makes, if it is one (a load through `ctx`, or a `ctxptr`). */
export function ctxReadOf(i: Inst, f: Func): CtxRead | undefined {
  const ctx = ctxParam(f);
  if (!ctx) return undefined;
  if (i.op === "ctxptr" && i.ctx.id === ctx.id) return { packet: true, offset: i.offset, width: 4 };
  if (i.op === "load" && i.base.id === ctx.id) return { packet: false, offset: i.offset, width: i.width };
  return undefined;
}

export class CtxClobbers {
  private readonly pos = new Map<Inst, { block: number; idx: number }>();
  private readonly succ: Map<number, readonly number[]>;
  private readonly memo = new Map<string, Set<number>>();

  private constructor(
    f: Func,
    private readonly clobbers: Clobber[],
  ) {
    for (const b of f.blocks) b.insts.forEach((i, idx) => this.pos.set(i, { block: b.id, idx }));
    this.succ = new Map(f.blocks.map((b) => [b.id, successors(b.term)] as const));
  }

  /** Blocks reachable from `start` over at least one edge without entering `avoid`. */
  private reach(start: number, avoid: number): Set<number> {
    const k = `${start}/${avoid}`;
    let seen = this.memo.get(k);
    if (seen) return seen;
    seen = new Set<number>();
    const work = [...(this.succ.get(start) ?? [])];
    while (work.length > 0) {
      const x = work.pop()!;
      if (x === avoid || seen.has(x)) continue;
      seen.add(x);
      work.push(...(this.succ.get(x) ?? []));
    }
    this.memo.set(k, seen);
    return seen;
  }

  /** The function's clobbers; undefined when it has none (or no context), the common case. */
  static of(f: Func): CtxClobbers | undefined {
    const ctx = ctxParam(f);
    if (!ctx) return undefined;
    // Values that may point into the context: it, and pointers moved or merged from it.
    const derived = new Set([ctx.id]);
    const isDerived = (o: Operand | undefined): boolean => o !== undefined && !isImm(o) && derived.has(o.id);
    for (let grew = true; grew; ) {
      grew = false;
      for (const b of f.blocks) {
        for (const p of b.phis)
          if (!derived.has(p.dst.id) && p.incoming.some((x) => isDerived(x.value))) derived.add(p.dst.id), (grew = true);
        for (const i of b.insts) {
          const d = instDst(i);
          const from = i.op === "ptradd" ? i.base : i.op === "copy" ? i.a : undefined;
          if (d && !derived.has(d.id) && isDerived(from)) derived.add(d.id), (grew = true);
        }
      }
    }
    let escaped = false;
    for (const b of f.blocks)
      for (const i of b.insts)
        if (
          (i.op === "store" || i.op === "atomic" || i.op === "atomic_add") &&
          (isDerived(i.value) || (i.op === "atomic" && isDerived(i.expected)))
        )
          escaped = true;

    const clobbers: Clobber[] = [];
    for (const b of f.blocks) {
      b.insts.forEach((i, idx) => {
        const at = { block: b.id, idx };
        if (i.op === "store" || i.op === "atomic" || i.op === "atomic_add") {
          if (i.base.id === ctx.id) clobbers.push({ ...at, range: [i.offset, i.offset + i.width], fields: false, packet: false });
          else if (derived.has(i.base.id) || escaped) clobbers.push({ ...at, fields: true, packet: true });
        } else if (i.op === "call" && i.args.some(isDerived)) {
          clobbers.push({ ...at, fields: true, packet: PACKET_MOVING_HELPERS.has(i.helper) });
        } else if (i.op === "callfn" && i.args.some(isDerived)) {
          clobbers.push({ ...at, fields: true, packet: true });
        }
      });
    }
    return clobbers.length > 0 ? new CtxClobbers(f, clobbers) : undefined;
  }

  /** May `read`'s bytes change on some path from instruction `from` to instruction `to`? */
  between(read: CtxRead, from: Inst, to: Inst): boolean {
    const d = this.pos.get(from);
    const u = this.pos.get(to);
    if (!d || !u) return true;
    // Entering `from`'s block again runs `from` again, so paths that do are not counted.
    return this.clobbers.some(
      (c) =>
        meets(c, read) &&
        (c.block === d.block ? c.idx > d.idx : this.reach(d.block, d.block).has(c.block)) &&
        ((c.block === u.block && u.idx > c.idx) || (u.block !== d.block && this.reach(c.block, d.block).has(u.block))),
    );
  }

  /** May `read`'s bytes change inside these blocks (a loop body)? */
  within(read: CtxRead, blocks: ReadonlySet<number>): boolean {
    return this.clobbers.some((c) => blocks.has(c.block) && meets(c, read));
  }
}

function meets(c: Clobber, r: CtxRead): boolean {
  if (r.packet ? c.packet : c.fields) return true;
  return c.range !== undefined && c.range[0] < r.offset + r.width && r.offset < c.range[1];
}
