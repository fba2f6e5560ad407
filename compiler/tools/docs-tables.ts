// Writes the reference tables of docs/language.md from the compiler's tables, so that a new helper
// or map kind is documented by its row: the helper catalogue (function, kernel helper, first kernel,
// program kinds, description) from the intrinsics table, the map kinds at a glance from
// common/map-kinds.ts, and the program kinds from PROGRAM_KIND_DOCS beside PROGRAM_KINDS. Each table lives between a pair of markers in the docs; `npm run docs:gen`
// rewrites them, `--check` exits 1 when the committed docs are stale (test/docs-tables.test.ts does
// the same check in the test suite).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { MAP_KINDS, type MapKind } from "../../common/map-kinds.js";
import { CTX_METHODS, INTRINSICS, type Intrinsic } from "../frontend/helpers-table.js";
import { PROGRAM_KIND_DOCS, PROGRAM_KINDS } from "../frontend/program-kinds.js";

/** Every row that calls a kernel helper: free functions, then context methods (`ctx.name`), in table order. */
export function helperRows(): [string, Intrinsic][] {
  return [...Object.entries(INTRINSICS), ...Object.entries(CTX_METHODS).map(([n, r]): [string, Intrinsic] => [`ctx.${n}`, r])].filter(
    ([, r]) => r.helper !== undefined,
  );
}

/** The program kinds (stdlib wrapper names) whose program type is in `kinds`; "all" when unrestricted. */
export function kindsText(row: Intrinsic): string {
  if (!row.kinds) return "all";
  return Object.values(PROGRAM_KINDS)
    .filter((k) => k.type && row.kinds!.includes(k.type))
    .map((k) => k.wrapper)
    .join(", ");
}

/** A table cell: pipes would end the cell. */
const cell = (s: string): string => s.replace(/\|/g, "\\|");

export function helperTable(): string {
  const lines = ["| Function | Kernel helper | Since | Program kinds | What it does |", "| --- | --- | --- | --- | --- |"];
  for (const [name, row] of helperRows())
    lines.push(`| \`${name}\` | \`bpf_${row.helper}\` | ${row.since ?? "?"} | ${kindsText(row)} | ${cell(row.doc ?? "—")} |`);
  return lines.join("\n");
}

/** What a map class's type arguments are, from its shape. */
function typeArgs(k: MapKind): string {
  switch (k.shape) {
    case "kv":
      return k.keyRule === "lpm" ? "`<K, V>`, K starts with `prefixlen: u32`" : "`<K, V>`";
    case "array":
      return "`<V>` (u32 index)";
    case "events":
    case "value-only":
      return "`<T>`";
    case "maps":
      return "none (typed by the inner maps named in the slots)";
    default:
      return "none";
  }
}

export function mapKindTable(): string {
  const lines = ["| Class | BPF_MAP_TYPE_ | Linux | Type arguments | Methods in programs |", "| --- | --- | --- | --- | --- |"];
  for (const k of MAP_KINDS as readonly MapKind[]) {
    if (!k.cls) continue;
    const methods = Object.keys(k.methods)
      .map((m) => `\`${m}\``)
      .join(", ");
    lines.push(`| \`${k.cls}\` | \`${k.name}\` | ${k.since} | ${typeArgs(k)} | ${methods || "—"} |`);
  }
  return lines.join("\n");
}

/** The program kinds documented in the table (xdp and socketFilter have sections of their own), grouped rows first-wrapper order. */
export function programKindTable(): string {
  const lines = ["| Wrapper | Section | Context | Notes |", "| --- | --- | --- | --- |"];
  for (const name of Object.keys(PROGRAM_KINDS)) {
    const d = PROGRAM_KIND_DOCS[name];
    if (!d) throw new Error(`program kind '${name}' has no entry in PROGRAM_KIND_DOCS (compiler/frontend/program-kinds.ts)`);
    if ("call" in d) lines.push(`| ${d.call} | ${d.section} | ${d.context} | ${d.notes} |`);
  }
  return lines.join("\n");
}

/** The generated regions: name -> contents. */
export const GENERATED: Record<string, () => string> = {
  helpers: helperTable,
  "map-kinds": mapKindTable,
  "program-kinds": programKindTable,
};

const begin = (name: string): string => `<!-- BEGIN GENERATED ${name}: npm run docs:gen writes this table from the compiler's tables -->`;
const end = (name: string): string => `<!-- END GENERATED ${name} -->`;

/** `text` with every generated region rewritten; throws when a region's markers are missing. */
export function regenerate(text: string): string {
  let out = text;
  for (const [name, render] of Object.entries(GENERATED)) {
    const a = out.indexOf(begin(name));
    const b = out.indexOf(end(name));
    if (a < 0 || b < a) throw new Error(`docs/language.md: no generated region '${name}' (markers ${begin(name)} ... ${end(name)})`);
    out = `${out.slice(0, a + begin(name).length)}\n${render()}\n${out.slice(b)}`;
  }
  return out;
}

export const LANGUAGE_MD = join(import.meta.dirname, "..", "..", "docs", "language.md");

function main(argv: string[]): number {
  // Run from the sources (tsx) or from dist/: docs/ is found from the repository root either way.
  const file = argv.find((a) => !a.startsWith("--")) ?? LANGUAGE_MD.replace(/dist[\\/]docs/, "docs");
  const text = readFileSync(file, "utf8");
  const next = regenerate(text);
  if (argv.includes("--check")) {
    if (next === text) return 0;
    process.stderr.write(`${file} is stale: run npm run docs:gen\n`);
    return 1;
  }
  if (next !== text) writeFileSync(file, next);
  process.stdout.write(next === text ? `${file}: up to date\n` : `${file}: tables rewritten\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
