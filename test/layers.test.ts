// Why: the layers only stay apart if something checks them. This test reads every import (static,
// type-only, re-export, dynamic) of the source folders with TypeScript's own pre-processor (so
// strings and comments that merely mention a module do not count) and asserts who may import what:
// only runtime/libbpf.ts touches koffi, common/ stands alone, the compiler core never reaches into
// the runtime, and runtime/ and common/ have no import cycles.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const FOLDERS = ["runtime", "compiler", "common", "testing"];

interface Import {
  /** Repository-relative importing file, e.g. runtime/attach.ts. */
  from: string;
  /** The specifier as written. */
  spec: string;
  /** Repository-relative target for relative specifiers (".js" read as ".ts"), else null. */
  target: string | null;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|cts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

/** Every module specifier `text` imports or re-exports, including `import type` and `import()`. */
function specifiersOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function importsOf(file: string): Import[] {
  const from = relative(ROOT, file);
  return specifiersOf(readFileSync(file, "utf8")).map((spec) => ({
    from,
    spec,
    target: spec.startsWith(".") ? relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, ".ts") : null,
  }));
}

const IMPORTS: Import[] = FOLDERS.flatMap((f) => sourceFiles(join(ROOT, f))).flatMap(importsOf);

const under = (path: string | null, folder: string): boolean => path !== null && (path === folder || path.startsWith(`${folder}/`));
const show = (list: Import[]): string[] => list.map((i) => `${i.from} imports ${i.spec}`);

/** Import cycles among the files of `folder` (each cycle once, as a path a -> b -> ... -> a). */
function cyclesIn(folder: string): string[] {
  const edges = new Map<string, Set<string>>();
  for (const i of IMPORTS) {
    if (i.target === null || !under(i.from, folder) || !under(i.target, folder)) continue;
    const out = edges.get(i.from) ?? new Set<string>();
    out.add(i.target);
    edges.set(i.from, out);
  }
  const cycles = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, "open");
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === "open") cycles.add([...stack.slice(stack.indexOf(m)), m].join(" -> "));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...edges.keys()].sort()) if (!state.has(n)) visit(n);
  return [...cycles];
}

describe("layers", () => {
  it("reads static, type-only, re-export and dynamic imports, and nothing that only mentions a module", () => {
    const text = [
      `import a from "koffi";`,
      `import type { B } from "./b.js";`,
      `export { c } from "../c.js";`,
      `const d = await import("./d.js");`,
      `// import e from "comment";`,
      'const f = `import g from "template"`;',
      `const h = 'from "string"';`,
    ].join("\n");
    expect(specifiersOf(text)).toEqual(["koffi", "./b.js", "../c.js", "./d.js"]);
    // The scan sees the real tree: the runtime's own imports are there.
    expect(IMPORTS.some((i) => i.from === "runtime/attach.ts" && i.target === "runtime/libbpf.ts")).toBe(true);
    expect(IMPORTS.some((i) => i.from === "runtime/libbpf.ts" && i.spec === "koffi")).toBe(true);
  });

  it("only runtime/libbpf.ts imports koffi", () => {
    expect(show(IMPORTS.filter((i) => /^koffi(\/|$)/.test(i.spec) && i.from !== "runtime/libbpf.ts"))).toEqual([]);
  });

  it("common/ imports neither compiler/ nor runtime/ (nor testing/)", () => {
    const bad = IMPORTS.filter((i) => under(i.from, "common") && ["compiler", "runtime", "testing"].some((f) => under(i.target, f)));
    expect(show(bad)).toEqual([]);
  });

  it("the compiler core (compiler/ outside compiler/tools/) imports neither runtime/ nor testing/", () => {
    const bad = IMPORTS.filter(
      (i) => under(i.from, "compiler") && !under(i.from, "compiler/tools") && (under(i.target, "runtime") || under(i.target, "testing")),
    );
    expect(show(bad)).toEqual([]);
  });

  it("runtime/ imports neither compiler/ nor testing/", () => {
    const bad = IMPORTS.filter((i) => under(i.from, "runtime") && (under(i.target, "compiler") || under(i.target, "testing")));
    expect(show(bad)).toEqual([]);
  });

  it("runtime/ and common/ have no import cycles (type-only imports count)", () => {
    expect(cyclesIn("runtime")).toEqual([]);
    expect(cyclesIn("common")).toEqual([]);
  });
});
