// while, do-while, switch (with fall-through and default), labelled break/continue, FixedArray
// indexing with constant and variable indices, `continue` in a counted while after its step, case
// labels folded from htons() and u8().
import { xdp, XdpAction, ArrayMap, htons, u8, type u32, type u64, type FixedArray } from "tsbpf/bpf";

interface In {
  a: u8;
  b: u8;
  c: u8;
  d: u8;
}

interface Table {
  v: FixedArray<u32, 8>;
}

const results = new ArrayMap<u64>(16);
const tables = new ArrayMap<Table>(1);

export const control_flow = xdp((ctx) => {
  const p = ctx.header<In>(0);
  if (p === null) return XdpAction.ABORTED;

  // while: sum 0..a-1 (a < 32 enforced by the mask)
  let i: u32 = 0;
  let sum: u32 = 0;
  const n = p.a & 31;
  while (i < 32) {
    if (i >= n) break;
    sum += i;
    i++;
  }
  results.update(0, sum);

  // do-while runs at least once
  let j: u32 = 10;
  let steps: u32 = 0;
  do {
    steps += 1;
    j--;
  } while (j > 20);
  results.update(1, steps);

  // switch with fall-through and default
  let s: u32 = 0;
  switch (p.b) {
    case 1:
      s += 1;
    case 2:
      s += 10;
      break;
    case 3:
      s = 300;
      break;
    default:
      s = 999;
  }
  results.update(2, s);

  // labelled break out of a nested loop
  let found: u32 = 0;
  outer: for (let x: u32 = 0; x < 4; x++) {
    for (let y: u32 = 0; y < 4; y++) {
      if (x * 4 + y === p.c) {
        found = x * 100 + y;
        break outer;
      }
    }
  }
  results.update(3, found);

  // FixedArray: fill with constant indices, read with a variable index
  const t = tables.lookup(0);
  if (t !== null) {
    for (let k: u32 = 0; k < 8; k++) t.v[k] = k * k;
    t.v[2] = 7;
    results.update(4, t.v[p.d]);
  }

  // a counted while with a continue after its step; case labels that are constant calls
  let k2: u32 = 0;
  let w: u32 = 0;
  while (k2 < 10) {
    k2++;
    if (k2 === (p.a & 7)) continue;
    w += k2;
  }
  let lab: u32 = 0;
  switch (htons(p.b)) {
    case htons(1):
      lab = 1;
      break;
    case htons(u8(258)):
      lab = 2;
      break;
  }
  results.update(5, w * 10 + lab);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
