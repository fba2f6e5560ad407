// The state every lowering step shares (the SSA builder, the reporter, the type checker, the
// module's maps and globals, the context register) and the memory primitives built on it: loads,
// stores, copies and zero-fills, stack temporaries, addresses. Expression lowering (lower-expr.ts)
// and statement lowering (lower-stmt.ts) extend it.

import type { CInt, CType } from "../../common/ctypes.js";
import { isImm, type Operand, type Ty, type Value } from "../ir/ir.js";
import type { GlobalVar } from "../object/model.js";
import { convert, irTy, type IntVal } from "./int-ops.js";
import type { ModuleInfo } from "./module-scan.js";
import type { ProgramKind } from "./program-kinds.js";
import type { Reporter } from "./reporter.js";
import { SsaBuilder } from "./ssa-builder.js";
import { lineCol, ts } from "./ts-adapter.js";
import type { TypeMapper } from "./types.js";
import type { LocalInfo, RefVal } from "./values.js";

/** What is being lowered: a program, or a subprogram (which may take a program kind's context). */
export interface LoweringTarget {
  name: string;
  kind: ProgramKind;
  ctxType?: CType;
}

export class LowererBase {
  readonly b: SsaBuilder;
  readonly locals = new Map<ts.Symbol, LocalInfo>();
  ctx!: Value;
  readonly kind: ProgramKind;

  constructor(
    readonly r: Reporter,
    readonly checker: ts.TypeChecker,
    readonly types: TypeMapper,
    readonly mod: ModuleInfo,
    readonly prog: LoweringTarget,
    paramTys: Ty[] = ["ptr"],
  ) {
    this.kind = prog.kind;
    this.b = new SsaBuilder(prog.name, paramTys);
  }

  /** Stack slots for helper arguments (keys, values, events), reused once their call is emitted. */
  private readonly temps: { slot: number; size: number; busy: boolean }[] = [];

  /** A stack slot of at least `size` bytes (8-aligned) that no pending call is using. */
  acquireTemp(size: number): number {
    const free = this.temps.find((t) => !t.busy && t.size >= size);
    if (free) {
      free.busy = true;
      return free.slot;
    }
    const slot = this.b.slot(Math.ceil(size / 8) * 8, 8);
    this.temps.push({ slot, size: Math.ceil(size / 8) * 8, busy: true });
    return slot;
  }

  releaseTemps(slots: number[]): void {
    for (const t of this.temps) if (slots.includes(t.slot)) t.busy = false;
  }

  /** The statement (setLoc) and the call expression (lowerCall) being lowered, for diagnostics raised per emitted instruction. */
  locNode: ts.Node | undefined;
  callSite: ts.Node | undefined;

  setLoc(node: ts.Node): void {
    this.locNode = node;
    const sf = node.getSourceFile();
    this.b.loc = { ...lineCol(sf, node.getStart()), file: sf.fileName };
  }

  symbolOf(node: ts.Node): ts.Symbol | undefined {
    let s =
      ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node
        ? this.checker.getShorthandAssignmentValueSymbol(node.parent)
        : this.checker.getSymbolAtLocation(node);
    if (s && s.flags & ts.SymbolFlags.Alias) s = this.checker.getAliasedSymbol(s);
    return s;
  }

  /** A module-level variable's memory in .data/.bss/.rodata. */
  globalRef(g: GlobalVar): RefVal {
    const base = this.b.value("ptr");
    this.b.emit({ op: "globaladdr", dst: base, section: g.section, symbol: g.name });
    return { k: "ref", base, off: 0, t: g.type, region: g.section === ".rodata" ? "rodata" : "global" };
  }

  /** An operand as a register value (constants get a `const`). */
  materialize(o: Operand, ty: "i32" | "i64" | "ptr" = "ptr"): Value {
    if (!isImm(o)) return o;
    const dst = this.b.value(ty === "ptr" ? "i64" : ty);
    this.b.emit({ op: "const", dst, value: o.imm });
    return dst;
  }

  load(ref: RefVal, t: CInt): IntVal {
    const dst = this.b.value(irTy(t));
    this.b.emit({ op: "load", dst, base: ref.base, offset: ref.off, width: t.size });
    if (t.signed && t.size < 4) {
      const s = this.b.value("i32");
      this.b.emit({ op: "sext", dst: s, a: dst, from: (t.size * 8) as 8 | 16 });
      return { k: "int", v: s, t };
    }
    return { k: "int", v: dst, t };
  }

  store(ref: RefVal, t: CInt, v: IntVal): void {
    const c = convert(this.b, v, t);
    this.b.emit({ op: "store", base: ref.base, offset: ref.off, width: t.size, value: c.v });
  }

  /** Fresh loads of the packet's data and data_end pointers. */
  packetBounds(): [Value, Value] {
    const p = this.kind.packet!;
    const data = this.b.value("ptr");
    const end = this.b.value("ptr");
    this.b.emit({ op: "ctxptr", dst: data, ctx: this.ctx, offset: p.data });
    this.b.emit({ op: "ctxptr", dst: end, ctx: this.ctx, offset: p.dataEnd });
    return [data, end];
  }

  /** A reference as a single pointer value (adds its constant offset). */
  addOff(v: RefVal): Value {
    if (v.off === 0) return v.base;
    const dst = this.b.value("ptr");
    this.b.emit({ op: "ptradd", dst, base: v.base, offset: { imm: BigInt(v.off) } });
    return dst;
  }

  /** `zero<T>()` from stdlib. */
  isZeroCall(e: ts.Expression): boolean {
    if (!ts.isCallExpression(e) || !ts.isIdentifier(e.expression)) return false;
    const sym = this.symbolOf(e.expression);
    return !!sym && sym.getName() === "zero" && this.types.isStdlibSymbol(sym);
  }

  zero(dst: RefVal, size: number): void {
    for (let o = 0; o < size; ) {
      const w = chunk(dst.off + o, size - o);
      this.b.emit({ op: "store", base: dst.base, offset: dst.off + o, width: w, value: { imm: 0n } });
      o += w;
    }
  }

  /**
   * Copies `size` bytes as a value: every byte written is the source's before the copy, also when
   * the two overlap (`a.inner = b.inner` with a = ctx.header<T>(2), b = ctx.header<T>(0): seed
   * 20261219 found the chunk-by-chunk copy smearing the first chunk forward). Where they may
   * overlap with the destination after the source, all chunks are loaded before the first store.
   */
  copy(dst: RefVal, src: RefVal, size: number): void {
    const chunks: { o: number; w: 1 | 2 | 4 | 8; tmp: Value }[] = [];
    for (let o = 0; o < size; ) {
      const w = Math.min(chunk(dst.off + o, size - o), chunk(src.off + o, size - o)) as 1 | 2 | 4 | 8;
      chunks.push({ o, w, tmp: this.b.value(w === 8 ? "i64" : "i32") });
      o += w;
    }
    const load = (c: (typeof chunks)[number]) => this.b.emit({ op: "load", dst: c.tmp, base: src.base, offset: src.off + c.o, width: c.w });
    const store = (c: (typeof chunks)[number]) =>
      this.b.emit({ op: "store", base: dst.base, offset: dst.off + c.o, width: c.w, value: c.tmp });
    if (mayOverlapAhead(dst, src, size)) {
      chunks.forEach(load);
      chunks.forEach(store);
    } else
      for (const c of chunks) {
        load(c);
        store(c);
      }
  }
}

/**
 * Can `dst` overlap `src` (`size` bytes each) at a higher address, so that a chunk-by-chunk copy
 * would read bytes it already wrote? Through one base the offsets decide. The function's own stack
 * is apart from any other memory; a subprogram's pointer parameter may point into anything its
 * caller has, and two packet pointers can be any bytes apart. Map values and globals of one type are
 * either the same bytes or disjoint.
 */
function mayOverlapAhead(dst: RefVal, src: RefVal, size: number): boolean {
  if (dst.base === src.base) return dst.off > src.off && dst.off < src.off + size;
  if (dst.region === "stack" || src.region === "stack") return false;
  if (dst.region === "param" || src.region === "param") return true;
  return dst.region === "packet" && src.region === "packet";
}

/** Largest access width that is aligned at `off` and fits in `left` bytes. */
function chunk(off: number, left: number): 1 | 2 | 4 | 8 {
  for (const w of [8, 4, 2, 1] as const) if (off % w === 0 && left >= w) return w;
  return 1;
}
