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
// the first to the second that does not run the first again (which would read anew); versions()
// numbers the read's bytes like memory SSA to answer that in linear time.

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
  inst: Inst;
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
  /** The blocks as they were (cse removes instructions while it asks), their predecessors, an order. */
  private readonly blocks: { id: number; insts: Inst[] }[];
  /** Each block and its position in `blocks`. */
  private readonly byId: Map<number, { b: { id: number; insts: Inst[] }; n: number }>;
  private readonly preds = new Map<number, number[]>();
  private readonly order: number[];
  private readonly states = new Map<string, Map<Inst, number>>();

  private constructor(
    f: Func,
    private readonly clobbers: Clobber[],
  ) {
    this.blocks = f.blocks.map((b) => ({ id: b.id, insts: [...b.insts] }));
    this.byId = new Map(this.blocks.map((b, n) => [b.id, { b, n }] as const));
    for (const b of f.blocks) this.preds.set(b.id, []);
    const succ = new Map(f.blocks.map((b) => [b.id, successors(b.term)] as const));
    for (const [b, ss] of succ) for (const x of ss) this.preds.get(x)?.push(b);
    // Reverse postorder from the entry (iterative: a chain of thousands of blocks is as deep).
    const seen = new Set<number>();
    const post: number[] = [];
    const entry = f.blocks[0]?.id;
    const work: { b: number; k: number }[] = entry === undefined ? [] : [{ b: entry, k: 0 }];
    if (entry !== undefined) seen.add(entry);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const ss = succ.get(top.b) ?? [];
      if (top.k < ss.length) {
        const x = ss[top.k++]!;
        if (!seen.has(x)) seen.add(x), work.push({ b: x, k: 0 });
      } else post.push(work.pop()!.b);
    }
    this.order = post.reverse();
  }

  /**
   * A version of `read`'s bytes at each instruction, as memory SSA numbers them: a clobber that meets
   * the read starts a new version after it, a block whose predecessors end in different versions
   * starts its own (solved optimistically around loops), and two points see the same bytes when their
   * versions are equal. Linear in the function's size per distinct read.
   */
  private versions(read: CtxRead): Map<Inst, number> {
    const key = `${read.packet} ${read.offset} ${read.width}`;
    const memo = this.states.get(key);
    if (memo) return memo;
    const byId = this.byId;
    const kills = new Map<Inst, number>();
    this.clobbers.forEach((c, n) => {
      if (meets(c, read)) kills.set(c.inst, n + 1);
    });
    const merged = (bid: number) => this.clobbers.length + 1 + byId.get(bid)!.n;
    const entry = this.order[0];
    const inV = new Map<number, number>();
    const outV = new Map<number, number>();
    const out = (bid: number, v: number): number => {
      let last = v;
      for (const i of byId.get(bid)!.b.insts) last = kills.get(i) ?? last;
      return last;
    };
    for (let changed = true, rounds = 0; changed; rounds++) {
      changed = false;
      for (const bid of this.order) {
        let v: number | undefined;
        if (bid === entry) v = 0;
        else if (inV.get(bid) === merged(bid) || rounds > 50) v = merged(bid);
        else {
          const ins = (this.preds.get(bid) ?? []).map((p) => outV.get(p)).filter((x) => x !== undefined);
          v = ins.length === 0 ? undefined : ins.every((x) => x === ins[0]) ? ins[0] : merged(bid);
        }
        if (v === undefined || v === inV.get(bid)) continue;
        inV.set(bid, v);
        outV.set(bid, out(bid, v));
        changed = true;
      }
    }
    const at = new Map<Inst, number>();
    for (const b of this.blocks) {
      let v = inV.get(b.id) ?? merged(b.id);
      for (const i of b.insts) {
        at.set(i, v);
        v = kills.get(i) ?? v;
      }
    }
    this.states.set(key, at);
    return at;
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
      for (const i of b.insts) {
        const at = { block: b.id, inst: i };
        if (i.op === "store" || i.op === "atomic" || i.op === "atomic_add") {
          if (i.base.id === ctx.id) clobbers.push({ ...at, range: [i.offset, i.offset + i.width], fields: false, packet: false });
          else if (derived.has(i.base.id) || escaped) clobbers.push({ ...at, fields: true, packet: true });
        } else if (i.op === "call" && i.args.some(isDerived)) {
          clobbers.push({ ...at, fields: true, packet: PACKET_MOVING_HELPERS.has(i.helper) });
        } else if (i.op === "callfn" && i.args.some(isDerived)) {
          clobbers.push({ ...at, fields: true, packet: true });
        }
      }
    }
    return clobbers.length > 0 ? new CtxClobbers(f, clobbers) : undefined;
  }

  /**
   * May `read`'s bytes change between instruction `from` and instruction `to`, which it dominates (on
   * a path that does not run `from` again)?
   */
  between(read: CtxRead, from: Inst, to: Inst): boolean {
    const v = this.versions(read);
    const d = v.get(from);
    return d === undefined || d !== v.get(to);
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
