// TypeScript names for C types: C keeps structs, unions and enums in a tag namespace apart from
// typedefs, and allows names (`delete`, `string`, `u32`) that TypeScript reserves or that the
// generated file imports from tsbpf/bpf. Each named BTF type gets one unique, valid TS name.

import type { Btf, BtfType } from "../../common/btf-reader.js";

/** Names the generated file imports from "tsbpf/bpf"; kernel types may not take them. */
export const IMPORTED = [
  "u8",
  "u16",
  "u32",
  "u64",
  "i8",
  "i16",
  "i32",
  "i64",
  "bool",
  "FixedArray",
  "KernelPtr",
  "KernelAddr",
  "KernelFunctions",
  "KernelTracepoints",
  "KernelTypes",
] as const;

const RESERVED = new Set([
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "new",
  "null",
  "return",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "implements",
  "interface",
  "let",
  "package",
  "private",
  "protected",
  "public",
  "static",
  "yield",
  "await",
  // Predefined type names cannot name a declared type.
  "any",
  "unknown",
  "never",
  "number",
  "bigint",
  "boolean",
  "string",
  "symbol",
  "object",
  "undefined",
  "intrinsic",
  "as",
  "satisfies",
  "keyof",
  "infer",
  "is",
  "asserts",
  "readonly",
  "unique",
  "global",
  "declare",
  "namespace",
  "module",
  "type",
  "abstract",
  "constructor",
  "get",
  "set",
  "require",
  "arguments",
  "eval",
]);

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A valid TS identifier for a C identifier (`new` -> `new_`; anything odd is replaced by `_`). */
export function safeIdent(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_$]/g, "_");
  if (!IDENT.test(s)) s = `_${s}`;
  if (RESERVED.has(s)) s = `${s}_`;
  return s;
}

/** Kinds that carry a type name in the output. */
const NAMED_KINDS = new Set<BtfType["kind"]>(["STRUCT", "UNION", "ENUM", "ENUM64", "FWD", "TYPEDEF"]);

/**
 * One TS name per named BTF type id. Structs, unions and enums claim names first (in id order), then
 * typedefs; a typedef that only renames a same-named tag (`typedef struct foo foo`) shares its name.
 * Clashes get the suffix bpftool gives in vmlinux.h: `name___2`, `name___3`, ...
 */
export function assignNames(btf: Btf): Map<number, string> {
  const names = new Map<number, string>();
  const taken = new Set<string>([...IMPORTED, ...RESERVED]);
  const claim = (id: number, cname: string) => {
    const base = safeIdent(cname);
    let n = base;
    for (let k = 2; taken.has(n); k++) n = `${base}___${k}`;
    taken.add(n);
    names.set(id, n);
  };
  // A forward declaration takes the name of the full definition when there is one.
  const fullByName = new Map<string, number>();
  for (const t of btf.types) {
    if ((t.kind === "STRUCT" || t.kind === "UNION") && t.name && !fullByName.has(`${t.kind === "UNION"}:${t.name}`)) {
      fullByName.set(`${t.kind === "UNION"}:${t.name}`, t.id);
    }
  }
  for (const t of btf.types) {
    if (!NAMED_KINDS.has(t.kind) || !t.name || t.kind === "TYPEDEF" || t.kind === "FWD") continue;
    claim(t.id, t.name);
  }
  for (const t of btf.types) {
    if (t.kind !== "FWD" || !t.name) continue;
    const full = fullByName.get(`${t.union}:${t.name}`);
    if (full !== undefined) names.set(t.id, names.get(full)!);
    else claim(t.id, t.name);
  }
  for (const t of btf.types) {
    if (t.kind !== "TYPEDEF" || !t.name) continue;
    const target = btf.get(t.type);
    if (
      (target.kind === "STRUCT" || target.kind === "UNION" || target.kind === "ENUM" || target.kind === "ENUM64") &&
      target.name === t.name
    ) {
      names.set(t.id, names.get(target.id)!);
      continue;
    }
    // Kernel typedefs of the stdlib integer names (u8 ... u64, bool) are the stdlib types themselves.
    if ((IMPORTED as readonly string[]).includes(t.name)) continue;
    claim(t.id, t.name);
  }
  return names;
}
