// Why: a verifier rejection should read like a compile error. The kernel's log names an instruction
// index and a reason in its own terms; the object's .BTF.ext line_info maps the instruction back to
// the TypeScript file:line:col it came from, and a table of known messages adds a hint in the
// language's terms. The raw log stays on the error for anything the table does not know.

import { readElf } from "../common/read-elf.js";

/** One .BTF.ext line_info record, per ELF code section. */
export interface LineRecord {
  /** Instruction index from the start of the section (byte offset / 8). */
  insn: number;
  file: string;
  text: string;
  line: number;
  col: number;
}

export interface VerifierExplanation {
  /** The verifier's reason, one line. */
  reason: string;
  /** Index of the failing instruction in the loaded program, when the log names one. */
  insn?: number;
  /** Where the failing instruction came from, when the object has line info for it. */
  source?: { file: string; line: number; col: number; text: string };
  /** What usually fixes it, from the table below. */
  hint?: string;
}

/** Known verifier messages, most specific first, and what to do about them in tsbpf's terms. */
export const VERIFIER_HINTS: readonly { match: RegExp; hint: string }[] = [
  {
    match: /invalid mem access '(map_value_or_null|[a-z_]*_or_null)'|R\d+ invalid mem access '(ptr_or_null|mem_or_null)'/,
    hint: "the value may be null: test the lookup or header with if (v !== null) before using it",
  },
  {
    match: /invalid access to packet|offset is outside of the packet|R\d+ invalid mem access 'pkt/,
    hint: "read packet bytes only through the header returned by ctx.header<T>(off) after its null check; the check must cover every byte read",
  },
  {
    match: /invalid access to map value|value is outside of the allowed memory range|invalid variable-offset/,
    hint: "bound the index before using it: if (i < N) or i & (N - 1); the verifier needs a range it can prove",
  },
  {
    match: /unbounded min value|unbounded memory access|min value is negative|math between .* pointer and register with unbounded/,
    hint: "the offset has no proven bounds: compare it against a constant (or mask it) right before the access",
  },
  {
    match: /!read_ok|invalid read from stack|invalid indirect read from stack/,
    hint: "a value is read before it is written on some path: initialise the local or struct on every path",
  },
  {
    match: /BPF program is too large|too many instructions|complexity limit/,
    hint: "the verifier walked more than 1M instructions: lower loop bounds, use loop() for long loops, or split the work with tail calls",
  },
  {
    match: /back-edge from insn|infinite loop detected|loop is not bounded/,
    hint: "the verifier cannot see this loop end: loop as for (let i = A; i < N; i++) with constant bounds, or use loop()",
  },
  {
    match: /jump out of range|unreachable insn|last insn is not an exit or jmp/,
    hint: "the object's control flow is malformed: rebuild it with tsbpf; if it persists this is a tsbpf bug, please report it",
  },
  { match: /cannot call GPL-restricted function|GPL-incompatible/, hint: 'this helper is GPL-only: export const LICENSE = "GPL";' },
  {
    match:
      /unknown func|program of this type cannot use helper|helper call is not allowed|not supported for prog type|func .* not supported/,
    hint: "this helper is not available to this program kind: see the program kinds table in docs/language.md (some kernel builds also leave out helpers upstream allows)",
  },
  {
    match: /combined stack size|stack depth .* too large|exceeds 512|too deep/,
    hint: "the call chain uses more than 512 bytes of stack: inline small functions or keep large structs in a per-CPU array map",
  },
  {
    match: /Unreleased reference|reference has not been released/,
    hint: "a ring-buffer reservation is not submitted or discarded on every path",
  },
  {
    match: /invalid bpf_context access|dereference of modified ctx ptr/,
    hint: "read the context only through its declared fields, directly from ctx",
  },
  {
    match: /R0 !read_ok|At program exit the register R0/,
    hint: "the program must return a value the kernel accepts for this program kind on every path",
  },
  {
    match: /invalid mem access 'scalar'|invalid mem access 'inv'/,
    hint: "a plain number is used as a pointer: keep references from lookups and headers in their own locals",
  },
  { match: /permission denied|Permission denied/, hint: "loading needs root or CAP_BPF (and CAP_NET_ADMIN for networking programs)" },
];

/** An object's line info: per code section, its records sorted by instruction and its length. */
export interface LineInfo {
  records: Map<string, LineRecord[]>;
  /** Instructions (8-byte slots) per code section. */
  sizes: Map<string, number>;
  /**
   * Each program's place in its section (instructions): several programs can share a section
   * (`xdp`), and the kernel numbers a log's instructions from the program's own start.
   */
  programs?: Map<string, { section: string; start: number; size: number }>;
}

/** Parses the .BTF.ext line_info of an ELF object. */
export function readLineInfo(elfBytes: Uint8Array): LineInfo {
  const out = new Map<string, LineRecord[]>();
  const elf = readElf(elfBytes);
  const sizes = new Map(elf.sections.filter((s) => s.flags & 0x4).map((s) => [s.name, s.size / 8]));
  const programs = new Map<string, { section: string; start: number; size: number }>();
  for (const sym of elf.symbols) {
    const sec = elf.sections[sym.shndx];
    if (sym.type === 2 && sym.bind === 1 && sec && sec.flags & 0x4)
      programs.set(sym.name, { section: sec.name, start: sym.value / 8, size: sym.size / 8 });
  }
  const info = { records: out, sizes, programs };
  const btf = elf.sectionByName(".BTF")?.data;
  const ext = elf.sectionByName(".BTF.ext")?.data;
  if (!btf || !ext || btf.length < 24 || ext.length < 24) return info;
  const bv = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  const bhdr = bv.getUint32(4, true);
  const strings = btf.subarray(bhdr + bv.getUint32(16, true), bhdr + bv.getUint32(16, true) + bv.getUint32(20, true));
  const dec = new TextDecoder();
  const str = (off: number): string => {
    let end = off;
    while (end < strings.length && strings[end] !== 0) end++;
    return dec.decode(strings.subarray(off, end));
  };
  const v = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  const hdr = v.getUint32(4, true);
  const lineOff = hdr + v.getUint32(16, true);
  const lineLen = v.getUint32(20, true);
  if (lineLen < 4 || lineOff + lineLen > ext.length) return info;
  const recSize = v.getUint32(lineOff, true);
  if (recSize < 16) return info;
  for (let p = lineOff + 4; p + 8 <= lineOff + lineLen; ) {
    const section = str(v.getUint32(p, true));
    const count = v.getUint32(p + 4, true);
    p += 8;
    const recs: LineRecord[] = [];
    for (let i = 0; i < count && p + recSize <= lineOff + lineLen; i++, p += recSize) {
      const lc = v.getUint32(p + 12, true);
      recs.push({
        insn: v.getUint32(p, true) / 8,
        file: str(v.getUint32(p + 4, true)),
        text: str(v.getUint32(p + 8, true)),
        line: lc >>> 10,
        col: lc & 0x3ff,
      });
    }
    out.set(
      section,
      recs.sort((a, b) => a.insn - b.insn),
    );
  }
  return info;
}

const INSN_LINE = /^(\d+): \([0-9a-f]{2}\)/;
const NOISE =
  /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|-- END|-- BEGIN|R\d+(_\w+)?=|\d+: R\d|;|from \d+ to \d+:|mark_precise|last_idx|regs=|caller:|callee:|\s)/;

/**
 * Reads a verifier log: the failing instruction (the last one the verifier printed, or the one its
 * message names), the one-line reason, the TypeScript position from line info, and a hint.
 * `section` is the program's ELF section; `lines` comes from readLineInfo.
 */
export function explainVerifierLog(log: string, section: string | undefined, lines: LineInfo, program?: string): VerifierExplanation {
  const all = log.split("\n").map((l) => l.trimEnd());
  let lastInsn = -1;
  let insn: number | undefined;
  all.forEach((l, i) => {
    const m = INSN_LINE.exec(l);
    if (m) {
      lastInsn = i;
      insn = Number(m[1]);
    }
  });
  const after = all.slice(lastInsn + 1).filter((l) => l.trim() !== "" && !NOISE.test(l));
  const before = lastInsn < 0 ? all.filter((l) => l.trim() !== "" && !NOISE.test(l)) : [];
  const reason = (after[0] ?? before[before.length - 1] ?? all.filter((l) => l.trim()).pop() ?? "").trim();
  // Some messages name the instruction themselves ("jump out of range from insn 3 to 9").
  const named = /(?:from insn|insn) (\d+)/.exec(reason);
  if (insn === undefined && named) insn = Number(named[1]);
  const out: VerifierExplanation = { reason, insn };
  out.hint = VERIFIER_HINTS.find((h) => h.match.test(reason) || after.some((l) => h.match.test(l)))?.hint;
  if (insn !== undefined) out.source = sourceOf(insn, section, lines, all.slice(0, lastInsn < 0 ? all.length : lastInsn + 1), program);
  return out;
}

/**
 * The record covering `insn`. Instructions past the program's own section belong to subprograms
 * libbpf appended from .text; for those the kernel's own `; text @ file:line` comment (printed from
 * the same line info) says which line, and the .text records supply the column.
 */
function sourceOf(
  insn: number,
  section: string | undefined,
  lines: LineInfo,
  logUpTo: string[],
  program?: string,
): VerifierExplanation["source"] {
  const own = section ? lines.records.get(section) : undefined;
  const place = program ? lines.programs?.get(program) : undefined;
  const mine = place !== undefined && place.section === section;
  const start = mine ? place.start : 0;
  // A symbol without a size (hand-made objects) runs to the end of its section.
  const size = mine && place.size > 0 ? place.size : (lines.sizes.get(section!) ?? 0) - start;
  const comment = [...logUpTo]
    .reverse()
    .map((l) => /^; (.*) @ (.+):(\d+)$/.exec(l))
    .find((m) => m);
  if (own?.length && insn < size) {
    const rec = [...own].reverse().find((r) => r.insn <= start + insn);
    if (rec && rec.line > 0) return { file: rec.file, line: rec.line, col: rec.col, text: rec.text };
  }
  if (comment) {
    // The kernel prints the file's base name; the records have the path the compiler wrote.
    const [, text, file, line] = comment;
    const sameFile = (f: string) => f === file || f.endsWith(`/${file}`);
    const rec = [...lines.records.values()].flat().find((r) => sameFile(r.file) && r.line === Number(line) && r.col > 0);
    return { file: rec?.file ?? file, line: Number(line), col: rec?.col ?? 1, text: rec?.text ?? text };
  }
  return undefined;
}

/** The error text: `file:line:col - verifier: reason`, the source line, the hint. */
export function formatExplanation(program: string, e: VerifierExplanation): string {
  const where = e.source
    ? `${e.source.file}:${e.source.line}:${e.source.col}`
    : `program '${program}'${e.insn !== undefined ? ` instruction ${e.insn}` : ""}`;
  let s = `${where} - verifier: ${e.reason}`;
  if (e.source?.text) s += `\n  ${e.source.line} | ${e.source.text.trim()}`;
  if (e.hint) s += `\n  hint: ${e.hint}`;
  return s;
}
