// Pass: fill-in-place — a helper fills the destination directly instead of a temporary.
//
// `const ev = { ..., comm: getCurrentComm() }` lowers to bpf_get_current_comm into a 16-byte stack
// temporary, then two load/store pairs copying it into `ev.comm`; clang passes `&ev.comm` to the
// helper. When a helper that fills its first argument (a buffer of the size given by its second,
// an immediate N) is given the start of a stack slot T, and the instructions right after the call
// are loads of T at constant offsets each stored unchanged into one other stack slot D at a fixed
// displacement, covering T's bytes [0, N) exactly once, and T is used nowhere else, the helper gets
// D's address plus the displacement and the copies go. T is then unused.
//
// Needs: valid SSA. Produces: valid SSA (one ptradd added before the call). Invalidates: nothing
// structural.

import { HELPER } from "../frontend/helper-ids.js";
import { type Func, type Inst, instUses, isImm, isValue, newValue, type Operand, type Value } from "../ir/ir.js";

/** Helpers that write arg0 for arg1 bytes and read no other pointer. */
const FILLS_ARG0 = new Set<number>([HELPER.get_current_comm]);

export function fillInPlace(f: Func): boolean {
  // Stack places: value -> slot and constant offset (stackaddr, and ptradd of one by a constant).
  const places = new Map<number, { slot: number; off: number }>();
  const defBlock = new Map<number, number>();
  for (const b of f.blocks)
    for (const i of b.insts) {
      if (i.op === "stackaddr") places.set(i.dst.id, { slot: i.slot, off: 0 });
      const d = "dst" in i ? i.dst : undefined;
      if (d) defBlock.set(d.id, b.id);
    }
  for (let again = true; again; ) {
    again = false;
    for (const b of f.blocks)
      for (const i of b.insts)
        if (i.op === "ptradd" && !places.has(i.dst.id) && places.has(i.base.id) && isImm(i.offset)) {
          const p = places.get(i.base.id)!;
          places.set(i.dst.id, { slot: p.slot, off: p.off + Number(i.offset.imm) });
          again = true;
        }
  }
  // Every use of a value pointing into each slot, and every use of every value.
  const slotUses = new Map<number, Inst[]>();
  const useCount = new Map<number, number>();
  const note = (i: Inst | null, o: Operand): void => {
    if (!isValue(o)) return;
    const id = o.id;
    useCount.set(id, (useCount.get(id) ?? 0) + 1);
    const p = places.get(id);
    if (p) {
      if (!slotUses.has(p.slot)) slotUses.set(p.slot, []);
      slotUses.get(p.slot)!.push(i ?? ({ op: "const" } as Inst)); // null: a phi or terminator use
    }
  };
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) note(null, inc.value);
    for (const i of b.insts) {
      if (i.op === "ptradd" && places.has(i.dst.id)) continue; // a derived place, followed through its own uses
      for (const o of instUses(i)) note(i, o);
    }
    const t = b.term;
    if (t.op === "cbr") note(null, t.a), note(null, t.b);
    if (t.op === "ret") note(null, t.value);
  }
  let changed = false;
  for (const b of f.blocks) {
    for (let k = 0; k < b.insts.length; k++) {
      const call = b.insts[k]!;
      if (call.op !== "call" || !FILLS_ARG0.has(call.helper) || call.args.length < 2) continue;
      const buf = call.args[0]!;
      const size = call.args[1]!;
      if (!isValue(buf) || !isImm(size)) continue;
      const t = places.get(buf.id);
      if (t?.off !== 0) continue;
      const n = Number(size.imm);
      // The copies right after the call.
      const covered = new Set<number>();
      let disp: { base: Value; delta: number } | undefined;
      let slotD: number | undefined;
      let j = k + 1;
      const copies: Inst[] = [];
      while (j + 1 < b.insts.length) {
        const ld = b.insts[j]!;
        const st = b.insts[j + 1]!;
        if (ld.op !== "load" || st.op !== "store" || !isValue(st.value) || st.value.id !== ld.dst.id || st.width !== ld.width) break;
        const from = places.get(ld.base.id);
        const to = places.get(st.base.id);
        if (!from || from.slot !== t.slot || !to || to.slot === t.slot || (useCount.get(ld.dst.id) ?? 0) !== 1) break;
        const at = from.off + ld.offset;
        const delta = to.off + st.offset - at;
        if (slotD !== undefined && (slotD !== to.slot || delta !== disp!.delta)) break;
        slotD = to.slot;
        disp ??= { base: st.base, delta };
        let overlap = false;
        for (let x = at; x < at + ld.width; x++) overlap ||= covered.has(x) || x >= n;
        if (overlap) break;
        for (let x = at; x < at + ld.width; x++) covered.add(x);
        copies.push(ld, st);
        j += 2;
      }
      if (!disp || covered.size !== n) continue;
      // T is used only by the call and the copy loads.
      const uses = slotUses.get(t.slot) ?? [];
      if (!uses.every((u) => u === call || copies.includes(u))) continue;
      // D's base must be available at the call: defined before it in this block, or elsewhere.
      const baseDef = b.insts.findIndex((i) => "dst" in i && i.dst?.id === disp!.base.id);
      if (baseDef > k || (baseDef < 0 && defBlock.get(disp.base.id) === b.id)) continue;
      const d = places.get(disp.base.id)!;
      const addr = newValue(f, "ptr");
      const add: Inst = { op: "ptradd", dst: addr, base: disp.base, offset: { imm: BigInt(disp.delta - d.off) } };
      const loc = f.locs?.get(call);
      if (loc) f.locs!.set(add, loc);
      call.args[0] = addr;
      const drop = new Set(copies);
      b.insts = [...b.insts.slice(0, k), add, ...b.insts.slice(k).filter((i) => !drop.has(i))];
      changed = true;
      break; // indices moved: the next call in this block waits for the next run of the pipeline
    }
  }
  return changed;
}
