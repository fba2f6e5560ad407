// Map methods in BPF code: lookup/update/delete through stack copies of keys and values, and
// event output to ring and perf buffers.

import { INT_TYPES, sizeOf, type CType } from "../../common/ctypes.js";
import { MAP_HELPER as HELPER } from "../../common/map-kinds.js";
import type { Operand, Value } from "../ir/ir.js";
import { expectArgs, filledSlot, nullableJoin, typeArg } from "./call-utils.js";
import { noteReserve, noteSocketRef } from "./check-reservations.js";
import { convert } from "./int-ops.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import type { MapInfo } from "./module-scan.js";
import { ts } from "./ts-adapter.js";
import type { NullableVal, RefVal, Val } from "./values.js";

/**
 * Puts a key, value or event on the stack (helpers take pointers) and returns its address. A struct
 * already on the stack is passed in place. Temporary slots are recorded in `temps` so the caller can
 * release them once the helper call is emitted.
 */
export function spill(x: ExprLowerer, t: CType, e: ts.Expression, temps: number[]): Value {
  const v = ts.isObjectLiteralExpression(e) ? undefined : x.lower(e);
  if (v && v.k === "ref" && v.region === "stack" && sizeOf(v.t) === sizeOf(t)) return x.addOff(v);
  const size = sizeOf(t);
  const slot = x.acquireTemp(size);
  temps.push(slot);
  const addr = x.b.value("ptr");
  x.b.emit({ op: "stackaddr", dst: addr, slot });
  const dst: RefVal = { k: "ref", base: addr, off: 0, t, region: "stack" };
  if (t.kind === "int") {
    x.store(dst, t, x.asInt(v!, e));
  } else if (v) {
    if (v.k !== "ref" || sizeOf(v.t) !== size) x.r.fail("TSBPF1015", e);
    x.copy(dst, v, size);
  } else {
    x.writeObject(dst, t, e as ts.ObjectLiteralExpression);
  }
  return addr;
}

/** struct bpf_sock as a socket reference reads it (include/uapi/linux/bpf.h). */
export const BPF_SOCK: CType = {
  kind: "struct",
  name: "bpf_sock",
  size: 80,
  align: 4,
  fields: [
    ["bound_dev_if", 0],
    ["family", 4],
    ["type", 8],
    ["protocol", 12],
    ["mark", 16],
    ["priority", 20],
    ["src_ip4", 24],
    ["src_port", 44],
    ["dst_ip4", 52],
    ["state", 72],
  ].map(([name, offset]) => ({ name: name as string, offset: offset as number, type: INT_TYPES.u32 })),
};

export function mapMethod(x: ExprLowerer, m: MapInfo, method: string, e: ts.CallExpression): Val {
  const mapPtr = () => {
    const dst = x.b.value("ptr");
    x.b.emit({ op: "mapaddr", dst, map: m.def.name });
    return dst;
  };
  const args = e.arguments;
  const temps: number[] = [];
  const call = (helper: number, argv: Operand[], ty: "ptr" | "i64") => {
    const dst = x.b.value(ty);
    x.b.emit({ op: "call", helper, args: argv, dst });
    x.releaseTemps(temps);
    return dst;
  };
  // The map kind's row says which helper each method is; the switch says how its arguments go.
  const helper = (m.kind.methods as Record<string, number | undefined>)[method];
  switch (helper) {
    case HELPER.ringbuf_output: {
      expectArgs(x, e, 1);
      const data = spill(x, m.value, args[0], temps);
      const dst = call(HELPER.ringbuf_output, [mapPtr(), data, { imm: BigInt(sizeOf(m.value)) }, { imm: 0n }], "i64");
      return { k: "int", v: dst, t: INT_TYPES.i64 };
    }
    case HELPER.ringbuf_reserve: {
      // A record of the event type (or the type argument) written in place; checkReservations
      // makes sure every non-null path submits or discards it.
      expectArgs(x, e, 0);
      const t = e.typeArguments?.length ? typeArg(x, e) : m.value;
      const dst = x.b.value("ptr");
      const inst = { op: "call" as const, helper: HELPER.ringbuf_reserve, args: [mapPtr(), { imm: BigInt(sizeOf(t)) }, { imm: 0n }], dst };
      x.b.emit(inst);
      noteReserve(inst, e);
      return { k: "nullable", ptr: dst, t, region: "map" } satisfies NullableVal;
    }
    case HELPER.ringbuf_submit:
    case HELPER.ringbuf_discard: {
      if (args.length < 1 || args.length > 2) x.r.fail("TSBPF1035", e);
      const rec = x.lower(args[0]);
      if (rec.k !== "ref" || rec.off !== 0 || rec.region !== "map") x.r.fail("TSBPF2104", args[0], `${method}()`);
      const flags = args[1] ? convert(x.b, x.int(args[1]), INT_TYPES.u64).v : { imm: 0n };
      x.b.emit({ op: "call", helper, args: [rec.base, flags] });
      return { k: "int", v: { imm: 0n }, t: INT_TYPES.i32 };
    }
    case HELPER.perf_event_output: {
      expectArgs(x, e, 2);
      const ctx = x.lower(args[0]);
      if (ctx.k !== "ctx" && !(ctx.k === "ref" && ctx.region === "ctx")) x.r.fail("TSBPF2015", args[0]);
      const data = spill(x, m.value, args[1], temps);
      const BPF_F_CURRENT_CPU = 0xffffffffn;
      const dst = call(
        HELPER.perf_event_output,
        [x.ctx, mapPtr(), { imm: BPF_F_CURRENT_CPU }, data, { imm: BigInt(sizeOf(m.value)) }],
        "i64",
      );
      return { k: "int", v: dst, t: INT_TYPES.i64 };
    }
    case HELPER.tail_call: {
      // bpf_tail_call(ctx, map, index) does not return when the slot holds a program; when it is
      // empty (or the tail-call limit is reached) it returns a negative errno and the caller goes on.
      expectArgs(x, e, 2);
      const ctx = x.lower(args[0]);
      if (ctx.k !== "ctx") x.r.fail("TSBPF2015", args[0]);
      const index = convert(x.b, x.int(args[1]), INT_TYPES.u32).v;
      const dst = call(HELPER.tail_call, [x.ctx, mapPtr(), index], "i64");
      return { k: "int", v: dst, t: INT_TYPES.i64 };
    }
    case HELPER.redirect_map: {
      // bpf_redirect_map(map, key, flags): XDP_REDIRECT, or the action in flags' low bits when the
      // slot is empty (Linux 5.6+; older kernels return XDP_ABORTED).
      if (args.length < 1 || args.length > 2) x.r.fail("TSBPF1035", e);
      const key = convert(x.b, x.int(args[0]), INT_TYPES.u64).v;
      const flags = args[1] ? convert(x.b, x.int(args[1]), INT_TYPES.u64).v : { imm: 0n };
      const dst = call(HELPER.redirect_map, [mapPtr(), key, flags], "i64");
      return { k: "int", v: dst, t: INT_TYPES.i64 };
    }
    case HELPER.map_push_elem: {
      // Queue/stack: flags BPF_EXIST (UpdateFlags.EXIST) overwrites the oldest value when full.
      if (args.length < 1 || args.length > 2) x.r.fail("TSBPF1035", e);
      const value = spill(x, m.value, args[0], temps);
      const flags = args[1] ? convert(x.b, x.int(args[1]), INT_TYPES.u64).v : { imm: 0n };
      const dst = call(HELPER.map_push_elem, [mapPtr(), value, flags], "i64");
      return { k: "int", v: dst, t: INT_TYPES.i64 };
    }
    case HELPER.map_pop_elem:
    case HELPER.map_peek_elem: {
      if (method === "has") {
        // Bloom filter: peek with the value as input; 0 means "maybe present", -ENOENT "absent".
        expectArgs(x, e, 1);
        const value = spill(x, m.value, args[0], temps);
        const rc = call(HELPER.map_peek_elem, [mapPtr(), value], "i64");
        const dst = x.b.diamond(
          "i32",
          (t, f) => x.b.terminate({ op: "cbr", cond: "eq", width: 64, a: rc, b: { imm: 0n }, then: t, else: f }),
          () => ({ imm: 1n }),
          () => ({ imm: 0n }),
        );
        return { k: "int", v: dst, t: INT_TYPES.bool };
      }
      // Queue/stack: the value is copied into a stack slot of its own, valid after the call.
      expectArgs(x, e, 0);
      return filledSlot(x, Math.ceil(sizeOf(m.value) / 8) * 8, m.valueRef, (buf) => call(helper, [mapPtr(), buf], "i64"));
    }
    case HELPER.get_stackid: {
      // bpf_get_stackid(ctx, map, flags): the id under which the current kernel (or, with
      // StackFlags.USER_STACK, user) stack is stored, or a negative errno.
      if (args.length < 1 || args.length > 2) x.r.fail("TSBPF1035", e);
      const ctx = x.lower(args[0]);
      if (ctx.k !== "ctx" && !(ctx.k === "ref" && ctx.region === "ctx")) x.r.fail("TSBPF2015", args[0]);
      const flags = args[1] ? convert(x.b, x.int(args[1]), INT_TYPES.u64).v : { imm: 0n };
      const dst = call(HELPER.get_stackid, [x.ctx, mapPtr(), flags], "i64");
      return { k: "int", v: dst, t: INT_TYPES.i64 };
    }
    case HELPER.map_lookup_elem: {
      if (method === "lookupIn") return lookupIn(x, m, e, mapPtr, temps);
      expectArgs(x, e, 1);
      const key = spill(x, m.key, args[0], temps);
      if (m.kind.socketValue) {
        // A socket map's lookup returns a referenced socket (struct bpf_sock), which must be
        // released with skRelease on every path (check-reservations.ts).
        const dst = x.b.value("ptr");
        const inst = { op: "call" as const, helper: HELPER.map_lookup_elem, args: [mapPtr(), key], dst };
        x.b.emit(inst);
        x.releaseTemps(temps);
        noteSocketRef(inst, e);
        return { k: "nullable", ptr: dst, t: BPF_SOCK, region: "map" } satisfies NullableVal;
      }
      const dst = call(HELPER.map_lookup_elem, [mapPtr(), key], "ptr");
      return { k: "nullable", ptr: dst, t: m.valueRef, region: "map" } satisfies NullableVal;
    }
    case HELPER.map_update_elem: {
      if (method === "updateIn") return updateIn(x, m, e, mapPtr, temps);
      if (args.length < 2 || args.length > 3) x.r.fail("TSBPF1035", e);
      const key = spill(x, m.key, args[0], temps);
      const value = spill(x, m.value, args[1], temps);
      const flags = args[2] ? convert(x.b, x.int(args[2]), INT_TYPES.u64).v : { imm: 0n };
      const dst = call(HELPER.map_update_elem, [mapPtr(), key, value, flags], "i64");
      return { k: "int", v: dst, t: INT_TYPES.i64 };
    }
    case HELPER.map_delete_elem: {
      expectArgs(x, e, 1);
      const key = spill(x, m.key, args[0], temps);
      const dst = call(HELPER.map_delete_elem, [mapPtr(), key], "i64");
      return { k: "int", v: dst, t: INT_TYPES.i64 };
    }
  }
  x.r.fail("TSBPF1033", e.expression, e.expression.getText());
}

/** The inner map in slot `index` of a map of maps: a map pointer, 0 when the slot is empty. */
function innerMap(x: ExprLowerer, _m: MapInfo, index: ts.Expression, outer: () => Value, temps: number[]): Value {
  const key = spill(x, INT_TYPES.u32, index, temps);
  const dst = x.b.value("ptr");
  x.b.emit({ op: "call", helper: HELPER.map_lookup_elem, args: [outer(), key], dst });
  x.releaseTemps(temps);
  return dst;
}

/** `outer.lookupIn(index, key)`: the inner map's value for `key`, or null (no inner map or no key). */
function lookupIn(x: ExprLowerer, m: MapInfo, e: ts.CallExpression, outer: () => Value, temps: number[]): Val {
  expectArgs(x, e, 2);
  const inner = m.inner!;
  return nullableJoin(
    x,
    (ok, bad) => {
      const map = innerMap(x, m, e.arguments[0], outer, temps);
      const found = x.b.newBlock();
      x.b.terminate({ op: "cbr", cond: "eq", width: 64, a: map, b: { imm: 0n }, then: bad, else: found });
      x.b.seal(found);
      x.b.switchTo(found);
      const key = spill(x, inner.key, e.arguments[1], temps);
      const v = x.b.value("ptr");
      x.b.emit({ op: "call", helper: HELPER.map_lookup_elem, args: [map, key], dst: v });
      x.releaseTemps(temps);
      x.b.terminate({ op: "cbr", cond: "eq", width: 64, a: v, b: { imm: 0n }, then: bad, else: ok });
      return v;
    },
    inner.valueRef,
    "map",
  );
}

/** `outer.updateIn(index, key, value, flags?)`: 0, a negative errno, or -ENOENT (-2) when the slot is empty. */
function updateIn(x: ExprLowerer, m: MapInfo, e: ts.CallExpression, outer: () => Value, temps: number[]): Val {
  const args = e.arguments;
  if (args.length < 3 || args.length > 4) x.r.fail("TSBPF1035", e);
  const inner = m.inner!;
  let result: Value | undefined;
  const dst = x.b.diamond(
    "i64",
    (t, f) => {
      const map = innerMap(x, m, args[0], outer, temps);
      const found = x.b.newBlock();
      x.b.terminate({ op: "cbr", cond: "eq", width: 64, a: map, b: { imm: 0n }, then: f, else: found });
      x.b.seal(found);
      x.b.switchTo(found);
      const key = spill(x, inner.key, args[1], temps);
      const value = spill(x, inner.value, args[2], temps);
      const flags = args[3] ? convert(x.b, x.int(args[3]), INT_TYPES.u64).v : { imm: 0n };
      const rc = x.b.value("i64");
      x.b.emit({ op: "call", helper: HELPER.map_update_elem, args: [map, key, value, flags], dst: rc });
      x.releaseTemps(temps);
      result = rc;
      x.b.jump(t);
    },
    () => result!,
    () => ({ imm: -2n }),
  );
  return { k: "int", v: dst, t: INT_TYPES.i64 };
}
