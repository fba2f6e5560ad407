// GPL-only helpers in a program whose LICENSE is not GPL-compatible: the kernel loads the object and
// then the verifier refuses the program. Caught here at compile time (TSBPF2210), for every helper
// call the lowering emits, explicit (bpfPrintk) or implicit (a kernel-memory read).

import { GPL_ONLY_HELPERS } from "./helper-ids.js";
import type { LowererBase } from "./lower-base.js";
import type { ts } from "./ts-adapter.js";

/** The kernel's license_is_gpl_compatible() list (include/linux/license.h): exact strings. */
const GPL_COMPATIBLE = new Set(["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"]);

const NAME_OF_ID = new Map(Object.entries(GPL_ONLY_HELPERS).map(([name, id]) => [id, name]));

export function isGplCompatible(license: string | undefined): boolean {
  return license !== undefined && GPL_COMPATIBLE.has(license);
}

/** Called for each helper call emitted; `at` is the call (or statement) being lowered. Reports once per site and helper. */
export function checkGplHelper(x: LowererBase, helper: number, at: ts.Node | undefined, seen: Set<string>): void {
  const name = NAME_OF_ID.get(helper);
  if (name === undefined || isGplCompatible(x.mod.license) || at === undefined) return;
  const key = `${at.pos}:${helper}`;
  if (seen.has(key)) return;
  seen.add(key);
  x.r.report("TSBPF2210", at, name, x.mod.license === undefined ? "(none)" : JSON.stringify(x.mod.license));
}
