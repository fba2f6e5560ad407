// BPF timers (struct bpf_timer in a map value): timerInit, timerSetCallback, timerStart and
// timerCancel, with the verifier's rules as compile-time errors. A timer argument must be the
// BpfTimer field of a map value (TSBPF2120); tracing programs cannot use maps with timers
// (TSBPF2123); the callback is a module-level function (map, key, value) compiled as a static
// subprogram, passed by address like loop()'s body (ld_imm64 BPF_PSEUDO_FUNC), which must return 0
// (TSBPF2121, TSBPF2122). The kernel runs the callback later, in softirq context, with r1 the map,
// r2 a pointer to the key and r3 a pointer to the value.

import { INT_TYPES, type CInt } from "../../common/ctypes.js";
import { constEval } from "./const-eval.js";
import { expectArgs } from "./call-utils.js";
import { convert } from "./int-ops.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import { registerSubprogram, type ParamShape } from "./subprograms.js";
import { hasTimer, TIMER_MAP_TYPES } from "./timer-types.js";
import { ts } from "./ts-adapter.js";
import type { RefVal, Val } from "./values.js";

/** Program types refused a map holding a bpf_timer (verifier.c, check_map_prog_compatibility). */
const NO_TIMERS = new Set(["KPROBE", "TRACEPOINT", "PERF_EVENT", "RAW_TRACEPOINT", "RAW_TRACEPOINT_WRITABLE"]);

/** The first argument: the BpfTimer field of a map value, by address. */
function timerArg(x: ExprLowerer, e: ts.CallExpression, name: string): RefVal {
  if (x.kind.type && NO_TIMERS.has(x.kind.type)) x.r.fail("TSBPF2123", e.expression, x.kind.wrapper);
  const node = e.arguments[0];
  const v = x.lower(node);
  if (v.k !== "ref" || v.t.kind !== "struct" || v.t.name !== "bpf_timer" || v.region !== "map") x.r.fail("TSBPF2120", node, name);
  return v;
}

function constArg(x: ExprLowerer, node: ts.Expression | undefined, def: bigint): bigint {
  if (!node) return def;
  const c = constEval(node, x.checker);
  if (c === undefined) x.r.fail("TSBPF2013", node, "this argument");
  return c;
}

function call(x: ExprLowerer, id: number, args: import("../ir/ir.js").Operand[]): Val {
  const dst = x.b.value("i64");
  x.b.emit({ op: "call", helper: id, args, dst });
  return { k: "int", v: dst, t: INT_TYPES.i64 };
}

/** timerInit(v.timer, map, clock): bpf_timer_init; the map must be the one the value came from. */
export function timerInit(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  if (e.arguments.length < 2 || e.arguments.length > 3) x.r.fail("TSBPF1035", e);
  const timer = timerArg(x, e, "timerInit");
  const m = x.lower(e.arguments[1]);
  if (m.k !== "map") x.r.fail("TSBPF2015", e.arguments[1]);
  if (!TIMER_MAP_TYPES.has(m.map.kind.type)) x.r.fail("TSBPF2124", e.arguments[1], m.map.kind.cls ?? m.map.kind.name);
  // tsc holds the clock to TimerClock's members (the ones bpf_timer_init accepts).
  const clock = constArg(x, e.arguments[2], 1n);
  const p = x.b.value("ptr");
  x.b.emit({ op: "mapaddr", dst: p, map: m.map.def.name });
  return call(x, id, [x.addOff(timer), p, { imm: clock }]);
}

/** timerSetCallback(v.timer, fn): `fn` becomes a static subprogram passed by address. */
export function timerSetCallback(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  expectArgs(x, e, 2);
  const timer = timerArg(x, e, "timerSetCallback");
  const fnArg = e.arguments[1];
  const sym = ts.isIdentifier(fnArg) ? x.symbolOf(fnArg) : undefined;
  const decl = sym?.valueDeclaration;
  if (!decl || !ts.isFunctionDeclaration(decl) || !decl.name || !decl.body || decl.getSourceFile().isDeclarationFile)
    x.r.fail("TSBPF2121", fnArg);
  const shapes = timerCallbackShapes(x, decl);
  registerSubprogram(x, decl, shapes);
  const info = x.mod.subprograms.get(decl)!;
  info.timerCallback = true;
  const fn = x.b.value("ptr");
  x.b.emit({ op: "funcaddr", dst: fn, func: decl.name.text });
  return call(x, id, [x.addOff(timer), fn]);
}

/** timerStart(v.timer, ns, flags): bpf_timer_start (flags: TimerFlags.ABS, TimerFlags.CPU_PIN). */
export function timerStart(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  if (e.arguments.length < 2 || e.arguments.length > 3) x.r.fail("TSBPF1035", e);
  const timer = timerArg(x, e, "timerStart");
  const ns = convert(x.b, x.int(e.arguments[1]), INT_TYPES.u64);
  const flags = constArg(x, e.arguments[2], 0n);
  return call(x, id, [x.addOff(timer), ns.v, { imm: flags }]);
}

/** timerCancel(v.timer): bpf_timer_cancel. */
export function timerCancel(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  expectArgs(x, e, 1);
  const timer = timerArg(x, e, "timerCancel");
  return call(x, id, [x.addOff(timer)]);
}

/** A timer callback's result: i32 when it returns 0, undefined when void (it returns 0 anyway). */
export function timerCallbackRet(x: ExprLowerer, decl: ts.FunctionDeclaration): CInt | undefined {
  const ret = x.checker.getReturnTypeOfSignature(x.checker.getSignatureFromDeclaration(decl)!);
  return ret.flags & ts.TypeFlags.Void ? undefined : INT_TYPES.i32;
}

/**
 * A timer callback's parameters: (map, key, value) as the kernel passes them. The map is opaque
 * (the body names the module-level map instead); an integer key is read once on entry; the value is
 * a reference into the map (so the callback may update it and re-arm its timer).
 */
export function timerCallbackShapes(x: ExprLowerer, decl: ts.FunctionDeclaration): ParamShape[] {
  const ps = decl.parameters;
  if (ps.length > 3) x.r.fail("TSBPF2121", decl.name ?? decl);
  const sig = x.checker.getSignatureFromDeclaration(decl)!;
  const ret = x.checker.getReturnTypeOfSignature(sig);
  const zero = ret.isNumberLiteral() && ret.value === 0;
  if (!(ret.flags & ts.TypeFlags.Void) && !zero) x.r.fail("TSBPF2122", decl.type ?? decl.name ?? decl, decl.name?.text ?? "callback");
  // Trailing parameters may be left out (the kernel passes all three either way).
  const shapes: ParamShape[] = [{ kind: "opaque" }];
  if (ps.length > 1) {
    const keyTs = x.checker.getTypeAtLocation(ps[1].name);
    const keyInt = x.types.intOf(keyTs);
    const keyMem = keyInt ? undefined : x.types.memType(keyTs);
    if (!keyInt && (!keyMem || keyMem.kind === "int")) x.r.fail("TSBPF2121", ps[1]);
    shapes.push(keyInt ? { kind: "deref", t: keyInt } : { kind: "ref", t: keyMem! });
  }
  if (ps.length > 2) {
    const val = x.types.memType(x.checker.getTypeAtLocation(ps[2].name));
    if (val?.kind !== "struct" || !hasTimer(val)) x.r.fail("TSBPF2121", ps[2]);
    shapes.push({ kind: "ref", t: val, region: "map" });
  }
  return shapes.slice(0, ps.length);
}
