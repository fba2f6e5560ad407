// What the running kernel's verifier says of a compiled object, for the verifier-cost benchmarks
// (cost-calibration.ts, cost-natural.ts): its processed count, a refusal for its size, or another
// load error.

import { loadObject, VerifierError } from "../runtime/index.js";

export type Verdict = { processed: number } | { refused: string } | { error: string };

export function verdict(object: Uint8Array): Verdict {
  try {
    const o = loadObject(object, { logLevel: 4 });
    const log = [...o.programs.values()][0]?.verifierLog ?? "";
    o.close();
    return { processed: Number(/processed (\d+) insns/.exec(log)?.[1] ?? Number.NaN) };
  } catch (e) {
    if (!(e instanceof VerifierError)) return { error: (e as Error).message.split("\n")[0]! };
    const cost = /BPF program is too large|The sequence of \d+ jumps is too complex/.exec(e.log)?.[0];
    return cost ? { refused: cost } : { error: e.log.split("\n").slice(-2).join(" ") };
  }
}
