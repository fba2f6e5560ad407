// The verifier's reference tracking for ring-buffer records, as a compile-time rule: a record
// returned by `events.reserve()` (bpf_ringbuf_reserve) must, on every path on which it is not null,
// reach `submit` or `discard` (bpf_ringbuf_submit/discard) before the program returns, or the kernel
// refuses the program with "Unreleased reference". This runs on a function's IR right after
// lowering: for each reserve call it walks the CFG from the call while the record is held, stopping
// at a release of the record and on the null edge of a null test; reaching a return (or the same
// reserve again, around a loop) is a leak, reported at the reserve with the path's source lines.
// Socket references from a SockMap/SockHash lookup (released with bpf_sk_release) follow the same
// rule (TSBPF2113).

import { MAP_HELPER } from "../../common/map-kinds.js";
import { isValue, successors, type Block, type Func, type Inst, type Terminator } from "../ir/ir.js";
import { HELPER } from "./helper-ids.js";
import type { Reporter } from "./reporter.js";
import type { ts } from "./ts-adapter.js";

/** A call that acquires a reference: its source node, the helpers that release it, the code to report. */
interface Acquire {
  node: ts.Node;
  release: ReadonlySet<number>;
  code: "TSBPF2103" | "TSBPF2113";
}

/** Acquiring calls made by the map lowering (reserve, socket lookups), for the check and the report. */
const acquireSites = new WeakMap<Inst, Acquire>();

const RELEASE = new Set<number>([MAP_HELPER.ringbuf_submit, MAP_HELPER.ringbuf_discard]);
const SK_RELEASE = new Set<number>([HELPER.sk_release]);

export function noteReserve(call: Inst, node: ts.Node): void {
  acquireSites.set(call, { node, release: RELEASE, code: "TSBPF2103" });
}

/** A SockMap/SockHash lookup: the socket it returns must reach skRelease on every non-null path. */
export function noteSocketRef(call: Inst, node: ts.Node): void {
  acquireSites.set(call, { node, release: SK_RELEASE, code: "TSBPF2113" });
}

/** Reports TSBPF2103 for every reservation some path leaves held. Returns false if it reported. */
export function checkReservations(f: Func, r: Reporter): boolean {
  let ok = true;
  const byId = new Map<number, Block>(f.blocks.map((b) => [b.id, b]));
  for (const b of f.blocks) {
    b.insts.forEach((inst, i) => {
      if (inst.op !== "call" || !inst.dst) return;
      const site = acquireSites.get(inst);
      if (!site) return;
      const path = leakPath(f, byId, b, i, aliases(f, inst.dst.id), site.release);
      if (path) {
        r.report(site.code, site.node, path);
        ok = false;
      }
    });
  }
  return ok;
}

/** The value ids that carry the record: the call's result and its copies, offsets and phis. */
function aliases(f: Func, root: number): Set<number> {
  const set = new Set([root]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of f.blocks) {
      for (const p of b.phis) {
        if (!set.has(p.dst.id) && p.incoming.some((x) => isValue(x.value) && set.has(x.value.id))) changed = set.add(p.dst.id).size > 0;
      }
      for (const i of b.insts) {
        if (i.op !== "copy" && i.op !== "ptradd") continue;
        const from = i.op === "copy" ? i.a : i.base;
        if (isValue(from) && set.has(from.id) && !set.has(i.dst.id)) changed = set.add(i.dst.id).size > 0;
      }
    }
  }
  return set;
}

/** Successors on which the record is still held: a null test's null edge drops it. */
function heldSuccessors(t: Terminator, held: Set<number>): number[] {
  if (t.op === "cbr" && held.has(t.a.id) && !isValue(t.b) && t.b.imm === 0n && (t.cond === "eq" || t.cond === "ne")) {
    return [t.cond === "eq" ? t.else : t.then];
  }
  return successors(t);
}

/** A description of a path from the reserve to a return with the record held, or undefined. */
function leakPath(
  f: Func,
  byId: Map<number, Block>,
  start: Block,
  at: number,
  held: Set<number>,
  release: ReadonlySet<number>,
): string | undefined {
  const line = (x: Inst | Terminator | undefined): number | undefined => (x ? f.locs?.get(x)?.line : undefined);
  const releases = (inst: Inst): boolean =>
    inst.op === "call" && release.has(inst.helper) && !!inst.args[0] && isValue(inst.args[0]) && held.has(inst.args[0].id);
  const parent = new Map<number, number | null>([[start.id, null]]);
  const describe = (end: Block, tail: string): string => {
    const blocks: Block[] = [];
    for (let id: number | null = end.id; id !== null; id = parent.get(id) ?? null) blocks.unshift(byId.get(id)!);
    const lines: number[] = [];
    blocks.forEach((b, k) => {
      for (const x of [...b.insts.slice(k === 0 ? at + 1 : 0), b.term]) {
        const l = line(x);
        if (l !== undefined && lines[lines.length - 1] !== l) lines.push(l);
      }
    });
    return `${lines.length ? `through line${lines.length > 1 ? "s" : ""} ${ranges(lines)} ` : ""}${tail}`;
  };
  const queue: { block: Block; from: number }[] = [{ block: start, from: at + 1 }];
  while (queue.length) {
    const { block, from } = queue.shift()!;
    if (block.insts.slice(from).some(releases)) continue;
    const t = block.term;
    if (t.op === "ret") return describe(block, `to the return on line ${line(t) ?? "?"}`);
    for (const s of heldSuccessors(t, held)) {
      if (s === start.id) {
        // Around a loop: leaked unless released before the reserve runs again.
        if (!start.insts.slice(0, at).some(releases)) return describe(block, "and around the loop to the same reserve");
        continue;
      }
      if (parent.has(s)) continue;
      parent.set(s, block.id);
      queue.push({ block: byId.get(s)!, from: 0 });
    }
  }
  return undefined;
}

/** [19, 20, 21, 25, 24] -> "19-21, 25, 24": runs of consecutive lines shortened. */
function ranges(lines: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j++;
    out.push(j - i >= 2 ? `${lines[i]}-${lines[j]}` : lines.slice(i, j + 1).join(", "));
    i = j + 1;
  }
  return out.join(", ");
}
