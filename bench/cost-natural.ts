// The verifier-cost estimate on programs written the way a user would (bench/natural/*.bpf.ts):
// packet scans, checksums, hashes, rule tables, TLV, DNS and word parsers, table scans, sorts,
// tracing loops. Each file says what it does and, in a `// sizes:` line, the trip counts to try
// (`64 256` sets `const N`; `N=4,M=63` sets N and M). Each size is compiled, loaded into the running
// kernel and its estimate set beside the verifier's processed count. Prints one line per program
// and the totals: refusals with and without a cost warning (an unwarned one is a gap of issue 10's
// kind), and warnings on programs that loaded with less than 40% of the limit (false alarms).
// Exit status 1 when a program was refused for its cost with no warning.
//
//   npm run cost:natural -- [--only name] [--quiet]

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "../compiler/compile.js";
import { COST_WARNING_CODES } from "../compiler/diagnostics-table.js";
import { bpfAvailable } from "../runtime/index.js";
import { verdict } from "./load-verdict.js";

const dir = join(import.meta.dirname, "natural");
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const quiet = process.argv.includes("--quiet");

const avail = bpfAvailable();
if (!avail.ok) {
  console.error(`cost:natural needs a working bpf(): ${avail.reason}`);
  process.exit(2);
}

/** The source with `const K = v;` set for each K of a size (`64`: N; `N=4,M=63`). */
function sized(src: string, size: string): string {
  const values = size.includes("=") ? size.split(",").map((kv) => kv.split("=") as [string, string]) : [["N", size] as [string, string]];
  let out = src;
  for (const [k, v] of values) out = out.replace(new RegExp(`^const ${k} = \\d+;$`, "m"), `const ${k} = ${v};`);
  return out;
}

const totals = { programs: 0, loaded: 0, falseAlarms: 0, nearWarned: 0, refusedWarned: 0, refusedUnwarned: 0, errors: 0 };
const gaps: string[] = [];
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bpf.ts") && (!only || f.startsWith(only)))
  .sort();
for (const f of files) {
  const src = readFileSync(join(dir, f), "utf8");
  const sizes = /^\/\/ sizes: (.+)$/m.exec(src)?.[1]?.trim().split(/\s+/) ?? [""];
  for (const size of sizes) {
    const what = `${f.replace(".bpf.ts", "")} ${size}`.trim();
    totals.programs++;
    // Compiled where it lives, so a relative import (a vmlinux.d.ts) resolves.
    const r = compile(join(dir, f), size ? sized(src, size) : src, { keepCostRefused: true });
    const warned = r.diagnostics.filter((d) => COST_WARNING_CODES.has(d.code) || /^TSBPF220[234]$/.test(d.code)).map((d) => d.code);
    const estimate = r.programs[0]?.verifierSteps ?? 0;
    if (!r.object) {
      totals.errors++;
      console.log(`${what}: does not compile: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}`);
      continue;
    }
    const v = verdict(r.object);
    let mark = "";
    if ("processed" in v) {
      totals.loaded++;
      if (warned.length && v.processed < 400_000) totals.falseAlarms++, (mark = "  <- false alarm");
      else if (warned.length) totals.nearWarned++;
    } else if ("refused" in v) {
      if (warned.length) totals.refusedWarned++;
      else totals.refusedUnwarned++, gaps.push(what), (mark = "  <- refused with no warning");
    } else {
      totals.errors++;
      mark = `  <- load error: ${v.error}`;
    }
    const shown = "processed" in v ? `processed ${v.processed.toLocaleString("en-US")}` : "refused" in v ? "refused" : "error";
    if (!quiet || mark)
      console.log(`${what}: estimate ${estimate.toLocaleString("en-US")}, ${shown}${warned.length ? `, ${warned.join(",")}` : ""}${mark}`);
  }
}
console.log(
  `cost:natural: ${totals.programs} programs from ${files.length} files: loaded ${totals.loaded} ` +
    `(warned near the limit ${totals.nearWarned}, false alarms ${totals.falseAlarms}), refused for their cost ` +
    `${totals.refusedWarned + totals.refusedUnwarned} (${totals.refusedWarned} after a warning, ${totals.refusedUnwarned} with none), ` +
    `other errors ${totals.errors}`,
);
if (gaps.length) console.log(`refused with no warning: ${gaps.join("; ")}`);
process.exit(totals.refusedUnwarned > 0 ? 1 : 0);
