// Arrays of structs at run-time indexes: fields read and written (`slots[i].key`), compound
// assignment, nested fields, in a map value and on the stack. An index past the end reads 0 and
// writes nothing, as for arrays of integers.
import { xdp, XdpAction, ArrayMap, zero, u16, u64, type u8, type u32, type FixedArray } from "tsbpf/bpf";

interface In {
  i: u8;
  j: u8;
  key: u16;
}

interface Point {
  x: u16;
  y: u32;
}

interface Slot {
  key: u32;
  hits: u64;
  at: Point;
}

interface Table {
  slots: FixedArray<Slot, 4>;
}

const table = new ArrayMap<Table>(1);
const results = new ArrayMap<u64>(4);

export const struct_arrays = xdp((ctx) => {
  const h = ctx.header<In>(0);
  if (h === null) return XdpAction.ABORTED;
  const t = table.lookup(0);
  if (t === null) return XdpAction.ABORTED;
  t.slots[h.i].key = h.key;
  t.slots[h.i].hits += 1;
  t.slots[h.i].at.x = u16(h.j);
  const local = zero<Table>();
  local.slots[h.j].at.y = 7;
  results.update(0, u64(t.slots[h.j].key));
  results.update(1, u64(local.slots[h.j].at.y) + u64(local.slots[h.i].at.y) * 10);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
