// bpfPrintk(fmt, ...args) over bpf_trace_printk. The format is checked here as the kernel's
// bpf_bprintf_prepare checks it at run time (a bad format makes the helper fail silently with
// -EINVAL): printable ASCII only, the conversions it implements, at most three arguments, and each
// argument's type fitting its conversion. The string goes to .rodata as a static variable, as
// clang's bpf_printk puts its `static const char ___fmt[]` there.

import { INT_TYPES, sizeOf, type CInt } from "../../common/ctypes.js";
import type { Operand } from "../ir/ir.js";
import type { GlobalVar } from "../object/model.js";
import { convert } from "./int-ops.js";
import { kernelArrayAddress } from "./lower-kernel.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import type { ModuleInfo } from "./module-scan.js";
import { ts } from "./ts-adapter.js";

/** What one conversion takes. */
export type Conversion =
  | { kind: "int"; text: string; bits: 32 | 64; signed: boolean }
  | { kind: "char"; text: string }
  | { kind: "str"; text: string }
  /** %p, %px, %pK: an address printed as a number. */
  | { kind: "ptr"; text: string }
  /** %pI4, %pi4, %pI6, %pi6: memory holding an IPv4 (4 bytes) or IPv6 (16 bytes) address. */
  | { kind: "ip"; text: string; bytes: 4 | 16 };

export const MAX_PRINTK_ARGS = 3;

/** The conversions of a format, or the reason the kernel would refuse it. */
export function parseFormat(fmt: string, max = MAX_PRINTK_ARGS, helper = "bpf_trace_printk"): Conversion[] | { error: string } {
  const out: Conversion[] = [];
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt.charCodeAt(i);
    const printable = (ch >= 0x20 && ch < 0x7f) || ch === 9 || ch === 10 || ch === 11 || ch === 12 || ch === 13;
    if (!printable) return { error: `character ${JSON.stringify(fmt[i])} at ${i} is not printable ASCII` };
    if (fmt[i] !== "%") continue;
    if (fmt[i + 1] === "%") {
      i++;
      continue;
    }
    const start = i++;
    while ("0+- ".includes(fmt[i] ?? "x")) i++;
    while (fmt[i] !== undefined && fmt[i] >= "0" && fmt[i] <= "9") i++;
    const c = fmt[i];
    const text = () => fmt.slice(start, i + 1);
    if (c === "p") {
      const n = fmt[i + 1];
      if (n === undefined || !/[A-Za-z0-9]/.test(n)) out.push({ kind: "ptr", text: text() });
      else if (n === "K" || n === "x") {
        i++;
        out.push({ kind: "ptr", text: text() });
      } else if ((n === "i" || n === "I") && (fmt[i + 2] === "4" || fmt[i + 2] === "6")) {
        i += 2;
        out.push({ kind: "ip", text: text(), bytes: fmt[i] === "4" ? 4 : 16 });
      } else return { error: `'%p${n}' is not a conversion ${helper} implements` };
      continue;
    }
    if (c === "s") {
      out.push({ kind: "str", text: text() });
      continue;
    }
    if (c === "c") {
      out.push({ kind: "char", text: text() });
      continue;
    }
    let bits: 32 | 64 = 32;
    if (fmt[i] === "l") {
      bits = 64;
      i++;
      if (fmt[i] === "l") i++;
    }
    const d = fmt[i];
    if (d === undefined || !"diuxX".includes(d)) {
      return { error: `'${fmt.slice(start, i + 1)}' is not a conversion ${helper} implements` };
    }
    out.push({ kind: "int", text: text(), bits, signed: d === "d" || d === "i" });
  }
  if (out.length > max) return { error: `it has ${out.length} conversions; ${helper} takes at most ${max} arguments` };
  return out;
}

/** Format strings already placed in .rodata, per module (the same text is stored once). */
const placed = new WeakMap<ModuleInfo, Map<string, GlobalVar>>();

export function formatGlobal(x: ExprLowerer, fmt: string): GlobalVar {
  let strings = placed.get(x.mod);
  if (!strings) placed.set(x.mod, (strings = new Map()));
  let g = strings.get(fmt);
  if (!g) {
    const bytes = new Uint8Array(fmt.length + 1);
    for (let i = 0; i < fmt.length; i++) bytes[i] = fmt.charCodeAt(i);
    g = {
      name: `___fmt_${strings.size}`,
      section: ".rodata",
      type: { kind: "array", elem: INT_TYPES.u8, len: bytes.length },
      init: bytes,
      static: true,
    };
    strings.set(fmt, g);
    // The module's globals are keyed by their TypeScript symbol; a format string has none, so a
    // fresh object stands in (nothing looks it up by key; the object writer takes the values).
    x.mod.globals.set({} as ts.Symbol, g);
  }
  return g;
}

/** bpfPrintk(fmt, ...args): the helper's result (bytes written, or a negative errno). */
export function lowerPrintk(x: ExprLowerer, e: ts.CallExpression, id: number): { k: "int"; v: Operand; t: CInt } {
  const [fmtArg, ...args] = e.arguments;
  if (!fmtArg || !ts.isStringLiteral(fmtArg)) x.r.fail("TSBPF2013", fmtArg ?? e, "the format string");
  const convs = parseFormat(fmtArg.text);
  if ("error" in convs) x.r.fail("TSBPF2151", fmtArg, convs.error);
  if (convs.length !== args.length) x.r.fail("TSBPF2152", e, convs.length, args.length);
  const ops: Operand[] = convs.map((c, i) => printkArg(x, c, args[i]));
  const g = formatGlobal(x, fmtArg.text);
  const fmt = x.b.value("ptr");
  x.b.emit({ op: "globaladdr", dst: fmt, section: ".rodata", symbol: g.name });
  const dst = x.b.value("i64");
  x.b.emit({ op: "call", helper: id, args: [fmt, { imm: BigInt(fmtArg.text.length + 1) }, ...ops], dst });
  return { k: "int", v: dst, t: INT_TYPES.i64 };
}

export function printkArg(x: ExprLowerer, c: Conversion, arg: ts.Expression): Operand {
  // The helper reads a %s string itself (copy_from_kernel_nofault): a kernel array goes by address.
  const direct = c.kind === "str" ? kernelArrayAddress(x, arg) : undefined;
  if (direct) return direct;
  const raw = x.lower(arg);
  // A reference to an integer (a packet read's `ctx.header<u8>(i)`, narrowed from null) is its value,
  // except for %p, which prints the address.
  const v = c.kind !== "ptr" && raw.k === "ref" && raw.t.kind === "int" ? x.asInt(raw, arg) : raw;
  const describe = () =>
    v.k === "int" ? v.t.name : v.k === "ref" ? x.checker.typeToString(x.checker.getTypeAtLocation(arg)) : "this value";
  switch (c.kind) {
    case "int": {
      if (v.k !== "int") x.r.fail("TSBPF2153", arg, c.text, "an integer", describe());
      if (c.bits === 32 && v.t.size === 8)
        x.r.fail("TSBPF2153", arg, c.text, "a value of at most 32 bits (use %lld, %llu or %llx for 64 bits)", describe());
      const t = c.bits === 64 ? (c.signed ? INT_TYPES.i64 : INT_TYPES.u64) : c.signed ? INT_TYPES.i32 : INT_TYPES.u32;
      return convert(x.b, v, t).v;
    }
    case "char":
      if (v.k !== "int") x.r.fail("TSBPF2153", arg, c.text, "an integer", describe());
      return convert(x.b, v, INT_TYPES.u8).v;
    case "ptr":
      if (v.k === "ref") return x.addOff(v);
      if (v.k !== "int") x.r.fail("TSBPF2153", arg, c.text, "an integer or a reference", describe());
      return convert(x.b, v, INT_TYPES.u64).v;
    case "str": {
      const ok = v.k === "ref" && v.t.kind === "array" && v.t.elem.kind === "int" && v.t.elem.size === 1;
      if (!ok) x.r.fail("TSBPF2153", arg, c.text, "a FixedArray<u8, N> holding a NUL-terminated string", describe());
      return x.addOff(v);
    }
    case "ip": {
      const ref =
        v.k === "ref"
          ? v
          : v.k === "int" && (ts.isPropertyAccessExpression(arg) || ts.isElementAccessExpression(arg))
            ? x.lvalueRef(arg)
            : undefined;
      if (!ref || sizeOf(ref.t) !== c.bytes)
        x.r.fail("TSBPF2153", arg, c.text, `a ${c.bytes}-byte field or array holding the address`, describe());
      return x.addOff(ref);
    }
  }
}
