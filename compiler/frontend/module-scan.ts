// Reads a .bpf.ts file's module level: maps (`const m = new HashMap<K, V>(n)`), programs
// (`export const p = xdp(ctx => ...)`), compile-time constants, and the LICENSE string.

import { INT_TYPES, sizeOf, type CStruct, type CType } from "../../common/ctypes.js";
import type { GlobalVar, MapDef } from "../object/model.js";
import { MAP_CLASSES } from "./helpers-table.js";
import { PROGRAM_KINDS, type ProgramKind } from "./program-kinds.js";
import type { Reporter } from "./reporter.js";
import { ts } from "./ts-adapter.js";
import type { TypeMapper } from "./types.js";
import { constEval } from "./const-eval.js";

export interface MapInfo {
  def: MapDef;
  /** Key type as the program passes it. */
  key: CType;
  /** What a lookup returns a reference to (a Cell struct around scalar values). */
  valueRef: CType;
  value: CType;
  shape: "kv" | "array" | "events";
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
      if (!isConst || (d.type && !(d.initializer && isMapOrProgram(d.initializer)))) {
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
          if (!t || t.kind !== "struct") {
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
  return info;
}

function isMapOrProgram(e: ts.Expression): boolean {
  return ts.isNewExpression(e) || ts.isCallExpression(e) || ts.isStringLiteral(e);
}

/**
 * A module-level variable: `let` goes to .data (or .bss when zero), a `const` with a declared type
 * to .rodata, which user space may set before loading (C's `const volatile`). The initialiser must
 * be constant: integers, or object literals of them for structs.
 */
function scanGlobal(d: ts.VariableDeclaration, isConst: boolean, checker: ts.TypeChecker, types: TypeMapper, r: Reporter): GlobalVar | undefined {
  const name = (d.name as ts.Identifier).text;
  const declared = checker.getTypeAtLocation(d.name);
  // `let n = 0` says `number`: the width has to be written down.
  if (!d.type && (declared.flags & ts.TypeFlags.NumberLike) && !types.intOf(declared)) {
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
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "zero") return true;
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
  const mc = cls ? MAP_CLASSES[cls] : undefined;
  if (!mc) {
    r.report("TSBPF2005", e, `'${e.expression.getText()}' is not a map class`);
    return undefined;
  }
  const targs = e.typeArguments ?? [];
  const want = mc.shape === "kv" ? 2 : 1;
  if (targs.length !== want) {
    r.report("TSBPF2005", e, `${cls} needs ${want} explicit type argument${want > 1 ? "s" : ""}`);
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
  const key: CType = mc.shape === "kv" ? argTypes[0]! : u32;
  const value = argTypes[argTypes.length - 1]!;
  const args = e.arguments ?? [];
  // Perf event arrays default to one entry per CPU (libbpf fills in max_entries = 0).
  const max = args[0] ? constEval(args[0], checker) : mc.type === 4 ? 0n : undefined;
  if (max === undefined || max < 0n || max > 0xffffffffn || (max === 0n && mc.type !== 4)) {
    r.report("TSBPF2005", args[0] ?? e, "maxEntries must be a positive constant");
    return undefined;
  }
  if (mc.type === 27 && (max < 4096n || (max & (max - 1n)) !== 0n)) {
    r.report("TSBPF2005", args[0] ?? e, "a ring buffer's size must be a power of two and at least 4096 bytes");
    return undefined;
  }
  // Limits the kernel enforces with E2BIG at load time: BTF spells max_entries as `int (*)[N]`, whose
  // 4N bytes must fit 32 bits; a hash map rounds N up to a power of two of 16-byte buckets.
  const HASH_TYPES = [1, 5, 9, 10];
  if (max > 0x3fffffffn || (HASH_TYPES.includes(mc.type) && max > 1n << 27n)) {
    const limit = HASH_TYPES.includes(mc.type) ? "134217728 (2^27) for hash maps" : "1073741823";
    r.report("TSBPF2005", args[0] ?? e, `maxEntries ${max} is more than the kernel accepts (at most ${limit})`);
    return undefined;
  }
  const flags = args[1] ? constEval(args[1], checker) : 0n;
  if (flags === undefined) {
    r.report("TSBPF2013", args[1], "map flags");
    return undefined;
  }
  const events = mc.shape === "events";
  return {
    def: {
      name,
      type: mc.type,
      // Ring buffers carry no key/value; perf event arrays have u32 -> u32 (CPU -> perf fd).
      key: events ? (mc.type === 4 ? u32 : undefined) : key,
      value: events ? (mc.type === 4 ? u32 : undefined) : value,
      maxEntries: Number(max),
      flags: Number(flags),
    },
    key,
    value,
    valueRef: value.kind === "int" ? cell(value) : value,
    shape: mc.shape,
  };
}

/** If `e` names a declaration of our stdlib (through imports), its name. */
export function resolveStdlib(e: ts.Expression, checker: ts.TypeChecker, types: TypeMapper): string | undefined {
  if (!ts.isIdentifier(e)) return undefined;
  let sym = checker.getSymbolAtLocation(e);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  return sym && types.isStdlibSymbol(sym) ? sym.getName() : undefined;
}
