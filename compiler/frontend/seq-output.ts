// Output of BPF iterators into their seq_file: seqPrintf (bpf_seq_printf, the format checked as
// bpfPrintk's is, up to 12 arguments passed as an array of u64) and seqWrite (bpf_seq_write, raw
// bytes). The first argument is the iterator's `meta.seq`, a trusted BTF pointer (TSBPF2170).

import { INT_TYPES, sizeOf } from "../../common/ctypes.js";
import type { Operand } from "../ir/ir.js";
import { convert } from "./int-ops.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import { formatGlobal, parseFormat, printkArg } from "./printk.js";
import { ts } from "./ts-adapter.js";
import type { RefVal, Val } from "./values.js";

/** MAX_BPRINTF_VARARGS in kernel/bpf/helpers.c. */
const MAX_SEQ_ARGS = 12;

/** The seq_file pointer: `meta.seq` after its null check. */
function seqArg(x: ExprLowerer, e: ts.CallExpression, name: string): Operand {
  // The kernel offers these helpers to TRACING programs attached as iterators only.
  if (x.kind.type && x.kind.wrapper !== "iter") x.r.fail("TSBPF2171", e.expression, name, x.kind.wrapper);
  const node = e.arguments[0];
  if (!node) x.r.fail("TSBPF1035", e);
  const v = x.lower(node);
  const named = x.checker.typeToString(x.checker.getNonNullableType(x.checker.getTypeAtLocation(node)));
  if (v.k !== "ref" || v.region !== "btf" || named !== "seq_file") x.r.fail("TSBPF2170", node, name);
  return x.addOff(v);
}

/** seqPrintf(meta.seq, fmt, ...args): bytes written... 0, or a negative errno (-EOVERFLOW: buffer full). */
export function lowerSeqPrintf(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  const seq = seqArg(x, e, "seqPrintf");
  const [, fmtArg, ...args] = e.arguments;
  if (!fmtArg || !ts.isStringLiteral(fmtArg)) x.r.fail("TSBPF2013", fmtArg ?? e, "the format string");
  const convs = parseFormat(fmtArg.text, MAX_SEQ_ARGS, "bpf_seq_printf");
  if ("error" in convs) x.r.fail("TSBPF2151", fmtArg, convs.error);
  if (convs.length !== args.length) x.r.fail("TSBPF2152", e, convs.length, args.length);
  const ops = convs.map((c, i) => printkArg(x, c, args[i]));
  // The arguments travel as an array of u64 on the stack (the helper's data/data_len).
  let data: Operand = { imm: 0n };
  if (ops.length) {
    const slot = x.b.slot(8 * ops.length, 8);
    const base = x.b.value("ptr");
    x.b.emit({ op: "stackaddr", dst: base, slot });
    ops.forEach((o, i) => {
      // Each argument widened to 64 bits as printkArg typed it (pointers and 64-bit values as they are).
      const c = convs[i];
      const from =
        c.kind === "int"
          ? c.bits === 64
            ? undefined
            : c.signed
              ? INT_TYPES.i32
              : INT_TYPES.u32
          : c.kind === "char"
            ? INT_TYPES.u8
            : undefined;
      const wide = from ? convert(x.b, { k: "int", v: o, t: from }, INT_TYPES.u64).v : o;
      x.b.emit({ op: "store", base, offset: 8 * i, width: 8, value: wide });
    });
    data = base;
  }
  const fmt = x.b.value("ptr");
  x.b.emit({ op: "globaladdr", dst: fmt, section: ".rodata", symbol: formatGlobal(x, fmtArg.text).name });
  const dst = x.b.value("i64");
  x.b.emit({
    op: "call",
    helper: id,
    args: [seq, fmt, { imm: BigInt(fmtArg.text.length + 1) }, data, { imm: BigInt(8 * ops.length) }],
    dst,
  });
  return { k: "int", v: dst, t: INT_TYPES.i64 };
}

/** seqWrite(meta.seq, value): writes the bytes of `value` (a struct, array or integer in memory). */
export function lowerSeqWrite(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  if (e.arguments.length !== 2) x.r.fail("TSBPF1035", e);
  const seq = seqArg(x, e, "seqWrite");
  const v = x.lower(e.arguments[1]);
  let ref: RefVal;
  if (v.k === "int") {
    // An integer is written as its type's bytes, from a stack copy.
    const slot = x.b.slot(8, 8);
    const p = x.b.value("ptr");
    x.b.emit({ op: "stackaddr", dst: p, slot });
    ref = { k: "ref", base: p, off: 0, t: v.t, region: "stack" };
    x.store(ref, v.t, v);
  } else if (v.k === "ref" && v.region !== "ctx" && v.region !== "kernel" && v.region !== "btf") ref = v;
  else x.r.fail("TSBPF2015", e.arguments[1]);
  const dst = x.b.value("i64");
  x.b.emit({ op: "call", helper: id, args: [seq, x.addOff(ref), { imm: BigInt(sizeOf(ref.t)) }], dst });
  return { k: "int", v: dst, t: INT_TYPES.i64 };
}
