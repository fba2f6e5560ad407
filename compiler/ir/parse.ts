// Textual IR parser: the inverse of print.ts (see there for the syntax). Errors are IrParseError
// with a 1-based line number. Uses without a type annotation take the type of the value's first
// definition (params, then blocks in order, phis before instructions), exactly as the printer
// assumes; a use of a value defined nowhere must be annotated (`%7:i64`).

import type {
  AtomicKind,
  BinOp,
  Block,
  CondOp,
  Func,
  GlobalSection,
  Inst,
  MemWidth,
  Module,
  Operand,
  Phi,
  SourceLoc,
  StackSlot,
  Terminator,
  Ty,
  Value,
} from "./ir.js";

export class IrParseError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`IR parse error at line ${line}: ${detail}`);
    this.name = "IrParseError";
  }
}

type Tok =
  | { k: "val"; id: number; ty?: Ty; col: number }
  | { k: "int"; v: bigint; col: number }
  | { k: "ident"; s: string; col: number }
  | { k: "str"; s: string; col: number }
  | { k: "punct"; s: string; col: number };

const TYPES: readonly string[] = ["i32", "i64", "ptr"];
const BINOPS: readonly string[] = ["add", "sub", "mul", "udiv", "sdiv", "umod", "smod", "and", "or", "xor", "shl", "lshr", "ashr"];
const GLOBAL_SECTIONS: readonly string[] = [".rodata", ".data", ".bss"];
const ATOMIC_KINDS: readonly string[] = ["add", "or", "and", "xor", "xchg", "cmpxchg"];
const CONDS: readonly string[] = ["eq", "ne", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle", "set"];

function tokenize(text: string, line: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const err = (m: string): never => {
    throw new IrParseError(line, `${m} (column ${i + 1})`);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === ";") break;
    const col = i + 1;
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^%(\d+)(?::([A-Za-z0-9_]+))?/.exec(rest))) {
      let ty: Ty | undefined;
      if (m[2] !== undefined) {
        if (!TYPES.includes(m[2])) err(`unknown type '${m[2]}'`);
        ty = m[2] as Ty;
      }
      toks.push({ k: "val", id: Number(m[1]), ty, col });
      i += m[0].length;
    } else if ((m = /^-?(?:0[xX][0-9a-fA-F]+|[0-9]+)(?![A-Za-z0-9_])/.exec(rest))) {
      const neg = m[0].startsWith("-");
      const mag = BigInt(neg ? m[0].slice(1) : m[0]);
      toks.push({ k: "int", v: neg ? -mag : mag, col });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_$][A-Za-z0-9_$.]*/.exec(rest))) {
      toks.push({ k: "ident", s: m[0], col });
      i += m[0].length;
    } else if (c === '"') {
      m = /^"(?:[^"\\]|\\.)*"/.exec(rest);
      if (!m) err("unterminated string");
      try {
        toks.push({ k: "str", s: JSON.parse(m![0]) as string, col });
      } catch {
        err("bad string literal");
      }
      i += m![0].length;
    } else if (rest.startsWith("->")) {
      toks.push({ k: "punct", s: "->", col });
      i += 2;
    } else if ("()[]{},:=@!".includes(c)) {
      toks.push({ k: "punct", s: c, col });
      i++;
    } else {
      err(`unexpected character '${c}'`);
    }
  }
  return toks;
}

function describe(t: Tok | undefined): string {
  if (!t) return "end of line";
  switch (t.k) {
    case "val":
      return `%${t.id}`;
    case "int":
      return t.v.toString();
    case "ident":
      return `'${t.s}'`;
    case "str":
      return JSON.stringify(t.s);
    case "punct":
      return `'${t.s}'`;
  }
}

/** A use whose type is filled in once the whole function is read. */
interface PendingUse {
  v: { id: number; ty: Ty };
  line: number;
  annotated: boolean;
}

class LineParser {
  private pos = 0;
  constructor(
    private readonly toks: Tok[],
    readonly line: number,
    private readonly pending: PendingUse[],
  ) {}

  err(m: string): never {
    throw new IrParseError(this.line, m);
  }
  peek(): Tok | undefined {
    return this.toks[this.pos];
  }
  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }
  end(): void {
    if (!this.atEnd()) this.err(`unexpected ${describe(this.peek())} at end of line`);
  }
  isPunct(s: string): boolean {
    const t = this.peek();
    return t?.k === "punct" && t.s === s;
  }
  punct(s: string): void {
    if (!this.isPunct(s)) this.err(`expected '${s}', found ${describe(this.peek())}`);
    this.pos++;
  }
  ident(what = "identifier"): string {
    const t = this.peek();
    if (t?.k !== "ident") this.err(`expected ${what}, found ${describe(t)}`);
    this.pos++;
    return t.s;
  }
  name(what: string): string {
    const t = this.peek();
    if (t?.k === "ident" || t?.k === "str") {
      this.pos++;
      return t.s;
    }
    return this.err(`expected ${what}, found ${describe(t)}`);
  }
  bigint(what = "integer"): bigint {
    const t = this.peek();
    if (t?.k !== "int") this.err(`expected ${what}, found ${describe(t)}`);
    this.pos++;
    return t.v;
  }
  int(what = "integer"): number {
    const v = this.bigint(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.err(`${what} ${v} out of range`);
    return Number(v);
  }
  /** A `%id:ty` definition. */
  def(): Value {
    const t = this.peek();
    if (t?.k !== "val") this.err(`expected a value, found ${describe(t)}`);
    if (!t.ty) this.err(`definition of %${t.id} needs a type (%${t.id}:i32, :i64 or :ptr)`);
    this.pos++;
    return { id: t.id, ty: t.ty };
  }
  value(): Value {
    const t = this.peek();
    if (t?.k !== "val") this.err(`expected a value, found ${describe(t)}`);
    this.pos++;
    const v = { id: t.id, ty: t.ty ?? ("i64" as Ty) };
    this.pending.push({ v, line: this.line, annotated: t.ty !== undefined });
    return v;
  }
  operand(): Operand {
    const t = this.peek();
    if (t?.k === "int") {
      this.pos++;
      return { imm: t.v };
    }
    if (t?.k === "val") return this.value();
    return this.err(`expected a value or an immediate, found ${describe(t)}`);
  }
  block(): number {
    const s = this.ident("block label");
    const m = /^b(\d+)$/.exec(s);
    if (!m) this.err(`expected a block label bN, found '${s}'`);
    return Number(m[1]);
  }
  slot(): number {
    const s = this.ident("stack slot");
    const m = /^s(\d+)$/.exec(s);
    if (!m) this.err(`expected a stack slot sN, found '${s}'`);
    return Number(m[1]);
  }
  /** Optional trailing `!line:col`. */
  loc(): SourceLoc | undefined {
    if (!this.isPunct("!")) return undefined;
    this.pos++;
    const line = this.int("line");
    this.punct(":");
    const col = this.int("column");
    return { line, col };
  }
  /** `op.N` mnemonic split; returns [op, N?]. */
  static split(s: string): [string, string | undefined] {
    const k = s.indexOf(".");
    return k < 0 ? [s, undefined] : [s.slice(0, k), s.slice(k + 1)];
  }
}

function pickWidth<T extends number>(lp: LineParser, mnemonic: string, suffix: string | undefined, allowed: readonly T[]): T {
  const n = suffix === undefined ? NaN : Number(suffix);
  if (!allowed.includes(n as T))
    lp.err(`'${mnemonic}' needs a width suffix .${allowed.join("/.")}, found '${mnemonic}${suffix === undefined ? "" : "." + suffix}'`);
  return n as T;
}

/** Parses the right-hand side of `%d:ty = ...` (or a dst-less instruction when dst is undefined). */
function parseInst(lp: LineParser, dst: Value | undefined): Inst {
  const mnem = lp.ident("instruction");
  const [op, suf] = LineParser.split(mnem);
  const needDst = (): Value => dst ?? lp.err(`'${op}' defines a value: write %N:ty = ${op} ...`);
  const noSuffix = () => {
    if (suf !== undefined) lp.err(`'${op}' takes no width suffix`);
  };
  if (BINOPS.includes(op)) {
    noSuffix();
    const a = lp.operand();
    lp.punct(",");
    const b = lp.operand();
    return { op: "bin", kind: op as BinOp, dst: needDst(), a, b };
  }
  switch (op) {
    case "const":
      noSuffix();
      return { op: "const", dst: needDst(), value: lp.bigint("constant") };
    case "neg":
    case "copy":
    case "zext":
      noSuffix();
      return { op, dst: needDst(), a: lp.operand() };
    case "sext":
      return { op, from: pickWidth(lp, op, suf, [8, 16, 32] as const), dst: needDst(), a: lp.operand() };
    case "trunc":
      return { op, to: pickWidth(lp, op, suf, [8, 16, 32] as const), dst: needDst(), a: lp.operand() };
    case "bswap":
      return { op, bits: pickWidth(lp, op, suf, [16, 32, 64] as const), dst: needDst(), a: lp.operand() };
    case "ptradd": {
      noSuffix();
      const base = lp.value();
      lp.punct(",");
      return { op, dst: needDst(), base, offset: lp.operand() };
    }
    case "load": {
      const width = pickWidth<MemWidth>(lp, op, suf, [1, 2, 4, 8]);
      const base = lp.value();
      lp.punct(",");
      return { op, dst: needDst(), base, offset: lp.int("offset"), width };
    }
    case "ctxptr": {
      noSuffix();
      const ctx = lp.value();
      lp.punct(",");
      return { op, dst: needDst(), ctx, offset: lp.int("offset") };
    }
    case "store": {
      if (dst) lp.err("'store' defines no value");
      const width = pickWidth<MemWidth>(lp, op, suf, [1, 2, 4, 8]);
      const base = lp.value();
      lp.punct(",");
      const offset = lp.int("offset");
      lp.punct(",");
      return { op, base, offset, width, value: lp.operand() };
    }
    case "atomic_add": {
      if (dst) lp.err("'atomic_add' defines no value");
      const width = pickWidth(lp, op, suf, [4, 8] as const);
      const base = lp.value();
      lp.punct(",");
      const offset = lp.int("offset");
      lp.punct(",");
      return { op, base, offset, width, value: lp.value() };
    }
    case "callfn": {
      noSuffix();
      lp.punct("@");
      const func = lp.name("function name");
      const c: Inst = { op: "callfn", func, args: parseArgs(lp) };
      if (dst) c.dst = dst;
      return c;
    }
    case "globaladdr": {
      const section = "." + (suf ?? "");
      if (!GLOBAL_SECTIONS.includes(section)) lp.err(`'globaladdr' needs a section suffix .rodata/.data/.bss, found '${mnem}'`);
      lp.punct("@");
      return { op, dst: needDst(), section: section as GlobalSection, symbol: lp.name("variable name") };
    }
    case "funcaddr":
      noSuffix();
      lp.punct("@");
      return { op, dst: needDst(), func: lp.name("function name") };
    case "atomic": {
      const parts = (suf ?? "").split(".");
      const kind = parts[0]!;
      const fetch = parts.length === 3 && parts[1] === "fetch";
      if (!ATOMIC_KINDS.includes(kind) || !(parts.length === 2 || fetch)) {
        lp.err(`expected atomic.<add|or|and|xor|xchg|cmpxchg>[.fetch].<4|8>, found '${mnem}'`);
      }
      const width = pickWidth(lp, "atomic", parts[parts.length - 1], [4, 8] as const);
      const base = lp.value();
      lp.punct(",");
      const offset = lp.int("offset");
      lp.punct(",");
      const value = lp.operand();
      const a: Inst = { op, kind: kind as AtomicKind, fetch, base, offset, width, value };
      if (lp.isPunct(",")) {
        lp.punct(",");
        a.expected = lp.operand();
      }
      if (dst) a.dst = dst;
      return a;
    }
    case "stackaddr":
      noSuffix();
      return { op, dst: needDst(), slot: lp.slot() };
    case "mapaddr":
      noSuffix();
      lp.punct("@");
      return { op, dst: needDst(), map: lp.name("map name") };
    case "call": {
      noSuffix();
      const helper = lp.int("helper id");
      const c: Inst = { op: "call", helper, args: parseArgs(lp) };
      if (dst) c.dst = dst;
      return c;
    }
  }
  return lp.err(`unknown instruction '${mnem}'`);
}

/** `(a, b, ...)` */
function parseArgs(lp: LineParser): Operand[] {
  lp.punct("(");
  const args: Operand[] = [];
  if (!lp.isPunct(")")) {
    args.push(lp.operand());
    while (lp.isPunct(",")) {
      lp.punct(",");
      args.push(lp.operand());
    }
  }
  lp.punct(")");
  return args;
}

function parseTerm(lp: LineParser, op: string): Terminator {
  const [name, suf] = LineParser.split(op);
  switch (name) {
    case "br":
      if (suf !== undefined) lp.err("'br' takes no suffix");
      return { op: "br", target: lp.block() };
    case "ret":
      if (suf !== undefined) lp.err("'ret' takes no suffix");
      return { op: "ret", value: lp.operand() };
    case "cbr": {
      const [cond, w] = LineParser.split(lp.ident("condition"));
      if (!CONDS.includes(cond)) lp.err(`unknown condition '${cond}'`);
      const width = pickWidth(lp, cond, w, [32, 64] as const);
      const a = lp.value();
      lp.punct(",");
      const b = lp.operand();
      lp.punct("->");
      const then = lp.block();
      lp.punct(",");
      return { op: "cbr", cond: cond as CondOp, width, a, b, then, else: lp.block() };
    }
  }
  return lp.err(`unknown terminator '${op}'`);
}

interface SourceLine {
  no: number;
  toks: Tok[];
}

function lines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  text.split("\n").forEach((raw, k) => {
    const toks = tokenize(raw, k + 1);
    if (toks.length > 0) out.push({ no: k + 1, toks });
  });
  return out;
}

/** Parses one function starting at lines[start]; returns it and the index after its closing brace. */
function parseFuncAt(src: SourceLine[], start: number): [Func, number] {
  const pending: PendingUse[] = [];
  const hdr: LineParser = new LineParser(src[start]!.toks, src[start]!.no, pending);
  if (hdr.ident("'func'") !== "func") hdr.err("expected 'func'");
  const name = hdr.name("function name");
  hdr.punct("(");
  const params: Value[] = [];
  if (!hdr.isPunct(")")) {
    params.push(hdr.def());
    while (hdr.isPunct(",")) {
      hdr.punct(",");
      params.push(hdr.def());
    }
  }
  hdr.punct(")");
  let ctxIndex: number | undefined;
  const t = hdr.peek();
  if (t?.k === "ident" && (t.s === "noctx" || t.s === "ctx")) {
    hdr.ident();
    if (t.s === "noctx") ctxIndex = -1;
    else {
      const v = hdr.value();
      ctxIndex = params.findIndex((p) => p.id === v.id);
      if (ctxIndex < 1) hdr.err(`'ctx' names a parameter after the first, not %${v.id}`);
    }
  }
  const slots: StackSlot[] = [];
  if (!hdr.isPunct("{")) {
    if (hdr.ident("'slots' or '{'") !== "slots") hdr.err("expected 'slots' or '{'");
    hdr.punct("[");
    for (;;) {
      const id = hdr.slot();
      hdr.punct(":");
      const size = hdr.int("slot size");
      if (hdr.ident("'align'") !== "align") hdr.err("expected 'align'");
      slots.push({ id, size, align: hdr.int("alignment") });
      if (!hdr.isPunct(",")) break;
      hdr.punct(",");
    }
    hdr.punct("]");
  }
  hdr.punct("{");
  hdr.end();

  const f: Func = { name, params, blocks: [], slots, nextId: 0, ...(ctxIndex !== undefined ? { ctxIndex } : {}) };
  const locs = new WeakMap<Inst | Terminator, SourceLoc>();
  let anyLoc = false;
  let cur: { b: Partial<Block> & { id: number; phis: Phi[]; insts: Inst[] }; line: number } | undefined;
  const finish = (line: number) => {
    if (!cur) return;
    if (!cur.b.term) throw new IrParseError(line, `block b${cur.b.id} (line ${cur.line}) has no terminator`);
    f.blocks.push(cur.b as Block);
    cur = undefined;
  };

  let k = start + 1;
  for (; k < src.length; k++) {
    const { no, toks } = src[k]!;
    const lp: LineParser = new LineParser(toks, no, pending);
    const t0 = toks[0]!;
    if (t0.k === "punct" && t0.s === "}") {
      lp.punct("}");
      lp.end();
      finish(no);
      break;
    }
    // Label line: bN: [!l:c]
    if (t0.k === "ident" && /^b\d+$/.test(t0.s) && toks[1]?.k === "punct" && toks[1].s === ":") {
      finish(no);
      const id = lp.block();
      lp.punct(":");
      const loc = lp.loc();
      lp.end();
      cur = { b: { id, phis: [], insts: [] }, line: no };
      if (loc) cur.b.loc = loc;
      continue;
    }
    if (t0.k === "ident" && t0.s === "func") lp.err(`function ${printableName(name)} is missing its closing '}'`);
    if (!cur) lp.err("instruction outside a block (expected a label bN:)");
    const cb = cur.b;
    if (cb.term) lp.err(`instruction after the terminator of block b${cb.id}`);
    let x: Inst | Terminator;
    if (t0.k === "val") {
      const dst = lp.def();
      lp.punct("=");
      const t1 = lp.peek();
      if (t1?.k === "ident" && t1.s === "phi") {
        lp.ident();
        if (cb.insts.length > 0) lp.err("phi after ordinary instructions (phis must start the block)");
        const incoming: Phi["incoming"] = [];
        if (!lp.atEnd()) {
          for (;;) {
            lp.punct("[");
            const block = lp.block();
            lp.punct(":");
            incoming.push({ block, value: lp.operand() });
            lp.punct("]");
            if (!lp.isPunct(",")) break;
            lp.punct(",");
          }
        }
        lp.end();
        cb.phis.push({ dst, incoming });
        continue;
      }
      x = parseInst(lp, dst);
      cb.insts.push(x);
    } else if (t0.k === "ident") {
      const op = t0.s;
      const [base] = LineParser.split(op);
      if (base === "br" || base === "cbr" || base === "ret") {
        lp.ident();
        x = parseTerm(lp, op);
        cb.term = x;
      } else {
        x = parseInst(lp, undefined);
        cb.insts.push(x);
      }
    } else {
      lp.err(`expected an instruction, found ${describe(t0)}`);
    }
    const loc = lp.loc();
    lp.end();
    if (loc) {
      locs.set(x, loc);
      anyLoc = true;
    }
  }
  if (k >= src.length) {
    throw new IrParseError(src[src.length - 1]!.no, `function ${printableName(name)} is missing its closing '}'`);
  }
  if (anyLoc) f.locs = locs;

  // Types of unannotated uses, and nextId.
  const defs = new Map<number, Ty>();
  let maxId = -1;
  const def = (v: Value) => {
    if (!defs.has(v.id)) defs.set(v.id, v.ty);
    maxId = Math.max(maxId, v.id);
  };
  for (const p of f.params) def(p);
  for (const b of f.blocks) {
    for (const p of b.phis) def(p.dst);
    for (const i of b.insts) if ("dst" in i && i.dst) def(i.dst);
  }
  for (const u of pending) {
    maxId = Math.max(maxId, u.v.id);
    if (u.annotated) continue;
    const ty = defs.get(u.v.id);
    if (ty === undefined) throw new IrParseError(u.line, `use of undefined value %${u.v.id} (annotate it as %${u.v.id}:ty)`);
    u.v.ty = ty;
    maxId = Math.max(maxId, u.v.id);
  }
  f.nextId = maxId + 1;
  return [f, k + 1];
}

function printableName(n: string): string {
  return JSON.stringify(n);
}

export function parseModule(text: string): Module {
  const src = lines(text);
  const funcs: Func[] = [];
  let k = 0;
  while (k < src.length) {
    const [f, next] = parseFuncAt(src, k);
    funcs.push(f);
    k = next;
  }
  return { funcs };
}

/** Parses text holding exactly one function. */
export function parseFunc(text: string): Func {
  const src = lines(text);
  if (src.length === 0) throw new IrParseError(1, "expected a function, found nothing");
  const [f, next] = parseFuncAt(src, 0);
  if (next < src.length) throw new IrParseError(src[next]!.no, "text after the end of the function");
  return f;
}
