// IR verifier. checkFunc returns one message per problem found (empty when the function is valid).
//
// Rules: the function has blocks, unique block ids and slot ids, at most five params; branch targets
// exist; the entry block has no predecessors; every block is reachable from the entry; every value is
// defined exactly once and has an id below nextId; every use names a defined value, with the type it
// was defined with, and is dominated by its definition (a phi's incoming value must be available at
// the end of that predecessor); phis have exactly one incoming per predecessor and none from
// elsewhere; operand types fit each instruction (see `checkInst`); immediates fit their type.

import { computeDominators } from "./dominators.js";
import {
  type Func,
  type Inst,
  type Module,
  type Operand,
  type Terminator,
  type Ty,
  type Value,
  instUses,
  isImm,
  isValue,
  successors,
  termUses,
} from "./ir.js";
import { printInst } from "./print.js";

const I32_MIN = -(1n << 31n);
const I32_END = 1n << 32n;
const I64_MIN = -(1n << 63n);
const I64_END = 1n << 64n;

/** Does immediate `v` denote a value of scalar type `ty`? (i32: -2^31..2^32-1, i64: -2^63..2^64-1) */
export function immFitsType(v: bigint, ty: "i32" | "i64"): boolean {
  return ty === "i32" ? v >= I32_MIN && v < I32_END : v >= I64_MIN && v < I64_END;
}

const bitsOf = (ty: Ty): number => (ty === "i32" ? 32 : 64);
const isScalar = (ty: Ty): ty is "i32" | "i64" => ty === "i32" || ty === "i64";

interface Def {
  ty: Ty;
  block: number; // -1 for params
  index: number; // -1 for phis and params; instruction index otherwise
}

export function checkFunc(f: Func): string[] {
  const errs: string[] = [];
  if (f.blocks.length === 0) return ["function has no blocks"];

  // Blocks, slots, params.
  const blockIds = new Set<number>();
  for (const b of f.blocks) {
    if (blockIds.has(b.id)) errs.push(`block b${b.id} appears more than once`);
    blockIds.add(b.id);
  }
  if (f.ctxIndex !== undefined && f.ctxIndex !== -1 && f.params[f.ctxIndex]?.ty !== "ptr")
    errs.push(`ctxIndex ${f.ctxIndex} names no pointer parameter`);
  const slotIds = new Set<number>();
  for (const s of f.slots) {
    if (slotIds.has(s.id)) errs.push(`stack slot s${s.id} declared more than once`);
    slotIds.add(s.id);
    if (!(Number.isInteger(s.size) && s.size > 0)) errs.push(`stack slot s${s.id} has bad size ${s.size}`);
    if (![1, 2, 4, 8].includes(s.align)) errs.push(`stack slot s${s.id} has bad alignment ${s.align}`);
  }
  if (f.params.length > 5) errs.push(`function has ${f.params.length} params (at most 5)`);

  for (const b of f.blocks) {
    for (const s of successors(b.term)) {
      if (!blockIds.has(s)) errs.push(`b${b.id}: branch to missing block b${s}`);
    }
  }

  const dt = computeDominators(f);
  const entry = f.blocks[0]!;
  const preds = dt.preds;
  if (preds.get(entry.id)!.length > 0) {
    errs.push(
      `entry block b${entry.id} has predecessors ${preds
        .get(entry.id)!
        .map((p) => "b" + p)
        .join(", ")}`,
    );
  }
  for (const b of f.blocks) {
    if (!dt.isReachable(b.id)) errs.push(`block b${b.id} is unreachable from the entry`);
  }

  // Definitions.
  const defs = new Map<number, Def>();
  const define = (v: Value, d: Def, where: string) => {
    if (!isValue(v)) {
      errs.push(`${where}: destination is not a value`);
      return;
    }
    if (defs.has(v.id)) errs.push(`${where}: %${v.id} is defined more than once`);
    else defs.set(v.id, d);
    if (!(Number.isInteger(v.id) && v.id >= 0 && v.id < f.nextId)) errs.push(`${where}: value id %${v.id} is not below nextId ${f.nextId}`);
    if (!["i32", "i64", "ptr"].includes(v.ty)) errs.push(`${where}: %${v.id} has unknown type '${v.ty}'`);
  };
  for (const p of f.params) define(p, { ty: p.ty, block: -1, index: -1 }, "params");
  for (const b of f.blocks) {
    for (const p of b.phis) define(p.dst, { ty: p.dst.ty, block: b.id, index: -1 }, `b${b.id}: phi`);
    b.insts.forEach((i, k) => {
      if ("dst" in i && i.dst) define(i.dst, { ty: i.dst.ty, block: b.id, index: k }, `b${b.id}: ${printInst(i)}`);
    });
  }

  /** Is `d` available at position `index` of block `block` (index = insts.length for the end)? */
  const available = (d: Def, block: number, index: number): boolean => {
    if (d.block === -1) return true;
    if (d.block === block) return d.index < index;
    return dt.dominates(d.block, block);
  };

  const checkUse = (o: Operand, block: number, index: number, where: string) => {
    if (isImm(o)) {
      if (typeof o.imm !== "bigint") errs.push(`${where}: immediate is not a bigint`);
      return;
    }
    if (!isValue(o)) {
      errs.push(`${where}: operand is neither a value nor an immediate`);
      return;
    }
    const d = defs.get(o.id);
    if (!d) {
      errs.push(`${where}: use of undefined value %${o.id}`);
      return;
    }
    if (d.ty !== o.ty) errs.push(`${where}: %${o.id} is used as ${o.ty} but defined as ${d.ty}`);
    if (dt.isReachable(block) && !available(d, block, index)) {
      errs.push(`${where}: use of %${o.id} is not dominated by its definition`);
    }
  };

  for (const b of f.blocks) {
    const ps = preds.get(b.id)!;
    for (const p of b.phis) {
      const where = `b${b.id}: %${p.dst.id} = phi`;
      if (ps.length === 0) errs.push(`${where}: phi in a block without predecessors`);
      const seen = new Set<number>();
      for (const inc of p.incoming) {
        if (seen.has(inc.block)) errs.push(`${where}: more than one incoming for b${inc.block}`);
        seen.add(inc.block);
        if (!ps.includes(inc.block)) {
          errs.push(`${where}: incoming from b${inc.block}, which is not a predecessor`);
          continue;
        }
        checkUse(inc.value, inc.block, Number.MAX_SAFE_INTEGER, `${where} [b${inc.block}]`);
        checkValueFits(inc.value, p.dst.ty, `${where} [b${inc.block}]`, errs);
      }
      for (const q of ps) if (!seen.has(q)) errs.push(`${where}: no incoming for predecessor b${q}`);
    }
    b.insts.forEach((i, k) => {
      const where = `b${b.id}: ${safePrint(i)}`;
      for (const o of instUsesSafe(i)) checkUse(o, b.id, k, where);
      checkInst(f, i, where, errs, slotIds);
    });
    const where = `b${b.id}: ${safePrint(b.term)}`;
    for (const o of termUsesSafe(b.term)) checkUse(o, b.id, b.insts.length, where);
    checkTerm(b.term, where, errs);
  }
  return errs;
}

/**
 * checkFunc on every function, plus the rules between functions: names are unique; every `callfn`
 * and `funcaddr` names a function of the module; a `callfn` passes exactly the callee's parameter
 * count, each argument fitting the parameter's type (immediates are passed as 64-bit values, so
 * one for an i32 parameter must be in [0, 2^32)); a `callfn` result of type T needs every `ret`
 * of the callee to produce a T (an i32 result: i32 values or immediates in [0, 2^32); a ptr
 * result: ptr values or 0; an i64 result: anything but ptr).
 */
export function checkModule(m: Module): string[] {
  const errs: string[] = [];
  const byName = new Map<string, Func>();
  for (const f of m.funcs) {
    if (byName.has(f.name)) errs.push(`function ${f.name} is defined more than once`);
    else byName.set(f.name, f);
    for (const e of checkFunc(f)) errs.push(`${f.name}: ${e}`);
  }
  for (const f of m.funcs) {
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if (i.op !== "callfn" && i.op !== "funcaddr") continue;
        const where = `${f.name}: b${b.id}: ${safePrint(i)}`;
        const callee = byName.get(i.func);
        if (!callee) {
          errs.push(`${where}: no function '${i.func}' in the module`);
          continue;
        }
        if (i.op === "funcaddr") continue;
        if (i.args.length !== callee.params.length) {
          errs.push(`${where}: ${i.args.length} arguments, but ${callee.name} takes ${callee.params.length}`);
        } else {
          i.args.forEach((a, k) => {
            const pty = callee.params[k]!.ty;
            // Immediates travel as 64-bit values in r1..r5: an i32 parameter needs the zero-extended form.
            if (isImm(a) && pty === "i32" && !(a.imm >= 0n && a.imm < I32_END)) {
              errs.push(`${where} argument ${k + 1}: immediate ${a.imm} for an i32 parameter must be in [0, 2^32)`);
            } else checkValueFits(a, pty, `${where} argument ${k + 1}`, errs);
          });
        }
        if (i.dst) {
          const want = i.dst.ty;
          for (const cb of callee.blocks) {
            if (cb.term.op !== "ret") continue;
            const v = cb.term.value;
            const ok = isImm(v)
              ? want === "ptr"
                ? v.imm === 0n
                : want === "i32"
                  ? v.imm >= 0n && v.imm < I32_END
                  : true
              : want === "i64"
                ? v.ty !== "ptr"
                : v.ty === want;
            if (!ok) errs.push(`${where}: result is ${want}, but ${callee.name} b${cb.id} returns ${safePrint(cb.term)}`);
          }
        }
      }
    }
  }
  return errs;
}

function safePrint(x: Inst | Terminator): string {
  try {
    return printInst(x);
  } catch {
    return x.op;
  }
}

/** instUses/termUses, tolerant of malformed input: the checker may be handed anything. */
function instUsesSafe(i: Inst): Operand[] {
  return (instUses(i) ?? []).filter((o) => o !== undefined);
}

function termUsesSafe(t: Terminator): Operand[] {
  return (termUses(t) ?? []).filter((o) => o !== undefined);
}

/** `o` (a value or an immediate) used where a `ty` is wanted. */
function checkValueFits(o: Operand, ty: Ty, where: string, errs: string[]): void {
  if (isImm(o)) {
    if (ty === "ptr") {
      if (o.imm !== 0n) errs.push(`${where}: immediate ${o.imm} used as a ptr (only 0 is allowed)`);
    } else if (!immFitsType(o.imm, ty)) errs.push(`${where}: immediate ${o.imm} does not fit ${ty}`);
  } else if (isValue(o) && o.ty !== ty) errs.push(`${where}: %${o.id} is ${o.ty}, expected ${ty}`);
}

function scalarOperand(o: Operand, ty: "i32" | "i64", where: string, errs: string[], what = "operand"): void {
  if (isImm(o)) {
    if (!immFitsType(o.imm, ty)) errs.push(`${where}: immediate ${what} ${o.imm} does not fit ${ty}`);
  } else if (isValue(o) && o.ty !== ty) errs.push(`${where}: ${what} %${o.id} is ${o.ty}, expected ${ty}`);
}

/** Any scalar (i32 or i64) or an immediate. */
function anyScalar(o: Operand, where: string, errs: string[], what = "operand"): void {
  if (isImm(o)) {
    if (!immFitsType(o.imm, "i64")) errs.push(`${where}: immediate ${what} ${o.imm} does not fit 64 bits`);
  } else if (isValue(o) && !isScalar(o.ty)) errs.push(`${where}: ${what} %${o.id} is ${o.ty}, expected a scalar`);
}

function reg(o: Operand, ty: Ty | undefined, where: string, errs: string[], what: string): void {
  if (!isValue(o)) errs.push(`${where}: ${what} must be a value, not an immediate`);
  else if (ty && o.ty !== ty) errs.push(`${where}: ${what} %${o.id} is ${o.ty}, expected ${ty}`);
}

function checkOffset(n: number, where: string, errs: string[]): void {
  if (!Number.isInteger(n)) errs.push(`${where}: offset ${n} is not an integer`);
}

function dstScalar(d: Value, where: string, errs: string[]): d is Value & { ty: "i32" | "i64" } {
  if (isScalar(d.ty)) return true;
  errs.push(`${where}: result must be i32 or i64, not ${d.ty}`);
  return false;
}

function checkInst(f: Func, i: Inst, where: string, errs: string[], slots: Set<number>): void {
  switch (i.op) {
    case "const":
      if (dstScalar(i.dst, where, errs) && (typeof i.value !== "bigint" || !immFitsType(i.value, i.dst.ty))) {
        errs.push(`${where}: constant ${i.value} does not fit ${i.dst.ty}`);
      }
      return;
    case "bin":
      // Pointer difference (data_end - data): sub of two pointers into an i64.
      if (i.kind === "sub" && i.dst.ty === "i64" && isPtr(i.a) && isPtr(i.b)) return;
      if (dstScalar(i.dst, where, errs)) {
        scalarOperand(i.a, i.dst.ty, where, errs, "left operand");
        scalarOperand(i.b, i.dst.ty, where, errs, "right operand");
      }
      return;
    case "neg":
      if (dstScalar(i.dst, where, errs)) scalarOperand(i.a, i.dst.ty, where, errs);
      return;
    case "copy":
      checkValueFits(i.a, i.dst.ty, where, errs);
      return;
    case "zext":
      if (i.dst.ty !== "i64") errs.push(`${where}: zext produces i64, not ${i.dst.ty}`);
      scalarOperand(i.a, "i32", where, errs);
      return;
    case "sext":
    case "trunc":
    case "bswap": {
      const bits = i.op === "sext" ? i.from : i.op === "trunc" ? i.to : i.bits;
      const allowed = i.op === "bswap" ? [16, 32, 64] : [8, 16, 32];
      if (!allowed.includes(bits)) errs.push(`${where}: bad width ${bits}`);
      if (dstScalar(i.dst, where, errs)) {
        if (bits > bitsOf(i.dst.ty)) errs.push(`${where}: width ${bits} is wider than the ${i.dst.ty} result`);
        else if (i.op === "sext" && bits === bitsOf(i.dst.ty)) errs.push(`${where}: sext.${bits} into ${i.dst.ty} does nothing (use copy)`);
      }
      anyScalar(i.a, where, errs);
      return;
    }
    case "ptradd":
      if (i.dst.ty !== "ptr") errs.push(`${where}: ptradd produces ptr, not ${i.dst.ty}`);
      reg(i.base, "ptr", where, errs, "base");
      anyScalar(i.offset, where, errs, "offset");
      return;
    case "load":
      reg(i.base, "ptr", where, errs, "base");
      checkOffset(i.offset, where, errs);
      if (![1, 2, 4, 8].includes(i.width)) errs.push(`${where}: bad load width ${i.width}`);
      else if (i.width <= 4 && i.dst.ty !== "i32") errs.push(`${where}: a ${i.width}-byte load produces i32, not ${i.dst.ty}`);
      else if (i.width === 8 && i.dst.ty === "i32") errs.push(`${where}: an 8-byte load produces i64 or ptr, not i32`);
      return;
    case "ctxptr":
      if (i.dst.ty !== "ptr") errs.push(`${where}: ctxptr produces ptr, not ${i.dst.ty}`);
      reg(i.ctx, "ptr", where, errs, "context");
      checkOffset(i.offset, where, errs);
      return;
    case "store":
      reg(i.base, "ptr", where, errs, "base");
      checkOffset(i.offset, where, errs);
      if (![1, 2, 4, 8].includes(i.width)) errs.push(`${where}: bad store width ${i.width}`);
      if (isValue(i.value) && i.value.ty === "ptr" && i.width !== 8) errs.push(`${where}: a ptr can only be stored with width 8`);
      if (isImm(i.value)) anyScalar(i.value, where, errs, "value");
      return;
    case "stackaddr":
      if (i.dst.ty !== "ptr") errs.push(`${where}: stackaddr produces ptr, not ${i.dst.ty}`);
      if (!slots.has(i.slot)) errs.push(`${where}: no stack slot s${i.slot}`);
      return;
    case "mapaddr":
      if (i.dst.ty !== "ptr") errs.push(`${where}: mapaddr produces ptr, not ${i.dst.ty}`);
      if (typeof i.map !== "string" || i.map.length === 0) errs.push(`${where}: empty map name`);
      return;
    case "call":
      if (!(Number.isInteger(i.helper) && i.helper >= 0)) errs.push(`${where}: bad helper id ${i.helper}`);
      if (i.args.length > 5) errs.push(`${where}: ${i.args.length} arguments (at most 5)`);
      for (const a of i.args) if (isImm(a)) anyScalar(a, where, errs, "argument");
      if (i.dst && i.dst.ty === "i32") errs.push(`${where}: a call result is i64 or ptr, not i32`);
      return;
    case "atomic_add":
      reg(i.base, "ptr", where, errs, "base");
      checkOffset(i.offset, where, errs);
      if (i.width !== 4 && i.width !== 8) errs.push(`${where}: bad atomic width ${i.width}`);
      reg(i.value, undefined, where, errs, "value");
      if (isValue(i.value)) {
        if (i.width === 8 && i.value.ty !== "i64") errs.push(`${where}: an 8-byte atomic add needs an i64 value, not ${i.value.ty}`);
        if (i.width === 4 && !isScalar(i.value.ty)) errs.push(`${where}: atomic add value must be a scalar`);
      }
      return;
    case "callfn":
      if (typeof i.func !== "string" || i.func.length === 0) errs.push(`${where}: empty function name`);
      if (i.args.length > 5) errs.push(`${where}: ${i.args.length} arguments (at most 5)`);
      for (const a of i.args) if (isImm(a)) anyScalar(a, where, errs, "argument");
      return;
    case "globaladdr":
      if (i.dst.ty !== "ptr") errs.push(`${where}: globaladdr produces ptr, not ${i.dst.ty}`);
      if (!GLOBAL_SECTIONS.includes(i.section)) errs.push(`${where}: unknown global section '${i.section}'`);
      if (typeof i.symbol !== "string" || i.symbol.length === 0) errs.push(`${where}: empty variable name`);
      return;
    case "coreoff":
      if (i.dst.ty !== "i64") errs.push(`${where}: coreoff produces i64, not ${i.dst.ty}`);
      return;
    case "funcaddr":
      if (i.dst.ty !== "ptr") errs.push(`${where}: funcaddr produces ptr, not ${i.dst.ty}`);
      if (typeof i.func !== "string" || i.func.length === 0) errs.push(`${where}: empty function name`);
      return;
    case "atomic": {
      reg(i.base, "ptr", where, errs, "base");
      checkOffset(i.offset, where, errs);
      if (!ATOMIC_KINDS.includes(i.kind)) errs.push(`${where}: unknown atomic operation '${i.kind}'`);
      if (i.width !== 4 && i.width !== 8) {
        errs.push(`${where}: bad atomic width ${i.width}`);
        return;
      }
      const ty = i.width === 4 ? "i32" : "i64";
      const always = i.kind === "xchg" || i.kind === "cmpxchg";
      if (always && !i.fetch) errs.push(`${where}: ${i.kind} always fetches the old value (fetch must be set)`);
      if (!i.fetch && i.dst) errs.push(`${where}: a non-fetching atomic ${i.kind} defines no value`);
      if (i.dst && i.dst.ty !== ty) errs.push(`${where}: a ${i.width}-byte atomic produces ${ty}, not ${i.dst.ty}`);
      scalarOperand(i.value, ty, where, errs, "value");
      if (i.kind === "cmpxchg") {
        if (i.expected === undefined) errs.push(`${where}: cmpxchg needs an expected value`);
        else scalarOperand(i.expected, ty, where, errs, "expected value");
      } else if (i.expected !== undefined) errs.push(`${where}: only cmpxchg takes an expected value`);
      return;
    }
    default:
      errs.push(`${where}: unknown instruction '${(i as { op: string }).op}'`);
      void f;
  }
}

const GLOBAL_SECTIONS: readonly string[] = [".rodata", ".data", ".bss"];
const ATOMIC_KINDS: readonly string[] = ["add", "or", "and", "xor", "xchg", "cmpxchg"];

const CONDS = ["eq", "ne", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle", "set"];

function checkTerm(t: Terminator, where: string, errs: string[]): void {
  switch (t.op) {
    case "br":
      return;
    case "cbr":
      if (!CONDS.includes(t.cond)) errs.push(`${where}: unknown condition '${t.cond}'`);
      if (t.width !== 32 && t.width !== 64) errs.push(`${where}: bad compare width ${t.width}`);
      reg(t.a, undefined, where, errs, "left operand");
      if (!isValue(t.a)) return;
      if (t.width === 32 && t.a.ty === "ptr") errs.push(`${where}: a 32-bit compare cannot take a ptr`);
      if (isValue(t.b)) {
        if (t.b.ty !== t.a.ty) errs.push(`${where}: compares ${t.a.ty} %${t.a.id} with ${t.b.ty} %${t.b.id}`);
      } else if (isImm(t.b)) {
        if (!immFitsType(t.b.imm, t.width === 32 ? "i32" : "i64")) errs.push(`${where}: immediate ${t.b.imm} does not fit ${t.width} bits`);
      }
      return;
    case "ret":
      if (isImm(t.value)) anyScalar(t.value, where, errs, "return value");
      return;
    default:
      errs.push(`${where}: unknown terminator '${(t as { op: string }).op}'`);
  }
}

function isPtr(o: Operand): boolean {
  return !isImm(o) && o.ty === "ptr";
}
