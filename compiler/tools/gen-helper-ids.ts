// Writes the helper ids of compiler/frontend/helper-ids.ts from a kernel's BTF (enum bpf_func_id,
// /sys/kernel/btf/vmlinux by default), so that the whole enum is there and a new helper row never
// needs an id added by hand. `npm run gen:helper-ids [-- <btf file>]`; test/intrinsics.test.ts
// checks the committed list against the running kernel.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseBtf } from "../../common/btf-reader.js";

const BEGIN = "// BEGIN GENERATED from enum bpf_func_id (npm run gen:helper-ids)";
const END = "// END GENERATED";

/** enum bpf_func_id's members without BPF_FUNC_, in id order (__BPF_FUNC_MAX_ID left out). */
export function helperIdsFromBtf(btf: Uint8Array): [string, number][] {
  const t = parseBtf(btf).types.find((x) => (x.kind === "ENUM" || x.kind === "ENUM64") && x.name === "bpf_func_id");
  if (!t || (t.kind !== "ENUM" && t.kind !== "ENUM64")) throw new Error("no enum bpf_func_id in this BTF");
  return t.values
    .filter((v) => v.name.startsWith("BPF_FUNC_"))
    .map((v): [string, number] => [v.name.slice("BPF_FUNC_".length), Number(v.value)])
    .sort((a, b) => a[1] - b[1]);
}

/** `source` with the generated object literal's body replaced by `ids`. */
export function rewriteHelperIds(source: string, ids: [string, number][]): string {
  const a = source.indexOf(BEGIN);
  const b = source.indexOf(END, a);
  if (a < 0 || b < 0) throw new Error(`helper-ids.ts: markers '${BEGIN}' ... '${END}' not found`);
  const body = ids.map(([name, id]) => `  ${name}: ${id},`).join("\n");
  return `${source.slice(0, a + BEGIN.length)}\n${body}\n  ${source.slice(b)}`;
}

function main(argv: string[]): number {
  const btfFile = argv[0] ?? "/sys/kernel/btf/vmlinux";
  const target = join(import.meta.dirname, "..", "frontend", "helper-ids.ts");
  const text = readFileSync(target, "utf8");
  const next = rewriteHelperIds(text, helperIdsFromBtf(readFileSync(btfFile)));
  if (next !== text) writeFileSync(target, next);
  process.stdout.write(`${target}: ${next === text ? "up to date" : "rewritten"} from ${btfFile}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
