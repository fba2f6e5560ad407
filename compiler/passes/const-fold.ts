// Pass: const-fold — constant folding, constant and copy propagation, algebraic identities.
//
// Needs: valid SSA (checkFunc clean). Produces: instructions whose operands are all constant replaced
// by `const` (exact eBPF ALU semantics, see `evalBin` and friends); uses of constants turned into
// immediates where the operand slot takes one and the value fits the instruction's immediate field
// (any 32-bit value for ALU32/JMP32 contexts, a sign-extended s32 for 64-bit ones); uses of copies
// replaced by their source; identities such as x+0, x*1, x*0, x&0, x|0, x^0, x<<0, x-x, x/1 reduced;
// `cbr` on two constants turned into `br` (the dropped edge's phi incoming removed, unreachable
// blocks deleted); a cbr with a constant left operand swapped; trivial phis (all incomings the same,
// ignoring self references) replaced by a copy or const. Constants are canonical: i32 in
// [0, 2^32), i64 as signed 64-bit.
// Leaves dead `const`/`copy` instructions for dce. Invalidates: the dominator tree and predecessor
// lists when a branch folds (blocks may disappear).

import {
  type BinOp,
  type CondOp,
  type Func,
  type Inst,
  type Operand,
  type Terminator,
  type Ty,
  type Value,
  imm,
  isImm,
  removeUnreachableBlocks,
} from "../ir/ir.js";
import { computeDominators } from "../ir/dominators.js";

// ---- eBPF ALU semantics on exact integers ----

const widthOf = (ty: Ty): 32 | 64 => (ty === "i32" ? 32 : 64);

/** Canonical form of a constant of type ty: i32 -> [0, 2^32), i64 -> [-2^63, 2^63). */
export function canon(v: bigint, ty: Ty): bigint {
  return ty === "i32" ? BigInt.asUintN(32, v) : BigInt.asIntN(64, v);
}

/** `a kind b` as BPF ALU32 (ty i32) or ALU64 (ty i64) computes it; result canonical. */
export function evalBin(kind: BinOp, ty: "i32" | "i64", a: bigint, b: bigint): bigint {
  const w = widthOf(ty);
  const W = BigInt(w);
  const x = BigInt.asUintN(w, a);
  const y = BigInt.asUintN(w, b);
  const sx = BigInt.asIntN(w, a);
  const sy = BigInt.asIntN(w, b);
  const sh = y & (W - 1n);
  let r: bigint;
  switch (kind) {
    case "add":
      r = x + y;
      break;
    case "sub":
      r = x - y;
      break;
    case "mul":
      r = x * y;
      break;
    case "udiv":
      r = y === 0n ? 0n : x / y;
      break;
    case "umod":
      r = y === 0n ? x : x % y;
      break;
    // BigInt division truncates toward zero and % takes the dividend's sign, like C and BPF.
    case "sdiv":
      r = sy === 0n ? 0n : sx / sy;
      break;
    case "smod":
      r = sy === 0n ? x : sx % sy;
      break;
    case "and":
      r = x & y;
      break;
    case "or":
      r = x | y;
      break;
    case "xor":
      r = x ^ y;
      break;
    case "shl":
      r = x << sh;
      break;
    case "lshr":
      r = x >> sh;
      break;
    case "ashr":
      r = sx >> sh;
      break;
  }
  return canon(BigInt.asUintN(w, r), ty);
}

export function evalNeg(ty: "i32" | "i64", a: bigint): bigint {
  return canon(-a, ty);
}

/** zext i32 -> i64 */
export function evalZext(a: bigint): bigint {
  return canon(BigInt.asUintN(32, a), "i64");
}

export function evalSext(from: 8 | 16 | 32, ty: "i32" | "i64", a: bigint): bigint {
  return canon(BigInt.asIntN(from, a), ty);
}

export function evalTrunc(to: 8 | 16 | 32, ty: "i32" | "i64", a: bigint): bigint {
  return canon(BigInt.asUintN(to, a), ty);
}

/** Byte-reverse the low `bits` bits, zero-extended (BPF `be16/be32/be64` on a little-endian host). */
export function evalBswap(bits: 16 | 32 | 64, ty: "i32" | "i64", a: bigint): bigint {
  let v = BigInt.asUintN(bits, a);
  let r = 0n;
  for (let k = 0; k < bits / 8; k++) {
    r = (r << 8n) | (v & 0xffn);
    v >>= 8n;
  }
  return canon(r, ty);
}

/** Does `a cond b` hold for a JMP32 (width 32) or JMP (64) compare? */
export function evalCond(cond: CondOp, width: 32 | 64, a: bigint, b: bigint): boolean {
  const x = BigInt.asUintN(width, a);
  const y = BigInt.asUintN(width, b);
  const sx = BigInt.asIntN(width, a);
  const sy = BigInt.asIntN(width, b);
  switch (cond) {
    case "eq":
      return x === y;
    case "ne":
      return x !== y;
    case "ugt":
      return x > y;
    case "uge":
      return x >= y;
    case "ult":
      return x < y;
    case "ule":
      return x <= y;
    case "sgt":
      return sx > sy;
    case "sge":
      return sx >= sy;
    case "slt":
      return sx < sy;
    case "sle":
      return sx <= sy;
    case "set":
      return (x & y) !== 0n;
  }
}

/** Conditions that hold when both sides are the same value. */
const SELF_TRUE: ReadonlySet<CondOp> = new Set<CondOp>(["eq", "uge", "ule", "sge", "sle"]);

/** The condition c' with (b c' a) === (a c b). */
export const swappedCond: Record<CondOp, CondOp> = {
  eq: "eq",
  ne: "ne",
  set: "set",
  ugt: "ult",
  uge: "ule",
  ult: "ugt",
  ule: "uge",
  sgt: "slt",
  sge: "sle",
  slt: "sgt",
  sle: "sge",
};

// ---- The pass ----

/** How an operand slot takes an immediate: ALU32/JMP32-style (any 32 bits), 64-bit (s32), or not. */
type ImmCtx = "alu32" | "alu64" | "none";

/** The immediate to write for constant c of type ty in a slot of kind ctx, if it fits. */
function immFor(c: bigint, ty: Ty, ctx: ImmCtx): bigint | undefined {
  if (ctx === "none" || ty === "ptr") return undefined;
  if (ctx === "alu32") return BigInt.asUintN(32, c);
  const v = ty === "i32" ? BigInt.asUintN(32, c) : BigInt.asIntN(64, c);
  return v >= -(1n << 31n) && v < 1n << 31n ? v : undefined;
}

class Folder {
  /** Known scalar constants, canonical for the value's type. */
  readonly known = new Map<number, bigint>();
  /** Copies: value id -> the value it copies. */
  readonly alias = new Map<number, Value>();
  progress = false;
  cfgChanged = false;

  constructor(readonly f: Func) {}

  resolve(v: Value): Value {
    let cur = v;
    for (let n = 0; n < 1000; n++) {
      const next = this.alias.get(cur.id);
      if (!next) break;
      cur = next;
    }
    return cur;
  }

  /** The constant an operand denotes, read at type ty (immediates are canonicalised to ty). */
  constOf(o: Operand, ty: Ty): bigint | undefined {
    if (isImm(o)) return ty === "ptr" ? undefined : canon(o.imm, ty);
    return this.known.get(this.resolve(o).id);
  }

  rewrite(o: Operand, ctx: ImmCtx): Operand {
    if (isImm(o)) return o;
    const v = this.resolve(o);
    const c = this.known.get(v.id);
    if (c !== undefined) {
      const i = immFor(c, v.ty, ctx);
      if (i !== undefined) {
        this.progress = true;
        return imm(i);
      }
    }
    if (v.id !== o.id) {
      this.progress = true;
      return v;
    }
    return o;
  }

  reg(v: Value): Value {
    const r = this.resolve(v);
    if (r.id !== v.id) this.progress = true;
    return r;
  }

  replace(b: { insts: Inst[] }, k: number, next: Inst): void {
    const old = b.insts[k]!;
    const loc = this.f.locs?.get(old);
    if (loc) this.f.locs!.set(next, loc);
    b.insts[k] = next;
    this.progress = true;
  }

  toConst(b: { insts: Inst[] }, k: number, dst: Value, value: bigint): void {
    this.replace(b, k, { op: "const", dst, value });
    this.known.set(dst.id, value);
  }

  /** Replace instruction k by "dst = x" for an operand x of dst's type. */
  toOperand(b: { insts: Inst[] }, k: number, dst: Value, x: Operand): void {
    if (isImm(x)) this.toConst(b, k, dst, canon(x.imm, dst.ty));
    else {
      this.replace(b, k, { op: "copy", dst, a: x });
      this.alias.set(dst.id, this.resolve(x));
    }
  }

  rewriteOperands(i: Inst): void {
    switch (i.op) {
      case "const":
      case "stackaddr":
      case "mapaddr":
      case "globaladdr":
      case "funcaddr":
      case "coreoff":
        return;
      case "bin":
        i.a = this.rewrite(i.a, i.dst.ty === "i32" ? "alu32" : "alu64");
        i.b = this.rewrite(i.b, i.dst.ty === "i32" ? "alu32" : "alu64");
        return;
      case "neg":
      case "zext":
      case "sext":
      case "trunc":
      case "bswap":
        i.a = this.rewrite(i.a, "none"); // folded whole when constant
        return;
      case "copy":
        i.a = this.rewrite(i.a, "none");
        return;
      case "ptradd":
        i.base = this.reg(i.base);
        i.offset = this.rewrite(i.offset, "alu64");
        return;
      case "load":
        i.base = this.reg(i.base);
        return;
      case "ctxptr":
        i.ctx = this.reg(i.ctx);
        return;
      case "store":
        i.base = this.reg(i.base);
        i.value = this.rewrite(i.value, i.width <= 4 ? "alu32" : "alu64");
        return;
      case "call":
      case "callfn":
        for (let k = 0; k < i.args.length; k++) {
          const a = i.args[k]!;
          i.args[k] = this.rewrite(a, isImm(a) || a.ty !== "i32" ? "alu64" : "alu32");
        }
        return;
      case "atomic_add":
        i.base = this.reg(i.base);
        i.value = this.reg(i.value);
        return;
      case "atomic": {
        // Never folded (it has side effects); constants become immediates, which isel materialises.
        const ctx = i.width === 4 ? "alu32" : "alu64";
        i.base = this.reg(i.base);
        i.value = this.rewrite(i.value, ctx);
        if (i.expected !== undefined) i.expected = this.rewrite(i.expected, ctx);
        return;
      }
    }
  }

  foldInst(b: { insts: Inst[] }, k: number): void {
    const i = b.insts[k]!;
    switch (i.op) {
      case "const": {
        if (i.dst.ty === "ptr") return;
        const c = canon(i.value, i.dst.ty);
        if (c !== i.value) this.replace(b, k, { op: "const", dst: i.dst, value: c });
        this.known.set(i.dst.id, c);
        return;
      }
      case "copy": {
        const c = this.constOf(i.a, i.dst.ty);
        if (c !== undefined) this.toConst(b, k, i.dst, c);
        else if (!isImm(i.a)) this.alias.set(i.dst.id, this.resolve(i.a));
        return;
      }
      case "bin":
        return this.foldBin(b, k, i);
      case "neg":
      case "zext":
      case "sext":
      case "trunc":
      case "bswap": {
        if (i.dst.ty === "ptr") return;
        const ty = i.dst.ty;
        const c = this.constOf(i.a, i.op === "zext" ? "i32" : isImm(i.a) ? "i64" : i.a.ty);
        if (c === undefined) return;
        const v =
          i.op === "neg"
            ? evalNeg(ty, c)
            : i.op === "zext"
              ? evalZext(c)
              : i.op === "sext"
                ? evalSext(i.from, ty, c)
                : i.op === "trunc"
                  ? evalTrunc(i.to, ty, c)
                  : evalBswap(i.bits, ty, c);
        this.toConst(b, k, i.dst, v);
        return;
      }
      case "ptradd":
        if (isImm(i.offset) && i.offset.imm === 0n) this.toOperand(b, k, i.dst, i.base);
        return;
      default:
        return;
    }
  }

  foldBin(b: { insts: Inst[] }, k: number, i: Extract<Inst, { op: "bin" }>): void {
    if (i.dst.ty === "ptr") return;
    const ty = i.dst.ty;
    const w = widthOf(ty);
    const ca = this.constOf(i.a, ty);
    const cb = this.constOf(i.b, ty);
    if (ca !== undefined && cb !== undefined) return this.toConst(b, k, i.dst, evalBin(i.kind, ty, ca, cb));
    const ua = ca === undefined ? undefined : BigInt.asUintN(w, ca);
    const ub = cb === undefined ? undefined : BigInt.asUintN(w, cb);
    const ones = (1n << BigInt(w)) - 1n;
    const same = !isImm(i.a) && !isImm(i.b) && this.resolve(i.a).id === this.resolve(i.b).id;
    const zero = () => this.toConst(b, k, i.dst, 0n);
    const keepA = () => this.toOperand(b, k, i.dst, i.a);
    const keepB = () => this.toOperand(b, k, i.dst, i.b);
    switch (i.kind) {
      case "add":
        if (ub === 0n) return keepA();
        if (ua === 0n) return keepB();
        return;
      case "sub":
        if (ub === 0n) return keepA();
        if (same) return zero();
        return;
      case "mul":
        if (ub === 0n || ua === 0n) return zero();
        if (ub === 1n) return keepA();
        if (ua === 1n) return keepB();
        return;
      case "udiv":
      case "sdiv":
        if (ub === 0n || ua === 0n) return zero(); // BPF: x / 0 == 0
        if (ub === 1n) return keepA();
        return;
      case "umod":
      case "smod":
        if (ub === 0n) return keepA(); // BPF: x % 0 == x
        if (ub === 1n || ua === 0n) return zero();
        return;
      case "and":
        if (ub === 0n || ua === 0n) return zero();
        if (ub === ones || same) return keepA();
        if (ua === ones) return keepB();
        return;
      case "or":
        if (ub === 0n || same) return keepA();
        if (ua === 0n) return keepB();
        if (ub === ones || ua === ones) return this.toConst(b, k, i.dst, canon(ones, ty));
        return;
      case "xor":
        if (ub === 0n) return keepA();
        if (ua === 0n) return keepB();
        if (same) return zero();
        return;
      case "shl":
      case "lshr":
      case "ashr":
        if (ub !== undefined && (ub & BigInt(w - 1)) === 0n) return keepA();
        if (ua === 0n) return zero();
        return;
    }
  }

  foldTerm(b: { id: number; term: Terminator }): void {
    const t = b.term;
    switch (t.op) {
      case "br":
        return;
      case "ret":
        t.value = this.rewrite(t.value, isImm(t.value) || t.value.ty !== "i32" ? "alu64" : "alu32");
        return;
      case "cbr": {
        t.a = this.reg(t.a);
        const ctx: ImmCtx = t.width === 32 ? "alu32" : "alu64";
        t.b = this.rewrite(t.b, ctx);
        if (t.then === t.else) return this.setTerm(b, { op: "br", target: t.then });
        if (t.a.ty === "ptr") return;
        const ca = this.constOf(t.a, t.a.ty);
        // An immediate is read at the compare width (a 64-bit compare sees all of it).
        const cb = this.constOf(t.b, isImm(t.b) ? (t.width === 32 ? "i32" : "i64") : t.a.ty);
        // A value compared with itself (`x < x`) is decided whatever x holds; left to the verifier, it
        // walks both sides (the fuzzer's seed-20261205 program multiplied its states on the dead one).
        const self = !isImm(t.b) && t.b.id === t.a.id && t.cond !== "set";
        if (self || (ca !== undefined && cb !== undefined)) {
          const taken = (self ? SELF_TRUE.has(t.cond) : evalCond(t.cond, t.width, ca!, cb!)) ? t.then : t.else;
          const dropped = taken === t.then ? t.else : t.then;
          const db = this.f.blocks.find((x) => x.id === dropped);
          if (db) for (const p of db.phis) p.incoming = p.incoming.filter((inc) => inc.block !== b.id);
          this.cfgChanged = true;
          return this.setTerm(b, { op: "br", target: taken });
        }
        if (ca !== undefined && !isImm(t.b)) {
          const i = immFor(ca, t.a.ty, ctx);
          if (i !== undefined) {
            this.progress = true;
            t.cond = swappedCond[t.cond];
            t.a = t.b;
            t.b = imm(i);
          }
        }
        return;
      }
    }
  }

  setTerm(b: { term: Terminator }, t: Terminator): void {
    const loc = this.f.locs?.get(b.term);
    if (loc) this.f.locs!.set(t, loc);
    b.term = t;
    this.progress = true;
  }

  sweep(): void {
    const f = this.f;
    // Constants are constants wherever defined: seed them so back-edge phi operands see them.
    for (const b of f.blocks) {
      for (const i of b.insts) if (i.op === "const" && i.dst.ty !== "ptr") this.known.set(i.dst.id, canon(i.value, i.dst.ty));
    }
    const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
    for (const id of computeDominators(f).rpo) {
      const b = byId.get(id)!;
      // Phis: propagate into incomings, then replace trivial ones by a copy/const at block start.
      const kept = [];
      const front: Inst[] = [];
      for (const p of b.phis) {
        const ctx: ImmCtx = p.dst.ty === "i32" ? "alu32" : "alu64";
        for (const inc of p.incoming) inc.value = this.rewrite(inc.value, ctx);
        let key: string | undefined;
        let rep: Operand | undefined;
        let trivial = true;
        for (const inc of p.incoming) {
          const v = inc.value;
          if (!isImm(v) && this.resolve(v).id === p.dst.id) continue; // self reference
          const c = this.constOf(v, p.dst.ty);
          const kk = c !== undefined ? `c${c}` : isImm(v) ? `i${v.imm}` : `v${this.resolve(v).id}`;
          if (key === undefined) {
            key = kk;
            rep = c !== undefined && p.dst.ty !== "ptr" ? imm(c) : v;
          } else if (key !== kk) {
            trivial = false;
            break;
          }
        }
        if (!trivial || rep === undefined) {
          kept.push(p);
          continue;
        }
        this.progress = true;
        if (isImm(rep) && p.dst.ty !== "ptr") {
          front.push({ op: "const", dst: p.dst, value: canon(rep.imm, p.dst.ty) });
          this.known.set(p.dst.id, canon(rep.imm, p.dst.ty));
        } else {
          front.push({ op: "copy", dst: p.dst, a: rep });
          if (!isImm(rep)) this.alias.set(p.dst.id, this.resolve(rep));
        }
      }
      if (front.length > 0) {
        b.phis = kept;
        b.insts.unshift(...front);
      }
      for (let k = 0; k < b.insts.length; k++) {
        this.rewriteOperands(b.insts[k]!);
        this.foldInst(b, k);
      }
      this.foldTerm(b);
    }
    if (this.cfgChanged) removeUnreachableBlocks(f);
  }
}

/** Runs const-fold to a fixed point; returns true when the function changed. */
export function constFold(f: Func): boolean {
  let changed = false;
  for (let round = 0; round < 100; round++) {
    const folder = new Folder(f);
    folder.sweep();
    if (!folder.progress) break;
    changed = true;
  }
  return changed;
}
