// What the back end hands the object writer: everything needed to write one ELF relocatable file
// with .BTF and .BTF.ext. The writer decides section layout, symbols, string tables and type ids.

import type { CType } from "../ctypes.js";
import type { Insn } from "../isa/insn.js";

export interface ObjectModel {
  /** Path of the source file, recorded in line info. */
  sourcePath: string;
  /** Source text, one entry per line (line info stores the text of each referenced line). */
  sourceLines: string[];
  license: string;
  programs: ProgramCode[];
  /** bpf-to-bpf callees, written to .text. */
  subprograms: ProgramCode[];
  maps: MapDef[];
}

export interface ProgramCode {
  /** Symbol and BTF FUNC name. */
  name: string;
  /** ELF section, libbpf naming: "xdp", "socket", "tp/syscalls/sys_enter_execve", ".text". */
  section: string;
  insns: Insn[];
  /** Parameter names and types for the BTF FUNC_PROTO (a program has one: its ctx pointer). */
  params: { name: string; type: CType }[];
  /** Return type for the FUNC_PROTO; programs return int. */
  ret: CType;
  /** Line records: instruction index (not slot) -> 1-based source line and column. Sorted. */
  lines: { insn: number; line: number; col: number }[];
}

export interface MapDef {
  name: string;
  /** BPF_MAP_TYPE_* number. */
  type: number;
  key?: CType;
  value?: CType;
  maxEntries: number;
  flags?: number;
}
