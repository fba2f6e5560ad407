// Pass: dead-stack-store — drop stack stores that are overwritten, or never read, before anything
// reads them.
//
// A struct local is zero-filled first (the verifier wants initialised stack) and then its fields
// are written: `const ev: Event = { pid: ..., ts: ..., comm: getCurrentComm(), ... }` zeroes the
// pid, ts and comm bytes and then overwrites them. Walking each block backwards, the pass tracks
// which bytes of each stack slot are certainly written later before any read; a store whose bytes
// are all such is dead. At `ret` every byte of the frame is dead.
//
// What counts as a read of slot S:
//   - a load or atomic through S's address (or S's address plus a constant);
//   - a helper call with a pointer into S among its arguments (helpers see only memory passed to
//     them), except bpf_get_current_comm's buffer, which the helper writes in full and never reads
//     (stores to those bytes before it are dead);
//   - anything that may see memory through an unknown pointer — a load, store or atomic through a
//     pointer not known to be a stack slot, a bpf-to-bpf call, a helper given such a pointer — reads
//     every slot whose address escapes (is used other than as the base of a load/store or as a
//     helper argument).
// Only stores whose base is S's address (plus a constant) are removed.
//
// Needs: valid SSA. Produces: valid SSA. Invalidates: nothing structural.

import { HELPER } from "../frontend/helper-ids.js";
import { instUses, isImm, isValue, termUses, type Func, type Inst, type Operand } from "../ir/ir.js";

interface Place {
  slot: number;
  /** Constant byte offset from the slot's start, or undefined when it varies. */
  off: number | undefined;
}

export function deadStackStore(f: Func): boolean {
  const sizes = new Map(f.slots.map((s) => [s.id, s.size] as const));
  // Pointers into stack slots: stackaddr values and constant (or variable) ptradds of them.
  const places = new Map<number, Place>();
  for (let again = true; again; ) {
    again = false;
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if (i.op !== "stackaddr" && i.op !== "ptradd") continue;
        if (places.has(i.dst.id)) continue;
        if (i.op === "stackaddr") places.set(i.dst.id, { slot: i.slot, off: 0 });
        else if (i.op === "ptradd" && places.has(i.base.id)) {
          const p = places.get(i.base.id)!;
          const c = isImm(i.offset) && p.off !== undefined ? p.off + Number(i.offset.imm) : undefined;
          places.set(i.dst.id, { slot: p.slot, off: c });
        } else continue;
        again = true;
      }
    }
  }
  const placeOf = (o: Operand): Place | undefined => (isValue(o) ? places.get(o.id) : undefined);
  // Slots whose address goes somewhere we do not follow (phis, stores of the pointer, returns, ...).
  const escaped = new Set<number>();
  const markEscaped = (o: Operand): void => {
    const p = placeOf(o);
    if (p) escaped.add(p.slot);
  };
  for (const b of f.blocks) {
    for (const p of b.phis) for (const inc of p.incoming) markEscaped(inc.value);
    for (const i of b.insts) {
      // Uses the walk below understands: the base of a memory access, the base of a ptradd, a
      // helper's argument. Any other use lets the address go where it is not followed.
      if (i.op === "load" || i.op === "ptradd") continue;
      if (i.op === "store" || i.op === "atomic" || i.op === "atomic_add") {
        markEscaped(i.value);
        if (i.op === "atomic" && i.expected) markEscaped(i.expected);
        continue;
      }
      if (i.op === "call") continue;
      for (const o of instUses(i)) markEscaped(o);
    }
    for (const o of termUses(b.term)) markEscaped(o);
  }

  let changed = false;
  for (const b of f.blocks) {
    /** slot -> bytes certainly overwritten (or dead) after the current point. */
    const dead = new Map<number, Set<number>>();
    const killAll = (slot: number): void => {
      const all = new Set<number>();
      for (let k = 0; k < (sizes.get(slot) ?? 0); k++) all.add(k);
      dead.set(slot, all);
    };
    if (b.term.op === "ret") for (const s of sizes.keys()) killAll(s);
    const read = (slot: number): void => void dead.delete(slot);
    const readRange = (p: Place, width: number): void => {
      const d = dead.get(p.slot);
      if (!d) return;
      if (p.off === undefined) return read(p.slot);
      for (let k = 0; k < width; k++) d.delete(p.off + k);
    };
    const readEscaped = (): void => {
      for (const s of escaped) read(s);
    };
    const keep: boolean[] = new Array(b.insts.length).fill(true);
    for (let n = b.insts.length - 1; n >= 0; n--) {
      const i: Inst = b.insts[n]!;
      switch (i.op) {
        case "store": {
          const p = places.get(i.base.id);
          if (!p) {
            readEscaped(); // an unknown pointer may write (or be) escaped stack; stay conservative
            break;
          }
          if (p.off === undefined) break;
          const off = p.off + i.offset;
          const d = dead.get(p.slot) ?? new Set<number>();
          let all = true;
          for (let k = 0; k < i.width; k++) if (!d.has(off + k)) all = false;
          if (all && off >= 0) {
            keep[n] = false;
            changed = true;
            break;
          }
          for (let k = 0; k < i.width; k++) d.add(off + k);
          dead.set(p.slot, d);
          break;
        }
        case "load": {
          const p = places.get(i.base.id);
          if (p) readRange({ slot: p.slot, off: p.off === undefined ? undefined : p.off + i.offset }, i.width);
          else readEscaped();
          break;
        }
        case "atomic":
        case "atomic_add": {
          const p = places.get(i.base.id);
          if (p) readRange({ slot: p.slot, off: p.off === undefined ? undefined : p.off + i.offset }, i.width);
          else readEscaped();
          break;
        }
        case "call": {
          // bpf_get_current_comm writes all of its buffer (the name, zero-padded; zeros on failure)
          // and reads none of it: earlier stores to those bytes are dead.
          const buf = i.helper === HELPER.get_current_comm && i.args[0] !== undefined ? placeOf(i.args[0]) : undefined;
          const n = i.args[1];
          // (A size past the 512-byte stack is no buffer of ours: a random IR test passed 2^62 and the
          // byte loop below never ended.)
          if (buf && buf.off !== undefined && n !== undefined && isImm(n) && n.imm >= 0n && n.imm <= 512n) {
            const d = dead.get(buf.slot) ?? new Set<number>();
            for (let k = 0; k < Number(n.imm); k++) d.add(buf.off + k);
            dead.set(buf.slot, d);
            break;
          }
          for (const a of i.args) {
            const p = placeOf(a);
            if (p) read(p.slot);
            else if (isValue(a) && a.ty === "ptr") readEscaped();
          }
          break;
        }
        case "callfn":
          readEscaped();
          for (const a of i.args) {
            const p = placeOf(a);
            if (p) read(p.slot);
          }
          break;
        default:
          break;
      }
    }
    if (keep.includes(false)) b.insts = b.insts.filter((_, n) => keep[n]);
  }
  return changed;
}
