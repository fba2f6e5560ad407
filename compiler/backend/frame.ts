// Pass: stack frame layout.
//
// Needs:       an MFunc whose stack references are FrameRefs: IR slots (`stackaddr`) and the
//              allocator's 8-byte spill slots.
// Produces:    final negative r10 offsets patched into every referencing instruction (`off` or
//              `imm`; plus the reference's byte offset into the slot for r10-relative accesses),
//              and the frame size. IR slots are placed first, largest alignment first, each
//              at an offset that is a multiple of its alignment (so r10-relative accesses stay
//              aligned); spill slots follow, 8 bytes each, 8-aligned, so pointer spills are STX DW
//              at 8-aligned slots. Throws `stack frame too large ...` past 512 bytes.
// Invalidates: nothing.

import type { MFunc } from "./mir.js";

export const MAX_STACK = 512;

export interface FrameLayout {
  /** Distance below r10 of each IR slot (by slot id) and spill slot (by index). */
  slotOffset: Map<number, number>;
  spillOffset: number[];
  /** Bytes used below r10, rounded up to 8. */
  size: number;
}

export function layoutFrame(mf: MFunc): FrameLayout {
  const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
  let used = 0;
  const slotOffset = new Map<number, number>();
  const slots = [...mf.slots].sort((a, b) => b.align - a.align || b.size - a.size || a.id - b.id);
  for (const s of slots) {
    const align = Math.max(1, s.align);
    if ((align & (align - 1)) !== 0) throw new Error(`internal: slot s${s.id} has alignment ${align}`);
    used = alignUp(used + s.size, align);
    slotOffset.set(s.id, used);
  }
  const spillOffset: number[] = [];
  for (let i = 0; i < mf.spillSlots; i++) {
    used = alignUp(used + 8, 8);
    spillOffset.push(used);
  }
  const size = alignUp(used, 8);
  if (size > MAX_STACK) {
    throw new Error(
      `stack frame too large: ${mf.name} needs ${size} bytes of stack (${slots.length} locals, ` +
        `${mf.spillSlots} spill slots); the limit is ${MAX_STACK}`,
    );
  }

  for (const b of mf.blocks) {
    for (const m of b.insns) {
      const ref = m.frame;
      if (!ref) continue;
      let offset: number | undefined;
      if (ref.kind === "slot") offset = slotOffset.get(ref.slot);
      else offset = spillOffset[ref.index];
      if (offset === undefined) throw new Error(`internal: unknown ${ref.kind} ${ref.kind === "slot" ? ref.slot : ref.index}`);
      m.insn[ref.field] = -offset + (ref.kind === "slot" ? (ref.add ?? 0) : 0);
    }
  }
  return { slotOffset, spillOffset, size };
}
