// Calls in BPF code: user functions, stdlib functions through the intrinsics table
// (helpers-table.ts), and context methods (bounds-checked packet headers, skb loads); map methods are
// in lower-map.ts. Everything else is reported as unknown.

import { INT_TYPES, sizeOf } from "../../common/ctypes.js";
import type { Operand } from "../ir/ir.js";
import { HELPER } from "./helper-ids.js";
import { CTX_METHODS, INTRINSICS, type Intrinsic } from "./helpers-table.js";
import { functionMovesPacket, invalidatePacketRefs } from "./packet-refs.js";
import { noteCallUnderLock } from "./spin-locks.js";
import { wantsCall } from "./subprograms.js";
import { PT_REGS_ARGS, PT_REGS_RET } from "./program-kinds.js";
import { constEval } from "./const-eval.js";
import { convert } from "./int-ops.js";
import { expectArgs, filledSlot, nullableJoin, typeArg } from "./call-utils.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import { mapMethod, spill } from "./lower-map.js";
import type { MapInfo } from "./module-scan.js";
import { ts } from "./ts-adapter.js";
import type { Val } from "./values.js";

export function lowerCall(x: ExprLowerer, e: ts.CallExpression): Val {
  // Diagnostics about the helpers a call emits (gpl-helpers.ts) point at the innermost call.
  const outer = x.callSite;
  x.callSite = e;
  try {
    return lowerCallAt(x, e);
  } finally {
    x.callSite = outer;
  }
}

function lowerCallAt(x: ExprLowerer, e: ts.CallExpression): Val {
  const callee = e.expression;
  if (ts.isPropertyAccessExpression(callee)) {
    const obj = x.lower(callee.expression);
    const method = callee.name.text;
    if (obj.k === "map") return mapMethod(x, obj.map, method, e);
    if (obj.k === "ctx") return ctxMethod(x, method, e);
    x.r.fail("TSBPF1033", callee, callee.getText());
  }
  const sym = ts.isIdentifier(callee) ? x.symbolOf(callee) : undefined;
  const decl = sym?.valueDeclaration;
  if (decl && ts.isFunctionDeclaration(decl) && !decl.getSourceFile().isDeclarationFile) {
    checkCalleeKinds(x, decl, new Set());
    if (wantsCall(decl)) noteCallUnderLock(x, e, `${decl.name?.text ?? "the function"}()`);
    const v = x.callUserFunction(decl, e);
    if (functionMovesPacket(x.checker, decl, { ctx: CTX_METHODS, free: INTRINSICS }))
      invalidatePacketRefs(x, e, `${decl.name?.text ?? "the function"}()`);
    return v;
  }
  const name = sym && x.types.isStdlibSymbol(sym) ? sym.getName() : undefined;
  if (!name) x.r.fail("TSBPF1033", callee, callee.getText());
  const row = Object.hasOwn(INTRINSICS, name) ? INTRINSICS[name] : undefined;
  if (!row) x.r.fail("TSBPF1033", callee, name);
  return intrinsicCall(x, e, name, row);
}

function intrinsicCall(x: ExprLowerer, e: ts.CallExpression, name: string, row: Intrinsic): Val {
  checkKind(x, e, name, row);
  if (row.helper && row.helper !== "spin_lock" && row.helper !== "spin_unlock") noteCallUnderLock(x, e, `${name}()`);
  const id = row.helper ? HELPER[row.helper] : 0;
  const v = row.lower ? row.lower(x, e, id) : helperCall(x, e, row, id);
  if (row.movesPacket) invalidatePacketRefs(x, e, `${name}()`);
  return v;
}

/**
 * The kernel refuses a helper that the program's type may not call ("program of this type cannot
 * use helper"); say so at the call. Context-free subprograms are not checked here (their callers'
 * types are not known while they are lowered); the verifier still is.
 */
function checkKind(x: ExprLowerer, e: ts.CallExpression, name: string, row: Intrinsic): void {
  const type = x.kind.type;
  if (!row.kinds || !type || row.kinds.includes(type)) return;
  const helper = row.helper ? `bpf_${row.helper}` : name;
  x.r.fail("TSBPF2150", e.expression, name, helper, x.kind.wrapper, row.kinds.join(", "));
}

/**
 * A module function called from a program of known type: the helpers its body calls (directly or
 * through further module functions) must suit that type too. This catches what checkKind cannot see
 * inside `@noinline` functions that take no context (lowered without a program type).
 */
function checkCalleeKinds(x: ExprLowerer, decl: ts.FunctionDeclaration, seen: Set<ts.FunctionDeclaration>): void {
  if (!x.kind.type || seen.has(decl) || !decl.body) return;
  seen.add(decl);
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
      const sym = x.symbolOf(n.expression);
      const d = sym?.valueDeclaration;
      if (d && ts.isFunctionDeclaration(d) && d.getSourceFile() === decl.getSourceFile()) checkCalleeKinds(x, d, seen);
      else if (sym && x.types.isStdlibSymbol(sym) && Object.hasOwn(INTRINSICS, sym.getName()))
        checkKind(x, n, sym.getName(), INTRINSICS[sym.getName()]);
    }
    ts.forEachChild(n, visit);
  };
  visit(decl.body);
}

/** A helper call whose arguments the row's Arg list describes. */
function helperCall(x: ExprLowerer, e: ts.CallExpression, row: Intrinsic, id: number): Val {
  const spec = row.args ?? [];
  const user = spec.filter((a) => a.k !== "ctx" && a.k !== "imm");
  const required = user.filter((a) => !(a.k === "const" && a.def !== undefined)).length;
  if (e.arguments.length < required || e.arguments.length > user.length) x.r.fail("TSBPF1035", e);
  const ops: Operand[] = [];
  const temps: number[] = [];
  let i = 0;
  let lastMap: MapInfo | undefined;
  for (const a of spec) {
    if (a.k === "ctx") {
      if (!x.kind.type) x.r.fail("TSBPF2157", e.expression, e.expression.getText());
      ops.push(x.ctx);
    } else if (a.k === "imm") ops.push({ imm: a.v });
    else {
      const node = e.arguments[i++];
      if (!node && a.k === "const") ops.push({ imm: a.def! });
      else if (a.k === "int") ops.push(convert(x.b, x.int(node), a.t).v);
      else if (a.k === "const") {
        const c = constEval(node, x.checker);
        if (c === undefined) x.r.fail("TSBPF2013", node, "this argument");
        ops.push(convert(x.b, { k: "int", v: { imm: c }, t: INT_TYPES.i64 }, a.t).v);
      } else if (a.k === "bytes") {
        const v = x.lower(node);
        if (v.k === "int") {
          const slot = x.acquireTemp(v.t.size);
          temps.push(slot);
          const p = x.b.value("ptr");
          x.b.emit({ op: "stackaddr", dst: p, slot });
          x.store({ k: "ref", base: p, off: 0, t: v.t, region: "stack" }, v.t, v);
          ops.push(p, { imm: BigInt(v.t.size) });
        } else {
          if (v.k !== "ref" || v.region === "ctx") x.r.fail("TSBPF2015", node);
          ops.push(x.addOff(v), { imm: BigInt(sizeOf(v.t)) });
        }
      } else if (a.k === "mem") {
        const v = x.lower(node);
        if (v.k !== "ref" || v.region === "ctx" || (a.write && (v.region === "rodata" || v.region === "packet")))
          x.r.fail("TSBPF2015", node);
        ops.push(x.addOff(v), { imm: BigInt(sizeOf(v.t)) });
      } else if (a.k === "sock") {
        const v = x.lower(node);
        if (v.k !== "ref" || v.off !== 0 || v.t.kind !== "struct" || v.t.name !== "bpf_sock") x.r.fail("TSBPF2114", node);
        ops.push(v.base);
      } else if (a.k === "mapKey") {
        // A key of the map argument before it, stored on the stack as that map's key type.
        ops.push(spill(x, lastMap!.key, node, temps));
      } else {
        const v = x.lower(node);
        if (v.k !== "map") x.r.fail("TSBPF2015", node);
        lastMap = v.map;
        const p = x.b.value("ptr");
        x.b.emit({ op: "mapaddr", dst: p, map: v.map.def.name });
        ops.push(p);
      }
    }
  }
  if (ops.length > 5) x.r.fail("TSBPF2004", e);
  const dst = x.b.value("i64");
  x.b.emit({ op: "call", helper: id, args: ops, dst });
  x.releaseTemps(temps);
  const ret = row.ret ?? "void";
  if (ret === "void") return { k: "int", v: { imm: 0n }, t: INT_TYPES.i32 };
  return convert(x.b, { k: "int", v: dst, t: ret.signed ? INT_TYPES.i64 : INT_TYPES.u64 }, ret);
}

function ctxMethod(x: ExprLowerer, method: string, e: ts.CallExpression): Val {
  if (method === "header" && x.kind.packet) return packetHeader(x, e);
  if (method === "load" && x.kind.loadRelative) return skbLoad(x, e);
  const row = Object.hasOwn(CTX_METHODS, method) ? CTX_METHODS[method] : undefined;
  if (row) return intrinsicCall(x, e, `ctx.${method}`, row);
  const shape = x.kind.ctx.kind;
  if ((method === "arg" && (shape === "args" || shape === "pt_regs")) || (method === "ret" && shape === "pt_regs")) {
    let offset = PT_REGS_RET;
    if (method === "arg") {
      expectArgs(x, e, 1);
      const i = constEval(e.arguments[0], x.checker);
      const max = shape === "pt_regs" ? PT_REGS_ARGS.length : 12;
      if (i === undefined) x.r.fail("TSBPF2013", e.arguments[0], "the argument index");
      if (i < 0n || i >= BigInt(max)) x.r.fail("TSBPF2022", e.arguments[0], String(i), max - 1);
      offset = shape === "pt_regs" ? PT_REGS_ARGS[Number(i)] : Number(i) * 8;
    } else expectArgs(x, e, 0);
    const dst = x.b.value("i64");
    x.b.emit({ op: "load", dst, base: x.ctx, offset, width: 8 });
    return { k: "int", v: dst, t: INT_TYPES.u64 };
  }
  x.r.fail("TSBPF1033", e.expression, e.expression.getText());
}

/**
 * p = data + off; if (p + sizeof(T) > data_end) null else p — the compare the verifier needs. A
 * variable offset is first compared with 0xffff - sizeof(T) so the verifier knows its bounds (it
 * rejects packet pointer arithmetic with unbounded registers, and grants no checked range when the
 * pointer's maximum offset plus sizeof(T) could pass 0xffff); such huge offsets give null, as a short
 * packet would.
 */
function packetHeader(x: ExprLowerer, e: ts.CallExpression): Val {
  const t = typeArg(x, e);
  expectArgs(x, e, 1);
  const size = BigInt(sizeOf(t));
  const c = constEval(e.arguments[0], x.checker);
  if (size > 0xffffn || (c !== undefined && (c < 0n || c + size > 0xffffn)))
    x.r.fail("TSBPF2020", e.arguments[0], c === undefined ? e.arguments[0].getText() : String(c));
  // A negative offset is out of range either way, so a 32-bit offset is widened as unsigned (free:
  // it is already zero-extended in its register) and caught by the same > 0xffff test.
  const offVal = c === undefined ? x.int(e.arguments[0]) : undefined;
  const off =
    offVal === undefined ? undefined : convert(x.b, offVal.t.size <= 4 ? convert(x.b, offVal, INT_TYPES.u32) : offVal, INT_TYPES.u64).v;
  const [data, end] = x.packetBounds();
  return nullableJoin(
    x,
    (ok, bad) => {
      if (off !== undefined) {
        const inRange = x.b.newBlock();
        x.branch("ugt", 64, off, { imm: 0xffffn - size }, bad, inRange);
        x.b.seal(inRange);
        x.b.switchTo(inRange);
      }
      let p = data;
      if (c !== 0n) {
        p = x.b.value("ptr");
        x.b.emit({ op: "ptradd", dst: p, base: data, offset: off ?? { imm: c! } });
      }
      const q = x.b.value("ptr");
      x.b.emit({ op: "ptradd", dst: q, base: p, offset: { imm: size } });
      x.b.terminate({ op: "cbr", cond: "ugt", width: 64, a: q, b: end, then: bad, else: ok });
      return p;
    },
    t,
    "packet",
  );
}

/** bpf_skb_load_bytes_relative into a stack copy; null when the packet is too short. */
function skbLoad(x: ExprLowerer, e: ts.CallExpression): Val {
  const t = typeArg(x, e);
  if (e.arguments.length < 1 || e.arguments.length > 2) x.r.fail("TSBPF1035", e);
  const off = convert(x.b, x.int(e.arguments[0]), INT_TYPES.u32);
  const start = e.arguments[1] ? convert(x.b, x.int(e.arguments[1]), INT_TYPES.u32).v : { imm: 1n };
  const size = sizeOf(t);
  return filledSlot(x, size, t, (buf) => {
    const rc = x.b.value("i64");
    x.b.emit({ op: "call", helper: HELPER.skb_load_bytes_relative, args: [x.ctx, off.v, buf, { imm: BigInt(size) }, start], dst: rc });
    return rc;
  });
}
