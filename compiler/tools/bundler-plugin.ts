// Bundler plugin (vite, rollup, rolldown, esbuild, webpack, rspack through unplugin): an import of a
// .bpf.ts file with the `?bpf` query compiles it at build time and yields a module with the object
// embedded, so the bundle needs neither the compiler nor a .bpf.o file next to it:
//
//   import load, { object } from "../xdp-counter.bpf.ts?bpf";
//   using obj = load();                       // like the skeleton's load(), bytes already in
//   obj.maps.counters.readAll();
//
// The query keeps the convention apart from the .bpf.ts itself: tsc still type-checks that file as
// BPF source (its exports are programs and maps), and only `?bpf` imports go through this plugin.
// The generated module is the `tsbpf gen` skeleton (same map/program/globals binding and checks)
// with `object` (the bytes, decoded from base64) as load()'s default source. Its named exports:
// `default` (load with the embedded object: `(opts?) => obj`), `load(src?, opts?)`, `object`.
// A JavaScript module cannot carry the key/value interfaces, so tsc sees `?bpf` imports through an
// ambient declaration (see BpfImport below and README "Bundlers"); for exact types pass the
// skeleton's object type: `load<XdpCounterObject>()` with `import type` from `tsbpf gen` output.
//
// Compile errors fail the build with the diagnostics formatted like tsc
// (`file:line:col - error TSBPFnnnn: ...` and a code frame); warnings become bundler warnings.
// `verify: true` also loads each compiled object into the running kernel, as `tsbpf build
// --verify` does: a verifier refusal fails the build (TSBPF2205), another load failure is a warning
// (TSBPF2206), and a build process without bpf() fails saying so. The runtime (koffi, libbpf) is
// imported only then.

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { createUnplugin, type UnpluginInstance } from "unplugin";
import type { BpfObject, BpfProgram, LoadOptions, TypedMap, PerCpuTypedMap } from "../../runtime/index.js";
import { compile, type CompileOptions } from "../compile.js";
import { formatDiagnostic } from "../format-diagnostic.js";
import { ts } from "../frontend/ts-adapter.js";
import { skeletonFor } from "./skeleton.js";
import type { Verification } from "./verify-object.js";

export interface TsbpfPluginOptions {
  /** Module the generated code imports the runtime from; default "tsbpf/runtime". */
  runtime?: string;
  /** Import query that selects a .bpf.ts import; default "bpf" (`./x.bpf.ts?bpf`). */
  query?: string;
  /** Instruction set level, as `tsbpf build --cpu`; default "v3". */
  cpu?: CompileOptions["cpu"];
  /** Load every compiled object into the running kernel at build time, as `tsbpf build --verify`; needs bpf(). */
  verify?: boolean;
}

/** The kernel check `verify` runs: verify-object.ts's verifyObject, passed in so this module does not load the runtime. */
export type ObjectVerifier = (file: string, text: string, object: Uint8Array) => Verification;

/** What a `?bpf` import's default export returns when no exact type is given: untyped names. */
export interface BpfImportObject {
  readonly object: BpfObject;
  readonly maps: Record<string, TypedMap<any, any> | PerCpuTypedMap<any, any>>;
  readonly programs: Record<string, BpfProgram>;
  readonly globals?: unknown;
  close(): void;
  [Symbol.dispose](): void;
}

/**
 * The shape of a `?bpf` module, for an ambient declaration in the user's project:
 *
 *   declare module "*.bpf.ts?bpf" {
 *     const load: import("tsbpf/bundler").BpfImport["default"];
 *     export default load;
 *     export const object: Uint8Array;
 *   }
 */
export interface BpfImport {
  /** Load the embedded object; `T` is the skeleton's `<Prefix>Object` type for typed maps. */
  default: <T = BpfImportObject>(opts?: LoadOptions & { rodata?: object; data?: object }) => T;
  /** Load another object (path or bytes) checked against this source's maps and programs. */
  load: <T = BpfImportObject>(src?: string | Uint8Array, opts?: LoadOptions & { rodata?: object; data?: object }) => T;
  /** The compiled ELF object. */
  object: Uint8Array;
}

const PREFIX = "\0tsbpf:";

/** The JavaScript of the module a `?bpf` import of `file` resolves to; throws BuildError on source errors. */
export function bpfModuleCode(
  file: string,
  text: string,
  opts: TsbpfPluginOptions = {},
  verifier?: ObjectVerifier,
): { code: string; warnings: string[]; files: string[] } {
  const show = (f: string) => {
    const rel = relative(process.cwd(), f);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : f;
  };
  const shown = show(file);
  const result = compile(file, text, { cpu: opts.cpu });
  // A diagnostic may lie in a local module the file imports: show that file and its text.
  const textOf = (f: string) => {
    try {
      return resolve(f) === resolve(file) ? text : readFileSync(f, "utf8");
    } catch {
      return undefined;
    }
  };
  const render = (ds: typeof result.diagnostics) =>
    ds.map((d) => formatDiagnostic({ ...d, file: resolve(d.file) === resolve(file) ? shown : show(d.file) }, textOf(d.file))).join("\n");
  const warnings = result.diagnostics.filter((d) => d.severity === "warning");
  if (!result.ok || !result.object) {
    const errors = result.diagnostics.filter((d) => d.severity !== "warning");
    throw new BuildError(
      `${render(result.diagnostics)}\n${errors.length} error${errors.length === 1 ? "" : "s"} in ${shown}`,
      result.files,
    );
  }
  if (opts.verify) {
    if (!verifier) throw new Error("tsbpf bundler plugin: verify needs the kernel check (use the plugin, or pass verifyObject)");
    const v = verifier(file, text, result.object);
    if ("unavailable" in v)
      throw new BuildError(
        `${shown}: the tsbpf plugin's verify option needs the bpf() system call, and this build process cannot use it: ${v.unavailable}`,
        result.files,
      );
    if (!v.ok) {
      const refused = v.diagnostics.filter((d) => d.severity !== "warning");
      if (refused.length > 0) throw new BuildError(`${render(v.diagnostics)}\nthe kernel refused ${shown}`, result.files);
      warnings.push(...v.diagnostics);
    }
  }
  const skel = skeletonFor(file, text, { runtimeImport: opts.runtime ?? "tsbpf/runtime" });
  if (skel.text === null) throw new BuildError(render(skel.mod.diagnostics));
  // The skeleton reads `<base>.bpf.o` next to itself by default; here the default is the embedded bytes.
  let src = skel.text;
  const edits: [RegExp, string][] = [
    [/^import \{ fileURLToPath \} from "node:url";\n/m, ""],
    [/^\/\*\* Where load\(\) looks by default[^\n]*\nexport const defaultObjectPath[^\n]*\n/m, ""],
    [/= defaultObjectPath,/, "= __tsbpf_object,"],
    [/^\/\/ Generated by `tsbpf gen`[^\n]*/m, `// Generated by the tsbpf bundler plugin from ${JSON.stringify(shown)}.`],
  ];
  for (const [re, by] of edits) {
    if (!re.test(src)) throw new Error(`tsbpf bundler plugin: unexpected skeleton text (no match for ${re})`);
    src = src.replace(re, by);
  }
  const b64 = Buffer.from(result.object).toString("base64");
  src +=
    `\n/** The compiled object (${result.object.length} bytes). */\n` +
    `const __tsbpf_object: Uint8Array = Uint8Array.from(atob(${JSON.stringify(b64)}), (c) => c.charCodeAt(0));\n` +
    `export { __tsbpf_object as object };\n` +
    `export default function loadEmbedded(opts?: Parameters<typeof load>[1]) {\n  return load(__tsbpf_object, opts);\n}\n`;
  const js = ts.transpileModule(src, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false },
    fileName: `${file}.bpf-module.ts`,
  }).outputText;
  return { code: js, warnings: warnings.map((d) => formatDiagnostic({ ...d, file: shown }, text)), files: result.files ?? [file] };
}

/** A source error: the message is the formatted diagnostics, so no stack is worth showing. */
export class BuildError extends Error {
  /** The files the failed build read (entry and local modules), for watchers. */
  files?: string[];
  constructor(message: string, files?: string[]) {
    super(message);
    this.files = files;
    this.name = "TsbpfBuildError";
    this.stack = `${this.name}: ${message}`;
  }
}

export const tsbpf: UnpluginInstance<TsbpfPluginOptions | undefined, false> = createUnplugin((options: TsbpfPluginOptions | undefined) => {
  const opts = options ?? {};
  const query = `?${opts.query ?? "bpf"}`;
  return {
    name: "tsbpf",
    enforce: "pre",
    resolveId(id, importer) {
      if (!id.endsWith(query) || id.startsWith(PREFIX)) return null;
      const path = id.slice(0, -query.length);
      const base = importer && !importer.startsWith("\0") ? dirname(importer.replace(/[?#].*$/, "")) : process.cwd();
      if (!isAbsolute(path) && !path.startsWith(".")) return null; // bare specifiers: left to other resolvers
      return PREFIX + resolve(base, path) + query;
    },
    loadInclude(id) {
      return id.startsWith(PREFIX);
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const file = id.slice(PREFIX.length, -query.length);
      this.addWatchFile(file);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        throw new BuildError(
          `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
        );
      }
      let built: ReturnType<typeof bpfModuleCode>;
      try {
        const verifier = opts.verify ? (await import("./verify-object.js")).verifyObject : undefined;
        built = bpfModuleCode(file, text, opts, verifier);
      } catch (e) {
        // Rebuild when a local module it imports changes, also after an error there.
        for (const f of (e as BuildError).files ?? []) this.addWatchFile(f);
        throw e;
      }
      const { code, warnings, files } = built;
      for (const f of files) this.addWatchFile(f);
      for (const w of warnings) this.warn(w);
      return { code, map: null };
    },
  };
});

export default tsbpf;
