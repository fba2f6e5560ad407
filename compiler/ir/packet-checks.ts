// Packet bounds checks and packet pointers in the IR, for the passes and the back end that order or
// move code around them (packet-check-order.ts, hoist-packet-loads.ts).

import { ctxParam, type Func, type Inst, instDst, instUses, isImm, successors, type Terminator, termUses, type Value } from "./ir.js";

export interface PacketCheck {
  /** The pointer checked (a `ptradd`) and the end it is compared with (a `ctxptr`). */
  ptr: Value;
  end: Value;
  /** The successor taken when the read would fail, and the one taken when it passes. */
  fail: number;
  pass: number;
  /** `ptr > end` fails (so the passing side knows `ptr <= end`), not `ptr >= end`. */
  strict: boolean;
}

/** `t` as a packet bounds check: a pointer computed by `ptradd` compared with a context pointer. */
export function packetCheck(t: Terminator, defs: ReadonlyMap<number, Inst>): PacketCheck | undefined {
  if (t.op !== "cbr" || isImm(t.b) || t.a.ty !== "ptr" || t.b.ty !== "ptr") return undefined;
  const op = (v: Value): string | undefined => defs.get(v.id)?.op;
  let ptr: Value;
  let end: Value;
  if (op(t.a) === "ptradd" && op(t.b) === "ctxptr") [ptr, end] = [t.a, t.b];
  else if (op(t.a) === "ctxptr" && op(t.b) === "ptradd") [ptr, end] = [t.b, t.a];
  else return undefined;
  // Read as `ptr OP end`: `>` and `>=` hold when the read would fail, `<=` and `<` when it passes.
  const flipped = ptr === t.b;
  const c = flipped ? ({ ugt: "ult", uge: "ule", ult: "ugt", ule: "uge" } as Record<string, string>)[t.cond] : t.cond;
  if (c === "ugt" || c === "uge") return { ptr, end, fail: t.then, pass: t.else, strict: c === "ugt" };
  if (c === "ule" || c === "ult") return { ptr, end, fail: t.else, pass: t.then, strict: c === "ule" };
  return undefined;
}

/** `v` as a constant offset from a context pointer (a chain of `ptradd`s of constants), if it is one. */
export function packetBase(v: Value, defs: ReadonlyMap<number, Inst>): { base: Value; offset: number } | undefined {
  let offset = 0;
  for (let d = defs.get(v.id); d; d = defs.get(d.base.id)) {
    if (d.op === "ctxptr") return { base: d.dst, offset };
    if (d.op !== "ptradd" || !isImm(d.offset)) return undefined;
    offset += Number(d.offset.imm);
  }
  return undefined;
}

/** Is `v` a pointer into the context's data: a context pointer, or a `ptradd` chain on one? */
export function isContextPointer(v: Value, defs: ReadonlyMap<number, Inst>): boolean {
  for (let d = defs.get(v.id); d; d = defs.get(d.base.id)) {
    if (d.op === "ctxptr") return true;
    if (d.op !== "ptradd") return false;
  }
  return false;
}

/**
 * A test: can a store through a value write the packet? Unlike isContextPointer this follows phis and copies
 * (a header pointer or null: `q !== null ? q : 0` joins as a phi), and answers yes for what it cannot
 * place: only the stack, maps, globals, helper results and the context struct itself are known not
 * to be the packet.
 */
export function mayPointIntoPacket(f: Func, defs: ReadonlyMap<number, Inst>): (v: Value) => boolean {
  const phis = new Map<number, Value[]>();
  for (const b of f.blocks)
    for (const p of b.phis)
      phis.set(
        p.dst.id,
        p.incoming.flatMap((x) => (isImm(x.value) ? [] : [x.value])),
      );
  const ctx = ctxParam(f);
  const memo = new Map<number, boolean>();
  const may = (x: Value, seen: Set<number>): boolean => {
    const known = memo.get(x.id);
    if (known !== undefined) return known;
    if (seen.has(x.id)) return false; // a cycle through phis: its other inputs decide
    seen.add(x.id);
    const r = place(x, seen);
    seen.delete(x.id);
    if (seen.size === 0) memo.set(x.id, r);
    return r;
  };
  const place = (x: Value, seen: Set<number>): boolean => {
    const ins = phis.get(x.id);
    if (ins) return ins.some((y) => may(y, seen));
    const d = defs.get(x.id);
    if (!d) return x.id !== ctx?.id;
    switch (d.op) {
      case "ctxptr":
        return true;
      case "ptradd":
        return may(d.base, seen);
      case "copy":
        return !isImm(d.a) && may(d.a, seen);
      case "stackaddr":
      case "mapaddr":
      case "globaladdr":
      case "funcaddr":
      case "call":
      case "const":
        return false;
      default:
        return true;
    }
  };
  return (v) => may(v, new Set());
}

/** Per block: the context pointers (see isContextPointer) live at its start. */
export function pointersLiveIn(f: Func, defs: ReadonlyMap<number, Inst>): Map<number, Set<number>> {
  const memo = new Map<number, boolean>();
  const isPtr = (v: Value): boolean => {
    let r = memo.get(v.id);
    if (r === undefined) memo.set(v.id, (r = isContextPointer(v, defs)));
    return r;
  };
  const liveIn = new Map<number, Set<number>>(f.blocks.map((b) => [b.id, new Set<number>()]));
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = f.blocks.length - 1; k >= 0; k--) {
      const b = f.blocks[k]!;
      const live = new Set<number>();
      for (const s of successors(b.term)) {
        for (const v of liveIn.get(s) ?? []) live.add(v);
        for (const p of byId.get(s)?.phis ?? [])
          for (const inc of p.incoming) if (inc.block === b.id && !isImm(inc.value) && isPtr(inc.value)) live.add(inc.value.id);
      }
      for (const o of termUses(b.term)) if (!isImm(o) && isPtr(o)) live.add(o.id);
      for (let j = b.insts.length - 1; j >= 0; j--) {
        const i = b.insts[j]!;
        const d = instDst(i);
        if (d) live.delete(d.id);
        for (const o of instUses(i)) if (!isImm(o) && isPtr(o)) live.add(o.id);
      }
      for (const p of b.phis) live.delete(p.dst.id);
      const old = liveIn.get(b.id)!;
      if (live.size !== old.size || [...live].some((v) => !old.has(v))) {
        liveIn.set(b.id, live);
        changed = true;
      }
    }
  }
  return liveIn;
}
