// What an expression lowers to. Integers are IR operands with a C type; memory (struct values in
// maps, packets, the stack) is a reference: a pointer value plus a constant offset and the type
// found there. `nullable` is a pointer that may be 0 (a lookup or header result before its check).

import type { CInt, CType } from "../../common/ctypes.js";
import type { Operand, Value } from "../ir/ir.js";
import type { IntVal } from "./int-ops.js";
import type { MapInfo } from "./module-scan.js";

export interface RefVal {
  k: "ref";
  base: Value;
  off: number;
  t: CType;
  /** Where the memory is: decides whether writes are allowed and how copies are made. */
  /** "param": a subprogram's pointer parameter, whose memory is known only at each call site. */
  /** "kernel": kernel memory read with bpf_probe_read_kernel; "btf": a trusted BTF pointer read
   *  with direct loads (tp_btf/fentry/LSM arguments, getCurrentTask()); both via lower-kernel.ts. */
  region: "map" | "packet" | "stack" | "ctx" | "global" | "rodata" | "param" | "kernel" | "btf";
}

export interface NullableVal {
  k: "nullable";
  ptr: Operand;
  t: CType;
  region: RefVal["region"];
}

export interface CtxVal {
  k: "ctx";
  v: Value;
}

export interface MapVal {
  k: "map";
  map: MapInfo;
}

export type Val = IntVal | RefVal | NullableVal | CtxVal | MapVal;

/** How a local variable is kept: an SSA variable (int or pointer), or a struct on the stack. */
export type LocalInfo =
  | { kind: "int"; t: CInt; mutable: boolean }
  | { kind: "ptr"; t: CType; nullable: boolean; region: RefVal["region"]; mutable: boolean }
  | { kind: "ctx" }
  | { kind: "stack"; t: CType; slot: number };
