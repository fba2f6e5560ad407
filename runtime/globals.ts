// Why: module-level globals live in libbpf's internal maps `<obj>.rodata`, `<obj>.data` and
// `<obj>.bss` (one-element arrays whose value is the whole ELF section, described by the BTF
// DATASEC of the same name). User space wants them by variable name and with their types:
// `.rodata` values are set before load (C's `const volatile` pattern: the verifier then sees the
// frozen values as constants), `.data`/`.bss` values are read and written while programs run.
// This file finds the sections and variables from the object's BTF, patches initial values
// between bpf_object__open and bpf_object__load, and offers typed get/set after load.

import { parseBtf, type Btf } from "../common/btf-reader.js";
import { btfCodec, type Codec } from "./codec.js";
import { copyNative, errnoFrom, errnoText, type LibbpfApi, type Ptr } from "./libbpf.js";
import type { BpfMap } from "./map.js";
import type { ObjectHandle } from "./types.js";

/** The data sections libbpf turns into maps (custom `.rodata.*`/`.data.*` sections included). */
export type GlobalSectionKind = "rodata" | "data" | "bss";

/** One global variable: where it lives and how its bytes decode. */
export interface GlobalVarInfo {
  name: string;
  /** ELF section / BTF DATASEC, e.g. ".rodata". */
  section: string;
  kind: GlobalSectionKind;
  /** libbpf's map holding the section, e.g. "tsbpf.rodata". */
  map: string;
  /** Byte offset within the section (the map value). */
  offset: number;
  size: number;
  /** C type name from BTF (`u32`, `struct Config`). */
  type: string;
  /** TypeScript type of decoded values (`number`, `bigint`, ...). */
  tsType: string;
  /** @internal */
  readonly codec: Codec<unknown>;
}

interface SectionInfo {
  section: string;
  kind: GlobalSectionKind;
  /** libbpf `struct bpf_map *` (valid while the object is open). */
  ptr: Ptr;
  map: string;
  vars: GlobalVarInfo[];
}

const ZERO_KEY = new Uint8Array(4);

function kindOf(section: string): GlobalSectionKind | null {
  for (const k of ["rodata", "data", "bss"] as const) {
    if (section === `.${k}` || section.startsWith(`.${k}.`)) return k;
  }
  return null;
}

/** The object's BTF as libbpf holds it (parsed copy), or null without BTF. */
function libbpfBtf(api: LibbpfApi, obj: Ptr): Btf | null {
  const handle = api.bpf_object__btf(obj);
  if (!handle) return null;
  const size = new Uint8Array(4);
  const data = api.btf__raw_data(handle, size);
  const n = new DataView(size.buffer).getUint32(0, true);
  if (!data || n === 0) return null;
  return parseBtf(copyNative(data, n));
}

/**
 * @internal The global-data maps of an open (or loaded) libbpf object and their variables. A map
 * belongs to DATASEC `.rodata` when its name is `.rodata` or ends in it (libbpf prefixes the object
 * name: `<obj>.rodata`; custom sections such as `.data.foo` keep their own name).
 */
export function describeSections(api: LibbpfApi, obj: Ptr): SectionInfo[] {
  const btf = libbpfBtf(api, obj);
  if (!btf) return [];
  const datasecs = btf.types.filter((t) => t.kind === "DATASEC" && kindOf(t.name) !== null);
  const out: SectionInfo[] = [];
  for (let m = api.bpf_object__next_map(obj, null); m; m = api.bpf_object__next_map(obj, m)) {
    const name = api.bpf_map__name(m);
    // The longest matching section name wins (`x.rodata.str` is not `.data`'s map).
    let sec: (typeof datasecs)[number] | undefined;
    for (const d of datasecs) {
      const match =
        name === d.name || (name.endsWith(d.name) && name.length > d.name.length && !name.slice(0, -d.name.length).includes("."));
      if (match && (!sec || d.name.length > sec.name.length)) sec = d;
    }
    if (sec?.kind !== "DATASEC") continue;
    const kind = kindOf(sec.name)!;
    const vars: GlobalVarInfo[] = [];
    for (const v of sec.vars) {
      const variable = btf.get(v.type);
      if (variable.kind !== "VAR" || variable.linkage === 0) continue; // static: not user-visible (format strings)
      const codec = btfCodec<unknown>(btf, variable.type);
      vars.push({
        name: variable.name,
        section: sec.name,
        kind,
        map: name,
        offset: v.offset,
        size: v.size,
        type: btf.typeName(variable.type).replace(/^((const|volatile) )+/, ""),
        tsType: codec.tsType,
        codec,
      });
    }
    out.push({ section: sec.name, kind, ptr: m, map: name, vars });
  }
  return out;
}

function allVars(sections: SectionInfo[]): GlobalVarInfo[] {
  return sections.flatMap((s) => s.vars);
}

function namesOf(vars: GlobalVarInfo[]): string {
  return vars.length ? vars.map((v) => v.name).join(", ") : "none";
}

/** Encode `value` into `bytes` at the variable's offset; errors name the variable. */
function patch(v: GlobalVarInfo, value: unknown, bytes: Uint8Array, what: string): void {
  if (v.codec.size !== v.size || v.offset + v.size > bytes.length) {
    throw new Error(`${what} '${v.name}': ${v.size} bytes at offset ${v.offset} do not fit the ${bytes.length}-byte section ${v.section}`);
  }
  try {
    v.codec.encodeInto(value, bytes, v.offset);
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    // Codec messages start with the value's path ("value: ...", "value.field: ...").
    const msg = e.message.replace(/^value: /, "").replace(/^value(?=[.[])/, v.name);
    const E = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
    throw new E(`cannot set ${what} '${v.name}' (${v.type}): ${msg}`);
  }
}

/** The `rodata` / `data` load options. */
export interface GlobalInitOptions {
  rodata?: Readonly<Record<string, unknown>>;
  data?: Readonly<Record<string, unknown>>;
}

/**
 * @internal Called by loadObject between open and load: write `opts.rodata` into the `.rodata`
 * maps' initial values and `opts.data` into `.data`/`.bss`. Throws (naming the variable) for
 * unknown names and values the variable's type cannot hold; the caller closes the object.
 */
export function applyInitialValues(api: LibbpfApi, obj: Ptr, opts: GlobalInitOptions): void {
  const groups: [string, Readonly<Record<string, unknown>> | undefined, GlobalSectionKind[]][] = [
    ["rodata", opts.rodata, ["rodata"]],
    ["data", opts.data, ["data", "bss"]],
  ];
  if (groups.every(([, values]) => !values || Object.keys(values).length === 0)) return;
  const sections = describeSections(api, obj);
  const vars = allVars(sections);
  const pending = new Map<SectionInfo, Uint8Array>();
  for (const [option, values, kinds] of groups) {
    if (!values) continue;
    const eligible = vars.filter((v) => kinds.includes(v.kind));
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) continue;
      const v = eligible.find((x) => x.name === name);
      if (!v) {
        const elsewhere = vars.find((x) => x.name === name);
        const hint = elsewhere
          ? `'${name}' is in ${elsewhere.section}${elsewhere.kind === "rodata" ? "; pass it in { rodata: ... }" : "; pass it in { data: ... }"}`
          : `the object's ${kinds.map((k) => `.${k}`).join("/")} variables: ${namesOf(eligible)}`;
        throw new Error(`${option} option: no ${kinds.map((k) => `.${k}`).join("/")} variable '${name}' (${hint})`);
      }
      const sec = sections.find((s) => s.vars.includes(v))!;
      let bytes = pending.get(sec);
      if (!bytes) {
        bytes = initialValue(api, sec);
        pending.set(sec, bytes);
      }
      patch(v, value, bytes, `${sec.section} variable`);
    }
  }
  for (const [sec, bytes] of pending) {
    const rc = api.bpf_map__set_initial_value(sec.ptr, bytes, bytes.length);
    if (rc < 0) throw new Error(`cannot set the initial value of map '${sec.map}': ${errnoText(errnoFrom(rc))}`);
  }
}

/** A copy of the section's initial bytes as libbpf holds them before load. */
function initialValue(api: LibbpfApi, sec: SectionInfo): Uint8Array {
  const size = new Uint8Array(8);
  const data = api.bpf_map__initial_value(sec.ptr, size);
  const n = Number(new DataView(size.buffer).getBigUint64(0, true));
  if (!data) throw new Error(`map '${sec.map}' has no initial value`);
  return n === 0 ? new Uint8Array(0) : copyNative(data, n);
}

/**
 * Typed access to a loaded object's global variables (`obj.globals`). `W` types the `.data`/`.bss`
 * variables, `R` the `.rodata` ones (generated skeletons fill both in).
 *
 * Reads and writes go through the section's map (`BPF_MAP_LOOKUP_ELEM`/`UPDATE_ELEM` of key 0):
 * `set()` reads the whole section, patches one variable and writes the section back, so a program
 * that updates *another* variable of the same section in between loses that update.
 */
export class Globals<W extends object = Record<string, any>, R extends object = Record<string, any>> {
  readonly #obj: ObjectHandle;
  readonly #vars = new Map<string, GlobalVarInfo>();

  /** @internal Use `obj.globals`. */
  constructor(obj: ObjectHandle, vars: GlobalVarInfo[]) {
    this.#obj = obj;
    for (const v of vars) if (!this.#vars.has(v.name)) this.#vars.set(v.name, v);
  }

  /** Every variable with its section, offset, size and types. */
  get vars(): readonly GlobalVarInfo[] {
    return [...this.#vars.values()];
  }

  has(name: string): boolean {
    return this.#vars.has(name);
  }

  /** The current value of a `.data`, `.bss` (or `.rodata`) variable. */
  get<K extends (keyof W | keyof R) & string>(name: K): (W & R)[K] {
    const v = this.#var(name);
    return v.codec.decode(this.#read(v.map), v.offset) as (W & R)[K];
  }

  /** Write a `.data`/`.bss` variable (programs see it on their next access). */
  set<K extends keyof W & string>(name: K, value: W[K]): void {
    const v = this.#var(name);
    if (v.kind === "rodata") {
      throw new Error(
        `global '${name}' is in ${v.section}, which is frozen once loaded; ` +
          `set it before load: loadObject(src, { rodata: { ${name}: ... } })`,
      );
    }
    const bytes = this.#read(v.map);
    patch(v, value, bytes, `${v.section} variable`);
    this.#map(v.map).update(ZERO_KEY, bytes);
  }

  /** The (frozen) value of a `.rodata` variable. */
  rodata<K extends keyof R & string>(name: K): R[K] {
    const v = this.#var(name);
    if (v.kind !== "rodata") throw new Error(`global '${name}' is in ${v.section}, not .rodata; use globals.get('${name}')`);
    return v.codec.decode(this.#read(v.map), v.offset) as R[K];
  }

  /** Every variable's current value, one map lookup per section. */
  snapshot(): W & R {
    const out: Record<string, unknown> = {};
    const cache = new Map<string, Uint8Array>();
    for (const v of this.#vars.values()) {
      let bytes = cache.get(v.map);
      if (!bytes) cache.set(v.map, (bytes = this.#read(v.map)));
      out[v.name] = v.codec.decode(bytes, v.offset);
    }
    return out as W & R;
  }

  #var(name: string): GlobalVarInfo {
    if (this.#obj.closed) throw new Error(`BPF object '${this.#obj.name}' is closed`);
    const v = this.#vars.get(name);
    if (!v)
      throw new Error(
        `BPF object '${this.#obj.name}' has no global variable '${name}' (globals: ${namesOf(this.vars as GlobalVarInfo[])})`,
      );
    return v;
  }

  #map(name: string): BpfMap {
    const m = this.#obj.maps.get(name);
    if (!m) throw new Error(`BPF object '${this.#obj.name}' has no map '${name}'`);
    return m;
  }

  #read(map: string): Uint8Array {
    const bytes = this.#map(map).lookup(ZERO_KEY);
    if (!bytes) throw new Error(`map '${map}' has no element 0`);
    return bytes;
  }
}

/** @internal Used by BpfObject.globals. */
export function openGlobals(api: LibbpfApi, obj: ObjectHandle, native: Ptr | null): Globals {
  if (native === null || obj.closed) throw new Error(`BPF object '${obj.name}' is closed`);
  return new Globals(obj, allVars(describeSections(api, native)));
}

/** What a generated skeleton expects: variable name -> [section kind, size in bytes]. */
export type GlobalsSpec = Record<string, [GlobalSectionKind, number]>;

/**
 * @internal Used by generated skeletons: check that the loaded object has the globals the source
 * declared (same section, same size) and return its typed accessor.
 */
export function bindGlobals<W extends object, R extends object>(
  obj: ObjectHandle & { readonly globals: Globals },
  spec: GlobalsSpec,
): Globals<W, R> {
  const g = obj.globals;
  const problems: string[] = [];
  for (const [name, [kind, size]] of Object.entries(spec)) {
    const v = g.vars.find((x) => x.name === name);
    if (!v) problems.push(`missing global '${name}'`);
    else if (v.kind !== kind || v.size !== size) {
      problems.push(`global '${name}' is a ${v.size}-byte .${v.kind} variable; the skeleton expects a ${size}-byte .${kind} one`);
    }
  }
  if (problems.length) {
    throw new Error(`BPF object '${obj.name}' does not match its skeleton (rebuild it?): ${problems.join("; ")}`);
  }
  return g as unknown as Globals<W, R>;
}
