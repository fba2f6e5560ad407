// The reference semantics for the differential harness: a BigInt interpreter of the concrete AST in
// diff-gen.ts, written from the language's rules (stdlib/bpf.d.ts, the integer rules of C) and not
// from the compiler's code:
//
//  - u8/u16/i8/i16 promote to i32; binary operators use C's usual arithmetic conversions; results
//    wrap at the width of the common type; conversions (u8(x), assignment, stores) truncate/wrap.
//  - An untyped literal has C's literal type (i32, else i64, else u64), but adapts to the other
//    operand's (promoted) type when its value fits there — in arithmetic, comparisons and ?:.
//  - Operations whose operands are both untyped literals are exact (arbitrary precision, the
//    result again an untyped literal); shift counts are masked to the width of the left operand.
//  - `-lit` is an untyped literal; `~lit` is not: it has the literal's (promoted) C type, as in C.
//  - x / 0 = 0 and x % 0 = x (BPF); signed division truncates; INT_MIN / -1 wraps.
//  - Shifts: the result has the promoted left operand's type; the count is masked to its width;
//    >> is arithmetic for signed types, >>> always logical.
//  - Comparisons compare in the common type: signed iff it is signed.
//  - Evaluation is left to right; a compound assignment reads the old value before evaluating the
//    right-hand side; an assignment's value is the stored (converted) value.

import {
  BITS,
  BYTE_ORDER_T,
  GLOBALS,
  HKEY_MASK,
  INPUT_FIELDS,
  INPUT_LAYOUT,
  isSigned,
  NSLOTS,
  packetBytes,
  readField,
  S_FIELDS,
  T_ARRAYS,
  T_PATHS,
  T_SIZE,
  T_SUBS,
  writeField,
  type ArithOp,
  type AtomicOp,
  type Cond,
  type Expr,
  type FuncDef,
  type InputVec,
  type IntName,
  type PacketIn,
  type Lv,
  type PacketRead,
  type Program,
  type Stmt,
} from "./diff-gen.js";

export const POISON = 0xa5a5a5a5a5a5a5a5n;

export const wrap = (t: IntName, v: bigint): bigint => (isSigned(t) ? BigInt.asIntN(BITS[t], v) : BigInt.asUintN(BITS[t], v));
const fits = (t: IntName, v: bigint): boolean => wrap(t, v) === v;
const promote = (t: IntName): IntName => (BITS[t] < 32 ? "i32" : t);
function common(a: IntName, b: IntName): IntName {
  a = promote(a);
  b = promote(b);
  if (a === b) return a;
  if (BITS[a] !== BITS[b]) return BITS[a] > BITS[b] ? a : b;
  return isSigned(a) ? b : a;
}
const literalType = (v: bigint): IntName => (fits("i32", v) ? "i32" : fits("i64", v) ? "i64" : "u64");

/** Static type of an expression; `lit` holds the exact value of an untyped constant expression. */
interface Ty {
  t: IntName;
  lit?: bigint;
}

export interface RefState {
  /** The packet's bytes (the program reads and writes the Input fields and loops over the bytes). */
  packet: Uint8Array;
  /** The Input fields decoded from `packet` (after a run: what the program left there). */
  input: Map<string, bigint>;
  results: bigint[];
  hash: Map<bigint, Map<string, bigint>>;
  /** The `tm` HashMap<u32, T>: key -> the value's 40 bytes. */
  tmap: Map<bigint, Uint8Array>;
  /** Globals (diff-gen's GLOBALS), reset to their initial values before each run. */
  globals: Map<string, bigint>;
  /** What the run went through, for the fuzzer's counts ("loop hit the packet end", ...). */
  events: Set<string>;
}

export interface RefResult {
  retval: bigint;
  state: RefState;
}

class Jump {
  constructor(
    readonly kind: "break" | "continue" | "return",
    readonly value = 0n,
    /** A labelled break/continue: only the loop of that label takes it. */
    readonly label?: string,
  ) {}
}

/** Whether a loop labelled `label` takes jump `j` (a break or continue), or lets it go outwards. */
const takes = (j: Jump, label: string | undefined): boolean => j.label === undefined || j.label === label;

const INPUT_T = new Map(INPUT_FIELDS.map(([n, t]) => [n, t]));
const S_T = new Map(S_FIELDS.map(([n, t]) => [n, t]));
const GLOBAL_T = new Map(GLOBALS.map(([n, t]) => [n, t]));

type Loc = { t: IntName; get(): bigint; set(v: bigint): void };

class Interp {
  private readonly locals = new Map<string, { t: IntName; v: bigint }>();
  private readonly bools = new Map<string, boolean>();
  private readonly structs = new Map<string, Map<string, bigint>>();
  /** Hash value references (null when the lookup missed) and result cells (slot numbers). */
  private readonly hvs = new Map<string, Map<string, bigint>>();
  private readonly cells = new Map<string, number>();
  /**
   * `const b = ctx.header<W>(off)` with an integer W is a view of the packet, as for structs
   * (docs/language.md, Packet access): every use of b reads the packet then, and sees writes made
   * since the call.
   */
  private readonly views = new Map<string, { t: IntName; off: number }>();
  /**
   * The struct-copy shape: each T name maps to bytes. A local owns 40 zeroed bytes; an alias
   * (`const r: T = t`) shares its source's; a lookup shares the map value's; a packet view the
   * packet's. Assignments of whole Ts and of their members copy bytes (value semantics).
   */
  private readonly tb = new Map<string, { buf: Uint8Array; off: number }>();
  private steps = 0;

  constructor(
    readonly st: RefState,
    private readonly funcs: ReadonlyMap<string, FuncDef> = new Map(),
  ) {}

  // ------------------------------------------------------------------------------ locations

  private loc(lv: Lv): Loc {
    switch (lv.k) {
      case "local": {
        const view = this.views.get(lv.name);
        if (view) {
          const dv = new DataView(this.st.packet.buffer, this.st.packet.byteOffset, this.st.packet.byteLength);
          return { t: view.t, get: () => readField(dv, view.off, view.t), set: () => {} };
        }
        const l = this.locals.get(lv.name);
        if (!l) throw new Error(`ref: unknown local ${lv.name}`);
        return { t: l.t, get: () => l.v, set: (v) => (l.v = v) };
      }
      case "pfield": {
        const t = INPUT_T.get(lv.f)!;
        const off = INPUT_LAYOUT.offsets.get(lv.f)!;
        const dv = new DataView(this.st.packet.buffer, this.st.packet.byteOffset, this.st.packet.byteLength);
        return { t, get: () => readField(dv, off, t), set: (v) => writeField(dv, off, t, v) };
      }
      case "global":
        return this.field(this.st.globals, GLOBAL_T.get(lv.g)!, lv.g);
      case "sfield":
        return this.field(this.structs.get(lv.s)!, S_T.get(lv.f)!, lv.f);
      case "hfield":
        return this.field(this.hvs.get(lv.h)!, S_T.get(lv.f)!, lv.f);
      case "cell": {
        const slot = this.cells.get(lv.r)!;
        return { t: "u64", get: () => this.st.results[slot]!, set: (v) => (this.st.results[slot] = v) };
      }
      case "tf": {
        const m = this.tmem(lv.base);
        const dv = new DataView(m.buf.buffer, m.buf.byteOffset, m.buf.byteLength);
        if (lv.idx) {
          // A run-time index is converted to u32 and checked: an element past the end reads 0.
          const [, t, off, n] = T_ARRAYS.find(([p]) => p === lv.path)!;
          const i = wrap("u32", this.eval(lv.idx));
          if (i >= BigInt(n)) {
            this.st.events.add("array index past the end");
            // A write there stores nothing (its right-hand side still runs).
            return { t, get: () => 0n, set: () => this.st.events.add("array write past the end") };
          }
          const at = m.off + off + Number(i) * (BITS[t] / 8);
          return {
            t,
            get: () => readField(dv, at, t),
            set: (v) => {
              this.st.events.add("array write at a run-time index");
              writeField(dv, at, t, v);
            },
          };
        }
        const [, t, off] = T_PATHS.find(([p]) => p === lv.path)!;
        return { t, get: () => readField(dv, m.off + off, t), set: (v) => writeField(dv, m.off + off, t, v) };
      }
    }
  }

  /** Where a T lives: its own stack bytes, a map value's, or the packet's (aliases share them). */
  private tmem(name: string): { buf: Uint8Array; off: number } {
    const m = this.tb.get(name);
    if (!m) throw new Error(`ref: unknown T ${name}`);
    return m;
  }

  /** C struct assignment: the bytes of `size` at src (whatever aliases it) are copied to dst. */
  private tcopyBytes(dst: string, src: string, off: number, size: number): void {
    const d = this.tmem(dst);
    const sm = this.tmem(src);
    const bytes = sm.buf.slice(sm.off + off, sm.off + off + size);
    d.buf.set(bytes, d.off + off);
  }

  private field(rec: Map<string, bigint>, t: IntName, f: string): Loc {
    return { t, get: () => rec.get(f)!, set: (v) => rec.set(f, v) };
  }

  private lvType(lv: Lv): IntName {
    switch (lv.k) {
      case "local":
        return (this.views.get(lv.name) ?? this.locals.get(lv.name)!).t;
      case "pfield":
        return INPUT_T.get(lv.f)!;
      case "global":
        return GLOBAL_T.get(lv.g)!;
      case "sfield":
      case "hfield":
        return S_T.get(lv.f)!;
      case "cell":
        return "u64";
      case "tf":
        return lv.idx ? T_ARRAYS.find(([p]) => p === lv.path)![1] : T_PATHS.find(([p]) => p === lv.path)![1];
    }
  }

  // ---------------------------------------------------------------------------------- types

  /** The common type of a binary operation, with an untyped literal adapting when it fits. */
  private opType(a: Ty, b: Ty): IntName {
    if (a.lit !== undefined && b.lit === undefined && fits(promote(b.t), a.lit)) return promote(b.t);
    if (b.lit !== undefined && a.lit === undefined && fits(promote(a.t), b.lit)) return promote(a.t);
    return common(a.t, b.t);
  }

  ty(e: Expr): Ty {
    switch (e.k) {
      case "lit":
        return { t: literalType(e.v), lit: e.v };
      case "lv":
        return { t: this.lvType(e.lv) };
      case "un": {
        const a = this.ty(e.a);
        if (e.op === "+") return a;
        // `-` of an untyped constant is again one; `~` is not (as in C, it has the operand's promoted
        // type and does not adapt: `~9223372036854775808` is the u64 0x7fff...f, and `% i64` is unsigned).
        if (a.lit !== undefined && e.op === "-") return { t: literalType(-a.lit), lit: -a.lit };
        return { t: promote(a.t) };
      }
      case "bin": {
        const a = this.ty(e.a);
        const b = this.ty(e.b);
        const shift = e.op === "<<" || e.op === ">>" || e.op === ">>>";
        const t = shift ? promote(a.t) : this.opType(a, b);
        if (a.lit !== undefined && b.lit !== undefined && !((e.op === "/" || e.op === "%") && wrap(t, b.lit) === 0n)) {
          const v = exactOp(e.op, t, a.lit, b.lit);
          return { t: literalType(v), lit: v };
        }
        return { t };
      }
      case "conv":
        return { t: e.t };
      case "cond": {
        const a = this.ty(e.a);
        const b = this.ty(e.b);
        if (a.lit !== undefined && b.lit !== undefined) return { t: common(a.t, b.t) };
        return { t: this.opType(a, b) };
      }
      case "assign":
      case "inc":
      case "atomic":
        return { t: this.lvType(e.lv) };
      case "bswap":
        return { t: BYTE_ORDER_T[e.fn] };
      case "bpfloop":
        return { t: "i64" };
      case "call":
        return { t: this.funcs.get(e.fn)!.ret };
    }
  }

  // ----------------------------------------------------------------------------- evaluation

  /** The value of e, inside its static type's range (or exact, for untyped literals). */
  eval(e: Expr): bigint {
    if (++this.steps > 200_000) throw new Error("ref: step limit (generator bug: unbounded loop?)");
    switch (e.k) {
      case "lit":
        return e.v;
      case "lv":
        return this.loc(e.lv).get();
      case "un": {
        const ty = this.ty(e);
        if (ty.lit !== undefined) return ty.lit;
        const a = this.eval(e.a);
        if (e.op === "+") return a;
        return wrap(ty.t, e.op === "-" ? -a : ~a);
      }
      case "bin": {
        const ty = this.ty(e);
        if (ty.lit !== undefined) return ty.lit;
        const a = this.eval(e.a);
        const b = this.eval(e.b);
        return binOp(e.op, ty.t, wrap(ty.t, a), b);
      }
      case "conv":
        return wrap(e.t, this.eval(e.a));
      case "cond": {
        const t = this.ty(e).t;
        return wrap(t, this.cond(e.c) ? this.eval(e.a) : this.eval(e.b));
      }
      case "assign": {
        const l = this.loc(e.lv);
        let v: bigint;
        if (e.op === "=") {
          v = this.eval(e.e);
        } else {
          const old = l.get(); // read before the right-hand side runs
          const rhsTy = this.ty(e.e);
          const r = this.eval(e.e);
          v = this.arith(e.op.slice(0, -1) as ArithOp, { t: l.t }, old, rhsTy, r);
        }
        const w = wrap(l.t, v);
        l.set(w);
        return w;
      }
      case "inc": {
        const l = this.loc(e.lv);
        const old = l.get();
        const nv = wrap(l.t, this.arith(e.op === "++" ? "+" : "-", { t: l.t }, old, { t: "i32", lit: 1n }, 1n));
        l.set(nv);
        return e.prefix ? nv : old;
      }
      case "call": {
        // Arguments left to right, each converted to its parameter's type as an assignment would;
        // the body sees only the parameters; the result converts to the return type.
        // A struct parameter is the caller's struct itself (by reference: the body's writes stay).
        const f = this.funcs.get(e.fn)!;
        const args = f.params.map((p, i) => wrap(p.t, this.eval(e.args[i]!)));
        const sub = new Interp(this.st, this.funcs);
        f.params.forEach((p, i) => sub.locals.set(p.name, { t: p.t, v: args[i]! }));
        if (e.sarg) sub.structs.set("s", this.structs.get(e.sarg) ?? this.hvs.get(e.sarg)!);
        return wrap(f.ret, sub.eval(f.body));
      }
      case "bpfloop": {
        // bpf_loop: body(i, state) for i = 0.. count-1, the state by reference; a body returning 1
        // ends it after that trip; the value is the number of trips run.
        const count = wrap("u32", this.eval(e.count));
        const f = this.funcs.get(e.fn)!;
        const state = this.structs.get(e.state)!;
        for (let i = 0n; i < count; i++) {
          const sub = new Interp(this.st, this.funcs);
          sub.locals.set(f.params[0]!.name, { t: "u32", v: i });
          sub.structs.set("s", state);
          if (wrap(f.ret, sub.eval(f.body)) === 1n) return i + 1n;
        }
        return count;
      }
      case "bswap": {
        // The argument at the function's width, its bytes reversed (the host is little-endian).
        const t = BYTE_ORDER_T[e.fn];
        let v = wrap(t, this.eval(e.a));
        let out = 0n;
        for (let i = 0; i < BITS[t] / 8; i++, v >>= 8n) out = (out << 8n) | (v & 0xffn);
        return out;
      }
      case "atomic": {
        // The arguments first (a call's), then one read-modify-write of the target at its width;
        // the fetch forms give the value before it.
        const l = this.loc(e.lv);
        const v = wrap(l.t, this.eval(e.e));
        const v2 = e.e2 ? wrap(l.t, this.eval(e.e2)) : 0n;
        const old = l.get();
        const nv: Record<AtomicOp, () => bigint> = {
          add: () => old + v,
          or: () => old | v,
          and: () => old & v,
          xor: () => old ^ v,
          xchg: () => v,
          cmpxchg: () => (old === v ? v2 : old),
        };
        l.set(wrap(l.t, nv[e.op]()));
        return old;
      }
    }
  }

  /** A binary operation on two evaluated operands of the given static types. */
  private arith(op: ArithOp, a: Ty, av: bigint, b: Ty, bv: bigint): bigint {
    const shift = op === "<<" || op === ">>" || op === ">>>";
    const t = shift ? promote(a.t) : this.opType(a, b);
    return binOp(op, t, wrap(t, av), bv);
  }

  cond(c: Cond): boolean {
    switch (c.k) {
      case "cmp": {
        const a = this.ty(c.a);
        const b = this.ty(c.b);
        const t = this.opType(a, b);
        const x = wrap(t, this.eval(c.a));
        const y = wrap(t, this.eval(c.b));
        switch (c.op) {
          case "<":
            return x < y;
          case "<=":
            return x <= y;
          case ">":
            return x > y;
          case ">=":
            return x >= y;
          case "===":
            return x === y;
          case "!==":
            return x !== y;
        }
        break;
      }
      case "and":
        return this.cond(c.a) && this.cond(c.b);
      case "or":
        return this.cond(c.a) || this.cond(c.b);
      case "not":
        return !this.cond(c.a);
      case "truthy":
        return wrap(this.ty(c.a).t, this.eval(c.a)) !== 0n;
      case "bvar":
        return this.bools.get(c.name)!;
    }
    throw new Error("unreachable");
  }

  // ------------------------------------------------------------------------------ statements

  block(stmts: Stmt[]): void {
    for (const s of stmts) this.stmt(s);
  }

  private newStruct(inits: Expr[]): Map<string, bigint> {
    const m = new Map<string, bigint>();
    S_FIELDS.forEach(([f, t], i) => m.set(f, wrap(t, this.eval(inits[i]!))));
    return m;
  }

  /**
   * `const b = ctx.header<W>(off); if (b === null) break; if (stop) break;`: null when the packet is
   * shorter than off + sizeof(W) (the offset is compared unsigned, as a u32: the generator keeps it
   * small and non-negative); b then reads little-endian, sign-extended for signed W, at each use.
   */
  private packetRead(h: PacketRead): void {
    const off = wrap("u32", this.eval(h.off));
    const size = BigInt(BITS[h.w] / 8);
    if (off + size > BigInt(this.st.packet.length)) {
      this.st.events.add("loop hit the packet end");
      throw new Jump("break");
    }
    this.views.set(h.b, { t: h.w, off: Number(off) });
    if (h.stop && this.cond(h.stop)) {
      this.st.events.add("loop stopped on a byte");
      throw new Jump("break");
    }
  }

  private stmt(s: Stmt): void {
    switch (s.k) {
      case "decl": {
        const ty = this.ty(s.init);
        const t = s.ty ?? ty.t;
        this.locals.set(s.name, { t, v: wrap(t, this.eval(s.init)) });
        return;
      }
      case "bdecl":
        this.bools.set(s.name, this.cond(s.init));
        return;
      case "sdecl":
        this.structs.set(s.name, this.newStruct(s.inits));
        return;
      case "expr":
        this.eval(s.e);
        return;
      case "if":
        if (this.cond(s.c)) this.block(s.then);
        else if (s.else) this.block(s.else);
        return;
      case "for": {
        const t = s.ty ?? literalType(s.start);
        this.locals.set(s.name, { t, v: wrap(t, s.start) });
        for (let iter = 0; this.cond(s.cond); iter++) {
          if (iter > 1000) throw new Error("ref: loop does not terminate (generator bug)");
          try {
            if (s.hdr) this.packetRead(s.hdr);
            this.block(s.body);
          } catch (j) {
            if (!(j instanceof Jump) || j.kind === "return" || !takes(j, s.label)) throw j;
            if (j.kind === "break") break;
          }
          this.eval(s.update);
        }
        return;
      }
      case "while": {
        // A `do` body runs before the first test; `continue` goes to the test, `break` past it.
        for (let iter = 0, first = s.doWhile; first || this.cond(s.cond); iter++, first = false) {
          if (iter > 1000) throw new Error("ref: loop does not terminate (generator bug)");
          try {
            this.block(s.body);
          } catch (j) {
            if (!(j instanceof Jump) || j.kind === "return" || !takes(j, s.label)) throw j;
            if (j.kind === "break") break;
          }
        }
        return;
      }
      case "switch": {
        const v = this.eval(s.e);
        let at = s.cases.findIndex((c) => c.label === v);
        if (at < 0) at = s.cases.findIndex((c) => c.label === null);
        if (at < 0) return;
        try {
          for (const c of s.cases.slice(at)) this.block(c.body);
        } catch (j) {
          if (!(j instanceof Jump) || j.kind !== "break" || j.label !== undefined) throw j;
        }
        return;
      }
      case "break":
      case "continue":
        throw new Jump(s.k, 0n, s.label);
      case "ret":
        throw new Jump("return", wrap("i32", this.eval(s.e)));
      case "res": {
        const slot = wrap("u32", this.eval(s.slot));
        const v = wrap("u64", this.eval(s.e));
        if (slot < BigInt(NSLOTS)) this.st.results[Number(slot)] = v;
        return;
      }
      case "rlookup":
        if (s.slot < NSLOTS) {
          this.cells.set(s.name, s.slot);
          this.block(s.then);
        } else if (s.else) {
          this.block(s.else);
        }
        return;
      case "hupdate": {
        const key = wrap("u32", this.eval(s.key));
        const v = s.src.k === "local" ? new Map(this.structs.get(s.src.name)!) : this.newStruct(s.src.inits);
        this.st.hash.set(key, v);
        return;
      }
      case "hdelete":
        this.st.hash.delete(wrap("u32", this.eval(s.key)));
        return;
      case "tdecl": {
        const buf = new Uint8Array(T_SIZE);
        this.tb.set(s.name, { buf, off: 0 });
        if (s.init) {
          // Zero-filled, then the members in the literal's order.
          const dv = new DataView(buf.buffer);
          writeField(dv, 0, "u8", this.eval(s.init.a));
          if (s.init.inner) this.tcopyBytes(s.name, s.init.inner, 4, 16);
          writeField(dv, 24, "i64", this.eval(s.init.b));
          if (s.init.arr) this.tcopyBytes(s.name, s.init.arr, 32, 8);
        }
        return;
      }
      case "talias":
        this.tb.set(s.name, this.tmem(s.src));
        return;
      case "tcopy":
        this.tcopyBytes(s.dst, s.src, 0, T_SIZE);
        return;
      case "tfcopy": {
        const [, off, size] = T_SUBS.find(([p]) => p === s.sub)!;
        this.tcopyBytes(s.dst, s.src, off, size);
        return;
      }
      case "tupdate": {
        const key = wrap("u32", this.eval(s.key));
        const m = this.tmem(s.src);
        this.st.tmap.set(key, m.buf.slice(m.off, m.off + T_SIZE));
        return;
      }
      case "tlookup":
      case "tview": {
        let mem: { buf: Uint8Array; off: number } | undefined;
        if (s.k === "tlookup") {
          const v = this.st.tmap.get(wrap("u32", this.eval(s.key)));
          if (v) mem = { buf: v, off: 0 };
        } else if (s.off + T_SIZE <= this.st.packet.length) {
          mem = { buf: this.st.packet, off: s.off };
        } else {
          this.st.events.add("struct view past the packet end");
        }
        if (mem) {
          this.tb.set(s.name, mem);
          this.block(s.then);
        } else if (s.else) {
          this.block(s.else);
        }
        return;
      }
      case "hlookup": {
        const key = wrap("u32", this.eval(s.key));
        const v = this.st.hash.get(key);
        if (v) {
          this.hvs.set(s.name, v);
          this.block(s.then);
        } else if (s.else) {
          this.block(s.else);
        }
        return;
      }
    }
  }
}

/** The exact result of an operation on two untyped literals (t: the type the operation is done in). */
function exactOp(op: ArithOp, t: IntName, a: bigint, b: bigint): bigint {
  const x = wrap(t, a);
  const y = wrap(t, b);
  const mask = BigInt(BITS[t] - 1);
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    case "/":
      return x / y;
    case "%":
      return x % y;
    case "&":
      return x & y;
    case "|":
      return x | y;
    case "^":
      return x ^ y;
    case "<<":
      return x << (y & mask);
    case ">>":
      return x >> (y & mask);
    case ">>>":
      return BigInt.asUintN(BITS[t], x) >> (y & mask);
  }
}

/** `a op b` in type t (a already in t's range); the result wrapped into t. */
export function binOp(op: ArithOp, t: IntName, a: bigint, braw: bigint): bigint {
  const bits = BITS[t];
  if (op === "<<" || op === ">>" || op === ">>>") {
    const n = BigInt.asUintN(64, braw) & BigInt(bits - 1);
    if (op === "<<") return wrap(t, a << n);
    if (op === ">>>") return wrap(t, BigInt.asUintN(bits, a) >> n);
    return wrap(t, a >> n);
  }
  const b = wrap(t, braw);
  switch (op) {
    case "+":
      return wrap(t, a + b);
    case "-":
      return wrap(t, a - b);
    case "*":
      return wrap(t, a * b);
    case "/":
      return b === 0n ? 0n : wrap(t, a / b);
    case "%":
      return b === 0n ? a : wrap(t, a % b);
    case "&":
      return wrap(t, a & b);
    case "|":
      return wrap(t, a | b);
    case "^":
      return wrap(t, a ^ b);
  }
}

/** The Input fields in `packet` (a packet shorter than Input reads as if zero-padded). */
export function decodeInput(packet: Uint8Array): Map<string, bigint> {
  const padded = new Uint8Array(Math.max(packet.length, INPUT_LAYOUT.size));
  padded.set(packet);
  const dv = new DataView(padded.buffer);
  return new Map(INPUT_FIELDS.map(([n, t]) => [n, readField(dv, INPUT_LAYOUT.offsets.get(n)!, t)]));
}

export function initialState(input: InputVec | PacketIn): RefState {
  const packet = packetBytes(input);
  return {
    packet,
    input: decodeInput(packet),
    results: Array.from({ length: NSLOTS }, () => POISON),
    hash: new Map(),
    tmap: new Map(),
    globals: new Map(GLOBALS.map(([n, , , v]) => [n, v])),
    events: new Set(),
  };
}

/**
 * Runs `p` on one packet from the harness's initial state (results poisoned, hash map empty). A
 * packet shorter than Input fails the program's header check: it returns XDP_ABORTED (0) at once.
 */
export function evaluate(p: Program, input: InputVec | PacketIn): RefResult {
  const st = initialState(input);
  if (st.packet.length < INPUT_LAYOUT.size) {
    st.events.add("packet shorter than Input");
    return { retval: 0n, state: st };
  }
  const it = new Interp(st, new Map((p.funcs ?? []).map((f) => [f.name, f])));
  let ret: bigint;
  try {
    it.block(p.body);
    if (p.body[p.body.length - 1]?.k === "ret") throw new Error("ref: the last top-level return did not return");
    ret = wrap("i32", it.eval(p.ret));
  } catch (j) {
    if (!(j instanceof Jump)) throw j;
    if (j.kind !== "return") throw new Error(`ref: ${j.kind} outside a loop`);
    ret = j.value;
  }
  st.input = decodeInput(st.packet);
  return { retval: BigInt.asUintN(32, ret), state: st };
}

export { HKEY_MASK };
