// bpf_sk_lookup_tcp / bpf_sk_lookup_udp: `skLookupTcp(ctx, tuple, netns?, flags?)` finds the socket
// a packet with the given 4-tuple would reach and returns a referenced socket (struct bpf_sock), the
// same reference a SockMap/SockHash lookup gives: null-checked, then released with skRelease on
// every path (check-reservations.ts, TSBPF2113), and accepted by skAssign.

import { INT_TYPES, sizeOf } from "../../common/ctypes.js";
import type { Operand } from "../ir/ir.js";
import { noteSocketRef } from "./check-reservations.js";
import type { ExprContext as ExprLowerer } from "./expr-context.js";
import { convert } from "./int-ops.js";
import { BPF_SOCK } from "./lower-map.js";
import type { ts } from "./ts-adapter.js";
import type { NullableVal, Val } from "./values.js";

/** struct bpf_sock_tuple sizes: the ipv4 half (12 bytes) or the ipv6 half (36 bytes). */
const TUPLE_SIZES = new Set([12, 36]);

/** BPF_F_CURRENT_NETNS: (-1L) in the helper's u64 netns argument (any negative s32 means "the caller's"). */
const CURRENT_NETNS = -1n;

export function lowerSkLookup(x: ExprLowerer, e: ts.CallExpression, id: number): Val {
  const args = e.arguments;
  if (args.length < 2 || args.length > 4) x.r.fail("TSBPF1035", e);
  if (!x.kind.type) x.r.fail("TSBPF2157", e.expression, e.expression.getText());
  if (x.lower(args[0]!).k !== "ctx") x.r.fail("TSBPF2015", args[0]!);
  // The tuple is read-only memory for the helper (ARG_PTR_TO_MEM | MEM_RDONLY): a local, a map
  // value, a global or packet bytes, passed in place with its size.
  const t = x.lower(args[1]!);
  if (t.k !== "ref" || t.region === "ctx" || !TUPLE_SIZES.has(sizeOf(t.t))) x.r.fail("TSBPF2015", args[1]!);
  const netns: Operand = args[2] ? convert(x.b, x.int(args[2]), INT_TYPES.u64).v : { imm: CURRENT_NETNS };
  const flags: Operand = args[3] ? convert(x.b, x.int(args[3]), INT_TYPES.u64).v : { imm: 0n };
  const dst = x.b.value("ptr");
  const inst = { op: "call" as const, helper: id, args: [x.ctx, x.addOff(t), { imm: BigInt(sizeOf(t.t)) }, netns, flags], dst };
  x.b.emit(inst);
  noteSocketRef(inst, e);
  return { k: "nullable", ptr: dst, t: BPF_SOCK, region: "map" } satisfies NullableVal;
}
