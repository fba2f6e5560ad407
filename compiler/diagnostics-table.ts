// Every diagnostic tsbpf reports, with a stable code, a message template ({0}, {1} are filled in) and
// a one-line hint. 1xxx: TypeScript outside the subset (subset-check.ts). 2xxx: lowering and
// verifier-rule errors. 3xxx: warnings. 9xxx: internal errors (a bug in tsbpf; please report).
// docs/language.md lists the same codes with fixes; a test keeps the two in step. Codes are never
// reused: 1003, 1004, 1021, 1023 (constructs now supported) and 2006 are retired.

export interface DiagnosticDef {
  message: string;
  hint: string;
  severity?: "error" | "warning" | "internal";
}

export const DIAGNOSTICS = {
  TSBPF1001: { message: "classes are not supported in BPF code", hint: "use an interface for data and module-level functions for behaviour" },
  TSBPF1002: { message: "nested functions and closures are not supported here", hint: "move the function to module level; only program wrappers take an arrow function" },
  TSBPF1005: { message: "exceptions are not supported: BPF has no unwinding", hint: "return an error code instead of throwing" },
  TSBPF1006: { message: "async functions and await are not supported: BPF programs cannot suspend", hint: "do the work synchronously" },
  TSBPF1007: { message: "generators are not supported in BPF code", hint: "use a bounded for loop" },
  TSBPF1008: { message: "spread syntax is not supported", hint: "write the fields or arguments out" },
  TSBPF1009: { message: "strings are not supported here", hint: "strings may only appear as the LICENSE value" },
  TSBPF1010: { message: "floating-point numbers are not supported: eBPF has no floats", hint: "use integer arithmetic, e.g. scale by 1000" },
  TSBPF1011: { message: "'{0}' is not allowed in BPF code", hint: "give the value an integer, struct or map type" },
  TSBPF1012: { message: "dynamic property access is not supported", hint: "access fields by name: obj.field" },
  TSBPF1013: { message: "template literals are not supported", hint: "BPF code has no strings" },
  TSBPF1014: { message: "array literals are not supported", hint: "declare a FixedArray field in a struct or a map" },
  TSBPF1015: { message: "object literals are only supported as struct values with a known interface type", hint: "annotate the target: const v: Counter = { ... }" },
  TSBPF1016: { message: "regular expressions are not supported", hint: "compare bytes explicitly" },
  TSBPF1017: { message: "the '{0}' operator is not supported", hint: "BPF values have static types; compare fields explicitly" },
  TSBPF1018: { message: "only imports from \"tsbpf/bpf\" are supported", hint: "import { xdp, u32, ... } from \"tsbpf/bpf\"" },
  TSBPF1019: { message: "this statement is not allowed at module level", hint: "module level holds imports, interfaces, types, enums, maps, constants and exported programs" },
  TSBPF1020: { message: "bigint values are not supported yet", hint: "write 64-bit constants as number literals; tsbpf reads their exact text" },
  TSBPF1022: { message: "'new' is only allowed for map declarations", hint: "const m = new HashMap<u32, u64>(1024) at module level" },
  TSBPF1024: { message: "'this' is not supported in BPF code", hint: "pass values explicitly" },
  TSBPF1025: { message: "optional chaining is not supported", hint: "test for null with if (x !== null) first, as the verifier requires" },
  TSBPF1026: { message: "the '??' operator is not supported yet", hint: "use if (x === null) ... else ..." },
  TSBPF1027: { message: "the '**' operator is not supported", hint: "multiply explicitly or use shifts" },
  TSBPF1028: { message: "'var' declarations are not supported", hint: "use const or let" },
  TSBPF1029: { message: "destructuring is not supported", hint: "read the fields one by one" },
  TSBPF1030: { message: "the comma operator is not supported", hint: "write separate statements" },
  TSBPF1031: { message: "getters and setters are not supported", hint: "use plain fields" },
  TSBPF1032: { message: "for-in and for-of loops are not supported", hint: "use a for loop with a constant bound" },
  TSBPF1033: { message: "'{0}' is not a function tsbpf knows", hint: "call a helper exported by \"tsbpf/bpf\"" },
  TSBPF1034: { message: "'{0}' declarations are not supported in BPF code", hint: "remove it or move it to user-space code" },
  TSBPF1035: { message: "this expression is not supported in BPF code", hint: "see docs/language.md for the supported subset" },
  TSBPF1036: { message: "non-null assertions ('!') would skip the null check the verifier requires", hint: "test with if (x !== null) instead" },
  TSBPF1037: { message: "type assertions ('as') do not convert integers", hint: "use an explicit conversion such as u8(x) or u32(x)" },
  TSBPF1040: { message: "this is nested {0} levels deep; tsbpf accepts at most {1}", hint: "split the expression or block into smaller statements or functions" },
  TSBPF1041: { message: "this file is too large or too deeply nested to compile: the compiler ran out of stack", hint: "split long functions, long if/else chains and long expressions into smaller pieces" },
  TSBPF1042: { message: "'{0}' comments cannot switch off checks in a .bpf.ts file", hint: "fix the reported error instead: tsbpf's checks stand for the kernel verifier's rules" },
  TSBPF1043: { message: "decorators are not supported in BPF code", hint: "remove the decorator; mark BPF-to-BPF calls with a /** @noinline */ comment" },
  TSBPF1044: { message: "default and optional parameters are not supported", hint: "declare every parameter with a type and pass every argument" },
  TSBPF1045: { message: "this file declares no program", hint: "export one, e.g. export const prog = xdp((ctx) => XdpAction.PASS);" },

  TSBPF2001: { message: "this loop's bound is not a compile-time constant", hint: "loop as for (let i = A; i < N; i++) with constant A and N and no other writes to i" },
  TSBPF2002: { message: "cannot decide the integer type of '{0}'", hint: "annotate it, e.g. let x: u32 = ..." },
  TSBPF2003: { message: "stack frame of '{0}' is {1} bytes; BPF allows 512", hint: "move large structs into a per-CPU array map" },
  TSBPF2004: { message: "functions and helpers take at most five arguments", hint: "pass a struct (by reference) instead" },
  TSBPF2005: { message: "unsupported map declaration: {0}", hint: "const m = new HashMap<K, V>(maxEntries) at module level, with integer or struct K and V" },
  TSBPF2007: { message: "a program must be exported: export const {0} = {1}(...)", hint: "add 'export'; the constant's name becomes the program's name" },
  TSBPF2008: { message: "'{0}' is not a field of the {1} context", hint: "see the context interface in tsbpf/bpf for the fields this program kind may read" },
  TSBPF2009: { message: "type '{0}' cannot be laid out in memory", hint: "struct fields must be integers, nested structs or FixedArray<T, N>" },
  TSBPF2010: { message: "'{0}' cannot be assigned", hint: "context fields and const bindings are read-only" },
  TSBPF2011: { message: "the literal {0} does not fit in {1}", hint: "use a wider type or an explicit conversion" },
  TSBPF2013: { message: "{0} must be a compile-time constant", hint: "use a literal, an enum member or a const of one" },
  TSBPF2014: { message: "a reference to memory cannot be used as a number", hint: "read a field of it instead" },
  TSBPF2015: { message: "this expression has no value tsbpf can use here", hint: "see docs/language.md for the supported subset" },
  TSBPF2016: { message: "'{0}' cannot be used in BPF code", hint: "only locals, module constants, maps and stdlib names are visible" },
  TSBPF2017: { message: "a program's body must return a value on every path", hint: "add a final return" },
  TSBPF2018: { message: "struct values can only be copied into maps and locals, not compared or used in arithmetic", hint: "compare fields one by one" },
  TSBPF2019: { message: "the '{0}' program wrapper takes one arrow function", hint: "export const prog = {0}((ctx) => { ... })" },
  TSBPF2020: { message: "offset {0} is out of range for direct packet access (0..65535)", hint: "use a smaller constant offset" },
  TSBPF2022: { message: "argument index {0} is out of range (0..{1})", hint: "programs of this kind see at most {1}+1 arguments" },
  TSBPF2023: { message: "index {0} is out of range for an array of {1} elements", hint: "valid indices are 0..{1}-1" },
  TSBPF2024: { message: "packet bytes cannot be indexed with a variable", hint: "read a header at a constant offset with ctx.header<T>(off)" },
  TSBPF2025: { message: "'{0}' calls itself: BPF programs cannot recurse", hint: "rewrite the recursion as a bounded loop" },
  TSBPF2026: { message: "this loop does not reach its bound within {0} iterations", hint: "check the step's direction and that the bound fits the counter's type" },
  TSBPF2027: { message: "atomics need a 32- or 64-bit integer in a map value, a global or a stack struct", hint: "name the field directly: atomicAdd(stats.packets, 1)" },
  TSBPF2028: { message: "'{0}' needs {1} bytes of stack along {2}; BPF allows 512 over a whole call chain (8 frames)", hint: "inline small functions, or keep large structs in a per-CPU array map" },
  TSBPF2029: { message: "loop() takes a module-level function and a struct local as its state", hint: "function body(i: u32, s: State): u32 { ... }  const s: State = { ... };  loop(n, body, s)" },
  TSBPF2200: { message: "'{0}' must return a value on every path", hint: "add a final return, or a default case that returns" },
  TSBPF2201: { message: "the expression {0} (= {1}) does not fit in {2}", hint: "use a wider type, or wrap the value explicitly, e.g. u8(x)" },
  TSBPF2202: { message: "'{0}' needs an estimated {1} verifier steps; the kernel stops at 1,000,000", hint: "shrink the loop's trip count or body, or move the loop into loop() (bpf_loop), which the verifier checks once" },
  TSBPF2021: { message: "unsupported type for a local: {0}", hint: "locals hold integers, booleans, structs or references returned by lookups and headers" },

  TSBPF3001: { message: "no LICENSE export: the kernel rejects GPL-only helpers without one", hint: "export const LICENSE = \"GPL\";", severity: "warning" },

  TSBPF3010: { message: "'{0}' may need about {1} verifier steps; the kernel stops at 1,000,000", hint: "shrink the loop's trip count or the comparisons in its body, or use loop() (bpf_loop), which the verifier checks once", severity: "warning" },

  TSBPF9001: { message: "internal compiler error: {0}", hint: "this is a bug in tsbpf; please report it with the input file", severity: "internal" },
} satisfies Record<string, DiagnosticDef>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export function formatMessage(code: DiagnosticCode, args: (string | number)[]): string {
  return DIAGNOSTICS[code].message.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ""));
}
