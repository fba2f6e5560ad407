// Reads a .bpf.ts file's module level: maps (`const m = new HashMap<K, V>(n)`), programs
// (`export const p = xdp(ctx => ...)`), compile-time constants, and the LICENSE string.

import { INT_TYPES, sizeOf, type CStruct, type CType } from "../../common/ctypes.js";
import { MAP_KIND_BY_CLASS, type MapKind, type MapShape } from "../../common/map-kinds.js";
import type { GlobalVar, MapDef } from "../object/model.js";
import { PROGRAM_KINDS, type ProgramKind } from "./program-kinds.js";
import type { Reporter } from "./reporter.js";
import { ts } from "./ts-adapter.js";
import type { TypeMapper } from "./types.js";
import { constEval } from "./const-eval.js";
import { hasTimer, TIMER_MAP_TYPES } from "./timer-types.js";

export interface MapInfo {
  def: MapDef;
  /** Key type as the program passes it. */
  key: CType;
  /** What a lookup returns a reference to (a Cell struct around scalar values). */
  valueRef: CType;
  value: CType;
  shape: MapShape;
  /** Its row in common/map-kinds.ts. */
  kind: MapKind;
  /** A map of maps' inner definition: the first map named in its slots. */
  inner?: MapInfo;
  /** A program array's (or map of maps') static slots with their source, checked once all are known. */
  slotNodes?: { index: number; program: string; node: ts.Node }[];
}

export interface ProgramInfo {
  name: string;
  kind: ProgramKind;
  /** libbpf section, e.g. "xdp" or "tp/syscalls/sys_enter_execve". */
  section: string;
  /** The record type of a tracepoint's context. */
  ctxType?: CType;
  fn: ts.ArrowFunction;
  decl: ts.VariableDeclaration;
}

/** A module-level function compiled as a BPF-to-BPF callee (`@noinline`), found while lowering. */
export interface SubprogramInfo {
  name: string;
  decl: ts.FunctionDeclaration;
  /** The program kind whose context it takes as a parameter, if any. */
  kind?: ProgramKind;
  /** Parameter names and types for its BTF FUNC_PROTO, filled in when it is lowered. */
  params?: { name: string; type: CType }[];
  /** Its result type (an integer), undefined for void. */
  ret?: CType;
  /** Passed to loop() (bpf_loop): the verifier wants its r0 in [0, 1], so returns are lowered as `v !== 0 ? 1 : 0`. */
  loopBody?: boolean;
  /** Passed to timerSetCallback: parameters (map, key, value) as the kernel passes them (timers.ts). */
  timerCallback?: boolean;
  /** Called with `callfn` (a `@noinline` call) somewhere, as opposed to only passed to loop(). */
  calledDirectly?: boolean;
  /** Marked `@global`: emitted with global linkage unless `notGlobal` says why it cannot be. */
  global?: boolean;
  /** Why a `@global` function stays static (TSBPF3020), from its signature or a call site. */
  notGlobal?: string;
}

export interface ModuleInfo {
  maps: Map<ts.Symbol, MapInfo>;
  programs: ProgramInfo[];
  globals: Map<ts.Symbol, GlobalVar>;
  /** Callees reached so far; compile.ts lowers each once. */
  subprograms: Map<ts.FunctionDeclaration, SubprogramInfo>;
  license?: string;
}

export function cell(value: CType): CStruct {
  const size = value.kind === "int" ? value.size : 8;
  return { kind: "struct", name: "Cell", fields: [{ name: "value", type: value, offset: 0 }], size, align: size };
}

export function scanModule(sf: ts.SourceFile, checker: ts.TypeChecker, types: TypeMapper, r: Reporter): ModuleInfo {
  const info: ModuleInfo = { maps: new Map(), programs: [], globals: new Map(), subprograms: new Map() };
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    const exported = !!st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (st.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) continue; // ambient: no storage
    const isConst = !!(st.declarationList.flags & ts.NodeFlags.Const);
    for (const d of st.declarationList.declarations) {
      if (!ts.isIdentifier(d.name)) continue;
      // `const cfg: Config = zero<Config>()` (or untyped: the type argument gives the type) is a
      // .rodata global, not a program or a map.
      if (!isConst || (d.initializer && isZero(d.initializer)) || (d.type && !(d.initializer && isMapOrProgram(d.initializer)))) {
        const g = scanGlobal(d, isConst, checker, types, r);
        const sym = checker.getSymbolAtLocation(d.name);
        if (g && sym) info.globals.set(sym, g);
        continue;
      }
      if (!d.initializer) continue;
      const name = d.name.text;
      const init = d.initializer;
      if (name === "LICENSE" && ts.isStringLiteral(init)) {
        info.license = init.text;
        continue;
      }
      if (ts.isNewExpression(init)) {
        const m = scanMap(name, init, checker, types, r);
        const sym = checker.getSymbolAtLocation(d.name);
        if (m && sym) info.maps.set(sym, m);
        continue;
      }
      if (ts.isCallExpression(init)) {
        const callee = resolveStdlib(init.expression, checker, types);
        const kind = callee ? PROGRAM_KINDS[callee] : undefined;
        if (!kind) continue; // lowering reports what it cannot evaluate
        const args = init.arguments;
        const fn = args[kind.nameArgs];
        const names = args.slice(0, kind.nameArgs);
        if (args.length !== kind.nameArgs + 1 || !fn || !ts.isArrowFunction(fn) || !names.every(ts.isStringLiteral)) {
          r.report("TSBPF2019", init, kind.wrapper);
          continue;
        }
        if (!exported) {
          r.report("TSBPF2007", d.name, name, kind.wrapper);
          continue;
        }
        let ctxType: CType | undefined;
        if (kind.ctx.kind === "typed") {
          const targ = init.typeArguments?.[0];
          const t = targ ? types.memType(checker.getTypeFromTypeNode(targ)) : undefined;
          if (t?.kind !== "struct") {
            r.report("TSBPF2009", targ ?? init, targ?.getText() ?? "(missing type argument)");
            continue;
          }
          ctxType = t;
        }
        const section = kind.section(names.map((n) => (n as ts.StringLiteral).text));
        info.programs.push({ name, kind, fn, decl: d, section, ctxType });
      }
    }
  }
  checkSlots(info, r);
  return info;
}

const isZero = (e: ts.Expression): boolean => ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "zero";

function isMapOrProgram(e: ts.Expression): boolean {
  return ts.isNewExpression(e) || ts.isCallExpression(e) || ts.isStringLiteral(e);
}

/**
 * A module-level variable: `let` goes to .data (or .bss when zero), a `const` with a declared type
 * to .rodata, which user space may set before loading (C's `const volatile`). The initialiser must
 * be constant: integers, or object literals of them for structs.
 */
function scanGlobal(
  d: ts.VariableDeclaration,
  isConst: boolean,
  checker: ts.TypeChecker,
  types: TypeMapper,
  r: Reporter,
): GlobalVar | undefined {
  const name = (d.name as ts.Identifier).text;
  const declared = checker.getTypeAtLocation(d.name);
  // `let n = 0` says `number`: the width has to be written down.
  if (!d.type && declared.flags & ts.TypeFlags.NumberLike && !types.intOf(declared)) {
    r.report("TSBPF2002", d.name, name);
    return undefined;
  }
  const type = types.memType(declared);
  if (!type) {
    r.report("TSBPF2009", d.type ?? d.name, checker.typeToString(checker.getTypeAtLocation(d.name)));
    return undefined;
  }
  const bytes = new Uint8Array(sizeOf(type));
  if (d.initializer && !encodeConst(d.initializer, type, 0, bytes, checker, r)) return undefined;
  const zero = bytes.every((b) => b === 0);
  return { name, section: isConst ? ".rodata" : zero ? ".bss" : ".data", type, init: zero && !isConst ? undefined : bytes };
}

/** Writes the constant value of `e` (of type t) into `out` at `off`, little-endian. */
function encodeConst(e: ts.Expression, t: CType, off: number, out: Uint8Array, checker: ts.TypeChecker, r: Reporter): boolean {
  if (isZero(e)) return true;
  if (t.kind === "int") {
    const v = constEval(e, checker);
    if (v === undefined) {
      r.report("TSBPF2013", e, "a global's initial value");
      return false;
    }
    let x = BigInt.asUintN(t.size * 8, v);
    for (let i = 0; i < t.size; i++, x >>= 8n) out[off + i] = Number(x & 0xffn);
    return true;
  }
  if (t.kind === "array" && ts.isArrayLiteralExpression(e)) {
    // A constant table: each element in turn, the rest zero (tsc has checked the length).
    const size = sizeOf(t.elem);
    if (e.elements.length > t.len) {
      r.report("TSBPF2013", e, "a global's initial value");
      return false;
    }
    return e.elements.every((el, k) => encodeConst(el, t.elem, off + k * size, out, checker, r));
  }
  if (t.kind === "struct" && ts.isObjectLiteralExpression(e)) {
    for (const p of e.properties) {
      if (!ts.isPropertyAssignment(p)) {
        r.report("TSBPF2013", p, "a global's initial value");
        return false;
      }
      const f = t.fields.find((x) => x.name === p.name.getText());
      if (!f || !encodeConst(p.initializer, f.type, off + f.offset, out, checker, r)) return false;
    }
    return true;
  }
  r.report("TSBPF2013", e, "a global's initial value");
  return false;
}

function scanMap(name: string, e: ts.NewExpression, checker: ts.TypeChecker, types: TypeMapper, r: Reporter): MapInfo | undefined {
  const cls = resolveStdlib(e.expression, checker, types);
  const mc = cls ? MAP_KIND_BY_CLASS[cls] : undefined;
  if (!mc?.shape) {
    r.report("TSBPF2005", e, `'${e.expression.getText()}' is not a map class`);
    return undefined;
  }
  const shape = mc.shape;
  const targs = e.typeArguments ?? [];
  const want = shape === "kv" ? 2 : shape === "keys" ? 1 : shape === "slots" || shape === "stacks" || shape === "maps" ? 0 : 1;
  if (targs.length !== want) {
    r.report(
      "TSBPF2005",
      e,
      want === 0 ? `${cls} takes no type arguments` : `${cls} needs ${want} explicit type argument${want > 1 ? "s" : ""}`,
    );
    return undefined;
  }
  const argTypes = targs.map((t) => types.memType(checker.getTypeFromTypeNode(t)));
  for (let i = 0; i < targs.length; i++) {
    if (!argTypes[i]) {
      r.report("TSBPF2009", targs[i], targs[i].getText());
      return undefined;
    }
  }
  const u32 = INT_TYPES.u32;
  const key: CType = shape === "kv" || shape === "keys" ? argTypes[0]! : mc.u64Key ? INT_TYPES.u64 : u32;
  // A stack trace map's value is `depth` u64 instruction pointers (default 127, PERF_MAX_STACK_DEPTH).
  const depthArg = shape === "stacks" ? e.arguments?.[1] : undefined;
  const depth = shape === "stacks" ? (depthArg ? constEval(depthArg, checker) : 127n) : undefined;
  if (depthArg && (depth === undefined || depth < 1n || depth > 127n)) {
    r.report("TSBPF2107", depthArg, depthArg.getText());
    return undefined;
  }
  const value: CType = mc.socketValue
    ? INT_TYPES.u64
    : depth !== undefined
      ? { kind: "array", elem: INT_TYPES.u64, len: Number(depth) }
      : argTypes.length
        ? argTypes[argTypes.length - 1]!
        : u32;
  // The kernel refuses to create other kinds of map whose value holds a bpf_timer (EOPNOTSUPP).
  if (hasTimer(value) && !TIMER_MAP_TYPES.has(mc.type)) {
    r.report("TSBPF2124", targs[targs.length - 1] ?? e, cls!);
    return undefined;
  }
  if (mc.keyRule === "lpm" && !isLpmKey(key)) {
    r.report("TSBPF2101", targs[0]!, targs[0]!.getText());
    return undefined;
  }
  const args = e.arguments ?? [];
  const max = args[0] ? constEval(args[0], checker) : mc.defaultMaxEntries !== undefined ? BigInt(mc.defaultMaxEntries) : undefined;
  if (max === undefined || max < 0n || max > 0xffffffffn || (max === 0n && mc.defaultMaxEntries !== 0)) {
    r.report("TSBPF2005", args[0] ?? e, "maxEntries must be a positive constant");
    return undefined;
  }
  if (mc.sizeRule === "pow2-page" && (max < 4096n || (max & (max - 1n)) !== 0n)) {
    r.report("TSBPF2005", args[0] ?? e, "a ring buffer's size must be a power of two and at least 4096 bytes");
    return undefined;
  }
  // Limits the kernel enforces with E2BIG at load time (see MapKind.sizeRule).
  const hash = mc.sizeRule === "hash-buckets";
  const sizeError = mapSizeError(mc, hash, shape === "kv" ? key : undefined, value);
  if (sizeError) {
    r.report("TSBPF2005", targs[targs.length - 1] ?? e, sizeError);
    return undefined;
  }
  if (max > 0x3fffffffn || (hash && max > 1n << 27n)) {
    const limit = hash ? "134217728 (2^27) for hash maps" : "1073741823";
    r.report("TSBPF2005", args[0] ?? e, `maxEntries ${max} is more than the kernel accepts (at most ${limit})`);
    return undefined;
  }
  // Bad slots are reported; the map is still declared so its uses do not cascade into more errors.
  const slots =
    mc.init && args[1] ? (scanSlots(args[1], Number(max), mc.init === "maps" ? "TSBPF2108" : "TSBPF2102", checker, r) ?? []) : undefined;
  if (mc.init === "maps" && !args[1]) {
    r.report("TSBPF2108", e, "give the inner maps: new ArrayOfMaps(n, { 0: inner_a, 1: inner_b })");
    return undefined;
  }
  // A bloom filter's second argument is its hash-function count (map_extra, 1..15), flags come third.
  const extraArg = mc.mapExtra ? args[1] : undefined;
  const mapExtra = extraArg ? constEval(extraArg, checker) : undefined;
  if (extraArg && (mapExtra === undefined || mapExtra < 1n || mapExtra > 15n)) r.report("TSBPF2105", extraArg, extraArg.getText());
  // The options come after the sizes (and the slots or hash count): MapFlags, or { flags, pinning }.
  const optionsArg = mc.mapExtra || mc.init || shape === "stacks" ? args[2] : args[1];
  const options = optionsArg && ts.isObjectLiteralExpression(optionsArg) ? scanOptions(optionsArg, checker, r) : undefined;
  if (optionsArg && ts.isObjectLiteralExpression(optionsArg) && !options) return undefined;
  const flagsArg = options ? options.flagsNode : optionsArg;
  const flags = flagsArg ? constEval(flagsArg, checker) : 0n;
  if (flags === undefined) {
    r.report("TSBPF2013", flagsArg!, "map flags");
    return undefined;
  }
  const bad = flags & ~BigInt(mc.flagsAllowed);
  if (bad !== 0n) {
    r.report("TSBPF2100", flagsArg!, cls!, `0x${bad.toString(16)}`);
    return undefined;
  }
  const sizes = mc.btf === "sizes" ? 4 : undefined;
  const btfKey = mc.btf === "kv" ? key : mc.btf === "u32" ? u32 : undefined;
  const btfValue = mc.btf === "kv" || mc.btf === "value" ? value : mc.btf === "u32" ? u32 : undefined;
  return {
    def: {
      name,
      type: mc.type,
      key: btfKey,
      value: btfValue,
      maxEntries: Number(max),
      flags: Number(flags) | (mc.requiredFlags ?? 0),
      mapExtra: mapExtra === undefined ? undefined : Number(mapExtra),
      pinning: options?.pinning || undefined,
      keySize: sizes,
      valueSize: sizes,
      progSlots: mc.init === "programs" ? slots?.map((s) => ({ index: s.index, program: s.program })) : undefined,
    },
    slotNodes: slots,
    key,
    value,
    valueRef: value.kind === "int" ? cell(value) : value,
    shape,
    kind: mc,
  };
}

/** `{ flags: ..., pinning: ... }`, each a constant. */
function scanOptions(
  e: ts.ObjectLiteralExpression,
  checker: ts.TypeChecker,
  r: Reporter,
): { flagsNode?: ts.Expression; pinning: number } | undefined {
  let flagsNode: ts.Expression | undefined;
  let pinning = 0;
  for (const p of e.properties) {
    const name = p.name && ts.isIdentifier(p.name) ? p.name.text : undefined;
    if (!ts.isPropertyAssignment(p) || (name !== "flags" && name !== "pinning")) {
      r.report("TSBPF2106", p, p.getText());
      return undefined;
    }
    if (name === "flags") {
      flagsNode = p.initializer;
      continue;
    }
    const v = constEval(p.initializer, checker);
    if (v === undefined || (v !== 0n && v !== 1n)) {
      r.report("TSBPF2106", p, p.getText());
      return undefined;
    }
    pinning = Number(v);
  }
  return { flagsNode, pinning };
}

/** `{ 0: prog, 3: other }`: constant indices below maxEntries naming module-level constants. */
function scanSlots(
  e: ts.Expression,
  max: number,
  code: "TSBPF2102" | "TSBPF2108",
  checker: ts.TypeChecker,
  r: Reporter,
): MapInfo["slotNodes"] {
  const what = code === "TSBPF2102" ? "program" : "map";
  if (!ts.isObjectLiteralExpression(e)) {
    r.report(code, e, `the slots must be an object literal { index: ${what} }`);
    return undefined;
  }
  const out: NonNullable<MapInfo["slotNodes"]> = [];
  for (const p of e.properties) {
    const init = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
    const index =
      ts.isPropertyAssignment(p) && (ts.isNumericLiteral(p.name) || ts.isComputedPropertyName(p.name))
        ? constEval(ts.isComputedPropertyName(p.name) ? p.name.expression : p.name, checker)
        : undefined;
    if (!init || !ts.isIdentifier(init) || index === undefined) {
      r.report(code, p, `write each slot as \`index: ${what}\` with a constant index`);
      return undefined;
    }
    if (index < 0n || index >= BigInt(max)) {
      r.report(code, p, `slot ${index} is outside 0..${max - 1}`);
      return undefined;
    }
    out.push({ index: Number(index), program: init.text, node: init });
  }
  return out;
}

/** Program-array slots must name programs of this file, all of one kind. */
function checkSlots(info: ModuleInfo, r: Reporter): void {
  for (const m of info.maps.values()) {
    if (m.kind.init === "maps") {
      checkInnerMaps(info, m, r);
      continue;
    }
    let kind: string | undefined;
    for (const s of m.slotNodes ?? []) {
      const p = info.programs.find((x) => x.name === s.program);
      if (!p) {
        r.report("TSBPF2102", s.node, `'${s.program}' is not an exported program of this file`);
        continue;
      }
      if (kind !== undefined && p.kind.wrapper !== kind)
        r.report(
          "TSBPF2102",
          s.node,
          `'${s.program}' is ${p.kind.wrapper}, the other slots ${kind}: one program array holds one program type`,
        );
      kind ??= p.kind.wrapper;
    }
  }
}

/**
 * A map of maps' slots name maps declared before it, all of one definition (kind, key, value, size):
 * the first becomes libbpf's inner-map template and gives `lookupIn`/`updateIn` their types.
 */
function checkInnerMaps(info: ModuleInfo, m: MapInfo, r: Reporter): void {
  const byName = new Map([...info.maps.values()].map((x) => [x.def.name, x]));
  const same = (a: MapInfo, b: MapInfo) =>
    a.def.type === b.def.type &&
    a.def.maxEntries === b.def.maxEntries &&
    sizeOf(a.key) === sizeOf(b.key) &&
    sizeOf(a.value) === sizeOf(b.value);
  for (const s of m.slotNodes ?? []) {
    const inner = byName.get(s.program);
    if (!inner || inner === m || inner.kind.init === "maps" || !(inner.shape === "kv" || inner.shape === "array")) {
      r.report("TSBPF2108", s.node, `'${s.program}' is not a hash or array map of this file`);
      return;
    }
    if (m.inner && !same(m.inner, inner)) {
      r.report(
        "TSBPF2108",
        s.node,
        `'${s.program}' differs from '${m.inner.def.name}' in kind, size, key or value; all inner maps share one definition`,
      );
      return;
    }
    m.inner ??= inner;
  }
  if (!m.inner) return;
  const { pinning: _pinning, ...template } = m.inner.def;
  m.def.innerMap = { ...template, name: `${m.def.name}.inner` };
  m.def.mapSlots = (m.slotNodes ?? []).map((s) => ({ index: s.index, map: s.program }));
}

/** The kernel's LPM key: `struct { __u32 prefixlen; __u8 data[]; }` with 1..256 bytes of data. */
function isLpmKey(t: CType): boolean {
  if (t.kind !== "struct") return false;
  const f = t.fields[0];
  const data = sizeOf(t) - 4;
  return !!f && f.name === "prefixlen" && f.offset === 0 && f.type.kind === "int" && f.type.size === 4 && data >= 1 && data <= 256;
}

/** If `e` names a declaration of our stdlib (through imports), its name. */
export function resolveStdlib(e: ts.Expression, checker: ts.TypeChecker, types: TypeMapper): string | undefined {
  if (!ts.isIdentifier(e)) return undefined;
  let sym = checker.getSymbolAtLocation(e);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  return sym && types.isStdlibSymbol(sym) ? sym.getName() : undefined;
}

/** The kernel's KMALLOC_MAX_SIZE on x86-64 (4 MiB), MAX_BPF_STACK and PCPU_MIN_UNIT_SIZE. */
const KMALLOC_MAX = 4n << 20n;
const MAX_BPF_STACK = 512n;
const PCPU_UNIT = 32768n;

/**
 * Key and value sizes the kernel refuses at map creation (found by the hostile fuzzer: a
 * `FixedArray<u32, 18446744073709551615>` value compiled, and the kernel said EINVAL). Every size
 * is a u32 in BTF and at most INT_MAX in the map; hash maps keep keys on the BPF stack and values
 * below KMALLOC_MAX_SIZE less the stack and an element header; per-CPU values fit a per-CPU unit.
 */
function mapSizeError(mc: MapKind, hash: boolean, key: CType | undefined, value: CType): string | undefined {
  const ks = BigInt(Math.min(sizeOf(key ?? INT_TYPES.u32), Number.MAX_SAFE_INTEGER));
  const vs = BigInt(Math.min(sizeOf(value), Number.MAX_SAFE_INTEGER));
  const big = (what: string, n: bigint, limit: bigint) =>
    `the ${what} is ${n >= BigInt(Number.MAX_SAFE_INTEGER) ? "over 2^53" : n} bytes, more than the kernel accepts here (at most ${limit})`;
  const INT_MAX = 0x7fffffffn;
  if (ks > INT_MAX) return big("key", ks, INT_MAX);
  if (vs > INT_MAX) return big("value", vs, INT_MAX);
  if (hash && ks > MAX_BPF_STACK) return big("key", ks, MAX_BPF_STACK);
  // htab_map_alloc_check: value_size >= KMALLOC_MAX_SIZE - MAX_BPF_STACK - sizeof(struct htab_elem) (48).
  if (hash && vs >= KMALLOC_MAX - MAX_BPF_STACK - 48n) return big("value", vs, KMALLOC_MAX - MAX_BPF_STACK - 49n);
  if (mc.perCpu && ((vs + 7n) & ~7n) > PCPU_UNIT) return big("per-CPU value", vs, PCPU_UNIT);
  return undefined;
}
