// Which packet bounds checks the verifier should walk failing side first (layout.ts lays that side
// out as the fall-through: the verifier walks a conditional jump's fall-through first and pushes the
// taken side for later).
//
// A passing check proves a longer packet than a failing one, for every pointer at a constant
// offset from the same `data` (they share one id, also a header pointer taken before). A stored
// state only covers a later one whose pointers are proved at least as long. In a loop that reads
// further on each trip and leaves at a failed check (`const b = ctx.header<u8>(16 + i); if (b ===
// null) break;`), the exit after each trip knows a longer packet than the one before; walked the
// natural way (the passing side first, all trips, then the exits popped from the last one back),
// each exit knows less than those already walked and walks the rest of the program again. Walked
// failing side first, the first exit knows least and the later ones are covered by it where they
// join. Measured on Linux 6.18: 32 trips of such reads, then a 2,000-trip loop adding a header
// field: refused before (1,000,000 processed), 32,440 after; 24 trips 800,337 before, 32,336 after.
//
// Only where it matters: the check leaves a loop (where the exits multiply) and a packet pointer
// other than the end is live on its failing side. Else the length it knows is dead, and the order
// only decides which other difference is walked first: done for every check that leaves a loop, a
// matrix filled from sliding windows (bench/natural/sliding-matrix) went from 5,986 processed to
// refused at 12 x 12.

import { computeDominators, naturalLoops } from "../ir/dominators.js";
import { definitions, type Func } from "../ir/ir.js";
import { packetCheck, pointersLiveIn } from "../ir/packet-checks.js";

/** Block id -> the successor its packet check fails to, for the checks to walk failing side first. */
export function failFirstChecks(f: Func): Map<number, number> {
  const defs = definitions(f);
  const out = new Map<number, number>();
  let loops: ReturnType<typeof naturalLoops> | undefined;
  let live: Map<number, Set<number>> | undefined;
  for (const b of f.blocks) {
    const c = packetCheck(b.term, defs);
    if (!c) continue;
    loops ??= naturalLoops(f, computeDominators(f));
    if (!loops.some((l) => l.body.has(b.id) && !l.body.has(c.fail))) continue;
    live ??= pointersLiveIn(f, defs);
    if (![...(live.get(c.fail) ?? [])].some((v) => v !== c.end.id)) continue;
    out.set(b.id, c.fail);
  }
  return out;
}
