// Pass: instruction selection.
//
// Needs:       a Func without phis (out-of-ssa.ts), every block reachable.
// Produces:    an MFunc (mir.ts): eBPF instructions over virtual registers. IR value vN lives in
//              virtual register VBASE+N; extra temps come after f.nextId. Fixed-register
//              constraints appear as copies to/from physical registers: parameters are copied out of
//              r1..r5 at entry, helper and subprogram (`callfn`, a pseudo call with a "call"
//              relocation) arguments into r1..r5 before `call`, the result out of r0, the return
//              value into r0 before `exit`, cmpxchg's expected value into r0 (r0 = old value after).
//              Fetching atomics are two-address: `mov d, value; atomic_fetch_op [base+off], d`.
//              `globaladdr` is ld_imm64 with a "map" relocation (the variable's symbol), `funcaddr`
//              ld_imm64 src=4 with a "func" relocation. ALU ops are two-address (`mov d, a; op d, b`); the
//              allocator coalesces the move when it can. Stack offsets are left as FrameRefs.
//              Loads/stores/atomics on a `stackaddr` value address the slot from r10 directly; the
//              address is materialised (`mov d, r10; add d, -off`) only where a use needs the
//              pointer. An i64 `bin` whose every use truncates it is computed with ALU32.
// Invalidates: nothing (the IR is only read).

import {
  type BinOp,
  type CondOp,
  type Func,
  type Inst,
  type Operand,
  type SourceLoc,
  type Terminator,
  type Ty,
  instUses,
  isImm,
  termUses,
} from "../ir/ir.js";
import { failFirstChecks } from "./packet-check-order.js";
import { atomic, atomicCmpxchg, atomicXchg, callPseudo, ldFunc } from "../isa/build.js";
import { ALU, JMP } from "../isa/opcodes.js";
import * as E from "./emit-helpers.js";
import { CALL_CLOBBERS, FP, type FrameRef, type MBlock, type MFunc, type MInst, VBASE, newVreg } from "./mir.js";

const BIN_OPS: Record<BinOp, { op: number; signed?: boolean }> = {
  add: { op: ALU.ADD },
  sub: { op: ALU.SUB },
  mul: { op: ALU.MUL },
  udiv: { op: ALU.DIV },
  sdiv: { op: ALU.DIV, signed: true },
  umod: { op: ALU.MOD },
  smod: { op: ALU.MOD, signed: true },
  and: { op: ALU.AND },
  or: { op: ALU.OR },
  xor: { op: ALU.XOR },
  shl: { op: ALU.LSH },
  lshr: { op: ALU.RSH },
  ashr: { op: ALU.ARSH },
};

const COND_OPS: Record<CondOp, number> = {
  eq: JMP.JEQ,
  ne: JMP.JNE,
  ugt: JMP.JGT,
  uge: JMP.JGE,
  ult: JMP.JLT,
  ule: JMP.JLE,
  sgt: JMP.JSGT,
  sge: JMP.JSGE,
  slt: JMP.JSLT,
  sle: JMP.JSLE,
  set: JMP.JSET,
};

export interface IselOptions {
  isProgram: boolean;
  /** "v3" (default): no MOVSX, SDIV or SMOD; see `sext` and `signedDivMod` below. */
  cpu?: "v3" | "v4";
}

export function select(f: Func, opts: IselOptions): MFunc {
  const mf: MFunc = {
    name: f.name,
    blocks: [],
    slots: f.slots,
    nextVreg: VBASE + f.nextId,
    spillSlots: 0,
    noSpill: new Set(),
  };
  const ctxParam = opts.isProgram ? f.params[0]?.id : undefined;
  if (f.params.length > 5) throw new Error(`internal: ${f.name} has more than 5 parameters`);
  const facts = analyse(f);
  const failFirst = failFirstChecks(f);

  for (const [bi, b] of f.blocks.entries()) {
    const out: MInst[] = [];
    let loc: SourceLoc | undefined = b.loc;
    let comment: string | undefined;
    const emit = (m: MInst): void => {
      m.loc = loc;
      if (comment !== undefined) {
        m.insn.comment = comment;
        comment = undefined;
      }
      out.push(m);
    };
    const cx = new Selector(mf, emit, ctxParam, facts, opts.cpu === "v4");
    if (bi === 0) {
      f.params.forEach((p, k) => emit(copy(vreg(p.id), k + 1)));
    }
    for (const inst of b.insts) {
      loc = f.locs?.get(inst) ?? loc;
      comment = describe(inst);
      cx.inst(inst);
    }
    loc = f.locs?.get(b.term) ?? loc;
    comment = describe(b.term);
    const mb: MBlock = { id: b.id, insns: out, termLoc: loc };
    cx.term(b.term, mb);
    const fail = failFirst.get(b.id);
    if (fail !== undefined) mb.walkFirst = fail;
    mf.blocks.push(mb);
  }
  return mf;
}

const vreg = (id: number): number => VBASE + id;

function copy(dst: number, src: number): MInst {
  return { insn: E.mov64(dst, src), defs: [dst], uses: [src], copy: true };
}

const def = (insn: ReturnType<typeof E.mk>, defs: number[], uses: number[]): MInst => ({
  insn,
  defs,
  uses: uses.filter((r) => r !== FP),
});

/** What isel needs to know about values before selecting: how they are used. */
interface Facts {
  /**
   * i64 `bin` results only ever truncated to 32 bits or less: computed with ALU32 instead (the low
   * 32 bits of add/sub/mul/and/or/xor, and of shl by a constant below 32, depend only on the low 32
   * bits of the operands), so the truncation is a plain copy. `sub` of two packet pointers this way
   * is `w6 -= w7`, as clang emits it.
   */
  narrow: Set<number>;
  /**
   * `stackaddr` results by value id -> slot. Loads, stores and atomics based on one address the
   * slot from r10 directly (`*(u32 *)(r10 - 8) = r1`); the address itself is only materialised
   * when something else uses it (a helper argument, a stored pointer, a phi).
   */
  stackAddrs: Map<number, number>;
  /** Stack addresses some use needs in a register. */
  stackAddrNeeded: Set<number>;
  /**
   * `coreoff` values whose one use is the offset of a `ptradd`: the add takes the relocated offset
   * as its immediate (`r3 += 0x6d8` carrying the CO-RE relocation, as clang emits for `&task->comm`)
   * instead of a `mov` of it first.
   */
  coreAdds: Map<number, Extract<Inst, { op: "coreoff" }>>;
}

const COMMUTATIVE: ReadonlySet<BinOp> = new Set(["add", "mul", "and", "or", "xor"]);
const NARROWABLE: ReadonlySet<BinOp> = new Set(["add", "sub", "mul", "and", "or", "xor", "shl"]);

function analyse(f: Func): Facts {
  const truncUses = new Map<number, number>();
  const allUses = new Map<number, number>();
  const count = (m: Map<number, number>, o: Operand): void => {
    if (!isImm(o)) m.set(o.id, (m.get(o.id) ?? 0) + 1);
  };
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) count(allUses, inc.value);
    for (const i of b.insts) {
      for (const o of instUses(i)) count(allUses, o);
      if (i.op === "trunc") count(truncUses, i.a);
    }
    for (const o of termUses(b.term)) count(allUses, o);
  }
  const narrow = new Set<number>();
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if (i.op !== "bin" || i.dst.ty !== "i64" || !NARROWABLE.has(i.kind)) continue;
      if (i.kind === "shl" && !(isImm(i.b) && BigInt.asUintN(64, i.b.imm) < 32n)) continue;
      const n = allUses.get(i.dst.id) ?? 0;
      if (n > 0 && truncUses.get(i.dst.id) === n) narrow.add(i.dst.id);
    }
  }
  const stackAddrs = new Map<number, number>();
  for (const b of f.blocks) for (const i of b.insts) if (i.op === "stackaddr") stackAddrs.set(i.dst.id, i.slot);
  const stackAddrNeeded = new Set<number>();
  const need = (o: Operand): void => {
    if (!isImm(o) && stackAddrs.has(o.id)) stackAddrNeeded.add(o.id);
  };
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) need(inc.value);
    for (const i of b.insts) {
      const base = i.op === "load" || i.op === "store" || i.op === "atomic_add" || i.op === "atomic" ? i.base : undefined;
      for (const o of instUses(i)) if (o !== base) need(o);
    }
    for (const o of termUses(b.term)) need(o);
  }
  const coreAdds = new Map<number, Extract<Inst, { op: "coreoff" }>>();
  const coreOffs = new Map<number, Extract<Inst, { op: "coreoff" }>>();
  for (const b of f.blocks) for (const i of b.insts) if (i.op === "coreoff") coreOffs.set(i.dst.id, i);
  for (const b of f.blocks)
    for (const i of b.insts)
      if (i.op === "ptradd" && !isImm(i.offset) && i.base.id !== i.offset.id && allUses.get(i.offset.id) === 1) {
        const c = coreOffs.get(i.offset.id);
        if (c) coreAdds.set(c.dst.id, c);
      }
  return { narrow, stackAddrs, stackAddrNeeded, coreAdds };
}

class Selector {
  constructor(
    private mf: MFunc,
    private emit: (m: MInst) => void,
    private ctxParam: number | undefined,
    private facts: Facts,
    private v4: boolean,
  ) {}

  /** Put a constant into register `d`, as an i32 (mov32) or a 64-bit value. */
  constant(d: number, ty: Ty, value: bigint): void {
    if (ty === "i32") this.emit(def(E.aluK(false, ALU.MOV, d, E.imm32(value)), [d], []));
    else if (E.fitsS32(value)) this.emit(def(E.aluK(true, ALU.MOV, d, Number(BigInt.asIntN(64, value))), [d], []));
    else this.emit(def(E.ldImm64(d, value), [d], []));
  }

  /** The register holding an operand; immediates are materialised into a fresh temp. */
  reg(o: Operand, ty: Ty): number {
    if (!isImm(o)) return vreg(o.id);
    const t = newVreg(this.mf);
    this.constant(t, ty, o.imm);
    return t;
  }

  /** d = a (a copy for values, a constant load for immediates). */
  moveInto(d: number, a: Operand, ty: Ty): void {
    if (isImm(a)) this.constant(d, ty, a.imm);
    else this.emit(copy(d, vreg(a.id)));
  }

  inst(i: Inst): void {
    switch (i.op) {
      case "const":
        return this.constant(vreg(i.dst.id), i.dst.ty, i.value);
      case "copy":
        return this.moveInto(vreg(i.dst.id), i.a, i.dst.ty);
      case "bin":
        if (this.facts.narrow.has(i.dst.id)) return this.bin(i.kind, vreg(i.dst.id), "i32", i.a, i.b);
        return this.bin(i.kind, vreg(i.dst.id), i.dst.ty, i.a, i.b);
      case "neg": {
        const d = vreg(i.dst.id);
        this.moveInto(d, i.a, i.dst.ty);
        return this.emit(def(E.neg(i.dst.ty !== "i32", d), [d], [d]));
      }
      case "zext":
        // i32 values are kept zero-extended, so the 64-bit value is the same bits.
        if (isImm(i.a)) return this.constant(vreg(i.dst.id), "i64", BigInt.asUintN(32, i.a.imm));
        return this.emit(copy(vreg(i.dst.id), vreg(i.a.id)));
      case "sext": {
        const d = vreg(i.dst.id);
        const is64 = i.dst.ty !== "i32";
        if (isImm(i.a)) {
          const v = BigInt.asIntN(i.from, i.a.imm);
          return this.constant(d, i.dst.ty, is64 ? v : BigInt.asUintN(32, v));
        }
        if (!is64 && i.from === 32) return this.emit(def(E.mov32(d, vreg(i.a.id)), [d], [vreg(i.a.id)]));
        if (this.v4) return this.emit(def(E.movsx(is64, d, vreg(i.a.id), i.from), [d], [vreg(i.a.id)]));
        // v3: move the field to the top of the register and shift it back arithmetically
        // (`lsh32 24; arsh32 24` for s8 -> i32, `lsh 32; arsh 32` for s32 -> i64).
        const sh = (is64 ? 64 : 32) - i.from;
        if (is64) this.emit(copy(d, vreg(i.a.id)));
        else this.emit(def(E.mov32(d, vreg(i.a.id)), [d], [vreg(i.a.id)]));
        this.emit(def(E.aluK(is64, ALU.LSH, d, sh), [d], [d]));
        return this.emit(def(E.aluK(is64, ALU.ARSH, d, sh), [d], [d]));
      }
      case "trunc": {
        const d = vreg(i.dst.id);
        if (isImm(i.a)) return this.constant(d, i.dst.ty, BigInt.asUintN(i.to, i.a.imm));
        const a = vreg(i.a.id);
        // A narrowed value is zero-extended already: the truncation to 32 bits is a copy. Below 32
        // bits the ALU32 mask zero-extends, so a plain (coalescable) copy precedes it.
        if (this.facts.narrow.has(i.a.id) || i.to < 32) this.emit(copy(d, a));
        else this.emit(def(E.mov32(d, a), [d], [a]));
        if (i.to < 32) this.emit(def(E.aluK(false, ALU.AND, d, i.to === 8 ? 0xff : 0xffff), [d], [d]));
        return;
      }
      case "bswap": {
        const d = vreg(i.dst.id);
        this.moveInto(d, i.a, i.dst.ty);
        return this.emit(def(E.toBe(d, i.bits), [d], [d]));
      }
      case "ptradd": {
        const d = vreg(i.dst.id);
        this.emit(copy(d, vreg(i.base.id)));
        const core = isImm(i.offset) ? undefined : this.facts.coreAdds.get(i.offset.id);
        if (core) {
          const insn = E.aluK(true, ALU.ADD, d, Number(BigInt.asIntN(32, core.value)));
          insn.reloc = { kind: "core", relo: core.relo };
          return this.emit(def(insn, [d], [d]));
        }
        return this.aluOperand(true, ALU.ADD, d, i.offset, "i64");
      }
      case "load": {
        const d = vreg(i.dst.id);
        const slot = this.facts.stackAddrs.get(i.base.id);
        if (slot !== undefined) return this.emit({ ...def(E.ldx(i.width, d, FP, 0), [d], []), frame: slotRef(slot, i.offset) });
        const base = vreg(i.base.id);
        const insn = E.ldx(i.width, d, base, checkOff(i.offset));
        if (i.core) insn.reloc = { kind: "core", relo: i.core };
        return this.emit(def(insn, [d], [base]));
      }
      case "ctxptr": {
        const d = vreg(i.dst.id);
        const ctx = vreg(i.ctx.id);
        return this.emit(def(E.ldx(4, d, ctx, checkOff(i.offset)), [d], [ctx]));
      }
      case "store": {
        const slot = this.facts.stackAddrs.get(i.base.id);
        const base = slot !== undefined ? FP : vreg(i.base.id);
        const off = slot !== undefined ? 0 : checkOff(i.offset);
        const frame = slot !== undefined ? { frame: slotRef(slot, i.offset) } : {};
        const v = i.value;
        // ST (immediate store) is rejected on ctx, and an 8-byte ST only sign-extends an s32.
        if (isImm(v) && i.base.id !== this.ctxParam && (i.width < 8 || E.fitsS32(v.imm))) {
          const imm = i.width < 8 ? Number(BigInt.asIntN(32, BigInt.asUintN(i.width * 8, v.imm))) : Number(BigInt.asIntN(64, v.imm));
          return this.emit({ ...def(E.st(i.width, base, off, imm), [], [base]), ...frame });
        }
        const r = this.reg(v, i.width === 8 ? "i64" : "i32");
        return this.emit({ ...def(E.stx(i.width, base, r, off), [], [base, r]), ...frame });
      }
      case "stackaddr": {
        // Only materialised when a use needs the address itself (see Facts.stackAddrs).
        if (!this.facts.stackAddrNeeded.has(i.dst.id)) return;
        const d = vreg(i.dst.id);
        this.emit(def(E.mov64(d, FP), [d], []));
        return this.emit({ ...def(E.aluK(true, ALU.ADD, d, 0), [d], [d]), frame: { kind: "slot", slot: i.slot, field: "imm" } });
      }
      case "mapaddr": {
        const d = vreg(i.dst.id);
        return this.emit(def(E.ldImm64(d, 0n, { kind: "map", symbol: i.map }), [d], []));
      }
      case "call": {
        if (i.args.length > 5) throw new Error(`internal: helper ${i.helper} called with more than 5 arguments`);
        i.args.forEach((a, k) => this.moveInto(k + 1, a, isImm(a) ? "i64" : a.ty));
        const argRegs = i.args.map((_, k) => k + 1);
        this.emit({ insn: E.callHelper(i.helper), defs: [...CALL_CLOBBERS], uses: argRegs, call: true });
        if (i.dst) this.emit(copy(vreg(i.dst.id), 0));
        return;
      }
      case "atomic_add": {
        const slot = this.facts.stackAddrs.get(i.base.id);
        const v = vreg(i.value.id);
        if (slot !== undefined) return this.emit({ ...def(E.atomicAdd(i.width, FP, v, 0), [], [v]), frame: slotRef(slot, i.offset) });
        const base = vreg(i.base.id);
        return this.emit(def(E.atomicAdd(i.width, base, v, checkOff(i.offset)), [], [base, v]));
      }
      case "callfn": {
        // Same register convention as a helper call: args in r1..r5, r0 out, r0..r5 clobbered. The
        // callee has its own r6..r9 (the kernel saves the caller's), so values in r6..r9 survive.
        if (i.args.length > 5) throw new Error(`internal: ${i.func} called with more than 5 arguments`);
        i.args.forEach((a, k) => this.moveInto(k + 1, a, isImm(a) ? "i64" : a.ty));
        const argRegs = i.args.map((_, k) => k + 1);
        this.emit({ insn: callPseudo(i.func), defs: [...CALL_CLOBBERS], uses: argRegs, call: true });
        if (i.dst) this.emit(copy(vreg(i.dst.id), 0));
        return;
      }
      case "globaladdr": {
        const d = vreg(i.dst.id);
        return this.emit(def(E.ldImm64(d, 0n, { kind: "map", symbol: i.symbol }), [d], []));
      }
      case "funcaddr": {
        const d = vreg(i.dst.id);
        return this.emit(def(ldFunc(d, i.func), [d], []));
      }
      case "coreoff": {
        if (this.facts.coreAdds.has(i.dst.id)) return; // the ptradd that uses it carries it
        // `mov64 d, imm` carrying the CO-RE relocation, as clang emits for BPF_CORE_READ.
        const d = vreg(i.dst.id);
        const insn = E.aluK(true, ALU.MOV, d, Number(BigInt.asIntN(32, i.value)));
        insn.reloc = { kind: "core", relo: i.relo };
        return this.emit(def(insn, [d], []));
      }
      case "atomic":
        return this.atomic(i);
    }
  }

  private atomic(i: Extract<Inst, { op: "atomic" }>): void {
    const slot = this.facts.stackAddrs.get(i.base.id);
    const base = slot !== undefined ? FP : vreg(i.base.id);
    const off = slot !== undefined ? 0 : checkOff(i.offset);
    const frame = slot !== undefined ? { frame: slotRef(slot, i.offset) } : {};
    const ty: Ty = i.width === 4 ? "i32" : "i64";
    if (i.kind === "cmpxchg") {
      // r0 = expected; cmpxchg compares [base+off] with r0, stores src on a match; r0 = old value.
      if (i.expected === undefined) throw new Error("internal: cmpxchg without an expected value");
      const v = this.reg(i.value, ty);
      this.moveInto(0, i.expected, ty);
      this.emit({ ...def(atomicCmpxchg(i.width, base, v, off), [0], [base, v, 0]), ...frame });
      if (i.dst) this.emit(copy(vreg(i.dst.id), 0));
      return;
    }
    if (i.kind === "xchg" || i.fetch) {
      // The source register receives the old value: dst = value; op [base+off], dst.
      const d = i.dst ? vreg(i.dst.id) : newVreg(this.mf);
      this.moveInto(d, i.value, ty);
      const insn = i.kind === "xchg" ? atomicXchg(i.width, base, d, off) : atomic(i.kind, i.width, base, d, off, true);
      this.emit({ ...def(insn, [d], [base, d]), ...frame });
      return;
    }
    const v = this.reg(i.value, ty);
    this.emit({ ...def(atomic(i.kind, i.width, base, v, off, false), [], [base, v]), ...frame });
  }

  private bin(kind: BinOp, d: number, ty: Ty, a: Operand, b: Operand): void {
    const is64 = ty !== "i32";
    const { op, signed } = BIN_OPS[kind];
    // `14 + x`: commutative, so `d = x; d += 14` rather than materialising the constant first.
    if (isImm(a) && !isImm(b) && COMMUTATIVE.has(kind)) [a, b] = [b, a];
    if (isImm(b)) {
      let imm = b.imm;
      const isDivMod = op === ALU.DIV || op === ALU.MOD;
      // The verifier rejects a constant zero divisor; BPF defines x/0 = 0 and x%0 = x.
      if (isDivMod && (is64 ? BigInt.asUintN(64, imm) : BigInt.asUintN(32, imm)) === 0n) {
        if (op === ALU.DIV) return this.constant(d, ty, 0n);
        return this.moveInto(d, a, ty);
      }
      // The verifier rejects out-of-range constant shifts; the machine masks the amount.
      if (op === ALU.LSH || op === ALU.RSH || op === ALU.ARSH) imm &= is64 ? 63n : 31n;
      b = { imm };
    }
    if (signed && !this.v4) return this.signedDivMod(op, d, ty, a, b);
    this.moveInto(d, a, ty);
    this.aluOperand(is64, op, d, b, ty, signed ? 1 : 0);
  }

  /**
   * cpu v3 SDIV/SMOD (C truncating semantics, exactly what v4's off=1 forms compute) from the
   * unsigned ops, branch-free. With sa, sb the sign masks (x >>s (bits-1)) and |x| = (x ^ s) - s:
   *   a / b = ((|a| /u |b|) ^ (sa ^ sb)) - (sa ^ sb)      a % b = ((|a| %u |b|) ^ sa) - sa
   * |INT_MIN| is 2^(bits-1) as an unsigned value, so INT_MIN / -1 = INT_MIN and INT_MIN % -1 = 0;
   * b = 0 gives |a| /u 0 = 0 and |a| %u 0 = |a|, i.e. x / 0 = 0 and x % 0 = x, as the ISA defines.
   * A constant divisor (never 0 here, see `bin`) is folded to its magnitude and known sign.
   */
  private signedDivMod(op: number, d: number, ty: Ty, a: Operand, b: Operand): void {
    const is64 = ty !== "i32";
    const bits = is64 ? 64 : 32;
    const top = bits - 1;
    const signMask = (s: number, src: number): void => {
      if (is64) this.emit(copy(s, src));
      else this.emit(def(E.mov32(s, src), [s], [src]));
      this.emit(def(E.aluK(is64, ALU.ARSH, s, top), [s], [s]));
    };
    const applySign = (x: number, s: number): void => {
      this.emit(def(E.aluX(is64, ALU.XOR, x, s), [x], [x, s]));
      this.emit(def(E.aluX(is64, ALU.SUB, x, s), [x], [x, s]));
    };
    const ra = this.reg(a, ty);
    const sa = newVreg(this.mf);
    signMask(sa, ra);
    this.emit(copy(d, ra));
    applySign(d, sa);
    if (isImm(b)) {
      const v = BigInt.asIntN(bits, b.imm);
      const neg = v < 0n;
      const mag = BigInt.asUintN(bits, neg ? -v : v);
      this.aluOperand(is64, op, d, { imm: mag }, ty);
      if (op === ALU.MOD || !neg) return applySign(d, sa);
      // Negative constant divisor: the quotient's sign is the opposite of a's.
      applySign(d, sa);
      return this.emit(def(E.neg(is64, d), [d], [d]));
    }
    const rb = vreg(b.id);
    const sb = newVreg(this.mf);
    signMask(sb, rb);
    const mb = newVreg(this.mf);
    this.emit(is64 ? copy(mb, rb) : def(E.mov32(mb, rb), [mb], [rb]));
    applySign(mb, sb);
    this.emit(def(E.aluX(is64, op, d, mb), [d], [d, mb]));
    if (op === ALU.MOD) return applySign(d, sa);
    this.emit(def(E.aluX(is64, ALU.XOR, sa, sb), [sa], [sa, sb]));
    applySign(d, sa);
  }

  /** d = d op b, with the K form when b is an immediate the instruction can hold. */
  private aluOperand(is64: boolean, op: number, d: number, b: Operand, ty: Ty, off = 0): void {
    if (isImm(b) && (!is64 || E.fitsS32(b.imm))) {
      const imm = is64 ? Number(BigInt.asIntN(64, b.imm)) : E.imm32(b.imm);
      return this.emit(def(E.aluK(is64, op, d, imm, off), [d], [d]));
    }
    const r = this.reg(b, ty);
    this.emit(def(E.aluX(is64, op, d, r, off), [d], [d, r]));
  }

  term(t: Terminator, mb: MBlock): void {
    switch (t.op) {
      case "br":
        mb.fall = t.target;
        return;
      case "cbr": {
        const is64 = t.width === 64;
        const a = vreg(t.a.id);
        const op = COND_OPS[t.cond];
        const b = t.b;
        if (isImm(b) && (!is64 || E.fitsS32(b.imm))) {
          const imm = is64 ? Number(BigInt.asIntN(64, b.imm)) : E.imm32(b.imm);
          this.emit({ ...def(E.jmpK(is64, op, a, imm), [], [a]), target: t.then });
        } else {
          const r = this.reg(b, is64 ? "i64" : "i32");
          this.emit({ ...def(E.jmpX(is64, op, a, r), [], [a, r]), target: t.then });
        }
        mb.fall = t.else;
        return;
      }
      case "ret":
        this.moveInto(0, t.value, isImm(t.value) ? "i64" : t.value.ty);
        this.emit({ insn: E.exit(), defs: [], uses: [0] });
        return;
    }
  }
}

/** An r10-relative access `offset` bytes into stack slot `slot` (the frame fills in `off`). */
function slotRef(slot: number, offset: number): FrameRef {
  return { kind: "slot", slot, field: "off", add: offset };
}

function checkOff(off: number): number {
  if (!E.fitsS16(off)) throw new Error(`internal: memory offset ${off} does not fit in 16 bits`);
  return off;
}

/** A one-line rendering of an IR instruction, attached to its first machine instruction. */
function describe(i: Inst | Terminator): string {
  const o = (x: Operand): string => (isImm(x) ? `${x.imm}` : `v${x.id}`);
  switch (i.op) {
    case "br":
      return `br b${i.target}`;
    case "cbr":
      return `cbr ${i.cond}${i.width} ${o(i.a)}, ${o(i.b)}, b${i.then}, b${i.else}`;
    case "ret":
      return `ret ${o(i.value)}`;
    case "store":
      return `store${i.width * 8} [${o(i.base)}+${i.offset}], ${o(i.value)}`;
    case "atomic_add":
      return `atomic_add${i.width * 8} [${o(i.base)}+${i.offset}], ${o(i.value)}`;
    case "call":
      return `${i.dst ? `v${i.dst.id} = ` : ""}call ${i.helper}(${i.args.map(o).join(", ")})`;
    case "const":
      return `v${i.dst.id} = ${i.value}`;
    case "bin":
      return `v${i.dst.id} = ${i.kind} ${o(i.a)}, ${o(i.b)}`;
    case "load":
      return `v${i.dst.id} = load${i.width * 8} [${o(i.base)}+${i.offset}]`;
    case "ctxptr":
      return `v${i.dst.id} = ctxptr [${o(i.ctx)}+${i.offset}]`;
    case "ptradd":
      return `v${i.dst.id} = ptradd ${o(i.base)}, ${o(i.offset)}`;
    case "stackaddr":
      return `v${i.dst.id} = stackaddr s${i.slot}`;
    case "mapaddr":
      return `v${i.dst.id} = mapaddr ${i.map}`;
    case "globaladdr":
      return `v${i.dst.id} = globaladdr ${i.section} ${i.symbol}`;
    case "funcaddr":
      return `v${i.dst.id} = funcaddr ${i.func}`;
    case "coreoff":
      return `v${i.dst.id} = coreoff ${i.value} (CO-RE ${i.relo.access})`;
    case "callfn":
      return `${i.dst ? `v${i.dst.id} = ` : ""}callfn ${i.func}(${i.args.map(o).join(", ")})`;
    case "atomic":
      return (
        `${i.dst ? `v${i.dst.id} = ` : ""}atomic_${i.kind}${i.fetch ? "_fetch" : ""}${i.width * 8} [${o(i.base)}+${i.offset}], ${o(i.value)}` +
        (i.expected !== undefined ? `, ${o(i.expected)}` : "")
      );
    default:
      return `v${i.dst.id} = ${i.op} ${o(i.a)}`;
  }
}
