// Textual IR printer. parse.ts is its exact inverse: print(parse(print(f))) === print(f).
//
// Syntax (one item per line; `;` starts a comment the parser ignores):
//
//   func xdp_prog(%0:ptr, %1:i64) slots [s0: 8 align 8, s1: 16 align 4] {
//   func helper(%0:ptr) noctx {               no parameter is a context (Func.ctxIndex)
//   func helper(%0:i32, %1:ptr) ctx %1 {      the context is %1, not the first parameter
//   b0: !3:1                                  block label, optional source loc of the block
//     %2:i32 = const 5                        definitions carry their type
//     %3:i32 = add %2, 7                      bin ops by name: add sub mul udiv sdiv umod smod
//                                             and or xor shl lshr ashr
//     %4:i32 = neg %3          %5:i32 = copy %4          %6:i64 = zext %5
//     %7:i64 = sext.16 %6      %8:i32 = trunc.8 %7       %9:i32 = bswap.16 %8
//     %10:ptr = ptradd %0, 14                 base, offset
//     %11:i32 = load.4 %0, 12                 width, base, byte offset
//     %12:ptr = ctxptr %0, 4                  ctx, byte offset
//     store.4 %10, 0, %11                     width, base, byte offset, value
//     %13:ptr = stackaddr s0
//     %14:ptr = mapaddr @counters             map names that are not identifiers are JSON-quoted
//     %15:i64 = call 1 (%14, %13)             helper id, arguments; `call 5 ()` has no dst
//     atomic_add.8 %15, 0, %6                 width, base, byte offset, value
//     %17:i64 = callfn @sub (%6, 1)           bpf-to-bpf call: callee name, arguments
//     %18:ptr = globaladdr.data @counter      section (rodata, data, bss), variable symbol
//     %19:ptr = funcaddr @callback            address of a subprogram (bpf_loop callbacks)
//     atomic.or.4 %18, 0, 1                   atomic.kind[.fetch].width base, offset, value
//     %20:i64 = atomic.add.fetch.8 %18, 8, %6 fetch forms may define the old value
//     %21:i64 = atomic.cmpxchg.fetch.8 %18, 8, %6, 0   ..., value, expected
//     cbr ugt.64 %6, 3 -> b1, b2 !4:7         condition.width a, b -> then, else; optional loc
//   b1:
//     %16:i64 = phi [b0: %6], [b2: 0]
//     br b2
//   b2:
//     ret %16
//   }
//
// Operands are `%id` (the type is the one at the value's first definition) or an immediate, a
// decimal bigint (the parser also takes `0x` hex). A use whose type differs from its definition, or
// of a value defined nowhere, is printed `%id:ty` so that even broken IR round-trips. A trailing
// `!line:col` is the instruction's entry in `Func.locs`. A module is its functions separated by a
// blank line.

import { type Func, type Inst, type Module, type Operand, type Phi, type Terminator, type Ty, type SourceLoc, isImm } from "./ir.js";

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$.]*$/;

/** A function or map name: bare when it is an identifier, JSON-quoted otherwise. */
export function printName(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

/** Type of each value at its first definition, in print order (params, then per block phis, insts). */
export function definitionTypes(f: Func): Map<number, Ty> {
  const defs = new Map<number, Ty>();
  const def = (id: number, ty: Ty) => {
    if (!defs.has(id)) defs.set(id, ty);
  };
  for (const p of f.params) def(p.id, p.ty);
  for (const b of f.blocks) {
    for (const p of b.phis) def(p.dst.id, p.dst.ty);
    for (const i of b.insts) if ("dst" in i && i.dst) def(i.dst.id, i.dst.ty);
  }
  return defs;
}

class Printer {
  constructor(
    private readonly defs: Map<number, Ty>,
    private readonly locs: WeakMap<Inst | Terminator, SourceLoc> | undefined,
  ) {}

  op(o: Operand): string {
    if (isImm(o)) return o.imm.toString();
    return this.defs.get(o.id) === o.ty ? `%${o.id}` : `%${o.id}:${o.ty}`;
  }

  loc(x: Inst | Terminator): string {
    const l = this.locs?.get(x);
    return l ? ` !${l.line}:${l.col}` : "";
  }

  phi(p: Phi): string {
    const inc = p.incoming.map((i) => `[b${i.block}: ${this.op(i.value)}]`).join(", ");
    return `%${p.dst.id}:${p.dst.ty} = phi${inc ? " " + inc : ""}`;
  }

  inst(i: Inst): string {
    const o = (x: Operand) => this.op(x);
    let rhs: string;
    switch (i.op) {
      case "const":
        rhs = `const ${i.value}`;
        break;
      case "bin":
        rhs = `${i.kind} ${o(i.a)}, ${o(i.b)}`;
        break;
      case "neg":
      case "copy":
      case "zext":
        rhs = `${i.op} ${o(i.a)}`;
        break;
      case "sext":
        rhs = `sext.${i.from} ${o(i.a)}`;
        break;
      case "trunc":
        rhs = `trunc.${i.to} ${o(i.a)}`;
        break;
      case "bswap":
        rhs = `bswap.${i.bits} ${o(i.a)}`;
        break;
      case "ptradd":
        rhs = `ptradd ${o(i.base)}, ${o(i.offset)}`;
        break;
      case "load":
        rhs = `load.${i.width} ${o(i.base)}, ${i.offset}`;
        break;
      case "ctxptr":
        rhs = `ctxptr ${o(i.ctx)}, ${i.offset}`;
        break;
      case "store":
        return `store.${i.width} ${o(i.base)}, ${i.offset}, ${o(i.value)}${this.loc(i)}`;
      case "stackaddr":
        rhs = `stackaddr s${i.slot}`;
        break;
      case "mapaddr":
        rhs = `mapaddr @${printName(i.map)}`;
        break;
      case "call":
        rhs = `call ${i.helper} (${i.args.map(o).join(", ")})`;
        if (!i.dst) return rhs + this.loc(i);
        break;
      case "atomic_add":
        return `atomic_add.${i.width} ${o(i.base)}, ${i.offset}, ${o(i.value)}${this.loc(i)}`;
      case "callfn":
        rhs = `callfn @${printName(i.func)} (${i.args.map(o).join(", ")})`;
        if (!i.dst) return rhs + this.loc(i);
        break;
      case "globaladdr":
        rhs = `globaladdr${i.section} @${printName(i.symbol)}`;
        break;
      case "funcaddr":
        rhs = `funcaddr @${printName(i.func)}`;
        break;
      case "coreoff":
        rhs = `coreoff ${i.value} ; CO-RE kind ${i.relo.kind} access ${i.relo.access}`;
        break;
      case "atomic":
        rhs =
          `atomic.${i.kind}${i.fetch ? ".fetch" : ""}.${i.width} ${o(i.base)}, ${i.offset}, ${o(i.value)}` +
          (i.expected !== undefined ? `, ${o(i.expected)}` : "");
        if (!i.dst) return rhs + this.loc(i);
        break;
    }
    const dst = i.dst!;
    return `%${dst.id}:${dst.ty} = ${rhs}${this.loc(i)}`;
  }

  term(t: Terminator): string {
    let s: string;
    switch (t.op) {
      case "br":
        s = `br b${t.target}`;
        break;
      case "cbr":
        s = `cbr ${t.cond}.${t.width} ${this.op(t.a)}, ${this.op(t.b)} -> b${t.then}, b${t.else}`;
        break;
      case "ret":
        s = `ret ${this.op(t.value)}`;
        break;
    }
    return s + this.loc(t);
  }
}

export function printFunc(f: Func): string {
  const p = new Printer(definitionTypes(f), f.locs);
  const lines: string[] = [];
  const params = f.params.map((v) => `%${v.id}:${v.ty}`).join(", ");
  const slots = f.slots.length > 0 ? ` slots [${f.slots.map((s) => `s${s.id}: ${s.size} align ${s.align}`).join(", ")}]` : "";
  const k = f.ctxIndex ?? 0;
  const ctx = k === 0 ? "" : k < 0 || k >= f.params.length ? " noctx" : ` ctx %${f.params[k]!.id}`;
  lines.push(`func ${printName(f.name)}(${params})${ctx}${slots} {`);
  for (const b of f.blocks) {
    lines.push(`b${b.id}:${b.loc ? ` !${b.loc.line}:${b.loc.col}` : ""}`);
    for (const ph of b.phis) lines.push("  " + p.phi(ph));
    for (const i of b.insts) lines.push("  " + p.inst(i));
    lines.push("  " + p.term(b.term));
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

export function printModule(m: Module): string {
  return m.funcs.map(printFunc).join("\n");
}

/** One instruction or terminator on its own (uses print as `%id:ty`), for diagnostics. */
export function printInst(x: Inst | Terminator): string {
  const p = new Printer(new Map(), undefined);
  return x.op === "br" || x.op === "cbr" || x.op === "ret" ? p.term(x as Terminator) : p.inst(x as Inst);
}
