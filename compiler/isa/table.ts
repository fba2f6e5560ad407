// The single table of eBPF instruction forms (RFC 9669 plus the clang v4 additions). Each form
// says which field values are legal and how llvm-objdump spells it, so the decoder's validation,
// the disassembler and the tests' random instruction generator all read from one place.

import { ALU, CLASS, JMP, MODE, SIZE, SRC } from "./opcodes.js";

/** A field constraint: a register number 0..10, exactly zero, anything, or one of a list. */
export type Rule = "reg" | "zero" | "any" | readonly number[];

export type Isa = "v1" | "v2" | "v3" | "v4";

export type FormKind =
  | "alu"
  | "neg"
  | "mov"
  | "movsx"
  | "end"
  | "bswap"
  | "jcond"
  | "ja"
  | "gotol"
  | "may_goto"
  | "call"
  | "exit"
  | "ldx"
  | "ldxsx"
  | "st"
  | "stx"
  | "atomic"
  | "ld_imm64"
  | "ld_legacy";

export interface InsnForm {
  /** Unique, e.g. "add64_k", "sdiv32_x", "ldx_w", "atomic_fetch_or_w", "ld_map_fd". */
  name: string;
  opcode: number;
  kind: FormKind;
  dst: Rule;
  src: Rule;
  off: Rule;
  imm: Rule;
  /** Lowest clang -mcpu level that emits / the kernel generation that accepts it. */
  isa: Isa;
  /**
   * llvm-objdump text. Placeholders: {d}/{s} register numbers, {x} "w" in alu32 syntax else "r",
   * {imm} signed hex, {uimm} unsigned 32-bit hex, {imm64} signed 64-bit hex, {width} decimal imm, {moff} " + 0x4"/" - 0x4",
   * {joff} "+0x3"/"-0x3" (off), {jimm} the same for imm (gotol), {srcn} src as hex.
   */
  asm: string;
}

const forms: InsnForm[] = [];
const add = (f: InsnForm): void => void forms.push(f);

// ---- ALU / ALU64 -------------------------------------------------------------------------------
const aluOps: ReadonlyArray<[string, number, string]> = [
  ["add", ALU.ADD, "+="],
  ["sub", ALU.SUB, "-="],
  ["mul", ALU.MUL, "*="],
  ["div", ALU.DIV, "/="],
  ["or", ALU.OR, "|="],
  ["and", ALU.AND, "&="],
  ["lsh", ALU.LSH, "<<="],
  ["rsh", ALU.RSH, ">>="],
  ["mod", ALU.MOD, "%="],
  ["xor", ALU.XOR, "^="],
  ["arsh", ALU.ARSH, "s>>="],
];
for (const [bits, cls, r, isa] of [
  [64, CLASS.ALU64, "r", "v1"],
  [32, CLASS.ALU, "w", "v3"],
] as const) {
  for (const [name, op, sym] of aluOps) {
    add({
      name: `${name}${bits}_k`,
      opcode: op | SRC.K | cls,
      kind: "alu",
      dst: "reg",
      src: "zero",
      off: "zero",
      imm: "any",
      isa,
      asm: `${r}{d} ${sym} {imm}`,
    });
    add({
      name: `${name}${bits}_x`,
      opcode: op | SRC.X | cls,
      kind: "alu",
      dst: "reg",
      src: "reg",
      off: "zero",
      imm: "zero",
      isa,
      asm: `${r}{d} ${sym} ${r}{s}`,
    });
    if (op === ALU.DIV || op === ALU.MOD) {
      const s = `s${sym}`;
      add({
        name: `s${name}${bits}_k`,
        opcode: op | SRC.K | cls,
        kind: "alu",
        dst: "reg",
        src: "zero",
        off: [1],
        imm: "any",
        isa: "v4",
        asm: `${r}{d} ${s} {imm}`,
      });
      add({
        name: `s${name}${bits}_x`,
        opcode: op | SRC.X | cls,
        kind: "alu",
        dst: "reg",
        src: "reg",
        off: [1],
        imm: "zero",
        isa: "v4",
        asm: `${r}{d} ${s} ${r}{s}`,
      });
    }
  }
  add({
    name: `neg${bits}`,
    opcode: ALU.NEG | SRC.K | cls,
    kind: "neg",
    dst: "reg",
    src: "zero",
    off: "zero",
    imm: "zero",
    isa,
    asm: `${r}{d} = -${r}{d}`,
  });
  add({
    name: `mov${bits}_k`,
    opcode: ALU.MOV | SRC.K | cls,
    kind: "mov",
    dst: "reg",
    src: "zero",
    off: "zero",
    imm: "any",
    isa,
    asm: `${r}{d} = {imm}`,
  });
  add({
    name: `mov${bits}_x`,
    opcode: ALU.MOV | SRC.X | cls,
    kind: "mov",
    dst: "reg",
    src: "reg",
    off: "zero",
    imm: "zero",
    isa,
    asm: `${r}{d} = ${r}{s}`,
  });
  for (const w of bits === 64 ? [8, 16, 32] : [8, 16]) {
    add({
      name: `movsx${bits}_${w}`,
      opcode: ALU.MOV | SRC.X | cls,
      kind: "movsx",
      dst: "reg",
      src: "reg",
      off: [w],
      imm: "zero",
      isa: "v4",
      asm: `${r}{d} = (s${w})${r}{s}`,
    });
  }
}
// Byte swaps: END in the ALU class converts to LE (K) or BE (X); in ALU64 (K) it is a plain bswap.
add({
  name: "le",
  opcode: ALU.END | SRC.K | CLASS.ALU,
  kind: "end",
  dst: "reg",
  src: "zero",
  off: "zero",
  imm: [16, 32, 64],
  isa: "v1",
  asm: "r{d} = le{width} r{d}",
});
add({
  name: "be",
  opcode: ALU.END | SRC.X | CLASS.ALU,
  kind: "end",
  dst: "reg",
  src: "zero",
  off: "zero",
  imm: [16, 32, 64],
  isa: "v1",
  asm: "r{d} = be{width} r{d}",
});
add({
  name: "bswap",
  opcode: ALU.END | SRC.K | CLASS.ALU64,
  kind: "bswap",
  dst: "reg",
  src: "zero",
  off: "zero",
  imm: [16, 32, 64],
  isa: "v4",
  asm: "r{d} = bswap{width} r{d}",
});

// ---- JMP / JMP32 -------------------------------------------------------------------------------
const jmpOps: ReadonlyArray<[string, number, string, Isa]> = [
  ["jeq", JMP.JEQ, "==", "v1"],
  ["jgt", JMP.JGT, ">", "v1"],
  ["jge", JMP.JGE, ">=", "v1"],
  ["jset", JMP.JSET, "&", "v1"],
  ["jne", JMP.JNE, "!=", "v1"],
  ["jsgt", JMP.JSGT, "s>", "v1"],
  ["jsge", JMP.JSGE, "s>=", "v1"],
  ["jlt", JMP.JLT, "<", "v2"],
  ["jle", JMP.JLE, "<=", "v2"],
  ["jslt", JMP.JSLT, "s<", "v2"],
  ["jsle", JMP.JSLE, "s<=", "v2"],
];
for (const [bits, cls, r] of [
  [64, CLASS.JMP, "r"],
  [32, CLASS.JMP32, "w"],
] as const) {
  for (const [name, op, sym, isa0] of jmpOps) {
    const isa: Isa = bits === 32 ? "v3" : isa0;
    const n = bits === 32 ? `${name}32` : name;
    add({
      name: `${n}_k`,
      opcode: op | SRC.K | cls,
      kind: "jcond",
      dst: "reg",
      src: "zero",
      off: "any",
      imm: "any",
      isa,
      asm: `if ${r}{d} ${sym} {imm} goto {joff}`,
    });
    add({
      name: `${n}_x`,
      opcode: op | SRC.X | cls,
      kind: "jcond",
      dst: "reg",
      src: "reg",
      off: "any",
      imm: "zero",
      isa,
      asm: `if ${r}{d} ${sym} ${r}{s} goto {joff}`,
    });
  }
}
add({
  name: "ja",
  opcode: JMP.JA | CLASS.JMP,
  kind: "ja",
  dst: "zero",
  src: "zero",
  off: "any",
  imm: "zero",
  isa: "v1",
  asm: "goto {joff}",
});
add({
  name: "gotol",
  opcode: JMP.JA | CLASS.JMP32,
  kind: "gotol",
  dst: "zero",
  src: "zero",
  off: "zero",
  imm: "any",
  isa: "v4",
  asm: "gotol {jimm}",
});
add({
  name: "may_goto",
  opcode: 0xe0 | CLASS.JMP,
  kind: "may_goto",
  dst: "zero",
  src: "zero",
  off: "any",
  imm: "zero",
  isa: "v4",
  asm: "may_goto {joff}",
});
add({
  name: "call_helper",
  opcode: JMP.CALL | CLASS.JMP,
  kind: "call",
  dst: "zero",
  src: [0],
  off: "zero",
  imm: "any",
  isa: "v1",
  asm: "call {imm}",
});
add({
  name: "call_pseudo",
  opcode: JMP.CALL | CLASS.JMP,
  kind: "call",
  dst: "zero",
  src: [1],
  off: "zero",
  imm: "any",
  isa: "v1",
  asm: "call {imm}",
});
add({
  name: "call_kfunc",
  opcode: JMP.CALL | CLASS.JMP,
  kind: "call",
  dst: "zero",
  src: [2],
  off: "zero",
  imm: "any",
  isa: "v1",
  asm: "call {imm}",
});
add({
  name: "exit",
  opcode: JMP.EXIT | CLASS.JMP,
  kind: "exit",
  dst: "zero",
  src: "zero",
  off: "zero",
  imm: "zero",
  isa: "v1",
  asm: "exit",
});

// ---- Loads and stores --------------------------------------------------------------------------
const sizes: ReadonlyArray<[string, number, number]> = [
  ["b", SIZE.B, 8],
  ["h", SIZE.H, 16],
  ["w", SIZE.W, 32],
  ["dw", SIZE.DW, 64],
];
for (const [sn, size, bits] of sizes) {
  const x = bits === 64 ? "r" : "{x}"; // llvm's alu32 syntax names sub-64-bit values "wN"
  add({
    name: `ldx_${sn}`,
    opcode: MODE.MEM | size | CLASS.LDX,
    kind: "ldx",
    dst: "reg",
    src: "reg",
    off: "any",
    imm: "zero",
    isa: "v1",
    asm: `${x}{d} = *(u${bits} *)(r{s}{moff})`,
  });
  add({
    name: `st_${sn}`,
    opcode: MODE.MEM | size | CLASS.ST,
    kind: "st",
    dst: "reg",
    src: "zero",
    off: "any",
    imm: "any",
    isa: "v1",
    asm: `*(u${bits} *)(r{d}{moff}) = {imm}`,
  });
  add({
    name: `stx_${sn}`,
    opcode: MODE.MEM | size | CLASS.STX,
    kind: "stx",
    dst: "reg",
    src: "reg",
    off: "any",
    imm: "zero",
    isa: "v1",
    asm: `*(u${bits} *)(r{d}{moff}) = ${x}{s}`,
  });
  if (bits !== 64) {
    add({
      name: `ldxsx_${sn}`,
      opcode: MODE.MEMSX | size | CLASS.LDX,
      kind: "ldxsx",
      dst: "reg",
      src: "reg",
      off: "any",
      imm: "zero",
      isa: "v4",
      asm: `r{d} = *(s${bits} *)(r{s}{moff})`,
    });
    add({
      name: `ld_abs_${sn}`,
      opcode: MODE.ABS | size | CLASS.LD,
      kind: "ld_legacy",
      dst: "zero",
      src: "zero",
      off: "zero",
      imm: "any",
      isa: "v1",
      asm: `r0 = *(u${bits} *)skb[{imm}]`,
    });
    add({
      name: `ld_ind_${sn}`,
      opcode: MODE.IND | size | CLASS.LD,
      kind: "ld_legacy",
      dst: "zero",
      src: "reg",
      off: "zero",
      imm: "any",
      isa: "v1",
      asm: `r0 = *(u${bits} *)skb[r{s}]`,
    });
  }
}

// Atomics: the operation lives in imm.
const atomicOps: ReadonlyArray<[string, number, string]> = [
  ["add", 0x00, "+="],
  ["or", 0x40, "|="],
  ["and", 0x50, "&="],
  ["xor", 0xa0, "^="],
];
for (const [sn, size, bits, r] of [
  ["w", SIZE.W, 32, "w"],
  ["dw", SIZE.DW, 64, "r"],
] as const) {
  const opcode = MODE.ATOMIC | size | CLASS.STX;
  for (const [name, op, sym] of atomicOps) {
    // Only the v1 32-bit add (old XADD) follows the plain/alu32 spelling switch; llvm-objdump knows
    // the other 32-bit atomics only in alu32 mode, so they always print with wN.
    const lockReg = bits === 64 ? "r" : op === 0 ? "{x}" : "w";
    add({
      name: `atomic_${name}_${sn}`,
      opcode,
      kind: "atomic",
      dst: "reg",
      src: "reg",
      off: "any",
      imm: [op],
      isa: op === 0 ? "v1" : "v3",
      asm: `lock *(u${bits} *)(r{d}{moff}) ${sym} ${lockReg}{s}`,
    });
    add({
      name: `atomic_fetch_${name}_${sn}`,
      opcode,
      kind: "atomic",
      dst: "reg",
      src: "reg",
      off: "any",
      imm: [op | 1],
      isa: "v3",
      asm: `${r}{s} = atomic_fetch_${name}((u${bits} *)(r{d}{moff}), ${r}{s})`,
    });
  }
  const sfx = bits === 64 ? "_64" : "32_32";
  add({
    name: `xchg_${sn}`,
    opcode,
    kind: "atomic",
    dst: "reg",
    src: "reg",
    off: "any",
    imm: [0xe1],
    isa: "v3",
    asm: `${r}{s} = xchg${sfx}(r{d}{moff}, ${r}{s})`,
  });
  add({
    name: `cmpxchg_${sn}`,
    opcode,
    kind: "atomic",
    dst: "reg",
    src: "reg",
    off: "any",
    imm: [0xf1],
    isa: "v3",
    asm: `${r}0 = cmpxchg${sfx}(r{d}{moff}, ${r}0, ${r}{s})`,
  });
}

// ld_imm64 and its pseudo sources (the meaning of imm/imm64 depends on src).
const ldPseudo: ReadonlyArray<[string, number]> = [
  ["ld_map_fd", 1],
  ["ld_map_value", 2],
  ["ld_btf_id", 3],
  ["ld_func", 4],
  ["ld_map_idx", 5],
  ["ld_map_idx_value", 6],
];
const LDDW = MODE.IMM | SIZE.DW | CLASS.LD;
add({
  name: "ld_imm64",
  opcode: LDDW,
  kind: "ld_imm64",
  dst: "reg",
  src: [0],
  off: "zero",
  imm: "any",
  isa: "v1",
  asm: "r{d} = {imm64} ll",
});
for (const [name, src] of ldPseudo) {
  add({
    name,
    opcode: LDDW,
    kind: "ld_imm64",
    dst: "reg",
    src: [src],
    off: "zero",
    imm: "any",
    isa: "v1",
    asm: "ld_pseudo\tr{d}, {srcn}, {uimm}",
  });
}

/** Every legal instruction form. */
export const FORMS: readonly InsnForm[] = forms;

const byOpcode = new Map<number, InsnForm[]>();
for (const f of forms) {
  const list = byOpcode.get(f.opcode) ?? [];
  list.push(f);
  byOpcode.set(f.opcode, list);
}
const byName = new Map(forms.map((f) => [f.name, f] as const));

/** The forms that share an opcode byte (empty for an unknown opcode). */
export const formsFor = (opcode: number): readonly InsnForm[] => byOpcode.get(opcode) ?? [];

export function formByName(name: string): InsnForm {
  const f = byName.get(name);
  if (!f) throw new Error(`no eBPF instruction form named '${name}'`);
  return f;
}

export function ruleAllows(rule: Rule, v: number): boolean {
  if (rule === "any") return true;
  if (rule === "zero") return v === 0;
  if (rule === "reg") return Number.isInteger(v) && v >= 0 && v <= 10;
  return rule.includes(v);
}

/** The form an instruction's fields satisfy, or undefined when the encoding is not legal. */
export function matchForm(i: { opcode: number; dst: number; src: number; off: number; imm: number }): InsnForm | undefined {
  return formsFor(i.opcode).find(
    (f) => ruleAllows(f.dst, i.dst) && ruleAllows(f.src, i.src) && ruleAllows(f.off, i.off) && ruleAllows(f.imm, i.imm),
  );
}

/** Why no form matches (for error messages): the first rule each same-opcode form rejects. */
export function explainMismatch(i: { opcode: number; dst: number; src: number; off: number; imm: number }): string {
  const cands = formsFor(i.opcode);
  if (cands.length === 0) return `unknown opcode 0x${i.opcode.toString(16).padStart(2, "0")}`;
  const why = cands.map((f) => {
    for (const k of ["dst", "src", "off", "imm"] as const) {
      if (!ruleAllows(f[k], i[k])) return `${f.name}: ${k}=${i[k]} not ${describe(f[k])}`;
    }
    return f.name;
  });
  return `opcode 0x${i.opcode.toString(16).padStart(2, "0")} with illegal fields (${why.join("; ")})`;
}

const describe = (r: Rule): string =>
  r === "reg" ? "a register r0..r10" : r === "zero" ? "0" : r === "any" ? "any" : `one of ${r.join("/")}`;
