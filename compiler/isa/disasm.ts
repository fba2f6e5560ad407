// Insn -> text in llvm-objdump's BPF syntax (as llvm-objdump-19 prints it), driven by the form
// table. Used by `tsbpf disasm`, --dump output and the tests that compare against llvm-objdump.

import { insnSlots, type Insn } from "./insn.js";
import { encode } from "./encode.js";
import { matchForm } from "./table.js";

export interface FormatOptions {
  /**
   * llvm-objdump's "alu32" spelling (what `--mcpu=v3`/`v4` prints): sub-64-bit loads, stores and
   * plain 32-bit atomics use wN registers. Default false, like plain `llvm-objdump -d`.
   */
  alu32?: boolean;
  /** Label for a jump target (an instruction index); appended as ` <label>` when defined. */
  label?: (targetPc: number) => string | undefined;
}

export interface DisasmOptions extends FormatOptions {
  /** Print the raw bytes column (default true). */
  bytes?: boolean;
  /** Print `R_BPF_*` lines for Insn.reloc (default true). */
  relocs?: boolean;
  /** Append Insn.comment as `; comment` (default false). */
  comments?: boolean;
  /** Labels printed as `<name>:` lines before an instruction index, e.g. function names. */
  symbols?: ReadonlyMap<number, string>;
}

/** Signed hex as llvm prints immediates: 0x0, 0x2, -0x4. */
export function shex(v: number | bigint): string {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
}

/** The jump target of a branch instruction at `pc`, or undefined for a non-branch. */
export function jumpTarget(insn: Insn, pc: number): number | undefined {
  const f = matchForm(insn);
  if (!f) return undefined;
  if (f.kind === "jcond" || f.kind === "ja" || f.kind === "may_goto") return pc + 1 + insn.off;
  if (f.kind === "gotol") return pc + 1 + insn.imm;
  return undefined;
}

/** One instruction's text, e.g. `r0 = 0x2`, `if r1 > r2 goto +0x3`; `<unknown>` when illegal. */
export function formatInsn(insn: Insn, pc: number, opts: FormatOptions = {}): string {
  const f = matchForm(insn);
  if (!f) return "<unknown>";
  const moff = insn.off < 0 ? ` - ${shex(-insn.off)}` : ` + ${shex(insn.off)}`;
  const rel = (n: number): string => (n < 0 ? shex(n) : `+${shex(n)}`);
  const imm64 = insn.opcode === 0x18 ? BigInt.asIntN(64, insn.imm64 ?? BigInt(insn.imm)) : 0n;
  let text = f.asm.replace(/\{(\w+)\}/g, (_m, key: string): string => {
    switch (key) {
      case "d":
        return String(insn.dst);
      case "s":
        return String(insn.src);
      case "x":
        return opts.alu32 ? "w" : "r";
      case "imm":
        return shex(insn.imm);
      case "uimm":
        return shex(insn.imm >>> 0);
      case "imm64":
        return shex(imm64);
      case "width":
        return String(insn.imm);
      case "moff":
        return moff;
      case "joff":
        return rel(insn.off);
      case "jimm":
        return rel(insn.imm);
      case "srcn":
        return shex(insn.src);
      default:
        throw new Error(`bad placeholder {${key}} in form ${f.name}`);
    }
  });
  const target = jumpTarget(insn, pc);
  if (target !== undefined && opts.label) {
    const l = opts.label(target);
    if (l !== undefined) text += ` <${l}>`;
  }
  return text;
}

/** Raw bytes as llvm-objdump shows them: lowercase hex pairs separated by single spaces. */
export const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** The instruction-line prefix: index right-aligned in 8 columns, then a colon and a tab. */
export const pcColumn = (pc: number): string => `${String(pc).padStart(8)}:\t`;

export const relocTypeName = (type: number): string =>
  (
    ({ 0: "R_BPF_NONE", 1: "R_BPF_64_64", 2: "R_BPF_64_ABS64", 3: "R_BPF_64_ABS32", 4: "R_BPF_64_NODYLD32", 10: "R_BPF_64_32" }) as Record<
      number,
      string
    >
  )[type] ?? `R_BPF_UNKNOWN_${type}`;

/** A relocation annotation line in llvm-objdump -dr layout (byteOffset within the section). */
export const relocLine = (byteOffset: number, type: number, symbol: string): string =>
  `\t\t${byteOffset.toString(16).padStart(16, "0")}:  ${relocTypeName(type)}\t${symbol}`;

/** A whole instruction list in llvm-objdump -d layout (one line per instruction, pc = slot index). */
export function disassemble(insns: readonly Insn[], opts: DisasmOptions = {}): string {
  const lines: string[] = [];
  let pc = 0;
  for (const insn of insns) {
    const sym = opts.symbols?.get(pc);
    if (sym !== undefined) lines.push(`${lines.length ? "\n" : ""}${(pc * 8).toString(16).padStart(16, "0")} <${sym}>:`);
    const bytes = opts.bytes === false ? "" : `${hexBytes(encode([insn]))}\t`;
    let line = `${pcColumn(pc)}${bytes}${formatInsn(insn, pc, opts)}`;
    if (opts.comments && insn.comment) line += `\t; ${insn.comment}`;
    lines.push(line);
    if (insn.reloc && opts.relocs !== false) {
      if (insn.reloc.kind === "core") {
        lines.push(`\t\t${(pc * 8).toString(16).padStart(16, "0")}:  CO-RE kind ${insn.reloc.relo.kind} ${insn.reloc.relo.access}`);
      } else {
        const type = insn.reloc.kind === "call" ? 10 : 1;
        lines.push(relocLine(pc * 8, type, insn.reloc.symbol));
      }
    }
    pc += insnSlots(insn);
  }
  return lines.join("\n") + (lines.length ? "\n" : "");
}
