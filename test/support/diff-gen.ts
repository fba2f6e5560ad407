// Random well-typed programs for the differential harness (test/differential.test.ts, bench/fuzz.ts).
//
// Three layers:
//   1. `rawProgramArb`: a fast-check arbitrary of a context-free "raw" AST. Variable references are
//      indices, not names, so every value fast-check shrinks to is still a usable program.
//   2. `resolve`: turns a raw AST into a concrete program: indices become names of what is in scope,
//      statements that make no sense where they are (break outside a loop, a map update while a
//      reference into that map is live) are dropped, and explicit conversions are inserted where
//      TypeScript's branded integer types demand one (u16 is not assignable to u8).
//   3. `printProgram`: the concrete AST as `.bpf.ts` source (one or several XDP programs).
//
// The reference evaluator of the same concrete AST is test/support/diff-ref.ts. Nothing here
// imports compiler code.

import fc from "fast-check";

export type IntName = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64";
export const INT_NAMES: readonly IntName[] = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"];
export const BITS: Record<IntName, number> = { u8: 8, u16: 16, u32: 32, u64: 64, i8: 8, i16: 16, i32: 32, i64: 64 };
export const isSigned = (t: IntName): boolean => t[0] === "i";

/** The packet the programs read: two fields of every integer type (largest first: no padding). */
export const INPUT_FIELDS: readonly (readonly [string, IntName])[] = [
  ["u64a", "u64"],
  ["i64a", "i64"],
  ["u64b", "u64"],
  ["i64b", "i64"],
  ["u32a", "u32"],
  ["i32a", "i32"],
  ["u32b", "u32"],
  ["i32b", "i32"],
  ["u16a", "u16"],
  ["i16a", "i16"],
  ["u16b", "u16"],
  ["i16b", "i16"],
  ["u8a", "u8"],
  ["i8a", "i8"],
  ["u8b", "u8"],
  ["i8b", "i8"],
];
/** The struct used for stack locals and hash map values (with padding). */
export const S_FIELDS: readonly (readonly [string, IntName])[] = [
  ["a", "u8"],
  ["b", "i64"],
  ["c", "u16"],
  ["d", "i32"],
  ["e", "i8"],
  ["f", "u32"],
];
/** Module-level globals: name, type, section, initial value (.rodata is read-only). */
export const GLOBALS: readonly (readonly [string, IntName, "bss" | "data" | "rodata", bigint])[] = [
  ["gb", "u64", "bss", 0n],
  ["gd", "i32", "data", -7n],
  ["gw", "u16", "data", 0x1234n],
  ["gr", "u32", "rodata", 0xdeadbeefn],
];
/** C layout of a struct of integer fields: each at its natural alignment. */
export interface Layout {
  offsets: Map<string, number>;
  size: number;
}
export function layout(fields: readonly (readonly [string, IntName])[]): Layout {
  const offsets = new Map<string, number>();
  let off = 0;
  let align = 1;
  for (const [n, t] of fields) {
    const sz = BITS[t] / 8;
    off = Math.ceil(off / sz) * sz;
    offsets.set(n, off);
    off += sz;
    align = Math.max(align, sz);
  }
  return { offsets, size: Math.ceil(off / align) * align };
}
export const INPUT_LAYOUT = layout(INPUT_FIELDS);
export const S_LAYOUT = layout(S_FIELDS);

/** Little-endian integer fields in a byte buffer (the layout of packets and map values). */
export function writeField(dv: DataView, off: number, t: IntName, v: bigint): void {
  const u = BigInt.asUintN(BITS[t], v);
  switch (BITS[t]) {
    case 8:
      dv.setUint8(off, Number(u));
      break;
    case 16:
      dv.setUint16(off, Number(u), true);
      break;
    case 32:
      dv.setUint32(off, Number(u), true);
      break;
    default:
      dv.setBigUint64(off, u, true);
  }
}
export function readField(dv: DataView, off: number, t: IntName): bigint {
  let u: bigint;
  switch (BITS[t]) {
    case 8:
      u = BigInt(dv.getUint8(off));
      break;
    case 16:
      u = BigInt(dv.getUint16(off, true));
      break;
    case 32:
      u = BigInt(dv.getUint32(off, true));
      break;
    default:
      u = dv.getBigUint64(off, true);
  }
  return isSigned(t) ? BigInt.asIntN(BITS[t], u) : u;
}

/**
 * The struct of the struct-copy shape: a nested struct and FixedArray members, with padding.
 *   interface Inner { x: u16; y: i8; arr: FixedArray<u32, 3> }        // 16 bytes, align 4
 *   interface T { a: u8; inner: Inner; b: i64; arr: FixedArray<i16, 4> }   // 40 bytes, align 8
 * T_PATHS are its integer members (name as printed, type, offset); T_SUBS the members that are
 * copied whole; T_ARRAYS the arrays (for run-time indices).
 */
export const T_SIZE = 40;
export const T_PATHS: readonly (readonly [string, IntName, number])[] = [
  ["a", "u8", 0],
  ["inner.x", "u16", 4],
  ["inner.y", "i8", 6],
  ["inner.arr[0]", "u32", 8],
  ["inner.arr[1]", "u32", 12],
  ["inner.arr[2]", "u32", 16],
  ["b", "i64", 24],
  ["arr[0]", "i16", 32],
  ["arr[1]", "i16", 34],
  ["arr[2]", "i16", 36],
  ["arr[3]", "i16", 38],
];
export const T_SUBS: readonly (readonly [string, number, number, string])[] = [
  // path, offset, size, the zero<...>() of its type
  ["inner", 4, 16, "zero<Inner>()"],
  ["arr", 32, 8, "zero<FixedArray<i16, 4>>()"],
  ["inner.arr", 8, 12, "zero<FixedArray<u32, 3>>()"],
];
export const T_ARRAYS: readonly (readonly [string, IntName, number, number])[] = [
  // path, element type, offset, length
  ["inner.arr", "u32", 8, 3],
  ["arr", "i16", 32, 4],
];
/** Keys of the `tm` HashMap<u32, T> are `x & TKEY_MASK`. */
export const TKEY_MASK = 3;

export const PACKET_SIZE = 64;
/** Random packets are 14 (XDP test runs need an Ethernet header) to MAX_PACKET bytes long. */
export const MIN_PACKET = 14;
export const MAX_PACKET = 128;
/** Slots of the `results` ArrayMap<u64>. */
export const NSLOTS = 12;
/** Hash keys are always `x & HKEY_MASK`. */
export const HKEY_MASK = 7;
export const HASH_ENTRIES = 16;

export type ArithOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>" | ">>>";
export const ARITH_OPS: readonly ArithOp[] = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"];
export type CmpOp = "<" | "<=" | ">" | ">=" | "===" | "!==";
export const CMP_OPS: readonly CmpOp[] = ["<", "<=", ">", ">=", "===", "!=="];
export type AssignOp = "=" | `${ArithOp}=`;
export type UnOp = "-" | "~" | "+";

// ------------------------------------------------------------------------------- concrete AST

export type Lv =
  | { k: "local"; name: string }
  | { k: "pfield"; f: string }
  | { k: "global"; g: string }
  | { k: "sfield"; s: string; f: string }
  | { k: "hfield"; h: string; f: string }
  | { k: "cell"; r: string }
  /** An integer member of a T (T_PATHS), or an array element at a run-time index (`base.arr[idx]`). */
  | { k: "tf"; base: string; path: string; idx?: Expr };

export type Expr =
  | { k: "lit"; v: bigint; hex: boolean }
  | { k: "lv"; lv: Lv }
  | { k: "un"; op: UnOp; a: Expr }
  | { k: "bin"; op: ArithOp; a: Expr; b: Expr }
  | { k: "conv"; t: IntName; a: Expr }
  | { k: "cond"; c: Cond; a: Expr; b: Expr }
  | { k: "assign"; lv: Lv; op: AssignOp; e: Expr }
  /** `sarg`: the stack struct or hash value passed to a function's struct parameter (FuncDef.sparam). */
  | { k: "call"; fn: string; args: Expr[]; sarg?: string }
  | { k: "inc"; lv: Lv; op: "++" | "--"; prefix: boolean }
  // `atomicAdd(lv, e)` (no value: only as a statement), `atomicFetchAdd(lv, e)`, `atomicXchg(lv, e)`,
  // `atomicCmpXchg(lv, e, e2)`: lv a 32- or 64-bit field of a stack struct or map value, or a global.
  | { k: "atomic"; op: AtomicOp; fetch: boolean; lv: Lv; e: Expr; e2?: Expr }
  // `htons(a)`, `ntohl(a)`, `htonll(a)`, ...: the bytes of `a` (of the function's width) reversed.
  | { k: "bswap"; fn: ByteOrderFn; a: Expr }
  // `loop(count, fn, state)` (bpf_loop): fn (a FuncDef with `cb`) runs for i = 0.. count-1 on the
  // stack struct `state`, stopping after a trip that returns 1; the value is the trips run.
  | { k: "bpfloop"; count: Expr; fn: string; state: string };

export type ByteOrderFn = "htons" | "ntohs" | "htonl" | "ntohl" | "htonll" | "ntohll";
export const BYTE_ORDER_T: Record<ByteOrderFn, IntName> = {
  htons: "u16",
  ntohs: "u16",
  htonl: "u32",
  ntohl: "u32",
  htonll: "u64",
  ntohll: "u64",
};
const BYTE_ORDER_FNS = Object.keys(BYTE_ORDER_T) as ByteOrderFn[];

export type AtomicOp = "add" | "or" | "and" | "xor" | "xchg" | "cmpxchg";
/** Each operation's function without and with the fetch (the first four also come without). */
const ATOMIC_NAME: Record<AtomicOp, [string, string]> = {
  add: ["atomicAdd", "atomicFetchAdd"],
  or: ["atomicOr", "atomicFetchOr"],
  and: ["atomicAnd", "atomicFetchAnd"],
  xor: ["atomicXor", "atomicFetchXor"],
  xchg: ["atomicXchg", "atomicXchg"],
  cmpxchg: ["atomicCmpXchg", "atomicCmpXchg"],
};
const ATOMIC_OPS = Object.keys(ATOMIC_NAME) as AtomicOp[];

export type Cond =
  | { k: "cmp"; op: CmpOp; a: Expr; b: Expr }
  | { k: "and" | "or"; a: Cond; b: Cond }
  | { k: "not"; a: Cond }
  | { k: "truthy"; a: Expr }
  | { k: "bvar"; name: string };

export type Stmt =
  | { k: "decl"; name: string; mut: boolean; ty: IntName | null; init: Expr }
  | { k: "bdecl"; name: string; init: Cond }
  | { k: "sdecl"; name: string; inits: Expr[] }
  | { k: "expr"; e: Expr }
  | { k: "if"; c: Cond; then: Stmt[]; else: Stmt[] | null }
  | {
      k: "for";
      name: string;
      ty: IntName | null;
      start: bigint;
      cond: Cond;
      update: Expr;
      body: Stmt[];
      hdr?: PacketRead;
      label?: string;
    }
  // `while (cond) body` or `do body while (cond)`: the counter is declared before it, the body's
  // first statement steps it and `cond` compares it with a constant.
  | { k: "while"; cond: Cond; body: Stmt[]; doWhile: boolean; label?: string }
  // C-style: control enters at the matching case (else `default`, else skips) and falls through
  // the following cases until a `break`. `label: null` is `default`.
  | { k: "switch"; e: Expr; cases: { label: bigint | null; body: Stmt[] }[] }
  // With a label: the enclosing loop of that label (through inner loops and switches).
  | { k: "break"; label?: string }
  | { k: "continue"; label?: string }
  | { k: "ret"; e: Expr }
  | { k: "res"; slot: Expr; e: Expr }
  | { k: "rlookup"; name: string; slot: number; then: Stmt[]; else: Stmt[] | null }
  | { k: "hupdate"; key: Expr; src: { k: "local"; name: string } | { k: "lit"; inits: Expr[] } }
  | { k: "hlookup"; name: string; key: Expr; then: Stmt[]; else: Stmt[] | null }
  | { k: "hdelete"; key: Expr }
  // The struct-copy shape (T): declarations, whole copies, member copies, aliases, map and packet bases.
  | { k: "tdecl"; name: string; init: TInit | null }
  | { k: "talias"; name: string; src: string }
  | { k: "tcopy"; dst: string; src: string }
  | { k: "tfcopy"; dst: string; src: string; sub: string }
  | { k: "tupdate"; key: Expr; src: string }
  | { k: "tlookup"; name: string; key: Expr; then: Stmt[]; else: Stmt[] | null }
  | { k: "tview"; name: string; off: number; then: Stmt[]; else: Stmt[] | null };

/** `{ a, inner, b, arr }` of a T local: integer expressions, and members from other Ts or zero (null). */
export interface TInit {
  a: Expr;
  inner: string | null;
  b: Expr;
  arr: string | null;
}

/**
 * A packet loop's per-iteration read, printed at the top of its body:
 * `const b = ctx.header<W>(off); if (b === null) break; if (stop) break;`
 */
export interface PacketRead {
  b: string;
  w: IntName;
  off: Expr;
  stop: Cond | null;
}

export interface Program {
  body: Stmt[];
  ret: Expr;
  /** Module-level functions the program calls (printed as `<program>_<name>`). */
  funcs?: FuncDef[];
}

/**
 * `function f(a0: T0, ...): R { return body; }`, inlined or `@noinline`; the body reads only its
 * parameters. With `sparam`, `function f(s: S, a0: T0, ...)`: a caller's stack struct or hash map
 * value, by reference, whose fields the body may also write (`(s.c += a0) + s.c`).
 */
export interface FuncDef {
  name: string;
  params: { name: string; t: IntName }[];
  ret: IntName;
  body: Expr;
  noinline: boolean;
  sparam?: boolean;
  /** A `loop()` body: `(a0: u32, s: S)`, the struct second; its value is 0 or 1. */
  cb?: boolean;
}

// ------------------------------------------------------------------------------------ raw AST

type RRef = { kind: number; idx: number; f: number };
type RExpr =
  | { k: "lit"; v: bigint; hex: boolean }
  | { k: "ref"; r: RRef }
  | { k: "un"; op: UnOp; a: RExpr }
  | { k: "bin"; op: ArithOp; a: RExpr; b: RExpr }
  | { k: "conv"; t: IntName; a: RExpr }
  | { k: "cond"; c: RCond; a: RExpr; b: RExpr }
  | { k: "assign"; lv: RRef; op: AssignOp; e: RExpr }
  | { k: "inc"; lv: RRef; op: "++" | "--"; prefix: boolean }
  | { k: "call"; fn: number; args: RExpr[] }
  | { k: "atomic"; op: number; lv: RRef; e: RExpr; e2: RExpr }
  | { k: "bswap"; fn: number; a: RExpr }
  | { k: "bpfloop"; fn: number; count: RExpr; st: number };
/** `upd`: with a struct parameter, the body starts by updating one of its fields and reading it back. */
type RFunc = { params: IntName[]; ret: IntName; body: RExpr; noinline: boolean; sref: boolean; upd: { f: number; op: AssignOp; e: RExpr } };
type RCond =
  | { k: "cmp"; op: CmpOp; a: RExpr; b: RExpr }
  | { k: "and" | "or"; a: RCond; b: RCond }
  | { k: "not"; a: RCond }
  | { k: "truthy"; a: RExpr }
  | { k: "bvar"; idx: number };
type RLoop = { ty: IntName | null; start: number; n: number; step: number; down: boolean; form: number };
/** A loop over packet bytes (see Resolver.packetLoop). */
type RPacketLoop = {
  ty: IntName;
  start: number;
  n: number;
  step: number;
  w: IntName;
  off: number;
  varOff: RExpr | null;
  limit: RExpr | null;
  stop: { op: CmpOp; v: bigint } | null;
  accT: IntName;
  accInit: RExpr;
  accOp: number;
  slot: number;
};
/** After a copy or an alias: write a member of the source, then record the same member of the other side. */
type TWrite = { f: number; e: RExpr; slot: number };
type RStmt =
  | { k: "decl"; mut: boolean; ty: IntName | null; init: RExpr }
  | { k: "bdecl"; init: RCond }
  | { k: "sdecl"; inits: RExpr[] }
  | { k: "assign"; lv: RRef; op: AssignOp; e: RExpr }
  | { k: "inc"; lv: RRef; op: "++" | "--"; prefix: boolean }
  | { k: "if"; c: RCond; then: RStmt[]; else: RStmt[] | null }
  | { k: "for"; loop: RLoop; body: RStmt[]; labeled?: boolean }
  | { k: "while"; loop: RLoop; body: RStmt[]; doWhile: boolean; labeled?: boolean }
  | {
      k: "switch";
      e: RExpr;
      cases: { label: number; body: RStmt[]; brk: boolean }[];
      def: { at: number; body: RStmt[]; brk: boolean } | null;
    }
  | { k: "ploop"; pl: RPacketLoop; body: RStmt[] }
  | { k: "atomic"; op: number; lv: RRef; e: RExpr; e2: RExpr; fetch: boolean }
  | { k: "break"; lab?: number | null }
  | { k: "continue"; lab?: number | null }
  | { k: "ret"; e: RExpr }
  | { k: "res"; slot: number | RExpr; e: RExpr }
  | { k: "rlookup"; slot: number; then: RStmt[]; else: RStmt[] | null }
  | { k: "hupdate"; key: RExpr; src: number | RExpr[] }
  | { k: "hlookup"; key: RExpr; then: RStmt[]; else: RStmt[] | null }
  | { k: "hdelete"; key: RExpr }
  | { k: "tdecl"; lit: boolean; a: RExpr; b: RExpr; inner: number | null; arr: number | null }
  | { k: "talias"; src: number; w: TWrite }
  | { k: "tcopy"; dst: number; src: number; w: TWrite }
  | { k: "tfcopy"; dst: number; src: number; sub: number; w: TWrite }
  | { k: "tupdate"; key: RExpr; src: number }
  | { k: "tlookup"; key: RExpr; then: RStmt[]; else: RStmt[] | null }
  | { k: "tview"; off: number; then: RStmt[]; else: RStmt[] | null };
export interface RawProgram {
  body: RStmt[];
  ret: RExpr;
  funcs?: RFunc[];
  /** `loop()` bodies (GenOptions.bpfLoops). */
  cbs?: RFunc[];
  /** Generated with one of the later shapes on (switches, while loops, labels, atomics, byte order, loop()). */
  later?: boolean;
}

export interface GenOptions {
  /** Expression nesting depth. */
  exprDepth?: number;
  /** Statement nesting depth (if/for/lookups). */
  stmtDepth?: number;
  /** Top-level statements. */
  maxStmts?: number;
  /** Allow assignments and ++/-- inside expressions (side effects in operands). */
  sideEffects?: boolean;
  /** Generate module-level functions (inlined and @noinline) and calls of them. */
  calls?: boolean;
  /** Generate loops over packet bytes (`ctx.header<W>(off + k)` with bounds checks and breaks). */
  packetLoops?: boolean;
  /** Generate struct copies (whole, member, nested, FixedArray) between stack, map and packet structs. */
  structCopies?: boolean;
  /** Generate `while` and `do`/`while` loops (a counter stepped by the body's first statement). Default off. */
  whileLoops?: boolean;
  /** Generate `switch` statements (fall-through, `default` anywhere, `break` and `continue` inside). Default off. */
  switches?: boolean;
  /** Label some loops and aim some `break`/`continue` at an outer one (`break Lk3;`). Default off. */
  labels?: boolean;
  /** Atomic operations (`atomicAdd`, `atomicFetchXor`, `atomicCmpXchg`, ...) on 32/64-bit fields and globals. Default off. */
  atomics?: boolean;
  /** Byte-order conversions (`htons`, `ntohl`, `htonll`, ...) in expressions. Default off. */
  byteOrder?: boolean;
  /** `loop()` (bpf_loop) with module-level bodies that update a stack struct. Default off. */
  bpfLoops?: boolean;
  /** Programs for a tracing kind (printTracingProgram): no packet access (packet loops, packet views). */
  tracing?: boolean;
}

const INTERESTING: bigint[] = [
  0n,
  1n,
  2n,
  3n,
  5n,
  7n,
  8n,
  15n,
  16n,
  31n,
  32n,
  33n,
  63n,
  64n,
  127n,
  128n,
  255n,
  256n,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x10000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xffffffffffffffffn,
];

const litArb: fc.Arbitrary<RExpr> = fc
  .record({
    v: fc.oneof(
      { arbitrary: fc.constantFrom(...INTERESTING), weight: 4 },
      { arbitrary: fc.bigInt(0n, 300n), weight: 3 },
      { arbitrary: fc.bigInt(0n, (1n << 64n) - 1n), weight: 1 },
    ),
    hex: fc.boolean(),
  })
  .map(({ v, hex }) => ({ k: "lit" as const, v, hex }));

// kind: 0 a local, 1 a packet field, 2 a struct local's field, 3 a map value (hash value field or
// result cell), 4 a global.
const refArb: fc.Arbitrary<RRef> = fc.record({
  kind: fc.oneof(
    { arbitrary: fc.constant(0), weight: 5 },
    { arbitrary: fc.constant(1), weight: 3 },
    { arbitrary: fc.constantFrom(2, 3), weight: 2 },
    { arbitrary: fc.constant(4), weight: 1 },
  ),
  idx: fc.nat(31),
  f: fc.nat(15),
});
const intNameArb = fc.constantFrom(...INT_NAMES);
const assignOpArb: fc.Arbitrary<AssignOp> = fc.oneof(
  { arbitrary: fc.constant("=" as AssignOp), weight: 3 },
  { arbitrary: fc.constantFrom(...ARITH_OPS.map((o) => `${o}=` as AssignOp)), weight: 2 },
);

/**
 * The later shapes for the fuzzers' command lines (bench/fuzz.ts, bench/cost-calibration.ts): each
 * on unless `off` says its `--no-...` flag was given.
 */
export function laterShapes(off: (flag: string) => boolean): GenOptions {
  return {
    switches: !off("--no-switches"),
    whileLoops: !off("--no-while"),
    labels: !off("--no-labels"),
    atomics: !off("--no-atomics"),
    byteOrder: !off("--no-byte-order"),
    bpfLoops: !off("--no-bpf-loop"),
  };
}

export function rawProgramArb(opts: GenOptions = {}): fc.Arbitrary<RawProgram> {
  const exprDepth = opts.exprDepth ?? 3;
  const stmtDepth = opts.stmtDepth ?? 2;
  const maxStmts = opts.maxStmts ?? 8;
  const side = opts.sideEffects ?? true;
  const calls = opts.calls ?? true;
  const ploops = opts.packetLoops ?? true;
  const tcopies = opts.structCopies ?? true;
  // Off unless asked: an older seed then still gives the programs it gave before these existed.
  const whiles = opts.whileLoops ?? false;
  const switches = opts.switches ?? false;
  const labels = opts.labels ?? false;
  const atomics = opts.atomics ?? false;
  const byteOrder = opts.byteOrder ?? false;
  const bpfLoops = opts.bpfLoops ?? false;
  const packet = !opts.tracing;

  const exprs: fc.Arbitrary<RExpr>[] = [];
  const conds: fc.Arbitrary<RCond>[] = [];
  const leaf: fc.Arbitrary<RExpr> = fc.oneof(
    { arbitrary: litArb, weight: 2 },
    { arbitrary: refArb.map((r) => ({ k: "ref" as const, r })), weight: 5 },
  );
  for (let d = 0; d <= exprDepth; d++) {
    if (d === 0) {
      exprs.push(leaf);
      conds.push(
        fc.oneof(
          {
            arbitrary: fc.record({ op: fc.constantFrom(...CMP_OPS), a: leaf, b: leaf }).map((x) => ({ k: "cmp" as const, ...x })),
            weight: 4,
          },
          { arbitrary: leaf.map((a) => ({ k: "truthy" as const, a })), weight: 1 },
          { arbitrary: fc.nat(7).map((idx) => ({ k: "bvar" as const, idx })), weight: 1 },
        ),
      );
      continue;
    }
    const sub = exprs[d - 1]!;
    const subc = conds[d - 1]!;
    const e: fc.Arbitrary<RExpr> = fc.oneof(
      { arbitrary: leaf, weight: 6 },
      { arbitrary: fc.record({ op: fc.constantFrom<UnOp>("-", "~", "+"), a: sub }).map((x) => ({ k: "un" as const, ...x })), weight: 2 },
      { arbitrary: fc.record({ op: fc.constantFrom(...ARITH_OPS), a: sub, b: sub }).map((x) => ({ k: "bin" as const, ...x })), weight: 12 },
      { arbitrary: fc.record({ t: intNameArb, a: sub }).map((x) => ({ k: "conv" as const, ...x })), weight: 4 },
      { arbitrary: fc.record({ c: subc, a: sub, b: sub }).map((x) => ({ k: "cond" as const, ...x })), weight: 2 },
      { arbitrary: fc.record({ lv: refArb, op: assignOpArb, e: sub }).map((x) => ({ k: "assign" as const, ...x })), weight: side ? 1 : 0 },
      {
        arbitrary: fc
          .record({ lv: refArb, op: fc.constantFrom<"++" | "--">("++", "--"), prefix: fc.boolean() })
          .map((x) => ({ k: "inc" as const, ...x })),
        weight: side ? 1 : 0,
      },
      {
        arbitrary: fc.record({ fn: fc.nat(3), args: fc.array(sub, { maxLength: 3 }) }).map((x) => ({ k: "call" as const, ...x })),
        weight: calls ? 2 : 0,
      },
      {
        arbitrary: fc.record({ op: fc.nat(5), lv: refArb, e: sub, e2: sub }).map((x) => ({ k: "atomic" as const, ...x })),
        weight: atomics && side ? 1 : 0,
      },
      { arbitrary: fc.record({ fn: fc.nat(5), a: sub }).map((x) => ({ k: "bswap" as const, ...x })), weight: byteOrder ? 2 : 0 },
      {
        arbitrary: fc.record({ fn: fc.nat(3), count: sub, st: fc.nat(3) }).map((x) => ({ k: "bpfloop" as const, ...x })),
        weight: bpfLoops ? 1 : 0,
      },
    );
    exprs.push(e);
    conds.push(
      fc.oneof(
        { arbitrary: fc.record({ op: fc.constantFrom(...CMP_OPS), a: sub, b: sub }).map((x) => ({ k: "cmp" as const, ...x })), weight: 6 },
        { arbitrary: fc.record({ k: fc.constantFrom<"and" | "or">("and", "or"), a: subc, b: subc }), weight: 2 },
        { arbitrary: subc.map((a) => ({ k: "not" as const, a })), weight: 1 },
        { arbitrary: sub.map((a) => ({ k: "truthy" as const, a })), weight: 1 },
        { arbitrary: fc.nat(7).map((idx) => ({ k: "bvar" as const, idx })), weight: 1 },
      ),
    );
  }
  const expr = exprs[exprDepth]!;
  const cond = conds[Math.max(0, exprDepth - 1)]!;
  const smallExpr = exprs[Math.max(0, exprDepth - 1)]!;

  const loopArb: fc.Arbitrary<RLoop> = fc.record({
    ty: fc.option(intNameArb, { nil: null }),
    start: fc.nat(5),
    n: fc.nat(6),
    step: fc.integer({ min: 1, max: 3 }),
    down: fc.boolean(),
    form: fc.nat(5),
  });
  const twriteArb: fc.Arbitrary<TWrite> = fc.record({ f: fc.nat(31), e: smallExpr, slot: fc.nat(NSLOTS - 1) });
  const simple: { arbitrary: fc.Arbitrary<RStmt>; weight: number }[] = [
    {
      arbitrary: fc
        .record({ mut: fc.boolean(), ty: fc.option(intNameArb, { nil: null, freq: 3 }), init: expr })
        .map((x) => ({ k: "decl" as const, ...x })),
      weight: 5,
    },
    { arbitrary: cond.map((init) => ({ k: "bdecl" as const, init })), weight: 1 },
    {
      arbitrary: fc
        .array(smallExpr, { minLength: S_FIELDS.length, maxLength: S_FIELDS.length })
        .map((inits) => ({ k: "sdecl" as const, inits })),
      weight: 1,
    },
    { arbitrary: fc.record({ lv: refArb, op: assignOpArb, e: expr }).map((x) => ({ k: "assign" as const, ...x })), weight: 5 },
    {
      arbitrary: fc
        .record({ lv: refArb, op: fc.constantFrom<"++" | "--">("++", "--"), prefix: fc.boolean() })
        .map((x) => ({ k: "inc" as const, ...x })),
      weight: 1,
    },
    {
      arbitrary: labels
        ? fc.record({ k: fc.constantFrom<"break" | "continue">("break", "continue"), lab: fc.option(fc.nat(3), { nil: null }) })
        : fc.constantFrom({ k: "break" as const }, { k: "continue" as const }),
      weight: labels ? 3 : 1,
    },
    { arbitrary: expr.map((e) => ({ k: "ret" as const, e })), weight: 1 },
    {
      arbitrary: fc
        .record({ op: fc.nat(5), lv: refArb, e: smallExpr, e2: smallExpr, fetch: fc.boolean() })
        .map((x) => ({ k: "atomic" as const, ...x })),
      weight: atomics ? 2 : 0,
    },
    {
      arbitrary: fc
        .record({ slot: fc.oneof({ arbitrary: fc.nat(NSLOTS - 1), weight: 4 }, { arbitrary: smallExpr, weight: 1 }), e: expr })
        .map((x) => ({ k: "res" as const, ...x })),
      weight: 5,
    },
    {
      arbitrary: fc
        .record({
          key: smallExpr,
          src: fc.oneof(fc.nat(7), fc.array(smallExpr, { minLength: S_FIELDS.length, maxLength: S_FIELDS.length })),
        })
        .map((x) => ({ k: "hupdate" as const, ...x })),
      weight: 2,
    },
    { arbitrary: smallExpr.map((key) => ({ k: "hdelete" as const, key })), weight: 1 },
    {
      arbitrary: fc
        .record({
          lit: fc.boolean(),
          a: smallExpr,
          b: smallExpr,
          inner: fc.option(fc.nat(15), { nil: null }),
          arr: fc.option(fc.nat(15), { nil: null }),
        })
        .map((x) => ({ k: "tdecl" as const, ...x })),
      weight: tcopies ? 3 : 0,
    },
    { arbitrary: fc.record({ src: fc.nat(15), w: twriteArb }).map((x) => ({ k: "talias" as const, ...x })), weight: tcopies ? 1 : 0 },
    {
      arbitrary: fc.record({ dst: fc.nat(15), src: fc.nat(15), w: twriteArb }).map((x) => ({ k: "tcopy" as const, ...x })),
      weight: tcopies ? 2 : 0,
    },
    {
      arbitrary: fc.record({ dst: fc.nat(15), src: fc.nat(15), sub: fc.nat(2), w: twriteArb }).map((x) => ({ k: "tfcopy" as const, ...x })),
      weight: tcopies ? 2 : 0,
    },
    { arbitrary: fc.record({ key: smallExpr, src: fc.nat(15) }).map((x) => ({ k: "tupdate" as const, ...x })), weight: tcopies ? 1 : 0 },
  ];
  const packetLoopArb: fc.Arbitrary<RPacketLoop> = fc.record({
    ty: fc.constantFrom<IntName>("u32", "i32", "u64", "u16"),
    start: fc.nat(3),
    n: fc.oneof(fc.nat(8), fc.integer({ min: 8, max: 40 })),
    step: fc.integer({ min: 1, max: 4 }),
    w: intNameArb,
    off: fc.oneof(fc.nat(16), fc.integer({ min: 40, max: 80 })),
    varOff: fc.option(smallExpr, { nil: null, freq: 3 }),
    limit: fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, { arbitrary: smallExpr, weight: 1 }),
    stop: fc.oneof(
      { arbitrary: fc.constant(null), weight: 2 },
      { arbitrary: fc.record({ op: fc.constantFrom(...CMP_OPS), v: fc.constantFrom(0n, 1n, 7n, 0xffn, 0x80n, 0x7fn) }), weight: 1 },
    ),
    accT: intNameArb,
    accInit: smallExpr,
    accOp: fc.nat(4),
    slot: fc.nat(NSLOTS - 1),
  });
  const stmts: fc.Arbitrary<RStmt>[] = [];
  for (let d = 0; d <= stmtDepth; d++) {
    if (d === 0) {
      stmts.push(fc.oneof(...simple));
      continue;
    }
    const block = fc.array(stmts[d - 1]!, { maxLength: 3 });
    stmts.push(
      fc.oneof(
        ...simple,
        {
          arbitrary: fc.record({ c: cond, then: block, else: fc.option(block, { nil: null }) }).map((x) => ({ k: "if" as const, ...x })),
          weight: 4,
        },
        {
          arbitrary: labels
            ? fc.record({ loop: loopArb, body: block, labeled: fc.boolean() }).map((x) => ({ k: "for" as const, ...x }))
            : fc.record({ loop: loopArb, body: block }).map((x) => ({ k: "for" as const, ...x })),
          weight: 2,
        },
        {
          arbitrary: fc
            .record({ loop: loopArb, body: block, doWhile: fc.boolean(), labeled: fc.boolean() })
            .map((x) => ({ k: "while" as const, ...x, labeled: labels && x.labeled })),
          weight: whiles ? 1 : 0,
        },
        {
          arbitrary: fc
            .record({
              e: smallExpr,
              cases: fc.array(fc.record({ label: fc.nat(9), body: block, brk: fc.boolean() }), { minLength: 1, maxLength: 4 }),
              def: fc.option(fc.record({ at: fc.nat(4), body: block, brk: fc.boolean() }), { nil: null }),
            })
            .map((x) => ({ k: "switch" as const, ...x })),
          weight: switches ? 1 : 0,
        },
        {
          arbitrary: fc.record({ pl: packetLoopArb, body: block }).map((x) => ({ k: "ploop" as const, ...x })),
          weight: ploops && packet ? 2 : 0,
        },
        {
          arbitrary: fc
            .record({ key: smallExpr, then: block, else: fc.option(block, { nil: null }) })
            .map((x) => ({ k: "tlookup" as const, ...x })),
          weight: tcopies ? 1 : 0,
        },
        {
          arbitrary: fc
            .record({ off: fc.oneof(fc.nat(24), fc.integer({ min: 60, max: 100 })), then: block, else: fc.option(block, { nil: null }) })
            .map((x) => ({ k: "tview" as const, ...x })),
          weight: tcopies && packet ? 1 : 0,
        },
        {
          arbitrary: fc
            .record({ slot: fc.nat(NSLOTS + 1), then: block, else: fc.option(block, { nil: null }) })
            .map((x) => ({ k: "rlookup" as const, ...x })),
          weight: 1,
        },
        {
          arbitrary: fc
            .record({ key: smallExpr, then: block, else: fc.option(block, { nil: null }) })
            .map((x) => ({ k: "hlookup" as const, ...x })),
          weight: 2,
        },
      ),
    );
  }
  const funcArb: fc.Arbitrary<RFunc> = fc.record({
    params: fc.array(intNameArb, { minLength: 1, maxLength: 3 }),
    ret: intNameArb,
    body: smallExpr,
    noinline: fc.boolean(),
    sref: fc.boolean(),
    upd: fc.record({ f: fc.nat(S_FIELDS.length - 1), op: assignOpArb, e: smallExpr }),
  });
  const base = {
    body: fc.array(stmts[stmtDepth]!, { minLength: 1, maxLength: maxStmts }),
    ret: smallExpr,
    funcs: fc.array(funcArb, { maxLength: calls ? 2 : 0 }),
  };
  // Only with the option: the record's keys are part of the random stream an older seed relied on.
  const raw: fc.Arbitrary<RawProgram> = bpfLoops
    ? fc.record({ ...base, cbs: fc.array(funcArb, { minLength: 1, maxLength: 2 }) })
    : fc.record(base);
  const later = whiles || switches || labels || atomics || byteOrder || bpfLoops;
  return later ? raw.map((r) => ({ ...r, later: true })) : raw;
}

// ------------------------------------------------------------------------------ TypeScript types

/** What tsc thinks an expression is: plain number, number literals, or a union of our brands. */
interface TsType {
  number: boolean;
  lit: boolean;
  brands: IntName[];
}
const BRAND: Record<IntName, IntName[]> = {
  u8: ["u8"],
  u16: ["u8", "u16"],
  u32: ["u8", "u16", "u32"],
  u64: ["u8", "u16", "u32", "u64"],
  i8: ["i8"],
  i16: ["i8", "i16", "u8"],
  i32: ["i8", "i16", "i32", "u8", "u16"],
  i64: ["i8", "i16", "i32", "i64", "u8", "u16", "u32"],
};
const NUM: TsType = { number: true, lit: false, brands: [] };
const brand = (t: IntName): TsType => ({ number: false, lit: false, brands: [t] });
const union = (a: TsType, b: TsType): TsType => ({
  number: a.number || b.number,
  lit: a.lit || b.lit,
  brands: [...new Set([...a.brands, ...b.brands])],
});
const brandOk = (s: IntName, d: IntName): boolean => BRAND[s].every((x) => BRAND[d].includes(x));
/** Whether a value of type src may be assigned to dst without an explicit conversion. */
function assignable(src: TsType, dst: TsType): boolean {
  if (dst.number) return true;
  return src.brands.every((s) => dst.brands.some((d) => brandOk(s, d)));
}
const onlyLit = (t: TsType): boolean => t.lit && !t.number && t.brands.length === 0;
/** `(e | 0)`: the same value, but a plain number for tsc. */
const orZero = (e: Expr): Expr => ({ k: "bin", op: "|", a: e, b: { k: "lit", v: 0n, hex: false } });

// ------------------------------------------------------------------------------------- resolve

interface Local {
  name: string;
  ts: TsType;
  mutable: boolean;
  /** The declared integer type, when the declaration has one. */
  c: IntName | null;
}
interface Scope {
  locals: Local[];
  bools: string[];
  structs: string[];
  /** Hash value references and result cells in scope (innermost last). */
  hvs: string[];
  cells: string[];
  inLoop: boolean;
  /** Inside a `switch` (nearer than any loop): `break` leaves the switch. */
  inSwitch?: boolean;
  /** Labels of the enclosing labelled loops (innermost last). */
  labels?: string[];
  /** The product of the enclosing loops' trip counts (kept small: the verifier walks every trip). */
  trips?: number;
  /** A reference into the hash map is live: no updates or deletes of it now. */
  hashRef: boolean;
  /** Ts in scope: stack locals (`own`: may be assigned whole), aliases, map values, packet views. */
  tbases?: TBase[];
  /** A reference into `tm` is live: no tm.update now. */
  tRef?: boolean;
  /** Functions that may be called here. */
  funcs: FuncDef[];
  /** `loop()` bodies. */
  cbs?: FuncDef[];
  /**
   * Inside a function body: only its parameters may be read, nothing called, nothing written but
   * the fields of its struct parameter (`structs` is then `["s"]`).
   */
  inFunc?: boolean;
}

interface TBase {
  name: string;
  mem: "stack" | "map" | "packet";
  own: boolean;
}

const pfieldTs = (f: string): TsType => brand(INPUT_FIELDS.find(([n]) => n === f)![1]);
const sfieldTs = (f: string): TsType => brand(S_FIELDS.find(([n]) => n === f)![1]);

/** T locals per program: 40 bytes of stack each, and the stack is 512 bytes over the call chain. */
const MAX_TLOCALS = 4;
/**
 * With the later shapes: S locals per program (24 bytes each) and T locals (MAX_TLOCALS is 4
 * before): their programs are longer, and with a tracing program's 48-byte Input, struct literals
 * and spills, 6 S and 4 T locals reached a 552-byte frame (seed 20261335, tracing case 1897).
 */
const MAX_SLOCALS = 4;
const MAX_TLOCALS_LATER = 3;

class Resolver {
  private n = 0;
  private tlocals = 0;
  private slocals = 0;
  /** Bound S locals too (MAX_SLOCALS): only for programs with the later shapes, so older seeds' programs stay as they were. */
  private boundStructs = false;

  fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  program(r: RawProgram): Program {
    this.boundStructs = r.later === true;
    const funcs = (r.funcs ?? []).map((f, j) => this.func(f, j));
    const cbs = (r.cbs ?? []).map((f, j) => this.callback(f, j));
    const scope: Scope = { locals: [], bools: [], structs: [], hvs: [], cells: [], inLoop: false, hashRef: false, funcs, cbs };
    // A struct for struct parameters from the start (calls of such functions need one in scope).
    const first: Stmt[] = [];
    if (funcs.some((f) => f.sparam) || cbs.length > 0) {
      const name = this.fresh("s");
      first.push({ k: "sdecl", name, inits: S_FIELDS.map((_, i) => ({ k: "lit", v: BigInt(3 * i + 1), hex: false })) });
      scope.structs.push(name);
    }
    const body = [...first, ...this.block(r.body, scope)];
    return { body, ret: this.retExpr(r.ret, scope), funcs: [...funcs, ...cbs] };
  }

  /** A `loop()` body: `function c0(a0: u32, s: S): i64 { return (<update of s> ^ body) & 1; }`. */
  private callback(f: RFunc, j: number): FuncDef {
    const d = this.func({ ...f, params: ["u32"], ret: "i64", sref: true }, j);
    const body: Expr = { k: "bin", op: "&", a: d.body, b: { k: "lit", v: 1n, hex: false } };
    return { ...d, name: `c${j}`, body, cb: true };
  }

  private func(f: RFunc, j: number): FuncDef {
    const params = f.params.map((t, i) => ({ name: `a${i}`, t }));
    const scope: Scope = {
      locals: params.map((p) => ({ name: p.name, ts: brand(p.t), mutable: false, c: p.t })),
      bools: [],
      structs: f.sref ? ["s"] : [],
      hvs: [],
      cells: [],
      inLoop: false,
      hashRef: false,
      funcs: [],
      inFunc: true,
    };
    // `((s.F op= e) + s.F) ^ body`: a write through the parameter and a read of it after (a
    // subprogram's first parameter was once taken for a context, whose reads passes merge).
    const field: RRef = { kind: 2, idx: 0, f: f.upd.f };
    const raw: RExpr = f.sref
      ? {
          k: "bin",
          op: "^",
          a: { k: "bin", op: "+", a: { k: "assign", lv: field, op: f.upd.op, e: f.upd.e }, b: { k: "ref", r: field } },
          b: f.body,
        }
      : f.body;
    const body = this.fit(this.expr(raw, scope), brand(f.ret), f.ret);
    return { name: `f${j}`, params, ret: f.ret, body, noinline: f.noinline, ...(f.sref ? { sparam: true } : {}) };
  }

  private block(stmts: RStmt[], outer: Scope): Stmt[] {
    const scope: Scope = {
      ...outer,
      locals: [...outer.locals],
      bools: [...outer.bools],
      structs: [...outer.structs],
      tbases: [...(outer.tbases ?? [])],
      hvs: [...outer.hvs],
      cells: [...outer.cells],
    };
    const out: Stmt[] = [];
    for (const s of stmts) {
      const r = this.stmt(s, scope);
      if (!r) continue;
      const rs = Array.isArray(r) ? r : [r];
      out.push(...rs);
      // Nothing after a jump in the same block, or after an if/else that jumps on both arms: tsc
      // does not narrow in unreachable code (a later null-checked lookup would be TS18047).
      if (rs.some(alwaysJumps)) break;
    }
    return out;
  }

  private lv(r: RRef, s: Scope, forWrite: boolean): { lv: Lv; ts: TsType; c: IntName | null } {
    if (s.inFunc) {
      if (s.structs.length > 0 && (forWrite || r.kind === 2)) {
        const [f, t] = S_FIELDS[r.f % S_FIELDS.length]!;
        return { lv: { k: "sfield", s: s.structs[0]!, f }, ts: sfieldTs(f), c: t };
      }
      const l = s.locals[r.idx % s.locals.length]!;
      return { lv: { k: "local", name: l.name }, ts: l.ts, c: l.c };
    }
    const pf = () => {
      const [f, t] = INPUT_FIELDS[r.f % INPUT_FIELDS.length]!;
      return { lv: { k: "pfield" as const, f }, ts: pfieldTs(f), c: t };
    };
    switch (r.kind) {
      case 0: {
        const ls = forWrite ? s.locals.filter((l) => l.mutable) : s.locals;
        if (ls.length === 0) return pf();
        const l = ls[r.idx % ls.length]!;
        return { lv: { k: "local", name: l.name }, ts: l.ts, c: l.c };
      }
      case 4: {
        const gs = GLOBALS.filter(([, , sec]) => !forWrite || sec !== "rodata");
        const [g, t] = gs[r.idx % gs.length]!;
        return { lv: { k: "global", g }, ts: brand(t), c: t };
      }
      case 2: {
        const tbs = s.tbases ?? [];
        if (s.structs.length + tbs.length === 0) return pf();
        const i = r.idx % (s.structs.length + tbs.length);
        if (i >= s.structs.length) {
          const base = tbs[i - s.structs.length]!;
          if (r.f >= T_PATHS.length && base.mem !== "packet") {
            // A run-time index, read or written (arrays in the packet take constant indices).
            const [path, t] = T_ARRAYS[r.f % T_ARRAYS.length]!;
            const [pfName] = INPUT_FIELDS[r.idx % INPUT_FIELDS.length]!;
            const idx: Expr = { k: "bin", op: "&", a: { k: "lv", lv: { k: "pfield", f: pfName } }, b: { k: "lit", v: 7n, hex: false } };
            return { lv: { k: "tf", base: base.name, path, idx }, ts: brand(t), c: t };
          }
          const [path, t] = T_PATHS[r.f % T_PATHS.length]!;
          return { lv: { k: "tf", base: base.name, path }, ts: brand(t), c: t };
        }
        const [f, t] = S_FIELDS[r.f % S_FIELDS.length]!;
        return { lv: { k: "sfield", s: s.structs[i]!, f }, ts: sfieldTs(f), c: t };
      }
      case 3: {
        const n = s.hvs.length + s.cells.length;
        if (n === 0) return pf();
        const i = r.idx % n;
        if (i < s.hvs.length) {
          const [f, t] = S_FIELDS[r.f % S_FIELDS.length]!;
          return { lv: { k: "hfield", h: s.hvs[i]!, f }, ts: sfieldTs(f), c: t };
        }
        return { lv: { k: "cell", r: s.cells[i - s.hvs.length]! }, ts: brand("u64"), c: "u64" };
      }
      default:
        return pf();
    }
  }

  /**
   * Wraps `e` in a conversion when tsc would not accept it where `dst` is expected, and when it is
   * a constant expression stored into an integer target (`dstC`, or "unknown" for an untyped local)
   * that it may not fit: that is TSBPF2011 (`const x: u8 = 300`); `u8(300)` is the legal spelling.
   */
  private fit(e: { e: Expr; ts: TsType }, dst: TsType, dstC?: IntName | null): Expr {
    if (dstC !== undefined && isConstExpr(e.e) && !(e.e.k === "lit" && dstC !== null && fitsIn(dstC, e.e.v))) {
      return { k: "conv", t: dstC ?? (dst.number || dst.brands.length === 0 ? "i64" : dst.brands[0]!), a: e.e };
    }
    if (assignable(e.ts, dst)) return e.e;
    return { k: "conv", t: dst.brands[0]!, a: e.e };
  }

  expr(r: RExpr, s: Scope): { e: Expr; ts: TsType } {
    switch (r.k) {
      case "lit":
        return { e: { k: "lit", v: r.v, hex: r.hex }, ts: { number: false, lit: true, brands: [] } };
      case "ref": {
        const { lv, ts } = this.lv(r.r, s, false);
        return { e: { k: "lv", lv }, ts };
      }
      case "un": {
        const a = this.expr(r.a, s);
        // -5 and +5 are still literal types for tsc; ~5 is number.
        return { e: { k: "un", op: r.op, a: a.e }, ts: r.op !== "~" && onlyLit(a.ts) ? a.ts : r.op === "+" ? a.ts : NUM };
      }
      case "bin": {
        const a = this.expr(r.a, s);
        const b = this.expr(r.b, s);
        const e: Expr = { k: "bin", op: r.op, a: a.e, b: b.e };
        // Literal-only arithmetic folds exactly; a result past 64 bits is TSBPF2201 (as a literal
        // would be TSBPF2011). Where it might be, type the left operand so the operation wraps.
        if (isConstExpr(e) && constBound(e) >= 1n << 63n) return { e: { ...e, a: { k: "conv", t: "i64", a: a.e } }, ts: NUM };
        return { e, ts: NUM };
      }
      case "conv":
        return { e: { k: "conv", t: r.t, a: this.expr(r.a, s).e }, ts: brand(r.t) };
      case "cond": {
        const c = this.cond(r.c, s);
        const a = this.expr(r.a, s);
        const b = this.expr(r.b, s);
        return { e: { k: "cond", c, a: a.e, b: b.e }, ts: union(a.ts, b.ts) };
      }
      case "atomic": {
        if (s.inFunc) return this.expr(r.e, s);
        return this.atomic(r, s, true);
      }
      case "bpfloop": {
        const cbs = s.cbs ?? [];
        if (s.inFunc || cbs.length === 0 || s.structs.length === 0) return this.expr(r.count, s);
        // A trip count of at most 63 (the verifier checks the body once; the reference runs it).
        const count: Expr = {
          k: "bin",
          op: "&",
          a: { k: "conv", t: "u32", a: this.expr(r.count, s).e },
          b: { k: "lit", v: 63n, hex: false },
        };
        return {
          e: { k: "bpfloop", count, fn: cbs[r.fn % cbs.length]!.name, state: s.structs[r.st % s.structs.length]! },
          ts: brand("i64"),
        };
      }
      case "bswap": {
        const fn = BYTE_ORDER_FNS[r.fn % BYTE_ORDER_FNS.length]!;
        const t = BYTE_ORDER_T[fn];
        return { e: { k: "bswap", fn, a: this.fit(this.expr(r.a, s), brand(t), t) }, ts: brand(t) };
      }
      case "call": {
        const lit0: RExpr = { k: "lit", v: 0n, hex: false };
        if (s.inFunc || s.funcs.length === 0) return this.expr(r.args[0] ?? lit0, s);
        const f = s.funcs[r.fn % s.funcs.length]!;
        // A struct parameter takes one of the caller's stack structs or hash map values (found by a
        // lookup); without one, no call.
        const sargs = [...s.hvs, ...s.structs];
        if (f.sparam && sargs.length === 0) return this.expr(r.args[0] ?? lit0, s);
        const sarg = f.sparam ? { sarg: sargs[(r.fn + r.args.length) % sargs.length]! } : {};
        const args = f.params.map((p, i) => this.fit(this.expr(r.args[i] ?? { k: "lit", v: BigInt(i), hex: false }, s), brand(p.t), p.t));
        return { e: { k: "call", fn: f.name, args, ...sarg }, ts: brand(f.ret) };
      }
      case "assign": {
        if (s.inFunc && s.structs.length === 0) return this.expr(r.e, s);
        const { lv, ts, c } = this.lv(r.lv, s, true);
        const e = this.expr(r.e, s);
        const op = r.op;
        const rhs = op === "=" ? this.fit(e, ts, c) : e.e;
        // For tsc, (x = e) has e's type: after fit() possibly the converted one.
        const rts = op !== "=" ? NUM : rhs === e.e ? e.ts : brand((rhs as Extract<Expr, { k: "conv" }>).t);
        return { e: { k: "assign", lv, op, e: rhs }, ts: rts };
      }
      case "inc": {
        if (s.inFunc && s.structs.length === 0) return this.expr({ k: "ref", r: r.lv }, s);
        const { lv } = this.lv(r.lv, s, true);
        return { e: { k: "inc", lv, op: r.op, prefix: r.prefix }, ts: NUM };
      }
    }
  }

  cond(r: RCond, s: Scope): Cond {
    switch (r.k) {
      case "cmp": {
        const a = this.expr(r.a, s);
        const b = this.expr(r.b, s);
        // tsc rejects 5 === 7 ("no overlap"); (5 | 0) is a number.
        const ae = (r.op === "===" || r.op === "!==") && onlyLit(a.ts) && onlyLit(b.ts) ? orZero(a.e) : a.e;
        return { k: "cmp", op: r.op, a: ae, b: b.e };
      }
      case "and":
      case "or":
        return { k: r.k, a: this.cond(r.a, s), b: this.cond(r.b, s) };
      case "not":
        return { k: "not", a: this.cond(r.a, s) };
      case "truthy": {
        // tsc rejects a literal as a condition ("always truthy"); (5 | 0) is fine and still 5.
        const a = this.expr(r.a, s);
        return { k: "truthy", a: onlyLit(a.ts) ? orZero(a.e) : a.e };
      }
      case "bvar":
        if (s.bools.length === 0) return { k: "truthy", a: { k: "lv", lv: this.lv({ kind: 1, idx: 0, f: r.idx }, s, false).lv } };
        return { k: "bvar", name: s.bools[r.idx % s.bools.length]! };
    }
  }

  /** tsc checks a returned literal (even in a union) against XdpAction's members; (7 | 0) is a number. */
  private retExpr(r: RExpr, s: Scope): Expr {
    const e = this.expr(r, s);
    return e.ts.lit ? orZero(e.e) : e.e;
  }

  private key(r: RExpr, s: Scope): Expr {
    return { k: "bin", op: "&", a: this.expr(r, s).e, b: { k: "lit", v: BigInt(HKEY_MASK), hex: false } };
  }

  private stmt(r: RStmt, s: Scope): Stmt | Stmt[] | undefined {
    switch (r.k) {
      case "decl": {
        const init = this.expr(r.init, s);
        const name = this.fresh("v");
        if (r.ty) {
          s.locals.push({ name, ts: brand(r.ty), mutable: r.mut, c: r.ty });
          return { k: "decl", name, mut: r.mut, ty: r.ty, init: this.fit(init, brand(r.ty), r.ty) };
        }
        // `let x = <literal>` widens to number for tsc.
        s.locals.push({ name, ts: init.ts.lit ? union(init.ts, NUM) : init.ts, mutable: true, c: null });
        return { k: "decl", name, mut: true, ty: null, init: init.e };
      }
      case "bdecl": {
        const init = this.cond(r.init, s);
        const name = this.fresh("b");
        s.bools.push(name);
        return { k: "bdecl", name, init };
      }
      case "sdecl": {
        if (this.boundStructs && this.slocals >= MAX_SLOCALS) return undefined;
        this.slocals++;
        const inits = r.inits.map((x, i) => this.fit(this.expr(x, s), sfieldTs(S_FIELDS[i]![0]), S_FIELDS[i]![1]));
        const name = this.fresh("s");
        s.structs.push(name);
        return { k: "sdecl", name, inits };
      }
      case "assign": {
        const { lv, ts, c } = this.lv(r.lv, s, true);
        const e = this.expr(r.e, s);
        return { k: "expr", e: { k: "assign", lv, op: r.op, e: r.op === "=" ? this.fit(e, ts, c) : e.e } };
      }
      case "inc":
        return { k: "expr", e: { k: "inc", lv: this.lv(r.lv, s, true).lv, op: r.op, prefix: r.prefix } };
      case "if":
        return { k: "if", c: this.cond(r.c, s), then: this.block(r.then, s), else: r.else ? this.block(r.else, s) : null };
      case "for":
        return this.loop(r.loop, r.body, s, r.labeled ?? false);
      case "while":
        return this.whileLoop(r.loop, r.body, r.doWhile, s, r.labeled ?? false);
      case "switch":
        return this.switchStmt(r, s);
      case "ploop":
        return s.inFunc ? undefined : this.packetLoop(r.pl, r.body, s);
      case "atomic": {
        if (s.inFunc) return undefined;
        // The void forms (add/or/and/xor) or any fetch form with its value dropped.
        const op = r.fetch ? r.op : r.op % 4;
        return { k: "expr", e: this.atomic({ ...r, op }, s, r.fetch).e };
      }
      case "break":
      case "continue": {
        const ls = s.labels ?? [];
        if (r.lab !== undefined && r.lab !== null && ls.length > 0) return { k: r.k, label: ls[r.lab % ls.length]! };
        return s.inLoop || (r.k === "break" && s.inSwitch) ? { k: r.k } : undefined;
      }
      case "ret":
        return { k: "ret", e: this.retExpr(r.e, s) };
      case "res": {
        const slot: Expr =
          typeof r.slot === "number"
            ? { k: "lit", v: BigInt(r.slot), hex: false }
            : {
                k: "bin",
                op: "%",
                a: { k: "conv", t: "u32", a: this.expr(r.slot, s).e },
                b: { k: "lit", v: BigInt(NSLOTS + 2), hex: false },
              };
        return { k: "res", slot, e: this.fit(this.expr(r.e, s), brand("u64")) };
      }
      case "rlookup": {
        const name = this.fresh("r");
        const inner: Scope = { ...s, cells: [...s.cells, name] };
        return { k: "rlookup", name, slot: r.slot, then: this.block(r.then, inner), else: r.else ? this.block(r.else, s) : null };
      }
      case "hupdate": {
        if (s.hashRef) return undefined;
        const key = this.key(r.key, s);
        if (typeof r.src === "number") {
          if (s.structs.length === 0) return undefined;
          return { k: "hupdate", key, src: { k: "local", name: s.structs[r.src % s.structs.length]! } };
        }
        const inits = r.src.map((x, i) => this.fit(this.expr(x, s), sfieldTs(S_FIELDS[i]![0]), S_FIELDS[i]![1]));
        return { k: "hupdate", key, src: { k: "lit", inits } };
      }
      case "hdelete":
        if (s.hashRef) return undefined;
        return { k: "hdelete", key: this.key(r.key, s) };
      case "tdecl": {
        const tbs = s.tbases ?? [];
        const pick = (n: number | null): string | null => (n === null || tbs.length === 0 ? null : tbs[n % tbs.length]!.name);
        if (this.tlocals >= (this.boundStructs ? MAX_TLOCALS_LATER : MAX_TLOCALS)) return undefined;
        this.tlocals++;
        const name = this.fresh("t");
        const init: TInit | null = r.lit
          ? {
              a: this.fit(this.expr(r.a, s), brand("u8"), "u8"),
              inner: pick(r.inner),
              b: this.fit(this.expr(r.b, s), brand("i64"), "i64"),
              arr: pick(r.arr),
            }
          : null;
        s.tbases = [...tbs, { name, mem: "stack", own: true }];
        return { k: "tdecl", name, init };
      }
      case "talias": {
        const tbs = s.tbases ?? [];
        if (tbs.length === 0) return undefined;
        const src = tbs[r.src % tbs.length]!;
        const name = this.fresh("r");
        s.tbases = [...tbs, { name, mem: src.mem, own: false }];
        // Written through the alias, then through the original, read through the alias: one memory.
        return this.twrite(r.w, { k: "talias", name, src: src.name }, name, src.name, name, "", s);
      }
      case "tcopy": {
        const tbs = s.tbases ?? [];
        if (tbs.length === 0) return undefined;
        const owns = tbs.filter((b) => b.own);
        const pre: Stmt[] = [];
        let dst = owns.length ? owns[r.dst % owns.length]!.name : "";
        // Another T where there is one (a self-copy shows nothing); else a new local to copy into.
        let others = tbs.filter((b) => b.name !== dst);
        if (!dst || others.length === 0) {
          if (this.tlocals >= (this.boundStructs ? MAX_TLOCALS_LATER : MAX_TLOCALS)) return undefined;
          this.tlocals++;
          dst = this.fresh("t");
          pre.push({ k: "tdecl", name: dst, init: null });
          others = tbs;
          s.tbases = [...tbs, { name: dst, mem: "stack", own: true }];
        }
        const src = others[r.src % others.length]!.name;
        // Written in the source before the copy and changed after it, read in the copy: a value.
        return [...pre, ...this.twrite(r.w, { k: "tcopy", dst, src }, src, src, dst, "", s)];
      }
      case "tfcopy": {
        const tbs = s.tbases ?? [];
        if (tbs.length === 0) return undefined;
        let dst = tbs[r.dst % tbs.length]!.name;
        let others = tbs.filter((b) => b.name !== dst);
        const pre: Stmt[] = [];
        if (others.length === 0) {
          if (this.tlocals >= (this.boundStructs ? MAX_TLOCALS_LATER : MAX_TLOCALS)) return undefined;
          this.tlocals++;
          dst = this.fresh("t");
          pre.push({ k: "tdecl", name: dst, init: null });
          others = tbs;
          s.tbases = [...tbs, { name: dst, mem: "stack", own: true }];
        }
        const src = others[r.src % others.length]!.name;
        const sub = T_SUBS[r.sub % T_SUBS.length]![0];
        return [...pre, ...this.twrite(r.w, { k: "tfcopy", dst, src, sub }, src, src, dst, sub, s)];
      }
      case "tupdate": {
        const tbs = s.tbases ?? [];
        if (s.tRef || tbs.length === 0) return undefined;
        const key: Expr = { k: "bin", op: "&", a: this.expr(r.key, s).e, b: { k: "lit", v: BigInt(TKEY_MASK), hex: false } };
        return { k: "tupdate", key, src: tbs[r.src % tbs.length]!.name };
      }
      case "tlookup": {
        const key: Expr = { k: "bin", op: "&", a: this.expr(r.key, s).e, b: { k: "lit", v: BigInt(TKEY_MASK), hex: false } };
        const name = this.fresh("tv");
        const inner: Scope = { ...s, tbases: [...(s.tbases ?? []), { name, mem: "map", own: false }], tRef: true };
        return { k: "tlookup", name, key, then: this.block(r.then, inner), else: r.else ? this.block(r.else, s) : null };
      }
      case "tview": {
        const name = this.fresh("pv");
        const inner: Scope = { ...s, tbases: [...(s.tbases ?? []), { name, mem: "packet", own: false }] };
        return { k: "tview", name, off: r.off, then: this.block(r.then, inner), else: r.else ? this.block(r.else, s) : null };
      }
      case "hlookup": {
        const key = this.key(r.key, s);
        const name = this.fresh("h");
        const inner: Scope = { ...s, hvs: [...s.hvs, name], hashRef: true };
        return { k: "hlookup", name, key, then: this.block(r.then, inner), else: r.else ? this.block(r.else, s) : null };
      }
    }
  }

  /**
   * A loop over packet bytes, as three statements:
   *
   *   let acc: T = init;
   *   for (let k: K = A; k < A + n*step; k += step) {
   *     const b = ctx.header<W>(off + k);          // off: a constant, or a constant plus (e & 31)
   *     if (b === null) break;                     // the per-iteration bounds check against data_end
   *     if (b <op> V) break;                       // optional: stop on a byte value
   *     if (k >= limit) break;                     // optional: a data-dependent trip count
   *     acc = acc <op> b;                          // += ^= -= |= (b << (k & 7)), or acc * 31 + b
   *     ...generated statements (they see k, b and acc)
   *   }
   *   results.update(slot, acc);
   */
  private packetLoop(raw: RPacketLoop, body: RStmt[], s: Scope): Stmt[] {
    // Inside other loops the verifier walks trips x trips: keep the product near 64.
    const l = { ...raw, n: Math.min(raw.n, Math.floor(64 / (s.trips ?? 1))) };
    const lit = (v: bigint | number): Expr => ({ k: "lit", v: BigInt(v), hex: false });
    const accInit = this.expr(l.accInit, s);
    const acc = this.fresh("acc");
    const decl: Stmt = { k: "decl", name: acc, mut: true, ty: l.accT, init: this.fit(accInit, brand(l.accT), l.accT) };
    s.locals.push({ name: acc, ts: brand(l.accT), mutable: true, c: l.accT });
    const k = this.fresh("k");
    const b = this.fresh("b");
    const kE: Expr = { k: "lv", lv: { k: "local", name: k } };
    const bE: Expr = { k: "lv", lv: { k: "local", name: b } };
    const accLv: Lv = { k: "local", name: acc };
    const inner: Scope = {
      ...s,
      locals: [...s.locals, { name: k, ts: brand(l.ty), mutable: false, c: l.ty }, { name: b, ts: brand(l.w), mutable: false, c: l.w }],
      inLoop: true,
      trips: (s.trips ?? 1) * (l.n + 1),
    };
    let off: Expr = { k: "bin", op: "+", a: lit(l.off), b: kE };
    if (l.varOff) off = { k: "bin", op: "+", a: { k: "bin", op: "&", a: this.expr(l.varOff, s).e, b: lit(31) }, b: off };
    const stop: Cond | null = l.stop ? { k: "cmp", op: l.stop.op, a: bE, b: lit(l.stop.v) } : null;
    const pre: Stmt[] = [];
    if (l.limit)
      pre.push({ k: "if", c: { k: "cmp", op: ">=", a: kE, b: this.expr(l.limit, inner).e }, then: [{ k: "break" }], else: null });
    const accE: Expr = { k: "lv", lv: accLv };
    switch (l.accOp) {
      case 0:
        pre.push({ k: "expr", e: { k: "assign", lv: accLv, op: "+=", e: bE } });
        break;
      case 1:
        pre.push({ k: "expr", e: { k: "assign", lv: accLv, op: "^=", e: bE } });
        break;
      case 2:
        pre.push({ k: "expr", e: { k: "assign", lv: accLv, op: "-=", e: bE } });
        break;
      case 3:
        pre.push({
          k: "expr",
          e: { k: "assign", lv: accLv, op: "|=", e: { k: "bin", op: "<<", a: bE, b: { k: "bin", op: "&", a: kE, b: lit(7) } } },
        });
        break;
      default: {
        const h: Expr = { k: "bin", op: "+", a: { k: "bin", op: "*", a: accE, b: lit(31) }, b: bE };
        pre.push({ k: "expr", e: { k: "assign", lv: accLv, op: "=", e: this.fit({ e: h, ts: NUM }, brand(l.accT), l.accT) } });
      }
    }
    const start = BigInt(l.start);
    const loop: Stmt = {
      k: "for",
      name: k,
      ty: l.ty,
      start,
      cond: { k: "cmp", op: "<", a: kE, b: lit(start + BigInt(l.n * l.step)) },
      update: { k: "assign", lv: { k: "local", name: k }, op: "+=", e: lit(l.step) },
      body: [...pre, ...this.block(body, inner)],
      hdr: { b, w: l.w, off, stop },
    };
    const res: Stmt = { k: "res", slot: lit(l.slot), e: this.fit({ e: accE, ts: brand(l.accT) }, brand("u64")) };
    return [decl, loop, res];
  }

  /**
   * Makes a copy or an alias observable, for a member m under `under` ("" for any):
   * `before.m = e; <copy or alias>; after.m++; results.update(slot, u64(read.m));`
   * (an alias: the write is seen; a copy: the value from before, whatever happened after).
   */
  private twrite(w: TWrite, op: Stmt, before: string, after: string, read: string, under: string, s: Scope): Stmt[] {
    const paths = T_PATHS.filter(([p]) => under === "" || p.startsWith(`${under}.`) || p.startsWith(`${under}[`));
    const [path, t] = paths[w.f % paths.length]!;
    const e = this.fit(this.expr(w.e, s), brand(t), t);
    const readE: Expr = { k: "lv", lv: { k: "tf", base: read, path } };
    const set: Stmt = { k: "expr", e: { k: "assign", lv: { k: "tf", base: before, path }, op: "=", e } };
    const bump: Stmt = { k: "expr", e: { k: "inc", lv: { k: "tf", base: after, path }, op: "++", prefix: false } };
    const rec: Stmt = {
      k: "res",
      slot: { k: "lit", v: BigInt(w.slot), hex: false },
      e: this.fit({ e: readE, ts: brand(t) }, brand("u64")),
    };
    return op.k === "talias" ? [op, set, bump, rec] : [set, op, bump, rec];
  }

  /** `for (let i = A; i <op> B; i += k)` with constants only, so the verifier can bound it. */
  private loop(l: RLoop, body: RStmt[], s: Scope, labeled: boolean): Stmt {
    const name = this.fresh("k"); // not "i": i8, i16... are conversion functions
    const lit = (v: number): Expr => ({ k: "lit", v: BigInt(v), hex: false });
    const i: Expr = { k: "lv", lv: { k: "local", name } };
    const lv: Lv = { k: "local", name };
    const { n, step: k } = l;
    let start: number;
    let cond: Cond;
    let update: Expr;
    const form = l.form % 3;
    if (!l.down) {
      start = l.start;
      const op: CmpOp = (["<", "<=", "!=="] as const)[form];
      const bound = op === "<=" ? start + n * k - 1 : start + n * k;
      cond = bound < 0 ? { k: "cmp", op: "<", a: i, b: lit(start) } : { k: "cmp", op, a: i, b: lit(bound) };
      update = k === 1 && l.form >= 3 ? { k: "inc", lv, op: "++", prefix: l.form === 4 } : { k: "assign", lv, op: "+=", e: lit(k) };
    } else {
      const low = l.start % 3;
      start = low + n * k;
      const op: CmpOp = ([">", ">=", "!=="] as const)[form];
      cond = { k: "cmp", op, a: i, b: lit(op === ">=" ? low + 1 : low) };
      if (op === ">=" && n === 0) cond = { k: "cmp", op: ">", a: i, b: lit(start) };
      update = k === 1 && l.form >= 3 ? { k: "inc", lv, op: "--", prefix: l.form === 4 } : { k: "assign", lv, op: "-=", e: lit(k) };
    }
    const inner: Scope = {
      ...s,
      locals: [...s.locals, { name, ts: l.ty ? brand(l.ty) : NUM, mutable: false, c: l.ty }],
      inLoop: true,
      inSwitch: false,
      trips: (s.trips ?? 1) * (n + 1),
      labels: labeled ? [...(s.labels ?? []), `L${name}`] : s.labels,
    };
    const loop: Stmt = { k: "for", name, ty: l.ty, start: BigInt(start), cond, update, body: this.block(body, inner) };
    return labeled ? { ...loop, label: `L${name}` } : loop;
  }

  /**
   * An atomic operation on a 32- or 64-bit field of a stack struct or hash map value, a result
   * cell or a writable global (`r.kind` picks which, falling back to the globals). The value
   * arguments are plain `number`s to tsc; a constant expression gets the target's conversion.
   */
  private atomic(r: { op: number; lv: RRef; e: RExpr; e2: RExpr }, s: Scope, fetch: boolean): { e: Expr; ts: TsType } {
    const fields = S_FIELDS.filter(([, t]) => BITS[t] >= 32);
    let lv: Lv;
    let t: IntName;
    const kind = r.lv.kind % 4;
    if (kind === 0 && s.structs.length > 0) {
      [, t] = fields[r.lv.f % fields.length]!;
      lv = { k: "sfield", s: s.structs[r.lv.idx % s.structs.length]!, f: fields[r.lv.f % fields.length]![0] };
    } else if (kind === 1 && s.hvs.length > 0) {
      [, t] = fields[r.lv.f % fields.length]!;
      lv = { k: "hfield", h: s.hvs[r.lv.idx % s.hvs.length]!, f: fields[r.lv.f % fields.length]![0] };
    } else if (kind === 2 && s.cells.length > 0) {
      t = "u64";
      lv = { k: "cell", r: s.cells[r.lv.idx % s.cells.length]! };
    } else {
      const gs = GLOBALS.filter(([, gt, sec]) => sec !== "rodata" && BITS[gt] >= 32);
      const [g, gt] = gs[r.lv.idx % gs.length]!;
      t = gt;
      lv = { k: "global", g };
    }
    const op = ATOMIC_OPS[fetch ? r.op % ATOMIC_OPS.length : r.op % 4]!;
    const e = this.fit(this.expr(r.e, s), NUM, t);
    const e2 = op === "cmpxchg" ? { e2: this.fit(this.expr(r.e2, s), NUM, t) } : {};
    return { e: { k: "atomic", op, fetch, lv, e, ...e2 }, ts: brand(t) };
  }

  /**
   * `let k = A; while (k < B) { k += step; body }` or `do { k += step; body } while (k < B)` (or
   * counting down): the compiler's counted shape, the step the body's first statement, so a
   * `continue` after it is allowed. The counter meets the bound exactly (no wrap past it).
   */
  private whileLoop(raw: RLoop, body: RStmt[], doWhile: boolean, s: Scope, labeled: boolean): Stmt[] {
    const l = { ...raw, n: Math.min(raw.n, Math.floor(64 / (s.trips ?? 1))) };
    const name = this.fresh("k");
    const lit = (v: number): Expr => ({ k: "lit", v: BigInt(v), hex: false });
    const i: Expr = { k: "lv", lv: { k: "local", name } };
    const lv: Lv = { k: "local", name };
    const step = l.step;
    const bump: Stmt = {
      k: "expr",
      e:
        step === 1 && l.form >= 3
          ? { k: "inc", lv, op: l.down ? "--" : "++", prefix: l.form === 4 }
          : { k: "assign", lv, op: l.down ? "-=" : "+=", e: lit(step) },
    };
    // A `do` body steps before the first test: one step more to the bound.
    const steps = l.n + (doWhile ? 1 : 0);
    let start: number;
    let cond: Cond;
    if (!l.down) {
      start = l.start;
      let op: CmpOp = l.form % 2 === 0 ? "<" : "<=";
      let bound = start + steps * step - (op === "<=" ? 1 : 0);
      if (bound < 0) [op, bound] = ["<", start];
      cond = { k: "cmp", op, a: i, b: lit(bound) };
    } else {
      const low = l.start % 3;
      start = low + steps * step;
      const op: CmpOp = l.form % 2 === 0 ? ">" : ">=";
      cond = { k: "cmp", op, a: i, b: lit(op === ">=" ? low + 1 : low) };
    }
    const decl: Stmt = { k: "decl", name, mut: true, ty: l.ty, init: lit(start) };
    s.locals.push({ name, ts: l.ty ? brand(l.ty) : NUM, mutable: false, c: l.ty });
    const label = labeled ? `L${name}` : undefined;
    const inner: Scope = {
      ...s,
      inLoop: true,
      inSwitch: false,
      trips: (s.trips ?? 1) * (steps + 1),
      labels: label ? [...(s.labels ?? []), label] : s.labels,
    };
    return [decl, { k: "while", cond, body: [bump, ...this.block(body, inner)], doWhile, ...(label ? { label } : {}) }];
  }

  /** `switch (u32(e) & 7)` over distinct labels 0..9, a `default` at `def`, each case in braces. */
  private switchStmt(r: Extract<RStmt, { k: "switch" }>, s: Scope): Stmt {
    const e: Expr = {
      k: "bin",
      op: "&",
      a: { k: "conv", t: "u32", a: this.expr(r.e, s).e },
      b: { k: "lit", v: 7n, hex: false },
    };
    const inner: Scope = { ...s, inSwitch: true };
    const seen = new Set<number>();
    const cases: { label: bigint | null; body: Stmt[] }[] = [];
    const caseBody = (raw: RStmt[], brk: boolean): Stmt[] => {
      const body = this.block(raw, inner);
      if (brk && !body.some(alwaysJumps)) body.push({ k: "break" });
      return body;
    };
    for (const c of r.cases) {
      if (seen.has(c.label)) continue;
      seen.add(c.label);
      cases.push({ label: BigInt(c.label), body: caseBody(c.body, c.brk) });
    }
    if (r.def !== null) cases.splice(r.def.at % (cases.length + 1), 0, { label: null, body: caseBody(r.def.body, r.def.brk) });
    return { k: "switch", e, cases };
  }
}

export function resolve(r: RawProgram): Program {
  return new Resolver().program(r);
}

export const programArb = (opts: GenOptions = {}): fc.Arbitrary<Program> => rawProgramArb(opts).map(resolve);

/** An expression of literals only (the compiler folds it exactly and checks it against its target). */
/** Whether control never falls through `s` (every path returns, breaks or continues). */
function alwaysJumps(s: Stmt): boolean {
  if (s.k === "ret" || s.k === "break" || s.k === "continue") return true;
  // With a `default` and no `break` of its own, a switch is left only by falling off its last case.
  if (s.k === "switch")
    return (
      s.cases.some((c) => c.label === null) &&
      !s.cases.some((c) => jumpsOut(c.body, "break", undefined, false)) &&
      (s.cases.at(-1)?.body.some(alwaysJumps) ?? false)
    );
  // A `do` body that ends in a return, with no `break` or `continue` (which goes to the test).
  if (s.k === "while")
    return (
      s.doWhile && s.body.at(-1)?.k === "ret" && !jumpsOut(s.body, "break", s.label, true) && !jumpsOut(s.body, "continue", s.label, true)
    );
  if (s.k === "if" || s.k === "rlookup" || s.k === "hlookup" || s.k === "tlookup" || s.k === "tview")
    return !!s.else && s.then.some(alwaysJumps) && s.else.some(alwaysJumps);
  return false;
}

/**
 * Whether a `break` (or `continue`) in `ss` goes to the statement holding `ss` (a loop when `loop`,
 * else a switch): one without a label, not in a nested loop (nor a `break` in a nested switch), or
 * one with that loop's `label` anywhere inside.
 */
function jumpsOut(ss: Stmt[], k: "break" | "continue", label: string | undefined, loop: boolean, nested = false): boolean {
  return ss.some((s) => {
    if (s.k === k) return s.label === undefined ? !nested : s.label === label;
    if (s.k === "if" || s.k === "rlookup" || s.k === "hlookup" || s.k === "tlookup" || s.k === "tview")
      return jumpsOut(s.then, k, label, loop, nested) || (s.else !== null && jumpsOut(s.else, k, label, loop, nested));
    if (s.k === "switch") return s.cases.some((c) => jumpsOut(c.body, k, label, loop, nested || k === "break" || !loop));
    if (s.k === "for" || s.k === "while") return jumpsOut(s.body, k, label, loop, true);
    return false;
  });
}

function isConstExpr(e: Expr): boolean {
  if (e.k === "lit") return true;
  if (e.k === "un") return isConstExpr(e.a);
  if (e.k === "bin") return isConstExpr(e.a) && isConstExpr(e.b);
  return false;
}
/** Whether a literal-only expression may fold to a negative value. */
function mayBeNegative(e: Expr): boolean {
  if (e.k === "lit") return e.v < 0n;
  if (e.k === "un") return e.op !== "+" || mayBeNegative(e.a);
  if (e.k === "bin") return e.op === "-" || mayBeNegative(e.a) || mayBeNegative(e.b);
  return true;
}

/** An upper bound of |value| of a literal-only expression, as the compiler folds it exactly. */
function constBound(e: Expr): bigint {
  if (e.k === "lit") return e.v < 0n ? -e.v : e.v;
  if (e.k === "un") return constBound(e.a) + 1n;
  if (e.k !== "bin") return 1n << 64n;
  const a = constBound(e.a);
  const b = constBound(e.b);
  switch (e.op) {
    case "+":
    case "-":
      return a + b;
    case "*":
      return a * b;
    case "<<":
      // The count is taken modulo 64: a negative one (`<< (-2)`) shifts by up to 63 (seed 20261356).
      if (mayBeNegative(e.b)) return a << 63n;
      return b >= 64n ? 1n << 64n : a << b;
    default:
      return 2n * (a > b ? a : b) + 1n;
  }
}

function fitsIn(t: IntName, v: bigint): boolean {
  const bits = BITS[t];
  return isSigned(t) ? v >= -(1n << BigInt(bits - 1)) && v < 1n << BigInt(bits - 1) : v >= 0n && v < 1n << BigInt(bits);
}

// ------------------------------------------------------------------------------------- shapes

/** The shapes a program exercises (for the per-shape counts `npm run fuzz` prints). */
export function shapesOf(p: Program): Set<string> {
  const out = new Set<string>();
  const called = (p.funcs ?? []).filter((f) => !f.cb);
  if (called.length) out.add("calls");
  if (called.some((f) => f.sparam)) out.add("struct parameters");
  const walk = (ss: Stmt[]): void => {
    for (const st of ss) {
      switch (st.k) {
        case "for":
          if (st.hdr) out.add("packet loops");
          if (st.label) out.add("labelled loops");
          walk(st.body);
          break;
        case "while":
          out.add("while loops");
          if (st.label) out.add("labelled loops");
          walk(st.body);
          break;
        case "switch":
          out.add("switches");
          for (const c of st.cases) walk(c.body);
          break;
        case "if":
        case "rlookup":
        case "hlookup":
        case "tlookup":
        case "tview":
          if (st.k === "tlookup" || st.k === "tview") out.add("struct copies");
          walk(st.then);
          if (st.else) walk(st.else);
          break;
        default:
          if (SHAPE_OF[st.k]) out.add(SHAPE_OF[st.k]!);
      }
    }
  };
  walk(p.body);
  const text = JSON.stringify(p.body, (_k, v) => (typeof v === "bigint" ? 0 : v));
  if (text.includes('"k":"atomic"')) out.add("atomics");
  if (text.includes('"k":"bswap"')) out.add("byte order");
  if (text.includes('"k":"bpfloop"')) out.add("bpf_loop");
  return out;
}
const SHAPE_OF: Partial<Record<Stmt["k"], string>> = {
  tdecl: "struct copies",
  talias: "struct copies",
  tcopy: "struct copies",
  tfcopy: "struct copies",
  tupdate: "struct copies",
};

// ------------------------------------------------------------------------------------- inputs

export type InputVec = bigint[];
/** One random packet: the Input fields, the bytes after them, and the packet's length. */
export interface PacketIn {
  v: InputVec;
  /** MAX_PACKET - sizeof(Input) bytes following the Input fields (only the first len - sizeof(Input) are sent). */
  tail: number[];
  len: number;
}

function valueArb(t: IntName): fc.Arbitrary<bigint> {
  const bits = BigInt(BITS[t]);
  const min = isSigned(t) ? -(1n << (bits - 1n)) : 0n;
  const max = isSigned(t) ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const edges = [0n, 1n, 2n, 7n, max, max - 1n, min, min + 1n, ...(isSigned(t) ? [-1n, -2n, -7n] : [])];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...edges), weight: 3 },
    { arbitrary: fc.bigInt(0n, 40n), weight: 2 },
    { arbitrary: fc.bigInt(min, max), weight: 3 },
  );
}

/** The Input fields of one packet: a value for every INPUT_FIELDS entry. */
export const inputArb: fc.Arbitrary<InputVec> = fc.tuple(...INPUT_FIELDS.map(([, t]) => valueArb(t)));

/** Bytes after the Input fields: a few values often (so byte-value breaks fire), any byte otherwise. */
const byteArb = fc.oneof({ arbitrary: fc.constantFrom(0, 1, 7, 0x7f, 0x80, 0xff), weight: 1 }, { arbitrary: fc.nat(255), weight: 2 });

/**
 * A packet: mostly PACKET_SIZE bytes or longer (up to MAX_PACKET), so packet loops run past the end
 * at every offset; sometimes shorter than Input (the program returns ABORTED at its header check).
 */
export const packetArb: fc.Arbitrary<PacketIn> = fc.record({
  v: inputArb,
  tail: fc.array(byteArb, { minLength: MAX_PACKET - INPUT_LAYOUT.size, maxLength: MAX_PACKET - INPUT_LAYOUT.size }),
  len: fc.oneof(
    { arbitrary: fc.constant(PACKET_SIZE), weight: 3 },
    { arbitrary: fc.integer({ min: INPUT_LAYOUT.size, max: MAX_PACKET }), weight: 10 },
    { arbitrary: fc.integer({ min: MIN_PACKET, max: INPUT_LAYOUT.size - 1 }), weight: 1 },
  ),
});

/** The packet's bytes: the Input fields little-endian in C layout, then the tail, cut at len. */
export function packetBytes(p: PacketIn | InputVec): Uint8Array {
  const pk: PacketIn = Array.isArray(p) ? { v: p, tail: [], len: PACKET_SIZE } : p;
  const out = new Uint8Array(Math.max(MAX_PACKET, INPUT_LAYOUT.size));
  const dv = new DataView(out.buffer);
  INPUT_FIELDS.forEach(([n, t], i) => writeField(dv, INPUT_LAYOUT.offsets.get(n)!, t, pk.v[i]!));
  for (let i = INPUT_LAYOUT.size; i < out.length; i++) out[i] = pk.tail[i - INPUT_LAYOUT.size] ?? i;
  return out.slice(0, pk.len);
}

export interface Case {
  prog: Program;
  inputs: PacketIn[];
}

export const caseArb = (opts: GenOptions = {}, inputs = 3): fc.Arbitrary<Case> =>
  fc.record({ prog: programArb(opts), inputs: fc.array(packetArb, { minLength: 1, maxLength: inputs }) });

// ------------------------------------------------------------------------------------- printing

function printLit(v: bigint, hex: boolean): string {
  return hex ? `0x${v.toString(16)}` : v.toString();
}

function printLv(lv: Lv): string {
  switch (lv.k) {
    case "local":
      return lv.name;
    case "pfield":
      return `p.${lv.f}`;
    case "global":
      return lv.g;
    case "sfield":
      return `${lv.s}.${lv.f}`;
    case "hfield":
      return `${lv.h}.${lv.f}`;
    case "cell":
      return `${lv.r}.value`;
    case "tf":
      return lv.idx ? `${lv.base}.${lv.path}[${unparen(printExpr(lv.idx))}]` : `${lv.base}.${lv.path}`;
  }
}

/** Every compound expression is parenthesised, so precedence never matters. */
export function printExpr(e: Expr): string {
  switch (e.k) {
    case "lit":
      return printLit(e.v, e.hex);
    case "lv":
      return e.lv.k === "pfield" ? pfieldRead(e.lv.f) : printLv(e.lv);
    case "un":
      return `(${e.op}${printExpr(e.a)})`;
    case "bin":
      return `(${printExpr(e.a)} ${e.op} ${printExpr(e.b)})`;
    case "conv":
      return `${e.t}(${printExpr(e.a)})`;
    case "cond":
      return `(${printCond(e.c)} ? ${printExpr(e.a)} : ${printExpr(e.b)})`;
    case "assign":
      return `(${printLv(e.lv)} ${e.op} ${printExpr(e.e)})`;
    case "inc":
      return e.prefix ? `(${e.op}${printLv(e.lv)})` : `(${printLv(e.lv)}${e.op})`;
    case "call":
      return `${fnPrefix}${e.fn}(${[...(e.sarg ? [e.sarg] : []), ...e.args.map(printExpr)].join(", ")})`;
    case "bswap":
      return `${e.fn}(${unparen(printExpr(e.a))})`;
    case "bpfloop":
      return `loop(${unparen(printExpr(e.count))}, ${fnPrefix}${e.fn}, ${e.state})`;
    case "atomic":
      return `${ATOMIC_NAME[e.op][e.fetch ? 1 : 0]}(${[printLv(e.lv), printExpr(e.e), ...(e.e2 ? [printExpr(e.e2)] : [])].join(", ")})`;
  }
}

/** Function names are per program: printProgramBody sets the program's prefix. */
let fnPrefix = "";
/** Tracing programs return an i32: printTracingProgram converts returned values. */
let retWrap = (e: string): string => e;
/**
 * Where a read of an Input field comes from: `p.f` (the packet), or in a tracing program an
 * expression on the context (printTracingProgram), converted to the field's type.
 */
let pfieldRead = (f: string): string => `p.${f}`;

export function printCond(c: Cond): string {
  switch (c.k) {
    case "cmp":
      return `(${printExpr(c.a)} ${c.op} ${printExpr(c.b)})`;
    case "and":
      return `(${printCond(c.a)} && ${printCond(c.b)})`;
    case "or":
      return `(${printCond(c.a)} || ${printCond(c.b)})`;
    case "not":
      return `(!${printCond(c.a)})`;
    case "truthy":
      return printExpr(c.a);
    case "bvar":
      return c.name;
  }
}

const unparen = (s: string): string => (s.startsWith("(") && s.endsWith(")") ? s.slice(1, -1) : s);

function printStmts(stmts: Stmt[], ind: string, out: string[]): void {
  for (const s of stmts) printStmt(s, ind, out);
}

function printBlock(stmts: Stmt[], ind: string, out: string[]): void {
  printStmts(stmts, ind + "  ", out);
}

function printStmt(s: Stmt, ind: string, out: string[]): void {
  switch (s.k) {
    case "decl":
      out.push(`${ind}${s.mut ? "let" : "const"} ${s.name}${s.ty ? `: ${s.ty}` : ""} = ${printExpr(s.init)};`);
      return;
    case "bdecl":
      out.push(`${ind}const ${s.name} = ${printCond(s.init)};`);
      return;
    case "sdecl":
      out.push(`${ind}const ${s.name}: S = { ${S_FIELDS.map(([f], i) => `${f}: ${printExpr(s.inits[i]!)}`).join(", ")} };`);
      return;
    case "expr":
      out.push(`${ind}${unparen(printExpr(s.e))};`);
      return;
    case "if":
      out.push(`${ind}if ${printCondParen(s.c)} {`);
      printBlock(s.then, ind, out);
      if (s.else) {
        out.push(`${ind}} else {`);
        printBlock(s.else, ind, out);
      }
      out.push(`${ind}}`);
      return;
    case "for": {
      // The loop header stays unparenthesised: the compiler matches its exact shape.
      const c = s.cond as Extract<Cond, { k: "cmp" }>;
      const upd = s.update;
      const updText =
        upd.k === "inc"
          ? upd.prefix
            ? `${upd.op}${s.name}`
            : `${s.name}${upd.op}`
          : `${s.name} ${(upd as Extract<Expr, { k: "assign" }>).op} ${printExpr((upd as Extract<Expr, { k: "assign" }>).e)}`;
      out.push(
        `${ind}${s.label ? `${s.label}: ` : ""}for (let ${s.name}${s.ty ? `: ${s.ty}` : ""} = ${s.start}; ${s.name} ${c.op} ${printExpr(c.b)}; ${updText}) {`,
      );
      if (s.hdr) {
        const h = s.hdr;
        out.push(`${ind}  const ${h.b} = ctx.header<${h.w}>(${unparen(printExpr(h.off))});`);
        out.push(`${ind}  if (${h.b} === null) break;`);
        if (h.stop) out.push(`${ind}  if ${printCondParen(h.stop)} break;`);
      }
      printBlock(s.body, ind, out);
      out.push(`${ind}}`);
      return;
    }
    case "while":
      if (s.doWhile) {
        out.push(`${ind}${s.label ? `${s.label}: ` : ""}do {`);
        printBlock(s.body, ind, out);
        out.push(`${ind}} while ${printCondParen(s.cond)};`);
      } else {
        out.push(`${ind}${s.label ? `${s.label}: ` : ""}while ${printCondParen(s.cond)} {`);
        printBlock(s.body, ind, out);
        out.push(`${ind}}`);
      }
      return;
    case "switch":
      out.push(`${ind}switch (${unparen(printExpr(s.e))}) {`);
      for (const c of s.cases) {
        out.push(`${ind}  ${c.label === null ? "default" : `case ${c.label}`}: {`);
        printBlock(c.body, `${ind}  `, out);
        out.push(`${ind}  }`);
      }
      out.push(`${ind}}`);
      return;
    case "break":
    case "continue":
      out.push(`${ind}${s.k}${s.label ? ` ${s.label}` : ""};`);
      return;
    case "ret":
      out.push(`${ind}return ${retWrap(printExpr(s.e))};`);
      return;
    case "res":
      out.push(`${ind}results.update(${printExpr(s.slot)}, ${printExpr(s.e)});`);
      return;
    case "rlookup":
      out.push(`${ind}const ${s.name} = results.lookup(${s.slot});`);
      out.push(`${ind}if (${s.name} !== null) {`);
      printBlock(s.then, ind, out);
      if (s.else) {
        out.push(`${ind}} else {`);
        printBlock(s.else, ind, out);
      }
      out.push(`${ind}}`);
      return;
    case "hupdate": {
      const v =
        s.src.k === "local"
          ? s.src.name
          : `{ ${S_FIELDS.map(([f], i) => `${f}: ${printExpr((s.src as { inits: Expr[] }).inits[i]!)}`).join(", ")} }`;
      out.push(`${ind}hm.update(${printExpr(s.key)}, ${v});`);
      return;
    }
    case "hlookup":
      out.push(`${ind}const ${s.name} = hm.lookup(${printExpr(s.key)});`);
      out.push(`${ind}if (${s.name} !== null) {`);
      printBlock(s.then, ind, out);
      if (s.else) {
        out.push(`${ind}} else {`);
        printBlock(s.else, ind, out);
      }
      out.push(`${ind}}`);
      return;
    case "hdelete":
      out.push(`${ind}hm.delete(${printExpr(s.key)});`);
      return;
    case "tdecl":
      if (!s.init) out.push(`${ind}let ${s.name}: T = zero<T>();`);
      else {
        const i = s.init;
        const inner = i.inner ? `${i.inner}.inner` : "zero<Inner>()";
        const arr = i.arr ? `${i.arr}.arr` : "zero<FixedArray<i16, 4>>()";
        out.push(`${ind}let ${s.name}: T = { a: ${printExpr(i.a)}, inner: ${inner}, b: ${printExpr(i.b)}, arr: ${arr} };`);
      }
      return;
    case "talias":
      out.push(`${ind}const ${s.name}: T = ${s.src};`);
      return;
    case "tcopy":
      out.push(`${ind}${s.dst} = ${s.src};`);
      return;
    case "tfcopy":
      out.push(`${ind}${s.dst}.${s.sub} = ${s.src}.${s.sub};`);
      return;
    case "tupdate":
      out.push(`${ind}tm.update(${printExpr(s.key)}, ${s.src});`);
      return;
    case "tlookup":
    case "tview":
      out.push(`${ind}const ${s.name} = ${s.k === "tview" ? `ctx.header<T>(${s.off})` : `tm.lookup(${printExpr(s.key)})`};`);
      out.push(`${ind}if (${s.name} !== null) {`);
      printBlock(s.then, ind, out);
      if (s.else) {
        out.push(`${ind}} else {`);
        printBlock(s.else, ind, out);
      }
      out.push(`${ind}}`);
      return;
  }
}

function printCondParen(c: Cond): string {
  const t = printCond(c);
  return t.startsWith("(") && c.k !== "truthy" ? t : `(${t})`;
}

/** The shared declarations every generated file starts with. */
export function printPrelude(): string {
  return [
    `import { xdp, XdpAction, ArrayMap, HashMap, zero, u8, u16, u32, u64, i8, i16, i32, i64, type FixedArray } from "tsbpf/bpf";`,
    ``,
    `interface Input {`,
    ...INPUT_FIELDS.map(([n, t]) => `  ${n}: ${t};`),
    `}`,
    ``,
    `interface S {`,
    ...S_FIELDS.map(([n, t]) => `  ${n}: ${t};`),
    `}`,
    ``,
    ...GLOBALS.map(([g, t, sec, v]) => `${sec === "rodata" ? "const" : "let"} ${g}: ${t} = ${v};`),
    `const results = new ArrayMap<u64>(${NSLOTS});`,
    `const hm = new HashMap<u32, S>(${HASH_ENTRIES});`,
    ``,
    `interface Inner {`,
    `  x: u16;`,
    `  y: i8;`,
    `  arr: FixedArray<u32, 3>;`,
    `}`,
    ``,
    `interface T {`,
    `  a: u8;`,
    `  inner: Inner;`,
    `  b: i64;`,
    `  arr: FixedArray<i16, 4>;`,
    `}`,
    ``,
    `const tm = new HashMap<u32, T>(${TKEY_MASK + 1});`,
    ``,
  ].join("\n");
}

/** The program's module functions (fnPrefix set). */
function printFuncs(p: Program, out: string[]): void {
  for (const f of p.funcs ?? []) {
    if (f.noinline) out.push(`/** @noinline */`);
    const own = f.params.map((a) => `${a.name}: ${a.t}`);
    const params = f.cb ? [...own, "s: S"] : [...(f.sparam ? ["s: S"] : []), ...own];
    out.push(`function ${fnPrefix}${f.name}(${params.join(", ")}): ${f.ret} {`);
    out.push(`  return ${printExpr(f.body)};`);
    out.push(`}`);
  }
}

/** One program as an exported XDP program named `name`. */
export function printProgramBody(p: Program, name: string): string {
  const out: string[] = [];
  fnPrefix = `${name}_`;
  printFuncs(p, out);
  out.push(`export const ${name} = xdp((ctx) => {`);
  // `p` gets a non-nullable declared type: tsc's narrowing of a nullable `p` at each of its many
  // uses is quadratic in the size of the program and dominated compile time.
  out.push(`  const pkt = ctx.header<Input>(0);`);
  out.push(`  if (pkt === null) return XdpAction.ABORTED;`);
  out.push(`  const p: Input = pkt;`);
  printStmts(p.body, "  ", out);
  // After a top-level return nothing is reachable (and tsc forgets that p is not null there).
  if (p.body[p.body.length - 1]?.k !== "ret") out.push(`  return ${printExpr(p.ret)};`);
  out.push(`});`);
  return out.join("\n");
}

// ------------------------------------------------------------------------------ tracing kinds

export type TracingKind = "tracepoint" | "rawTracepoint" | "tpBtf";
export const TRACING_KINDS: readonly TracingKind[] = ["tracepoint", "rawTracepoint", "tpBtf"];

/** /sys/kernel/tracing/events/sched/sched_switch/format, including the 8-byte common header. */
const SCHED_SWITCH = `interface SchedSwitch {
  common_type: u16;
  common_flags: u8;
  common_preempt_count: u8;
  common_pid: i32;
  prev_comm: FixedArray<u8, 16>;
  prev_pid: i32;
  prev_prio: i32;
  prev_state: i64;
  next_comm: FixedArray<u8, 16>;
  next_pid: i32;
  next_prio: i32;
}`;

/** Context reads per kind: the record's fields, or the raw arguments (tp_btf's arg 0 is a BTF pointer). */
const CTX_READS: Record<TracingKind, readonly string[]> = {
  // Not the common_* header: the kernel refuses tracepoint programs reading the record's first 8
  // bytes ("invalid bpf_context access off=0"); found by this generator, now TSBPF1046.
  tracepoint: [
    "ctx.prev_pid",
    "ctx.prev_prio",
    "ctx.prev_state",
    "ctx.next_pid",
    "ctx.next_prio",
    "ctx.prev_comm[0]",
    "ctx.next_comm[15]",
    "ctx.prev_comm[7]",
  ],
  rawTracepoint: ["ctx.arg(0)", "ctx.arg(1)"],
  tpBtf: ["ctx.arg(1)"],
};

/**
 * One program as a tracing program (load-only: these kinds cannot be test-run). The generated body
 * is the same; every read of an Input field is a read of the context (converted to the field's
 * type), and `p` is a stack struct that takes the writes (contexts are read-only).
 */
export function printTracingProgram(progs: Program[], kind: TracingKind): string {
  const reads = CTX_READS[kind];
  const readOf = (f: string): string => {
    const i = INPUT_FIELDS.findIndex(([n]) => n === f);
    return `${INPUT_FIELDS[i]![1]}(${reads[i % reads.length]})`;
  };
  const open: Record<TracingKind, string> = {
    tracepoint: `tracepoint<SchedSwitch>("sched", "sched_switch", (ctx) => {`,
    rawTracepoint: `rawTracepoint("sys_enter", (ctx) => {`,
    tpBtf: `tpBtf("sys_enter", (ctx) => {`,
  };
  const bodies = progs.map((p, n) => {
    const name = `prog${n}`;
    const out: string[] = [];
    fnPrefix = `${name}_`;
    printFuncs(p, out);
    out.push(`export const ${name} = ${open[kind]}`);
    out.push(`  const p: Input = { ${INPUT_FIELDS.map(([f]) => `${f}: ${readOf(f)}`).join(", ")} };`);
    pfieldRead = readOf;
    retWrap = (e) => `i32(${e})`;
    try {
      printStmts(p.body, "  ", out);
      if (p.body[p.body.length - 1]?.k !== "ret") out.push(`  return ${retWrap(printExpr(p.ret))};`);
    } finally {
      pfieldRead = (f) => `p.${f}`;
      retWrap = (e) => e;
    }
    out.push(`});`);
    return `${out.join("\n")}\n`;
  });
  const prelude = printPrelude().replace(`import { xdp, XdpAction,`, `import { tracepoint, rawTracepoint, tpBtf,`);
  return withExtraImports([prelude, SCHED_SWITCH, ``, ...bodies, `export const LICENSE = "GPL";`, ``].join("\n"));
}

/** A whole `.bpf.ts` file with the programs named prog0, prog1, ... */
export function printProgram(progs: Program[]): string {
  return withExtraImports(
    [printPrelude(), ...progs.map((p, i) => printProgramBody(p, `prog${i}`) + "\n"), `export const LICENSE = "GPL";`, ``].join("\n"),
  );
}

/** A second import line for the atomic and byte-order functions a file calls (none: the file as it was). */
function withExtraImports(src: string): string {
  const used = [...new Set(src.match(/\b(atomic[A-Z]\w*|hton(s|l|ll)|ntoh(s|l|ll)|loop)(?=\()/g) ?? [])].sort();
  return used.length === 0 ? src : `import { ${used.join(", ")} } from "tsbpf/bpf";\n${src}`;
}
