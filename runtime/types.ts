// Why: attaching, links, typed maps and globals each use a few members of a loaded program or
// object. Naming those members here (BpfProgram and BpfObject have them) lets attach.ts, link.ts,
// replace.ts, typed-map.ts and globals.ts take a program or object without importing program.ts
// or object.ts, which import them: runtime/ has no import cycles.

import type { Ptr } from "./libbpf.js";
import type { BpfMap } from "./map.js";

/** What attach functions and links use of a loaded program: a BpfProgram. */
export interface ProgramHandle {
  readonly name: string;
  readonly section: string;
  /** BPF_PROG_TYPE_* as libbpf loaded it. */
  readonly type: number;
  /** Program fd, or -1 when it was not loaded (autoload off). */
  readonly fd: number;
  /** libbpf's `struct bpf_program *`; valid only while the object is open. */
  readonly nativePtr: Ptr;
}

/** What typed maps and globals use of a loaded object: a BpfObject. */
export interface ObjectHandle {
  readonly name: string;
  readonly closed: boolean;
  readonly maps: ReadonlyMap<string, BpfMap>;
  readonly programs: ReadonlyMap<string, ProgramHandle>;
}
