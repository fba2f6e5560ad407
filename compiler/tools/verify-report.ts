// How `--verify` (build, check, build --watch) words the kernel's verdict. Apart from verify-object.ts
// so that the commands can word it without loading the runtime (koffi, libbpf) at start-up.

import type { ProgramVerdict } from "./verify-object.js";

/** What the verifier said of one program, e.g. "verified by the kernel: 89 instructions processed, 8 states". */
export const kernelVerdict = (v: ProgramVerdict): string =>
  `verified by the kernel: ${v.processed.toLocaleString("en-US")} instructions processed, ${v.states} states`;

/** The error when this process cannot use bpf(). */
export const verifyUnavailable = (reason: string): string =>
  `error: --verify needs the bpf() system call, and this process cannot use it: ${reason}\n`;
