// Packet references die when a helper may move or resize the packet (xdp adjust head/tail/meta, skb
// store bytes, checksum replaces, change proto, ...: the kernel's bpf_helper_changes_pkt_data). The
// verifier then forgets every packet pointer, and code still using one is rejected at load time.
// This file makes that a compile-time error: each local holding a packet reference gets a private
// SSA variable, set to "valid" where the local is defined and to the call's tag at every such call;
// a use reads it. After the function is lowered (all phis filled) a use whose reaching values
// include a call's tag on some path is reported, naming the call. The phis this creates are removed.

import type { Operand, Value } from "../ir/ir.js";
import type { Intrinsic } from "./helpers-table.js";
import type { LowererBase } from "./lower-base.js";
import { ts } from "./ts-adapter.js";

interface Site {
  node: ts.Node;
  helper: string;
}

interface State {
  /** One SSA key per packet local. */
  keys: Map<ts.Symbol, object>;
  sites: Site[];
  uses: { v: Operand; node: ts.Node; name: string }[];
}

const VALID = 1n;
const states = new WeakMap<LowererBase, State>();

function state(x: LowererBase): State {
  let s = states.get(x);
  if (!s) states.set(x, (s = { keys: new Map(), sites: [], uses: [] }));
  return s;
}

/** `sym` now holds a fresh packet reference (a declaration or an assignment). */
export function notePacketLocal(x: LowererBase, sym: ts.Symbol): void {
  const s = state(x);
  let key = s.keys.get(sym);
  if (!key) s.keys.set(sym, (key = {}));
  x.b.writeVar(key, { imm: VALID });
}

/** A call at `node` that invalidates every packet reference (its helper named for messages). */
export function invalidatePacketRefs(x: LowererBase, node: ts.Node, helper: string): void {
  const s = state(x);
  s.sites.push({ node, helper });
  const tag = BigInt(s.sites.length + 1);
  for (const key of s.keys.values()) x.b.writeVar(key, { imm: tag });
}

/** The packet local `sym` is read at `node`. */
export function usePacketLocal(x: LowererBase, sym: ts.Symbol, node: ts.Node): void {
  const s = states.get(x);
  const key = s?.keys.get(sym);
  if (!s || !key) return;
  s.uses.push({ v: x.b.readVar(key, "i64"), node, name: sym.getName() });
}

/** Reports uses reachable from an invalidating call, then drops the tracking phis. Call before finish(). */
export function checkPacketUses(x: LowererBase): void {
  const s = states.get(x);
  if (!s || s.uses.length === 0) return;
  const phis = new Map<number, Operand[]>();
  for (const b of x.b.func.blocks)
    for (const p of b.phis)
      phis.set(
        p.dst.id,
        p.incoming.map((i) => i.value),
      );
  const ours = new Set<number>();
  const tagsOf = (v: Operand, seen: Set<number>, out: Set<bigint>): Set<bigint> => {
    if ("imm" in v) out.add(v.imm);
    else if (!seen.has((v as Value).id)) {
      seen.add((v as Value).id);
      ours.add((v as Value).id);
      for (const w of phis.get((v as Value).id) ?? []) tagsOf(w, seen, out);
    }
    return out;
  };
  let bad: { node: ts.Node; name: string; site: Site } | undefined;
  for (const u of s.uses) {
    const tags = tagsOf(u.v, new Set(), new Set());
    // Tags from 2 up name a call; 0 comes from blocks nothing reaches (no path, no problem).
    const tag = [...tags].find((t) => t > VALID);
    if (tag !== undefined && !bad) bad = { node: u.node, name: u.name, site: s.sites[Number(tag) - 2] };
  }
  for (const b of x.b.func.blocks) b.phis = b.phis.filter((p) => !ours.has(p.dst.id));
  if (bad) {
    const sf = bad.site.node.getSourceFile();
    const line = sf.getLineAndCharacterOfPosition(bad.site.node.getStart()).line + 1;
    x.r.fail("TSBPF2154", bad.node, bad.name, bad.site.helper, line);
  }
}

const moves = new WeakMap<ts.FunctionDeclaration, boolean>();

/**
 * Whether calling module function `decl` may move the packet: its body (or a module function it
 * calls, transitively) calls a context method or stdlib function whose row says so. A call of such a
 * `@noinline` function invalidates the caller's packet references like the helper itself would.
 */
export function functionMovesPacket(
  checker: ts.TypeChecker,
  decl: ts.FunctionDeclaration,
  rows: { ctx: Record<string, Intrinsic>; free: Record<string, Intrinsic> },
): boolean {
  const known = moves.get(decl);
  if (known !== undefined) return known;
  moves.set(decl, false); // recursion is reported elsewhere; assume no until shown otherwise
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n)) {
      const c = n.expression;
      if (ts.isPropertyAccessExpression(c) && Object.hasOwn(rows.ctx, c.name.text) && rows.ctx[c.name.text].movesPacket) found = true;
      else if (ts.isIdentifier(c)) {
        let sym = checker.getSymbolAtLocation(c);
        if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        const d = sym?.valueDeclaration;
        if (d && ts.isFunctionDeclaration(d) && d.body && d.getSourceFile() === decl.getSourceFile())
          found = functionMovesPacket(checker, d, rows);
        else if (Object.hasOwn(rows.free, c.text) && rows.free[c.text].movesPacket) found = true;
      }
    }
    ts.forEachChild(n, visit);
  };
  if (decl.body) visit(decl.body);
  moves.set(decl, found);
  return found;
}
