// The post-allocation deletion of copies whose destination already holds the value
// (compiler/backend/redundant-copies.ts), on hand-built machine code, and on a socket filter where it
// saves the argument copy before the first helper call.

import { describe, expect, it } from "vitest";
import { removeRedundantCopies } from "../compiler/backend/redundant-copies.js";
import { CALL_CLOBBERS, type MBlock, type MFunc, type MInst } from "../compiler/backend/mir.js";
import { alu64K, call, exit, jmpK, ldx, mov64K, mov64X } from "../compiler/isa/build.js";
import { compile } from "../compiler/compile.js";
import { decode } from "../compiler/isa/decode.js";
import { disassemble } from "../compiler/isa/disasm.js";
import { readElf, SHF, SHT } from "../common/read-elf.js";

const copy = (d: number, s: number): MInst => ({ insn: mov64X(d, s), defs: [d], uses: [s], copy: true });
const load = (d: number, base: number): MInst => ({ insn: ldx(4, d, base, 16), defs: [d], uses: [base] });
const add = (d: number, k: number): MInst => ({ insn: alu64K("add", d, k), defs: [d], uses: [d] });
const helper = (): MInst => ({ insn: call(1), defs: [...CALL_CLOBBERS], uses: [1, 2], call: true });
const branch = (r: number, target: number): MInst => ({ insn: jmpK("jne", r, 0, 0), defs: [], uses: [r], target });
const ret = (): MInst[] => [
  { insn: mov64K(0, 0), defs: [0], uses: [] },
  { insn: exit(), defs: [], uses: [0] },
];

const fn = (blocks: MBlock[]): MFunc => ({ name: "f", blocks, slots: [], nextVreg: 16, spillSlots: 0, noSpill: new Set() });
/** Each block as "dst=src" for the copies left in it. */
const copies = (f: MFunc): string[][] => f.blocks.map((b) => b.insns.filter((m) => m.copy).map((m) => `r${m.insn.dst}=r${m.insn.src}`));

describe("redundant copies after register allocation", () => {
  it("deletes the argument copy before the first call when the entry copy left the value there, not the one after the call", () => {
    const f = fn([
      { id: 0, insns: [copy(6, 1), load(0, 6), branch(0, 3)], fall: 1 },
      { id: 1, insns: [copy(1, 6), helper(), copy(1, 6), helper()], fall: 3 },
      { id: 3, insns: ret() },
    ]);
    expect(removeRedundantCopies(f)).toBe(1);
    expect(copies(f)).toEqual([["r6=r1"], ["r1=r6"], []]);
  });

  it("keeps a copy when one path into the block changed either register, and follows equalities through copies", () => {
    const f = fn([
      { id: 0, insns: [copy(6, 1), copy(7, 6), branch(6, 2)], fall: 1 },
      { id: 1, insns: [add(1, 4)], fall: 2 },
      // From block 0 r1 == r6 == r7; from block 1 only r6 == r7.
      { id: 2, insns: [copy(1, 6), copy(7, 1), copy(6, 7), ...ret()] },
    ]);
    expect(removeRedundantCopies(f)).toBe(2);
    expect(copies(f)).toEqual([["r6=r1", "r7=r6"], [], ["r1=r6"]]);
  });

  it("treats a loop's back edge like any other path in", () => {
    const f = fn([
      { id: 0, insns: [copy(6, 1)], fall: 1 },
      { id: 1, insns: [copy(1, 6), add(1, 1), branch(1, 1)], fall: 2 },
      { id: 2, insns: ret() },
    ]);
    // r1 is changed in the loop, so the copy at its head is needed on the second trip.
    expect(removeRedundantCopies(f)).toBe(0);
  });

  it("saves a slot in a socket filter that keeps ctx across two helper calls", () => {
    const src = `import { socketFilter, type Ipv4Hdr, type UdpHdr } from "tsbpf/bpf";
export const f = socketFilter((ctx) => {
  if (ctx.protocol !== 8) return 0;
  const ip = ctx.load<Ipv4Hdr>(0);
  if (ip === null) return 0;
  const ports = ctx.load<UdpHdr>((ip.ver_ihl & 0x0f) * 4);
  if (ports === null) return 0;
  return ports.dest === 0x3500 ? ctx.len : 0;
});
export const LICENSE = "GPL";
`;
    const r = compile("f.bpf.ts", src);
    expect(r.ok).toBe(true);
    const sec = readElf(r.object!).sections.find((x) => x.type === SHT.PROGBITS && x.flags & SHF.EXECINSTR)!;
    const text = disassemble(decode(sec.data));
    // r6 = r1 at entry; r1 = r6 only before the second call: the first call takes r1 as it came.
    expect(text.match(/r6 = r1\b/g)?.length).toBe(1);
    expect(text.match(/r1 = r6\b/g)?.length).toBe(1);
    expect(text.match(/call /g)?.length).toBe(2);
  });
});
