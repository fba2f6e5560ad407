// Random valid IR functions for property tests.
//
// A function is built deterministically from a "recipe" (an array of naturals that the builder
// consumes as its random choices; when it runs out it reads zeros, which yields small, simple
// functions), so fast-check shrinks failing cases towards shorter recipes and simpler IR.
//
//   arbFunc(opts)        fc.Arbitrary<Func>: a fresh function per generated value
//   arbFuncBuilder(opts) fc.Arbitrary<() => Func>: call it for a fresh copy (for tests that mutate)
//   genFunc(recipe, opts) the builder itself
//
// Generated functions pass checkFunc: random CFGs (a spanning tree from the entry plus random extra
// and back edges, never into the entry), phis with one incoming per predecessor, every instruction
// kind and terminator (including callfn, globaladdr, funcaddr and every atomic form), uses only of
// dominating definitions, immediates of every interesting size, a context parameter that is the
// first, a later one or none. (callfn targets are names only: a single function does not pass
// checkModule's cross-function rules.)

import fc from "fast-check";
import { computeDominators } from "../../compiler/ir/dominators.js";
import type { BinOp, Block, CondOp, Func, Inst, MemWidth, Operand, Phi, SourceLoc, Terminator, Ty, Value } from "../../compiler/ir/ir.js";

export interface GenOptions {
  /** Most blocks (default 7). */
  maxBlocks?: number;
  /** Most instructions per block (default 8). */
  maxInsts?: number;
  /** Most phis per block (default 2). */
  maxPhis?: number;
  /** Percent chance that a scalar operand is an immediate or fresh constant (default 35). */
  constPercent?: number;
}

export const BIN_OPS: readonly BinOp[] = ["add", "sub", "mul", "udiv", "sdiv", "umod", "smod", "and", "or", "xor", "shl", "lshr", "ashr"];
export const COND_OPS: readonly CondOp[] = ["eq", "ne", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle", "set"];
const MAP_NAMES = ["counters", "events", "my.map", "with space", 'q"uote', "_x$1"];
const FUNC_NAMES = ["f", "xdp_prog", "handle.tp", "odd name", "ünï"];
const GLOBAL_NAMES = ["counter", "config", "my.var", "sp ace", "_g$"];
const ATOMIC_KINDS = ["add", "or", "and", "xor", "xchg", "cmpxchg"] as const;

/** Deterministic chooser over a recipe. */
export class Recipe {
  private k = 0;
  constructor(private readonly nums: readonly number[]) {}
  /** 0 <= result < n (n >= 1). */
  int(n: number): number {
    const v = this.k < this.nums.length ? this.nums[this.k]! : 0;
    this.k++;
    return n <= 1 ? 0 : v % n;
  }
  chance(percent: number): boolean {
    return this.int(100) < percent;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** An interesting integer that fits `bits` (32: -2^31..2^32-1, 64: -2^63..2^64-1). */
  constant(bits: 32 | 64): bigint {
    const B = BigInt(bits);
    const special = [
      0n,
      1n,
      2n,
      3n,
      7n,
      8n,
      31n,
      32n,
      63n,
      64n,
      255n,
      256n,
      65535n,
      -1n,
      -2n,
      -8n,
      (1n << 31n) - 1n,
      1n << 31n,
      -(1n << 31n),
      (1n << 32n) - 1n,
      1n << 16n,
    ];
    const special64 = [(1n << 63n) - 1n, -(1n << 63n), 1n << 32n, (1n << 64n) - 1n, 1n << 63n, 0x1234_5678_9abc_def0n];
    switch (this.int(4)) {
      case 0:
        return BigInt(this.int(64)) - 16n;
      case 1:
        return this.pick(bits === 64 ? [...special, ...special64] : special);
      default: {
        let v = 0n;
        for (let w = 0n; w < B; w += 16n) v = (v << 16n) | BigInt(this.int(65536));
        v = BigInt.asUintN(bits, v);
        return this.chance(50) ? BigInt.asIntN(bits, v) : v;
      }
    }
  }
}

interface Avail {
  i32: Value[];
  i64: Value[];
  ptr: Value[];
}
const copyAvail = (a: Avail): Avail => ({ i32: [...a.i32], i64: [...a.i64], ptr: [...a.ptr] });

export function genFunc(nums: readonly number[], opts: GenOptions = {}): Func {
  const r = new Recipe(nums);
  const maxBlocks = opts.maxBlocks ?? 7;
  const maxInsts = opts.maxInsts ?? 8;
  const maxPhis = opts.maxPhis ?? 2;
  const constPct = opts.constPercent ?? 35;

  const f: Func = { name: r.pick(FUNC_NAMES), params: [], blocks: [], slots: [], nextId: 0 };
  const fresh = (ty: Ty): Value => {
    if (r.chance(10)) f.nextId += 1 + r.int(3); // gaps in ids
    return { id: f.nextId++, ty };
  };
  f.params.push(fresh("ptr"));
  const nParams = r.int(4);
  for (let k = 0; k < nParams; k++) f.params.push(fresh(r.pick(["i32", "i64", "ptr"] as const)));
  const nSlots = r.int(3);
  for (let k = 0; k < nSlots; k++) f.slots.push({ id: k * (1 + r.int(2)) + k, size: 1 + r.int(64), align: r.pick([1, 2, 4, 8]) });
  const locs = new WeakMap<Inst | Terminator, SourceLoc>();
  const maybeLoc = (x: Inst | Terminator) => {
    if (r.chance(15)) locs.set(x, { line: 1 + r.int(200), col: 1 + r.int(80) });
  };

  // ---- CFG ----
  const n = 1 + r.int(maxBlocks);
  const ids: number[] = [0];
  for (let k = 1; k < n; k++) ids.push(ids[k - 1]! + 1 + (r.chance(20) ? r.int(5) : 0));
  const succ: number[][] = ids.map(() => []);
  for (let k = 1; k < n; k++) {
    const cands = [];
    for (let j = 0; j < k; j++) if (succ[j]!.length < 2) cands.push(j);
    succ[r.pick(cands)]!.push(k);
  }
  const sameTarget = new Set<number>();
  for (let k = 0; k < n; k++) {
    while (succ[k]!.length < 2 && n > 1 && r.chance(35)) {
      const t = 1 + r.int(n - 1);
      if (succ[k]!.includes(t)) break;
      succ[k]!.push(t);
    }
    if (succ[k]!.length === 1 && r.chance(10)) sameTarget.add(k);
  }
  const blocks: Block[] = ids.map((id, k) => {
    const s = succ[k]!.map((x) => ids[x]!);
    const dummy: Value = f.params[0]!;
    const term: Terminator =
      s.length === 0
        ? { op: "ret", value: { imm: 0n } }
        : s.length === 1 && !sameTarget.has(k)
          ? { op: "br", target: s[0]! }
          : { op: "cbr", cond: "eq", width: 64, a: dummy, b: { imm: 0n }, then: s[0]!, else: s[1] ?? s[0]! };
    return { id, phis: [], insts: [], term };
  });
  // Layout: entry first, the rest shuffled.
  const rest = blocks.slice(1);
  for (let k = rest.length - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [rest[k], rest[j]] = [rest[j]!, rest[k]!];
  }
  f.blocks = [blocks[0]!, ...rest];
  const dt = computeDominators(f);
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));

  // ---- Values ----
  const availEnd = new Map<number, Avail>();
  const entryAvail: Avail = { i32: [], i64: [], ptr: [] };
  for (const p of f.params) entryAvail[p.ty].push(p);

  const genBlock = (b: Block, av: Avail) => {
    const add = (v: Value) => av[v.ty].push(v);
    const emit = (i: Inst) => {
      b.insts.push(i);
      maybeLoc(i);
      if ("dst" in i && i.dst) add(i.dst);
    };
    const scalarTy = (): "i32" | "i64" => r.pick(["i32", "i64"] as const);
    /** A value of type ty (creating a const when none is around). */
    const value = (ty: Ty): Value => {
      const vs = av[ty];
      if (vs.length > 0 && !(ty !== "ptr" && r.chance(constPct / 3))) return r.pick(vs);
      if (ty === "ptr") return r.pick(av.ptr);
      const v = fresh(ty);
      emit({ op: "const", dst: v, value: r.constant(ty === "i32" ? 32 : 64) });
      return v;
    };
    const operand = (ty: "i32" | "i64"): Operand => (r.chance(constPct) ? { imm: r.constant(ty === "i32" ? 32 : 64) } : value(ty));

    for (const p of b.phis) add(p.dst);
    const count = r.int(maxInsts + 1);
    for (let k = 0; k < count; k++) {
      switch (r.int(20)) {
        case 0: {
          const ty = scalarTy();
          emit({ op: "const", dst: fresh(ty), value: r.constant(ty === "i32" ? 32 : 64) });
          break;
        }
        case 1:
        case 2:
        case 3: {
          const ty = scalarTy();
          const a = operand(ty);
          const b2 = operand(ty);
          emit({ op: "bin", kind: r.pick(BIN_OPS), dst: fresh(ty), a, b: b2 });
          break;
        }
        case 4: {
          const ty = scalarTy();
          const a = operand(ty);
          emit({ op: "neg", dst: fresh(ty), a });
          break;
        }
        case 5: {
          const ty = r.pick(["i32", "i64", "ptr"] as const);
          const a = ty === "ptr" ? (r.chance(10) ? { imm: 0n } : value("ptr")) : operand(ty);
          emit({ op: "copy", dst: fresh(ty), a });
          break;
        }
        case 6: {
          const a = operand("i32");
          emit({ op: "zext", dst: fresh("i64"), a });
          break;
        }
        case 7: {
          const a = operand(scalarTy());
          const k2 = r.int(3);
          if (k2 === 0) {
            const from = r.pick([8, 16, 32] as const);
            emit({ op: "sext", from, dst: fresh(from === 32 ? "i64" : scalarTy()), a });
          } else if (k2 === 1) {
            const to = r.pick([8, 16, 32] as const);
            emit({ op: "trunc", to, dst: fresh(scalarTy()), a });
          } else {
            const bits = r.pick([16, 32, 64] as const);
            emit({ op: "bswap", bits, dst: fresh(bits === 64 ? "i64" : scalarTy()), a });
          }
          break;
        }
        case 8: {
          const base = value("ptr");
          const offset = operand(scalarTy());
          emit({ op: "ptradd", dst: fresh("ptr"), base, offset });
          break;
        }
        case 9: {
          const width = r.pick([1, 2, 4, 8] as const) as MemWidth;
          const base = value("ptr");
          const ty: Ty = width <= 4 ? "i32" : r.pick(["i64", "ptr"] as const);
          emit({ op: "load", dst: fresh(ty), base, offset: r.int(64) - 8, width });
          break;
        }
        case 10: {
          const ctx = value("ptr");
          emit({ op: "ctxptr", dst: fresh("ptr"), ctx, offset: 4 * r.int(8) });
          break;
        }
        case 11: {
          const width = r.pick([1, 2, 4, 8] as const) as MemWidth;
          const base = value("ptr");
          const v: Operand = width === 8 && r.chance(20) ? value("ptr") : operand(scalarTy());
          emit({ op: "store", base, offset: r.int(64) - 32, width, value: v });
          break;
        }
        case 12:
          if (f.slots.length > 0) emit({ op: "stackaddr", dst: fresh("ptr"), slot: r.pick(f.slots).id });
          else emit({ op: "mapaddr", dst: fresh("ptr"), map: r.pick(MAP_NAMES) });
          break;
        case 13:
          emit({ op: "mapaddr", dst: fresh("ptr"), map: r.pick(MAP_NAMES) });
          break;
        case 14: {
          const nargs = r.int(6);
          const args: Operand[] = [];
          for (let a = 0; a < nargs; a++) args.push(r.chance(30) ? value("ptr") : operand(scalarTy()));
          const c: Inst = { op: "call", helper: r.int(212), args };
          if (r.chance(70)) c.dst = fresh(r.pick(["i64", "ptr"] as const));
          emit(c);
          break;
        }
        case 15: {
          const width = r.pick([4, 8] as const);
          const base = value("ptr");
          const v = value(width === 8 ? "i64" : scalarTy());
          emit({ op: "atomic_add", base, offset: 8 * r.int(4), width, value: v });
          break;
        }
        case 16: {
          const nargs = r.int(6);
          const args: Operand[] = [];
          for (let a = 0; a < nargs; a++) args.push(r.chance(30) ? value("ptr") : operand(scalarTy()));
          const c: Inst = { op: "callfn", func: r.pick(FUNC_NAMES), args };
          if (r.chance(70)) c.dst = fresh(r.pick(["i32", "i64", "ptr"] as const));
          emit(c);
          break;
        }
        case 17:
          emit({
            op: "globaladdr",
            dst: fresh("ptr"),
            section: r.pick([".rodata", ".data", ".bss"] as const),
            symbol: r.pick(GLOBAL_NAMES),
          });
          break;
        case 18:
          emit({ op: "funcaddr", dst: fresh("ptr"), func: r.pick(FUNC_NAMES) });
          break;
        case 19: {
          const kind = r.pick(ATOMIC_KINDS);
          const width = r.pick([4, 8] as const);
          const ty = width === 4 ? "i32" : "i64";
          const fetch = kind === "xchg" || kind === "cmpxchg" || r.chance(50);
          const a: Inst = { op: "atomic", kind, fetch, base: value("ptr"), offset: 8 * r.int(4), width, value: operand(ty) };
          if (kind === "cmpxchg") a.expected = operand(ty);
          if (fetch && r.chance(70)) a.dst = fresh(ty);
          emit(a);
          break;
        }
      }
    }

    // Terminator (the CFG shape is fixed; fill in operands).
    const t = b.term;
    if (t.op === "cbr") {
      const width = r.pick([32, 64] as const);
      const ty: Ty = width === 64 && r.chance(20) ? "ptr" : scalarTy();
      const a = value(ty);
      const bOp: Operand =
        ty === "ptr" ? (r.chance(50) ? { imm: 0n } : value("ptr")) : r.chance(constPct + 20) ? { imm: r.constant(width) } : value(ty);
      b.term = { op: "cbr", cond: r.pick(COND_OPS), width, a, b: bOp, then: t.then, else: t.else };
    } else if (t.op === "ret") {
      b.term = { op: "ret", value: r.chance(40) ? { imm: r.constant(64) } : value(r.pick(["i32", "i64"] as const)) };
    }
    maybeLoc(b.term);
    if (r.chance(10)) b.loc = { line: 1 + r.int(100), col: 1 + r.int(40) };
  };

  // Phis first (types only), so dominated blocks can use them.
  for (const b of f.blocks) {
    if (b === f.blocks[0] || dt.preds.get(b.id)!.length === 0) continue;
    const np = r.int(maxPhis + 1);
    for (let k = 0; k < np; k++) b.phis.push({ dst: fresh(r.pick(["i32", "i64", "ptr"] as const)), incoming: [] });
  }
  for (const id of dt.preorder()) {
    const b = byId.get(id)!;
    const idom = dt.idom.get(id);
    const av = copyAvail(idom === undefined ? entryAvail : availEnd.get(idom)!);
    genBlock(b, av);
    availEnd.set(id, av);
  }
  for (const b of f.blocks) {
    for (const p of b.phis) {
      const ps = dt.preds.get(b.id)!;
      p.incoming = ps.map((pid): Phi["incoming"][number] => {
        const av = availEnd.get(pid)!;
        const ty = p.dst.ty;
        let value: Operand;
        if (ty === "ptr") value = r.chance(10) ? { imm: 0n } : r.pick(av.ptr);
        else if (av[ty].length === 0 || r.chance(constPct)) value = { imm: r.constant(ty === "i32" ? 32 : 64) };
        else value = r.pick(av[ty]);
        return { block: pid, value };
      });
      // Incoming order is not semantic; vary it.
      if (r.chance(30)) p.incoming.reverse();
    }
  }
  if (r.chance(60)) f.locs = locs;
  // Which parameter is the context (last, so older recipes still build the same code): mostly the
  // first; sometimes none (loads through %0 are ordinary memory), or a later pointer.
  const ctxPick = r.int(8);
  const later = f.params.findIndex((p, k) => k > 0 && p.ty === "ptr");
  if (ctxPick === 1) f.ctxIndex = -1;
  else if (ctxPick === 2 && later > 0) f.ctxIndex = later;
  return f;
}

const recipeArb = (len: number) => fc.array(fc.nat({ max: 1_000_000 }), { minLength: 0, maxLength: len, size: "max" });

/** Fresh random valid function per generated value. */
export function arbFunc(opts: GenOptions = {}): fc.Arbitrary<Func> {
  return recipeArb(1500).map((nums) => genFunc(nums, opts));
}

/** A builder per generated value: every call makes a fresh copy of the same function. */
export function arbFuncBuilder(opts: GenOptions = {}): fc.Arbitrary<() => Func> {
  return recipeArb(1500).map((nums) => {
    const build = () => genFunc(nums, opts);
    return Object.assign(build, { toString: () => `genFunc(${JSON.stringify(nums)})` });
  });
}
