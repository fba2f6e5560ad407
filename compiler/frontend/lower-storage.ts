// Local storage (socket, task, inode, cgroup): `xStorageGet(map, owner, init?, flags?)` returns the
// owner's value in the map (created with StorageFlags.CREATE), or null; `xStorageDelete(map, owner)`
// removes it. The owner is what the kernel's helper takes: a socket (the program's context stands
// for its socket: the `sk` field, or the context itself for cgroup sock programs), or a trusted
// kernel pointer (getCurrentTask() for tasks).

import { INT_TYPES } from "../../common/ctypes.js";
import type { ProgTypeName } from "../../common/program-types.js";
import type { Operand, Value } from "../ir/ir.js";
import { nullableJoin } from "./call-utils.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import { convert } from "./int-ops.js";
import { spill } from "./lower-map.js";
import type { MapInfo } from "./module-scan.js";
import { ts } from "./ts-adapter.js";
import type { Val } from "./values.js";

/**
 * Where a program's context keeps its socket (`__bpf_md_ptr(struct bpf_sock *, sk)` in the uapi
 * structs), or "ctx" when the context is the socket itself (struct bpf_sock of cgroup sock programs).
 */
const SOCKET_OF_CTX: Partial<Record<ProgTypeName, number | "ctx">> = {
  CGROUP_SKB: 168, // struct __sk_buff
  SCHED_CLS: 168,
  SCHED_ACT: 168,
  SOCK_OPS: 184, // struct bpf_sock_ops
  CGROUP_SOCK_ADDR: 64, // struct bpf_sock_addr
  SK_MSG: 72, // struct sk_msg_md
  CGROUP_SOCK: "ctx",
};

export type StorageOwner = "socket" | "task" | "cgroup" | "inode";

/** The map argument: a module-level map of `mapType`, else TSBPF2110 naming the class wanted. */
function storageMap(x: ExprLowerer, e: ts.CallExpression, mapType: number, cls: string): MapInfo {
  const node = e.arguments[0];
  const v = node ? x.lower(node) : undefined;
  if (v?.k !== "map" || v.map.def.type !== mapType) x.r.fail("TSBPF2110", node ?? e, cls);
  return v.map;
}

/**
 * The owner pointer and whether it may be null (a context's `sk` may be). Sockets come from the
 * context; tasks, cgroups and inodes from trusted BTF pointers (getCurrentTask(), typed arguments).
 */
function ownerPointer(x: ExprLowerer, node: ts.Expression, owner: StorageOwner): { ptr: Value; nullable: boolean } {
  const v = x.lower(node);
  if (owner === "socket") {
    const at = x.kind.type ? SOCKET_OF_CTX[x.kind.type] : undefined;
    if (v.k !== "ctx" || at === undefined) x.r.fail("TSBPF2111", node, x.kind.wrapper || "this function");
    if (at === "ctx") return { ptr: x.ctx, nullable: false };
    const dst = x.b.value("ptr");
    x.b.emit({ op: "load", dst, base: x.ctx, offset: at, width: 8 });
    return { ptr: dst, nullable: true };
  }
  if (v.k === "ref" && v.region === "btf" && v.off === 0) return { ptr: v.base, nullable: false };
  x.r.fail("TSBPF2112", node, owner);
}

/** `get(map, owner, init?, flags?)`: the owner's value, or null (no owner, or not there and no CREATE). */
export function storageGet(x: ExprLowerer, e: ts.CallExpression, id: number, mapType: number, cls: string, owner: StorageOwner): Val {
  const args = e.arguments;
  if (args.length < 2 || args.length > 4) x.r.fail("TSBPF1035", e);
  const m = storageMap(x, e, mapType, cls);
  const temps: number[] = [];
  return nullableJoin(
    x,
    (ok, bad) => {
      const o = ownerPointer(x, args[1]!, owner);
      if (o.nullable) {
        const has = x.b.newBlock();
        x.b.terminate({ op: "cbr", cond: "eq", width: 64, a: o.ptr, b: { imm: 0n }, then: bad, else: has });
        x.b.seal(has);
        x.b.switchTo(has);
      }
      const initNode = args[2];
      const isNull = !initNode || initNode.kind === ts.SyntaxKind.NullKeyword;
      const init: Operand = isNull ? { imm: 0n } : spill(x, m.value, initNode, temps);
      const flags = args[3] ? convert(x.b, x.int(args[3]), INT_TYPES.u64).v : { imm: 0n };
      const mapPtr = x.b.value("ptr");
      x.b.emit({ op: "mapaddr", dst: mapPtr, map: m.def.name });
      const dst = x.b.value("ptr");
      x.b.emit({ op: "call", helper: id, args: [mapPtr, o.ptr, init, flags], dst });
      x.releaseTemps(temps);
      x.b.terminate({ op: "cbr", cond: "eq", width: 64, a: dst, b: { imm: 0n }, then: bad, else: ok });
      return dst;
    },
    m.valueRef,
    "map",
  );
}

/** `delete(map, owner)`: 0, -ENOENT when the owner has no value (or, for a socket, no socket). */
export function storageDelete(x: ExprLowerer, e: ts.CallExpression, id: number, mapType: number, cls: string, owner: StorageOwner): Val {
  if (e.arguments.length !== 2) x.r.fail("TSBPF1035", e);
  const m = storageMap(x, e, mapType, cls);
  let rc: Value | undefined;
  const dst = x.b.diamond(
    "i64",
    (t, f) => {
      const o = ownerPointer(x, e.arguments[1]!, owner);
      if (o.nullable) {
        const has = x.b.newBlock();
        x.b.terminate({ op: "cbr", cond: "eq", width: 64, a: o.ptr, b: { imm: 0n }, then: f, else: has });
        x.b.seal(has);
        x.b.switchTo(has);
      }
      const mapPtr = x.b.value("ptr");
      x.b.emit({ op: "mapaddr", dst: mapPtr, map: m.def.name });
      rc = x.b.value("i64");
      x.b.emit({ op: "call", helper: id, args: [mapPtr, o.ptr], dst: rc });
      x.b.jump(t);
    },
    () => rc!,
    () => ({ imm: -2n }),
  );
  return { k: "int", v: dst, t: INT_TYPES.i64 };
}

/**
 * `getLocalStorage(map)` (bpf_get_local_storage): the value of the cgroup the running program is
 * attached to (this CPU's copy for PerCpuCgroupStorage). Never null: the kernel allocates it when
 * the program is attached.
 */
export function cgroupStorageGet(x: ExprLowerer, e: ts.CallExpression, id: number, mapTypes: readonly number[]): Val {
  if (e.arguments.length !== 1) x.r.fail("TSBPF1035", e);
  const v = x.lower(e.arguments[0]!);
  if (v.k !== "map" || !mapTypes.includes(v.map.def.type)) x.r.fail("TSBPF2110", e.arguments[0]!, "CgroupStorage or PerCpuCgroupStorage");
  const mapPtr = x.b.value("ptr");
  x.b.emit({ op: "mapaddr", dst: mapPtr, map: v.map.def.name });
  const dst = x.b.value("ptr");
  x.b.emit({ op: "call", helper: id, args: [mapPtr, { imm: 0n }], dst });
  return { k: "ref", base: dst, off: 0, t: v.map.valueRef, region: "map" };
}
