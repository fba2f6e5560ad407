// What the kernel verifier says of an object: its processed count, or why it refused (the verifier-cost tests).

import { loadObject, VerifierError } from "../../runtime/index.js";

/** The verifier's processed count, or why it refused. */
export function verify(object: Uint8Array): { processed: number } | { refused: string } {
  try {
    const o = loadObject(object, { logLevel: 4 });
    const log = [...o.programs.values()][0]!.verifierLog;
    o.close();
    return { processed: Number(/processed (\d+) insns/.exec(log)![1]) };
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    return { refused: /BPF program is too large|The sequence of \d+ jumps is too complex/.exec(e.log)?.[0] ?? e.log.split("\n")[0]! };
  }
}
