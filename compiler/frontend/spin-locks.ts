// The verifier's spin-lock rules as compile-time errors: between spinLock and spinUnlock no helper or
// function calls (TSBPF2158), and no path may return with the lock held (TSBPF2159). As in
// packet-refs.ts, a private SSA variable holds the lock state (0/1 unlocked, 2+ the spinLock call
// that took it); calls read it, and after lowering the end of every returning block reads it too. A
// state reaching a read through phis from a spinLock call is reported. The phis are removed.

import type { Operand, Value } from "../ir/ir.js";
import type { LowererBase } from "./lower-base.js";
import type { ts } from "./ts-adapter.js";

interface State {
  key: object;
  sites: ts.Node[];
  uses: { v: Operand; node: ts.Node; what: string }[];
}

const UNLOCKED = 1n;
const states = new WeakMap<LowererBase, State>();
const usesLocks = new WeakMap<ts.SourceFile, boolean>();

/** Only files that call spinLock pay for the tracking. */
function tracked(x: LowererBase, node: ts.Node): State | undefined {
  const sf = node.getSourceFile();
  let uses = usesLocks.get(sf);
  if (uses === undefined) usesLocks.set(sf, (uses = /\bspinLock\s*\(/.test(sf.text)));
  if (!uses) return undefined;
  let s = states.get(x);
  if (!s) states.set(x, (s = { key: {}, sites: [], uses: [] }));
  return s;
}

export function noteLock(x: LowererBase, node: ts.Node): void {
  const s = tracked(x, node)!;
  s.sites.push(node);
  x.b.writeVar(s.key, { imm: BigInt(s.sites.length + 1) });
}

export function noteUnlock(x: LowererBase, node: ts.Node): void {
  const s = tracked(x, node)!;
  x.b.writeVar(s.key, { imm: UNLOCKED });
}

/** A helper or function call at `node` (named `what` in messages). */
export function noteCallUnderLock(x: LowererBase, node: ts.Node, what: string): void {
  const s = tracked(x, node);
  if (s) s.uses.push({ v: x.b.readVar(s.key, "i64"), node, what });
}

/** Reports calls and returns reachable with the lock held; call once the function is lowered. */
export function checkSpinLocks(x: LowererBase): void {
  const s = states.get(x);
  if (!s || s.sites.length === 0) return;
  const f = x.b.func;
  const returns = f.blocks.filter((b) => b.term?.op === "ret").map((b) => x.b.readVar(s.key, "i64", b.id));
  const phis = new Map<number, Operand[]>();
  for (const b of f.blocks)
    for (const p of b.phis)
      phis.set(
        p.dst.id,
        p.incoming.map((i) => i.value),
      );
  const ours = new Set<number>();
  const held = (v: Operand): bigint | undefined => {
    const out = new Set<bigint>();
    const seen = new Set<number>();
    const walk = (o: Operand): void => {
      if ("imm" in o) out.add(o.imm);
      else if (!seen.has((o as Value).id)) {
        seen.add((o as Value).id);
        ours.add((o as Value).id);
        for (const w of phis.get((o as Value).id) ?? []) walk(w);
      }
    };
    walk(v);
    return [...out].find((t) => t > UNLOCKED);
  };
  const lineOf = (n: ts.Node) => n.getSourceFile().getLineAndCharacterOfPosition(n.getStart()).line + 1;
  let error: (() => never) | undefined;
  for (const u of s.uses) {
    const tag = held(u.v);
    if (tag !== undefined && !error) error = () => x.r.fail("TSBPF2158", u.node, u.what, lineOf(s.sites[Number(tag) - 2]));
  }
  for (const r of returns) {
    const tag = held(r);
    if (tag !== undefined && !error) {
      const site = s.sites[Number(tag) - 2];
      error = () => x.r.fail("TSBPF2159", site, lineOf(site));
    }
  }
  for (const b of f.blocks) b.phis = b.phis.filter((p) => !ours.has(p.dst.id));
  error?.();
}
