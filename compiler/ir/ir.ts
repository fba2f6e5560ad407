// The tsbpf IR: SSA over virtual registers, in basic blocks ending in one terminator.
//
// Value types are register shapes, not source types: `i32` is a 32-bit value kept zero-extended in a
// 64-bit register (what BPF's ALU32 produces), `i64` a full 64-bit scalar, `ptr` a pointer the
// verifier tracks (ctx, packet, stack, map value, map). Source-level widths and signedness (u8, i16,
// ...) are made explicit by the front end with `ext`/`trunc` instructions; the IR itself never wraps
// at 8 or 16 bits.
//
// Every value is defined once (an instruction's `dst`, a block parameter via `phi`, or a function
// parameter). Printer: print.ts, parser: parse.ts, checker: check.ts.

import type { CoreRelo } from "../object/core-relo.js";

export type Ty = "i32" | "i64" | "ptr";

/** A virtual register. Identity is the id; the type travels with it. */
export interface Value {
  readonly id: number;
  readonly ty: Ty;
}

/** An immediate operand. Always stored exactly (bigint); its meaning follows the instruction's type. */
export interface Imm {
  readonly imm: bigint;
}

export type Operand = Value | Imm;

export const isImm = (o: Operand): o is Imm => (o as Imm).imm !== undefined;
export const isValue = (o: Operand): o is Value => (o as Value).id !== undefined;

export type BinOp = "add" | "sub" | "mul" | "udiv" | "sdiv" | "umod" | "smod" | "and" | "or" | "xor" | "shl" | "lshr" | "ashr";

export type CondOp = "eq" | "ne" | "ugt" | "uge" | "ult" | "ule" | "sgt" | "sge" | "slt" | "sle" | "set";

export type MemWidth = 1 | 2 | 4 | 8;

/** Global-data sections (each becomes a one-element ARRAY map `<obj>.<section>` in libbpf). */
export type GlobalSection = ".rodata" | ".data" | ".bss";

/** Read-modify-write operations of BPF_ATOMIC. */
export type AtomicKind = "add" | "or" | "and" | "xor" | "xchg" | "cmpxchg";

export type Inst =
  /** dst = constant. dst.ty i32 takes the low 32 bits. */
  | { op: "const"; dst: Value; value: bigint }
  /** dst = a op b. dst.ty is i32 (ALU32) or i64 (ALU64); both operands share it, except `sub` of two
   *  pointers into an i64 (the byte distance, e.g. data_end - data). */
  | { op: "bin"; kind: BinOp; dst: Value; a: Operand; b: Operand }
  /** dst = -a */
  | { op: "neg"; dst: Value; a: Operand }
  /** dst = copy of a (same type). Phi elimination and the front end both make these. */
  | { op: "copy"; dst: Value; a: Operand }
  /**
   * Width change. `zext`: i32 -> i64 (upper half is already zero, so often free).
   * `sext`: sign-extend the low `from` bits (8, 16 or 32) of `a` into dst (i32 or i64).
   * `trunc`: keep the low `to` bits (8, 16 or 32) of `a`, zero-extended into dst.
   */
  | { op: "zext"; dst: Value; a: Operand }
  | { op: "sext"; dst: Value; a: Operand; from: 8 | 16 | 32 }
  | { op: "trunc"; dst: Value; a: Operand; to: 8 | 16 | 32 }
  /** Byte swap to/from big-endian (network order) of the low `bits` bits, zero-extended. */
  | { op: "bswap"; dst: Value; a: Operand; bits: 16 | 32 | 64 }
  /** dst = base + offset, where base is a ptr and offset a scalar (ALU64 add). */
  | { op: "ptradd"; dst: Value; base: Value; offset: Operand }
  /** dst = *(width *)(base + offset); zero-extending. dst.ty: i32 for widths <= 4, i64 or ptr for 8. */
  | { op: "load"; dst: Value; base: Value; offset: number; width: MemWidth; core?: CoreRelo }
  /**
   * dst (i64) = a kernel field offset or other CO-RE value, `value` as compiled; the loader patches the
   * instruction (a `mov` immediate) for the running kernel. Never folded: the value is not known yet.
   */
  | { op: "coreoff"; dst: Value; value: bigint; relo: CoreRelo }
  /**
   * Packet pointer fields of the context (`data`, `data_end`): a 32-bit ctx load that the verifier
   * turns into a pointer. Kept apart from `load` so no pass treats it as a scalar.
   */
  | { op: "ctxptr"; dst: Value; ctx: Value; offset: number }
  /** *(width *)(base + offset) = value */
  | { op: "store"; base: Value; offset: number; width: MemWidth; value: Operand }
  /** dst = address of a stack slot (r10 - slot offset, decided by frame layout). */
  | { op: "stackaddr"; dst: Value; slot: number }
  /** dst = address of a map (ld_imm64 with a relocation against the map's symbol). */
  | { op: "mapaddr"; dst: Value; map: string }
  /** Helper call. Up to five arguments; clobbers r1-r5; dst receives r0 (i64 or ptr) when present. */
  | { op: "call"; helper: number; args: Operand[]; dst?: Value }
  /** Atomic add on memory (lock xadd). Kept for compatibility; `atomic` is the general form. */
  | { op: "atomic_add"; base: Value; offset: number; width: 4 | 8; value: Value }
  /**
   * bpf-to-bpf call of the subprogram `func` (another Func of the module). Up to five arguments
   * (r1..r5, in the callee's param order and types); clobbers r1-r5; dst receives r0. The callee's
   * `ret` values must have dst's type (an i32 dst needs the callee to return an i32 value).
   * Never pure: the callee may store, call helpers or use atomics.
   */
  | { op: "callfn"; func: string; args: Operand[]; dst?: Value }
  /** dst = address of global variable `symbol` in `section` (ld_imm64 + R_BPF_64_64 against it). */
  | { op: "globaladdr"; dst: Value; section: GlobalSection; symbol: string }
  /** dst = address of the subprogram `func` (ld_imm64 src=4), e.g. a bpf_loop callback. */
  | { op: "funcaddr"; dst: Value; func: string }
  /**
   * Atomic read-modify-write of the `width`-byte word at base + offset (BPF_ATOMIC).
   * - add/or/and/xor: `*p op= value`; with `fetch`, dst receives the old value.
   * - xchg: `*p = value`, dst = old value (always fetches: `fetch` must be true).
   * - cmpxchg: `if (*p == expected) *p = value`, dst = old value (always fetches; `expected` is
   *   required and travels through r0).
   * value/expected/dst are i32 for width 4 (the old value is zero-extended) and i64 for width 8.
   * dst is optional even for fetching forms.
   */
  | {
      op: "atomic";
      kind: AtomicKind;
      fetch: boolean;
      base: Value;
      offset: number;
      width: 4 | 8;
      value: Operand;
      expected?: Operand;
      dst?: Value;
    };

export type Terminator =
  | { op: "br"; target: number }
  /** if (a cond b) goto then else goto else; `width` picks JMP (64) or JMP32 (32). */
  | { op: "cbr"; cond: CondOp; width: 32 | 64; a: Value; b: Operand; then: number; else: number }
  | { op: "ret"; value: Operand };

/** A phi: dst = the value from whichever predecessor block control came from. */
export interface Phi {
  dst: Value;
  incoming: { block: number; value: Operand }[];
}

export interface Block {
  /** Stable id, also the block's label in printed IR (`b3`). */
  id: number;
  phis: Phi[];
  insts: Inst[];
  term: Terminator;
  /** Source position of the construct that made the block's first instruction, for line info. */
  loc?: SourceLoc;
}

export interface SourceLoc {
  line: number; // 1-based
  col: number; // 1-based
  /** The source file, for code from an imported local module (multi-file programs). */
  file?: string;
}

export interface StackSlot {
  id: number;
  size: number;
  align: number;
}

export interface Func {
  name: string;
  /** Parameters, in r1..r5 order on entry. For a program, params[0] is the ctx pointer. */
  params: Value[];
  /**
   * Which parameter is the context, when not params[0]: a subprogram's context parameter may come
   * later, and -1 says there is none (its first parameter is an integer or a pointer to ordinary
   * memory, whose loads passes must not treat as context reads). See ctxParam.
   */
  ctxIndex?: number;
  /** blocks[0] is the entry block. Order is layout order; passes may reorder. */
  blocks: Block[];
  slots: StackSlot[];
  /** Next free value id (ids are unique within a function). */
  nextId: number;
  /** Per-instruction source locations, keyed by the instruction object, for line_info and comments. */
  locs?: WeakMap<Inst | Terminator, SourceLoc>;
  /** Where if-convert replaced a branch with arithmetic (the verifier-cost estimate asks). */
  converted?: SourceLoc[];
}

/** The context pointer whose loads passes may treat as context-field reads, if the function has one. */
export function ctxParam(f: Func): Value | undefined {
  return f.params[f.ctxIndex ?? 0];
}

export function newValue(f: Func, ty: Ty): Value {
  return { id: f.nextId++, ty };
}

export function imm(v: number | bigint): Imm {
  return { imm: BigInt(v) };
}

/** The value an instruction defines, if any. */
export function instDst(i: Inst): Value | undefined {
  return "dst" in i ? i.dst : undefined;
}

/** Every instruction of `f` by the value it defines. */
export function definitions(f: Func): Map<number, Inst> {
  const defs = new Map<number, Inst>();
  for (const b of f.blocks)
    for (const i of b.insts) {
      const d = instDst(i);
      if (d) defs.set(d.id, i);
    }
  return defs;
}

/** Every operand an instruction reads, in a fixed order. */
export function instUses(i: Inst): Operand[] {
  switch (i.op) {
    case "const":
    case "stackaddr":
    case "mapaddr":
    case "globaladdr":
    case "funcaddr":
    case "coreoff":
      return [];
    case "bin":
      return [i.a, i.b];
    case "neg":
    case "copy":
    case "zext":
    case "sext":
    case "trunc":
    case "bswap":
      return [i.a];
    case "ptradd":
      return [i.base, i.offset];
    case "load":
      return [i.base];
    case "ctxptr":
      return [i.ctx];
    case "store":
      return [i.base, i.value];
    case "call":
    case "callfn":
      return i.args;
    case "atomic_add":
      return [i.base, i.value];
    case "atomic":
      return i.expected !== undefined ? [i.base, i.value, i.expected] : [i.base, i.value];
  }
}

export function termUses(t: Terminator): Operand[] {
  switch (t.op) {
    case "br":
      return [];
    case "cbr":
      return [t.a, t.b];
    case "ret":
      return [t.value];
  }
}

export function successors(t: Terminator): number[] {
  switch (t.op) {
    case "br":
      return [t.target];
    case "cbr":
      return t.then === t.else ? [t.then] : [t.then, t.else];
    case "ret":
      return [];
  }
}

/** Instructions with effects beyond their dst: never removed even when dst is unused. */
export function hasSideEffects(i: Inst): boolean {
  return i.op === "store" || i.op === "call" || i.op === "atomic_add" || i.op === "callfn" || i.op === "atomic";
}

export function blockById(f: Func, id: number): Block {
  const b = f.blocks.find((x) => x.id === id);
  if (!b) throw new Error(`internal: no block b${id} in ${f.name}`);
  return b;
}

export function predecessors(f: Func): Map<number, number[]> {
  const preds = new Map<number, number[]>();
  for (const b of f.blocks) preds.set(b.id, []);
  for (const b of f.blocks) for (const s of successors(b.term)) preds.get(s)?.push(b.id);
  return preds;
}

/** A compilation unit as the back end sees it: functions plus what they reference. */
export interface Module {
  funcs: Func[];
}

// ---- Rewriting helpers (shared by passes) ----

/** Called for every operand slot; `immOk` says whether the slot may hold an immediate. */
export type OperandMapper = (o: Operand, immOk: boolean) => Operand;

function regOnly(o: Operand, op: string): Value {
  if (isImm(o)) throw new Error(`internal: immediate put into a register-only operand of ${op}`);
  return o;
}

/** Rewrite, in place, every operand an instruction reads. */
export function mapInstOperands(i: Inst, fn: OperandMapper): void {
  switch (i.op) {
    case "const":
    case "stackaddr":
    case "mapaddr":
    case "globaladdr":
    case "funcaddr":
    case "coreoff":
      return;
    case "bin":
      i.a = fn(i.a, true);
      i.b = fn(i.b, true);
      return;
    case "neg":
    case "copy":
    case "zext":
    case "sext":
    case "trunc":
    case "bswap":
      i.a = fn(i.a, true);
      return;
    case "ptradd":
      i.base = regOnly(fn(i.base, false), i.op);
      i.offset = fn(i.offset, true);
      return;
    case "load":
      i.base = regOnly(fn(i.base, false), i.op);
      return;
    case "ctxptr":
      i.ctx = regOnly(fn(i.ctx, false), i.op);
      return;
    case "store":
      i.base = regOnly(fn(i.base, false), i.op);
      i.value = fn(i.value, true);
      return;
    case "call":
    case "callfn":
      for (let k = 0; k < i.args.length; k++) i.args[k] = fn(i.args[k]!, true);
      return;
    case "atomic_add":
      i.base = regOnly(fn(i.base, false), i.op);
      i.value = regOnly(fn(i.value, false), i.op);
      return;
    case "atomic":
      i.base = regOnly(fn(i.base, false), i.op);
      i.value = fn(i.value, true);
      if (i.expected !== undefined) i.expected = fn(i.expected, true);
      return;
  }
}

/** Rewrite, in place, every operand a terminator reads. */
export function mapTermOperands(t: Terminator, fn: OperandMapper): void {
  switch (t.op) {
    case "br":
      return;
    case "cbr":
      t.a = regOnly(fn(t.a, false), "cbr");
      t.b = fn(t.b, true);
      return;
    case "ret":
      t.value = fn(t.value, true);
      return;
  }
}

/** Rewrite every operand in the function: phi incomings, instructions, terminators. */
export function mapAllOperands(f: Func, fn: OperandMapper): void {
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) inc.value = fn(inc.value, true);
    for (const i of b.insts) mapInstOperands(i, fn);
    mapTermOperands(b.term, fn);
  }
}

/** Replace every use of value `id` by `to` (a value of the same type). */
export function replaceUses(f: Func, id: number, to: Value): void {
  mapAllOperands(f, (o) => (isValue(o) && o.id === id ? to : o));
}

/**
 * Delete blocks not reachable from the entry, dropping phi incomings that came from them.
 * Returns true when something was removed.
 */
export function removeUnreachableBlocks(f: Func): boolean {
  if (f.blocks.length === 0) return false;
  const byId = new Map(f.blocks.map((b) => [b.id, b] as const));
  const seen = new Set<number>([f.blocks[0]!.id]);
  const stack = [f.blocks[0]!.id];
  while (stack.length > 0) {
    const b = byId.get(stack.pop()!);
    if (!b) continue;
    for (const s of successors(b.term)) {
      if (!seen.has(s)) {
        seen.add(s);
        stack.push(s);
      }
    }
  }
  if (f.blocks.every((b) => seen.has(b.id))) return false;
  f.blocks = f.blocks.filter((b) => seen.has(b.id));
  for (const b of f.blocks) for (const p of b.phis) p.incoming = p.incoming.filter((inc) => seen.has(inc.block));
  return true;
}
