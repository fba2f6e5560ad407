// What the back end hands the object writer: everything needed to write one ELF relocatable file
// with .BTF and .BTF.ext. The writer decides section layout, symbols, string tables and type ids.

import type { CType } from "../../common/ctypes.js";
import type { Insn } from "../isa/insn.js";

export interface ObjectModel {
  /** Path of the source file, recorded in line info. */
  sourcePath: string;
  /** Source text, one entry per line (line info stores the text of each referenced line). */
  sourceLines: string[];
  /** Imported local modules (multi-file programs), keyed by the `file` of their line entries. */
  sources?: Record<string, { path: string; lines: string[] }>;
  license: string;
  programs: ProgramCode[];
  /** bpf-to-bpf callees, written to .text. */
  subprograms: ProgramCode[];
  maps: MapDef[];
  /**
   * Global variables, laid out in this order within each section (see object/globals.ts). libbpf
   * turns each non-empty section into a one-element ARRAY map `<obj>.rodata` etc.; `.rodata` is
   * frozen, so the verifier knows its contents. Optional: an absent list means no globals.
   */
  globals?: GlobalVar[];
}

export type GlobalSection = ".rodata" | ".data" | ".bss";

export interface GlobalVar {
  /** Symbol and BTF VAR name; code refers to it through `InsnReloc { kind: "map", symbol: name }`. */
  name: string;
  section: GlobalSection;
  type: CType;
  /** Initial bytes (exactly the type's size); absent means zeros. `.bss` variables take none. */
  init?: Uint8Array;
  /** File-local (C `static`): BTF linkage static and a local symbol, hidden from user space (format strings). */
  static?: boolean;
}

export interface ProgramCode {
  /** Symbol and BTF FUNC name. */
  name: string;
  /** ELF section, libbpf naming: "xdp", "socket", "tp/syscalls/sys_enter_execve", ".text". */
  section: string;
  insns: Insn[];
  /** Parameter names and types for the BTF FUNC_PROTO (a program has one: its ctx pointer). */
  params: { name: string; type: CType; nonnull?: boolean }[];
  /** Return type for the FUNC_PROTO; programs return int. */
  ret: CType;
  /**
   * A subprogram with global linkage (`@global`): BTF FUNC linkage global and a visible symbol, so
   * the verifier checks it once from its prototype. Parameters with `nonnull` get an `arg:nonnull`
   * decl tag (tsbpf's struct references are never null).
   */
  global?: boolean;
  /** Line records: instruction index (not slot) -> 1-based source line and column. Sorted. */
  lines: { insn: number; line: number; col: number; file?: string }[];
}

export interface MapDef {
  name: string;
  /** BPF_MAP_TYPE_* number. */
  type: number;
  key?: CType;
  value?: CType;
  maxEntries: number;
  flags?: number;
  /** key_size/value_size written as numbers, for kinds whose key and value carry no BTF type. */
  keySize?: number;
  valueSize?: number;
  /** LIBBPF_PIN_BY_NAME (1): libbpf pins the map under its name and reuses an existing pin. */
  pinning?: number;
  /** `map_extra` (bloom filter: number of hash functions). */
  mapExtra?: number;
  /**
   * Program-array slots filled at load (C's `.values = { [i] = &prog }`): a `values` BTF member and
   * one `.rel.maps` relocation per slot against the program's symbol; libbpf stores the fds.
   */
  progSlots?: { index: number; program: string }[];
  /** Maps of maps: the inner maps' definition (libbpf's template) and the slots filled at load. */
  innerMap?: MapDef;
  mapSlots?: { index: number; map: string }[];
}
