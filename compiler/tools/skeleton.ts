// Typed skeletons: from a .bpf.ts file's maps and programs, a user-space TypeScript module whose
// `load()` returns `{ maps, programs }` typed after the source, so `maps.counters.get(6)` is checked
// by tsc: keys and values use the user-space shapes of runtime/codec.ts (integers up to 32 bits as
// number, 64-bit as bigint, bool as boolean, structs as interfaces, u8/i8 arrays as
// Uint8Array/Int8Array, other fixed arrays as arrays). At run time the values are decoded from the
// object's BTF; the skeleton only adds types and a check that the object matches the source.

import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import type { CStruct, CType } from "../../common/ctypes.js";
import { mapKind } from "../../common/map-kinds.js";
import { formatDiagnostic } from "../format-diagnostic.js";
import { scanModule } from "../frontend/module-scan.js";
import { Bail, Reporter } from "../frontend/reporter.js";
import { createProgram, ts } from "../frontend/ts-adapter.js";
import { TypeMapper } from "../frontend/types.js";
import { describeModule, type ModuleDescription } from "./module-info.js";
import { useColor } from "./diag-output.js";

export interface SkeletonOptions {
  /** Module specifier the skeleton imports the runtime from; default "tsbpf/runtime". */
  runtimeImport?: string;
  /** Object path relative to the skeleton file (load()'s default); default "./<base>.bpf.o". */
  objectPath?: string;
  /** Source file name recorded in the header comment. */
  sourceName?: string;
}

const RESERVED = new Set([
  "rt",
  "fileURLToPath",
  "load",
  "openPinned",
  "spec",
  "defaultObjectPath",
  "Uint8Array",
  "Int8Array",
  "Array",
  "Symbol",
  "Object",
]);

const ident = (s: string) => /^[A-Za-z_$][\w$]*$/.test(s);
const prop = (s: string) => (ident(s) ? s : JSON.stringify(s));

/** A module-level global as the front end describes it (compiler/object/model.ts GlobalVar). */
export interface SkeletonGlobal {
  name: string;
  section: ".rodata" | ".data" | ".bss";
  type: CType;
  /** Initial bytes; absent means zeros. */
  init?: Uint8Array;
}

/** The key and value sizes the kernel reports for a map: what its kind carries (common/map-kinds.ts). */
function kernelSizes(type: number, key: number, value: number): { keySize: number; valueSize: number } {
  switch (mapKind(type)?.btf) {
    case "u32":
    case "sizes":
      return { keySize: 4, valueSize: 4 };
    case "value":
      return { keySize: 0, valueSize: value };
    case "none":
      return { keySize: 0, valueSize: 0 };
    default:
      return { keySize: key, valueSize: value };
  }
}

/** "xdp-counter.bpf.ts" -> "XdpCounter". */
export function skeletonPrefix(fileName: string): string {
  const base = basename(fileName).replace(/(\.bpf)?\.ts$/, "");
  const words = base.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return /^[A-Za-z_]/.test(name) ? name : `Bpf${name}`;
}

/** The skeleton module text for an already described module. */
export function generateSkeleton(
  mod: ModuleDescription & { globals?: readonly SkeletonGlobal[] },
  prefix: string,
  opts: SkeletonOptions = {},
): string {
  const runtime = opts.runtimeImport ?? "tsbpf/runtime";
  const objectPath = opts.objectPath ?? `./${opts.sourceName ? opts.sourceName.replace(/(\.bpf)?\.ts$/, "") : prefix}.bpf.o`;
  const taken = new Set<string>([...RESERVED, `${prefix}Maps`, `${prefix}Programs`, `${prefix}Object`]);
  const names = new Map<CStruct, string>();
  const decls: string[] = [];

  const structName = (s: CStruct): string => {
    const hit = names.get(s);
    if (hit) return hit;
    let name = ident(s.name) ? s.name : "Struct";
    for (let i = 2; taken.has(name); i++) name = `${ident(s.name) ? s.name : "Struct"}${i}`;
    taken.add(name);
    names.set(s, name);
    const fields = s.fields.map((f) => `  ${prop(f.name)}: ${tsType(f.type)};${sizeNote(f.type)}`);
    decls.push(`/** struct ${s.name || "(anonymous)"}: ${s.size} bytes. */\nexport interface ${name} {\n${fields.join("\n")}\n}`);
    return name;
  };

  const tsType = (t: CType): string => {
    switch (t.kind) {
      case "int":
        return t.name === "bool" ? "boolean" : t.size === 8 ? "bigint" : "number";
      case "ptr":
        return "bigint";
      case "array":
        if (t.elem.kind === "int" && t.elem.size === 1 && t.elem.name !== "bool") return t.elem.signed ? "Int8Array" : "Uint8Array";
        return `${wrap(tsType(t.elem))}[]`;
      case "struct":
        return t.name && ident(t.name) ? structName(t) : inline(t);
    }
  };
  const inline = (s: CStruct): string => `{ ${s.fields.map((f) => `${prop(f.name)}: ${tsType(f.type)}`).join("; ")} }`;
  const wrap = (s: string) => (/^[\w.]+(\[\])*$/.test(s) ? s : `(${s})`);
  const sizeNote = (t: CType): string => (t.kind === "array" ? ` // ${t.len} elements` : t.kind === "int" ? ` // ${t.name}` : "");

  const mapLines = mod.maps.map((m) => {
    const k = tsType(m.key);
    const v = tsType(m.value);
    const kind = mapKind(m.type);
    const cls =
      kind?.runtimeClass === "ValueMap"
        ? `rt.ValueMap<${v}>`
        : kind?.runtimeClass === "SocketMap"
          ? `rt.SocketMap<${k}>`
          : kind?.runtimeClass
            ? `rt.${kind.runtimeClass}`
            : kind?.shape === "events"
              ? "rt.TypedMap<never, never>"
              : m.perCpu
                ? `rt.PerCpuTypedMap<${k}, ${v}>`
                : `rt.TypedMap<${k}, ${v}>`;
    const reader =
      kind?.shape === "events"
        ? `; read its events with \`new rt.${kind.name === "RINGBUF" ? "RingBuffer" : "PerfBuffer"}(maps.${m.name}.map)\``
        : "";
    const doc = `${kind?.cls ?? `map type ${m.type}`}, ${m.maxEntries} ${kind?.sizeRule === "pow2-page" ? "bytes" : "entries"}${m.perCpu ? "; values are per-CPU arrays" : ""}${reader}`;
    return `  /** ${doc}. */\n  readonly ${prop(m.name)}: ${cls};`;
  });
  const progLines = mod.programs.map(
    (p) => `  /** ${p.wrapper} program (section "${p.section}"). */\n  readonly ${prop(p.name)}: rt.BpfProgram;`,
  );
  const sizeOf = (t: CType): number =>
    t.kind === "int" ? t.size : t.kind === "struct" ? t.size : t.kind === "ptr" ? 8 : sizeOf(t.elem) * t.len;
  const globals = mod.globals ?? [];
  const G = globals.length ? globalsParts(globals, prefix, taken, tsType) : null;
  const spec = {
    maps: Object.fromEntries(mod.maps.map((m) => [m.name, { type: m.type, ...kernelSizes(m.type, sizeOf(m.key), sizeOf(m.value)) }])),
    programs: mod.programs.map((p) => p.name),
  };

  return `// Generated by \`tsbpf gen\`${opts.sourceName ? ` from ${opts.sourceName}` : ""}; do not edit. Regenerate after changing the source.
import { fileURLToPath } from "node:url";
import * as rt from ${JSON.stringify(runtime)};

${decls.join("\n\n")}${decls.length ? "\n\n" : ""}${G ? G.decls : ""}export interface ${prefix}Maps {
${mapLines.join("\n")}
}

export interface ${prefix}Programs {
${progLines.join("\n")}
}

export interface ${prefix}Object {
  /** The underlying object (untyped maps and programs, close()). */
  readonly object: rt.BpfObject;
  readonly maps: ${prefix}Maps;
  readonly programs: ${prefix}Programs;${G ? G.objectMember : ""}
  close(): void;
  [Symbol.dispose](): void;
}

/** Where load() looks by default: the object \`tsbpf build\` writes, relative to this module. */
export const defaultObjectPath: string = fileURLToPath(new URL(${JSON.stringify(objectPath)}, import.meta.url));

const spec: rt.SkeletonSpec = ${JSON.stringify(spec)};
${G ? G.spec : ""}
/** Load the object (a path or its bytes) into the kernel; throws if it does not match this skeleton. */
export function load(src: string | Uint8Array = defaultObjectPath, opts?: ${G ? `${prefix}LoadOptions` : "rt.LoadOptions"}): ${prefix}Object {
  const object = rt.loadObject(src, opts);
  try {
    const bound = rt.bindSkeleton(object, spec);
    return {
      object,
      maps: bound.maps as unknown as ${prefix}Maps,
      programs: bound.programs as unknown as ${prefix}Programs,${G ? G.bind : ""}
      close: () => object.close(),
      [Symbol.dispose]: () => object.close(),
    };
  } catch (e) {
    object.close();
    throw e;
  }
}

/** The maps of a live module (\`tsbpf load ... --pin DIR\`), opened from any process and typed like load()'s. */
export function openPinned(pinDir: string): { readonly maps: ${prefix}Maps; close(): void; [Symbol.dispose](): void } {
  const pinned = rt.openPinnedMaps(pinDir, spec);
  return { maps: pinned.maps as unknown as ${prefix}Maps, close: () => pinned.close(), [Symbol.dispose]: () => pinned.close() };
}
`;
}

/** The generated pieces for a module's globals (only emitted when it has any). */
function globalsParts(
  globals: readonly SkeletonGlobal[],
  prefix: string,
  taken: Set<string>,
  tsType: (t: CType) => string,
): { decls: string; objectMember: string; spec: string; bind: string } {
  const R = `${prefix}Rodata`;
  const W = `${prefix}Globals`;
  const O = `${prefix}LoadOptions`;
  for (const n of [R, W, O, "globalsSpec"]) taken.add(n);
  const cName = (t: CType): string =>
    t.kind === "int"
      ? t.name
      : t.kind === "struct"
        ? `struct ${t.name || "(anonymous)"}`
        : t.kind === "ptr"
          ? "pointer"
          : `${cName(t.elem)}[${t.len}]`;
  const initial = (g: SkeletonGlobal): string => {
    if (g.type.kind !== "int") return "";
    let x = 0n;
    for (let i = g.type.size - 1; i >= 0; i--) x = (x << 8n) | BigInt(g.init?.[i] ?? 0);
    if (g.type.signed) x = BigInt.asIntN(g.type.size * 8, x);
    return g.type.name === "bool" ? String(x !== 0n) : String(x);
  };
  const member = (g: SkeletonGlobal, note: (init: string) => string): string => {
    const init = initial(g);
    return `  /** ${cName(g.type)} (${g.section})${init ? note(init) : ""}. */
  ${prop(g.name)}: ${tsType(g.type)};`;
  };
  const ro = globals.filter((g) => g.section === ".rodata");
  const rw = globals.filter((g) => g.section !== ".rodata");
  const body = (lines: string[]) => (lines.length ? `{\n${lines.join("\n")}\n}` : "{}");
  const decls =
    `/** .rodata variables (typed module-level \`const\`): set before load with \`load(src, { rodata })\`, read with \`globals.rodata()\`. */\n` +
    `export type ${R} = ${body(ro.map((g) => member(g, (v) => `; ${v} unless set at load`)))};\n\n` +
    `/** .data/.bss variables (module-level \`let\`): \`globals.get()\`/\`set()\` after load; initial values with \`load(src, { data })\`. */\n` +
    `export type ${W} = ${body(rw.map((g) => member(g, (v) => `; initially ${v}`)))};\n\n` +
    `export interface ${O} extends rt.LoadOptions {\n` +
    `  /** Values of .rodata variables, fixed at load (the verifier sees them as constants). */\n` +
    `  rodata?: ${ro.length ? `Partial<${R}>` : "Record<string, never>"};\n` +
    `  /** Initial values of .data/.bss variables. */\n` +
    `  data?: ${rw.length ? `Partial<${W}>` : "Record<string, never>"};\n` +
    `}\n\n`;
  const sizeOf = (t: CType): number => (t.kind === "int" || t.kind === "struct" ? t.size : t.kind === "ptr" ? 8 : sizeOf(t.elem) * t.len);
  const spec = Object.fromEntries(globals.map((g) => [g.name, [g.section.slice(1), sizeOf(g.type)]]));
  return {
    decls,
    objectMember: `\n  /** Global variables: \`get\`/\`set\` for .data/.bss, \`rodata\` for .rodata. */\n  readonly globals: rt.Globals<${W}, ${R}>;`,
    spec: `const globalsSpec: rt.GlobalsSpec = ${JSON.stringify(spec)};\n`,
    bind: `\n      globals: rt.bindGlobals<${W}, ${R}>(object, globalsSpec),`,
  };
}

/**
 * The module-level globals of a source that describeModule() accepted. Sources without a
 * candidate declaration (module-level \`let\`, or a typed \`const\` that is not a map or
 * program) skip the second type-checker pass.
 */
export function moduleGlobals(fileName: string, text: string): SkeletonGlobal[] {
  const sf0 = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const candidate = sf0.statements.some(
    (st) =>
      ts.isVariableStatement(st) &&
      !st.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) &&
      (!(st.declarationList.flags & ts.NodeFlags.Const) || st.declarationList.declarations.some((d) => d.type !== undefined)),
  );
  if (!candidate) return [];
  const program = createProgram(fileName, text);
  const base = fileName.split(/[\\/]/).pop()!;
  const sf = program.getSourceFiles().find((f) => !f.isDeclarationFile && f.fileName.endsWith(base));
  if (!sf) return [];
  const checker = program.getTypeChecker();
  try {
    const info = scanModule(sf, checker, new TypeMapper(checker), new Reporter(sf));
    return [...info.globals.values()];
  } catch (e) {
    if (e instanceof Bail) return [];
    throw e;
  }
}

/** Describe the source file and generate its skeleton; null (with diagnostics) when the source has errors. */
export function skeletonFor(fileName: string, text: string, opts: SkeletonOptions = {}): { text: string | null; mod: ModuleDescription } {
  const mod = describeModule(fileName, text);
  if (!mod.ok) return { text: null, mod };
  // describeModule() may grow a `globals` list; until then scan them here.
  const globals = (mod as { globals?: readonly SkeletonGlobal[] }).globals ?? moduleGlobals(fileName, text);
  return { text: generateSkeleton({ ...mod, globals }, skeletonPrefix(fileName), { sourceName: basename(fileName), ...opts }), mod };
}

const GEN_USAGE = "usage: tsbpf gen <file.bpf.ts> [-o out.skel.ts] [--object <file.bpf.o>] [--runtime <module>] [--force]";

/**
 * `tsbpf gen`: write the typed skeleton of a .bpf.ts file (default `<base>.skel.ts` next to it;
 * load() defaults to `<base>.bpf.o`, where `tsbpf build` writes the object). Exit codes: 0 written,
 * 1 source errors or unreadable input, 2 bad usage.
 */
export function genCommand(args: string[]): number {
  let input: string | undefined;
  let output: string | undefined;
  let object: string | undefined;
  let runtime: string | undefined;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-o" || a === "--object" || a === "--runtime") {
      const v = args[++i];
      if (v === undefined) {
        process.stderr.write(`error: ${a} needs a value\n${GEN_USAGE}\n`);
        return 2;
      }
      if (a === "-o") output = v;
      else if (a === "--object") object = v;
      else runtime = v;
    } else if (a === "--force") force = true;
    else if (a.startsWith("-")) {
      process.stderr.write(`error: unknown option ${a}\n${GEN_USAGE}\n`);
      return 2;
    } else if (input === undefined) input = a;
    else {
      process.stderr.write(`${GEN_USAGE}\n`);
      return 2;
    }
  }
  if (!input) {
    process.stderr.write(`${GEN_USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(input, "utf8");
  } catch (e) {
    process.stderr.write(
      `error: cannot read ${input}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}\n`,
    );
    return 1;
  }
  const stem = input.replace(/(\.bpf)?\.ts$/, "");
  const out = output ?? `${stem}.skel.ts`;
  const objPath = object ?? `${stem}.bpf.o`;
  let rel = relative(dirname(resolve(out)), resolve(objPath))
    .split("\\")
    .join("/");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  const { text: skel, mod } = skeletonFor(input, text, { objectPath: rel, runtimeImport: runtime });
  const color = useColor();
  for (const d of mod.diagnostics) process.stderr.write(formatDiagnostic(d, text, color) + "\n");
  if (skel === null) {
    const n = mod.diagnostics.filter((d) => d.severity !== "warning").length;
    process.stderr.write(`${n} error${n === 1 ? "" : "s"}; no skeleton written\n`);
    return 1;
  }
  // A file that is not an earlier skeleton (hand-written code) is only replaced with --force.
  let replaced = false;
  try {
    const old = readFileSync(out, "utf8");
    replaced = true;
    if (!force && !old.startsWith("// Generated by `tsbpf gen`")) {
      process.stderr.write(`error: ${out} exists and is not a generated skeleton; pass --force to overwrite it, or -o another path\n`);
      return 1;
    }
  } catch {
    /* no file yet */
  }
  try {
    writeFileSync(out, skel);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`error: cannot write ${out}: ${code === "ENOENT" ? "no such directory" : (e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `${out}${replaced ? " (replaced)" : ""}: ${mod.maps.length} map${mod.maps.length === 1 ? "" : "s"}, ${mod.programs.length} program${mod.programs.length === 1 ? "" : "s"}\n`,
  );
  return 0;
}
