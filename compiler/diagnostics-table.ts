// Every diagnostic tsbpf reports, with a stable code, a message template ({0}, {1} are filled in) and
// a one-line hint. 1xxx: TypeScript outside the subset (subset-check.ts). 2xxx: lowering and
// verifier-rule errors. 3xxx: warnings. 9xxx: internal errors (a bug in tsbpf; please report).
// docs/language.md lists the same codes with fixes; a test keeps the two in step. Codes are never
// reused: 1003, 1004, 1021, 1023 (constructs now supported) and 2006 are retired.

export interface DiagnosticDef {
  message: string;
  hint: string;
  severity?: "error" | "warning" | "internal";
  /** A verifier-cost warning: the compiler's word that the kernel may refuse the program for its size. */
  cost?: true;
}

export const DIAGNOSTICS = {
  TSBPF1001: {
    message: "classes are not supported in BPF code",
    hint: "use an interface for data and module-level functions for behaviour",
  },
  TSBPF1002: {
    message: "nested functions and closures are not supported here",
    hint: "move the function to module level; only program wrappers take an arrow function",
  },
  TSBPF1005: { message: "exceptions are not supported: BPF has no unwinding", hint: "return an error code instead of throwing" },
  TSBPF1006: { message: "async functions and await are not supported: BPF programs cannot suspend", hint: "do the work synchronously" },
  TSBPF1007: { message: "generators are not supported in BPF code", hint: "use a bounded for loop" },
  TSBPF1008: { message: "spread syntax is not supported", hint: "write the fields or arguments out" },
  TSBPF1009: { message: "strings are not supported here", hint: "strings may only appear as the LICENSE value" },
  TSBPF1010: {
    message: "floating-point numbers are not supported: eBPF has no floats",
    hint: "use integer arithmetic, e.g. scale by 1000",
  },
  TSBPF1011: { message: "'{0}' is not allowed in BPF code", hint: "give the value an integer, struct or map type" },
  TSBPF1012: { message: "dynamic property access is not supported", hint: "access fields by name: obj.field" },
  TSBPF1013: { message: "template literals are not supported", hint: "BPF code has no strings" },
  TSBPF1014: {
    message: "array literals are not supported",
    hint: "only as a typed global's initializer (const T: FixedArray<u8, 4> = [1, 2, 3, 4]); in a function, start from zero<FixedArray<T, N>>() and assign the elements",
  },
  TSBPF1015: {
    message: "object literals are only supported as struct values with a known interface type",
    hint: "annotate the target: const v: Counter = { ... }",
  },
  TSBPF1016: { message: "regular expressions are not supported", hint: "compare bytes explicitly" },
  TSBPF1017: { message: "the '{0}' operator is not supported", hint: "BPF values have static types; compare fields explicitly" },
  TSBPF1018: {
    message: 'only imports from "tsbpf/bpf" and local modules are supported',
    hint: 'import { xdp, u32, ... } from "tsbpf/bpf", or from a module of your own: "./common.ts"',
  },
  TSBPF1019: {
    message: "this statement is not allowed at module level",
    hint: "module level holds imports, interfaces, types, enums, maps, constants and exported programs",
  },
  TSBPF1020: {
    message: "bigint values are not supported yet",
    hint: "write 64-bit constants as number literals; tsbpf reads their exact text",
  },
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
  TSBPF1033: { message: "'{0}' is not a function tsbpf knows", hint: 'call a helper exported by "tsbpf/bpf"' },
  TSBPF1034: { message: "'{0}' declarations are not supported in BPF code", hint: "remove it or move it to user-space code" },
  TSBPF1035: { message: "this expression is not supported in BPF code", hint: "see docs/language.md for the supported subset" },
  TSBPF1036: {
    message: "non-null assertions ('!') would skip the null check the verifier requires",
    hint: "test with if (x !== null) instead",
  },
  TSBPF1037: { message: "type assertions ('as') do not convert integers", hint: "use an explicit conversion such as u8(x) or u32(x)" },
  TSBPF1040: {
    message: "this is nested {0} levels deep; tsbpf accepts at most {1}",
    hint: "split the expression or block into smaller statements or functions",
  },
  TSBPF1041: {
    message: "this file is too large or too deeply nested to compile: the compiler ran out of stack",
    hint: "split long functions, long if/else chains and long expressions into smaller pieces",
  },
  TSBPF1042: {
    message: "'{0}' comments cannot switch off checks in a .bpf.ts file",
    hint: "fix the reported error instead: tsbpf's checks stand for the kernel verifier's rules",
  },
  TSBPF1043: {
    message: "decorators are not supported in BPF code",
    hint: "remove the decorator; mark BPF-to-BPF calls with a /** @noinline */ comment",
  },
  TSBPF1044: {
    message: "default and optional parameters are not supported",
    hint: "declare every parameter with a type and pass every argument",
  },
  TSBPF1045: { message: "this file declares no program", hint: "export one, e.g. export const prog = xdp((ctx) => XdpAction.PASS);" },
  TSBPF1046: {
    message: "'{0}' is in the first 8 bytes of the tracepoint record, which tracepoint programs cannot read",
    hint: "the kernel refuses reads of the common_* header; use getCurrentPidTgid() for the pid",
  },
  TSBPF1048: {
    message: "'{0}' is not a TypeScript file: tsbpf compiles .ts files",
    hint: "name the source prog.bpf.ts (a pipe such as /dev/stdin: save it to a .bpf.ts file first)",
  },
  TSBPF1070: {
    message: "'{0}' is declared in an imported module; maps, globals, programs and LICENSE belong in the entry file",
    hint: "move it to the .bpf.ts file you build; imported modules hold types, enums, constants and functions",
  },

  TSBPF2001: {
    message: "this loop's bound is not a compile-time constant",
    hint: "loop as for (let i = A; i < N; i++) with constant A and N and no other writes to i",
  },
  TSBPF2002: { message: "cannot decide the integer type of '{0}'", hint: "annotate it, e.g. let x: u32 = ..." },
  TSBPF2003: { message: "stack frame of '{0}' is {1} bytes; BPF allows 512", hint: "move large structs into a per-CPU array map" },
  TSBPF2004: { message: "functions and helpers take at most five arguments", hint: "pass a struct (by reference) instead" },
  TSBPF2005: {
    message: "unsupported map declaration: {0}",
    hint: "const m = new HashMap<K, V>(maxEntries) at module level, with integer or struct K and V",
  },
  TSBPF2007: {
    message: "a program must be exported: export const {0} = {1}(...)",
    hint: "add 'export'; the constant's name becomes the program's name",
  },
  TSBPF2008: {
    message: "'{0}' is not a field of the {1} context",
    hint: "see the context interface in tsbpf/bpf for the fields this program kind may read",
  },
  TSBPF2009: {
    message: "type '{0}' cannot be laid out in memory",
    hint: "struct fields must be integers, nested structs or FixedArray<T, N>",
  },
  TSBPF2010: { message: "'{0}' cannot be assigned", hint: "context fields and const bindings are read-only" },
  TSBPF2011: { message: "the literal {0} does not fit in {1}", hint: "use a wider type or an explicit conversion" },
  TSBPF2013: { message: "{0} must be a compile-time constant", hint: "use a literal, an enum member or a const of one" },
  TSBPF2014: { message: "a reference to memory cannot be used as a number", hint: "read a field of it instead" },
  TSBPF2015: { message: "this expression has no value tsbpf can use here", hint: "see docs/language.md for the supported subset" },
  TSBPF2016: { message: "'{0}' cannot be used in BPF code", hint: "only locals, module constants, maps and stdlib names are visible" },
  TSBPF2017: { message: "a program's body must return a value on every path", hint: "add a final return" },
  TSBPF2018: {
    message: "struct values can only be copied into maps and locals, not compared or used in arithmetic",
    hint: "compare fields one by one",
  },
  TSBPF2019: { message: "the '{0}' program wrapper takes one arrow function", hint: "export const prog = {0}((ctx) => { ... })" },
  TSBPF2020: { message: "offset {0} is out of range for direct packet access (0..65535)", hint: "use a smaller constant offset" },
  TSBPF2022: { message: "argument index {0} is out of range (0..{1})", hint: "programs of this kind see at most {1}+1 arguments" },
  TSBPF2023: { message: "index {0} is out of range for an array of {1} elements", hint: "valid indices are 0..{1}-1" },
  TSBPF2024: {
    message: "packet bytes cannot be indexed with a variable",
    hint: "read a header at a constant offset with ctx.header<T>(off)",
  },
  TSBPF2025: { message: "'{0}' calls itself: BPF programs cannot recurse", hint: "rewrite the recursion as a bounded loop" },
  TSBPF2026: {
    message: "this loop does not reach its bound within {0} iterations",
    hint: "check the step's direction and that the bound fits the counter's type",
  },
  TSBPF2027: {
    message: "atomics need a 32- or 64-bit integer in a map value, a global or a stack struct",
    hint: "name the field directly: atomicAdd(stats.packets, 1)",
  },
  TSBPF2028: {
    message: "'{0}' needs {1} bytes of stack along {2}; BPF allows 512 over a whole call chain (8 frames)",
    hint: "inline small functions, or keep large structs in a per-CPU array map",
  },
  TSBPF2029: {
    message: "loop() takes a module-level function and a struct local as its state",
    hint: "function body(i: u32, s: State): u32 { ... }  const s: State = { ... };  loop(n, body, s)",
  },
  TSBPF2030: {
    message: "an element at a run-time index is used whole; only its integer fields can be read and written (`arr[i].f`)",
    hint: "copy the fields one by one, or index with a constant",
  },
  TSBPF2031: {
    message: "a ?: that chooses between references or structs is not supported; only integers and booleans",
    hint: "choose with if/else and use each reference in its own branch, or pass the reference to a function from each branch",
  },
  TSBPF2200: { message: "'{0}' must return a value on every path", hint: "add a final return, or a default case that returns" },
  TSBPF2201: {
    message: "the expression {0} (= {1}) does not fit in {2}",
    hint: "use a wider type, or wrap the value explicitly, e.g. u8(x)",
  },
  TSBPF2300: { message: "cannot read {0}: {1}", hint: "check the path; tsbpf check takes .bpf.ts files" },
  TSBPF2202: {
    message: "'{0}' needs an estimated {1} verifier steps; the kernel stops at 1,000,000",
    hint: "shrink the loop's trip count or body, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
  },
  TSBPF2203: {
    message: "'{0}' leaves about {1} undecided comparisons pending in one pass of this loop; the verifier stops at {2}",
    hint: 'the verifier keeps the other side of every comparison it cannot decide until the path ends ("The sequence of 8193 jumps is too complex"): lower the trip count, compare less data per trip, or move the loop into loop() (bpf_loop)',
  },
  TSBPF2204: {
    message: "'{0}': the verifier cannot see this loop end: {1}",
    hint: 'the kernel walks the loop for every value the counter may hold and refuses it ("infinite loop detected" or "BPF program is too large"): bound the counter\'s start (a mask, a guard), use a non-negative or 32-bit counter, make the step reach the bound exactly, or use loop() (bpf_loop)',
  },
  // 2205-2206: `--verify` (build, check): the running kernel's verdict on the compiled object.
  TSBPF2205: {
    message: "the kernel's verifier refused '{0}': {1}",
    hint: "--verify loaded the object into the running kernel and the verifier stopped here, so no object is written; the runtime's VerifierError.log holds the verifier's whole log (loadObject with logLevel 2)",
  },
  TSBPF2206: {
    message: "'{0}' was not verified: {1}",
    hint: "--verify loads the object into the running kernel without attaching it; this kernel could not load it for a reason other than the verifier's verdict",
    severity: "warning",
  },
  // 2210-2219: what the kernel verifier would refuse, caught at compile time.
  TSBPF2210: {
    message: "bpf_{0} is a GPL-only kernel helper, and LICENSE {1} is not GPL-compatible",
    hint: 'the kernel refuses GPL-only helpers to other programs: export const LICENSE = "GPL" (or "Dual MIT/GPL", "Dual BSD/GPL", ...), or do without the helper',
  },
  TSBPF2211: {
    message:
      "'{0}' is a loop() body and is also called directly (@noinline): a direct call would get its loop() stop flag (0 or 1), not its result",
    hint: "give loop() its own body function that calls '{0}', or drop @noinline so direct calls are inlined",
  },
  TSBPF2021: {
    message: "unsupported type for a local, parameter or result: {0}",
    hint: "locals hold integers, booleans, structs or references returned by lookups and headers; write tsbpf's integer types (u32, i64, ...) rather than number",
  },
  // 2100-2149: map kinds (common/map-kinds.ts).
  TSBPF2100: { message: "{0} does not take map flags {1}", hint: "use the flags docs/language.md lists for this map kind (MapFlags)" },
  TSBPF2102: {
    message: "bad program-array slots: {0}",
    hint: "new ProgArray(4, { 0: handle_tcp, 1: handle_udp }) after the exported programs it names",
  },
  TSBPF2103: {
    message: "the ring-buffer record reserved here is neither submitted nor discarded on the path {0}",
    hint: "call events.submit(rec) or events.discard(rec) on every path after the null check, before returning",
  },
  TSBPF2104: {
    message: "{0} takes a record from reserve() in this function, after its null check",
    hint: "const rec = events.reserve(); if (rec === null) return ...; ... events.submit(rec);",
  },
  TSBPF2105: {
    message: "a bloom filter's hash-function count must be a constant from 1 to 15, not {0}",
    hint: "new BloomFilter<T>(maxEntries, 3); leave it out for the kernel's default of 5",
  },
  TSBPF2106: {
    message: "unknown or non-constant map option: {0}",
    hint: "options are { flags?: MapFlags, pinning?: Pinning }, each a constant",
  },
  TSBPF2107: {
    message: "a stack trace map's depth must be a constant from 1 to 127, not {0}",
    hint: "new StackTraceMap(maxEntries, 32): 32 frames per stack",
  },
  TSBPF2108: {
    message: "bad map-of-maps slots: {0}",
    hint: "const a = new HashMap<u32, u64>(64); const outer = new ArrayOfMaps(4, { 0: a });",
  },
  TSBPF2101: {
    message: "an LpmTrie key must be a struct starting with prefixlen: u32 and 1 to 256 bytes of data; '{0}' is not",
    hint: "interface Key { prefixlen: u32; addr: u32 }",
  },
  // 2120-2129: BPF timers (compiler/frontend/timers.ts).
  TSBPF2120: {
    message: "{0} takes the BpfTimer field of a map value",
    hint: "declare `timer: BpfTimer` in a HashMap, LruHashMap or ArrayMap value struct and pass it from a lookup: {0}(v.timer, ...)",
  },
  TSBPF2121: {
    message: "a timer callback must be a module-level function (map, key, value) whose value is the struct holding the timer",
    hint: "function onTimer(map: ArrayMap<Elem>, key: u32, value: Elem): 0 { ...; return 0; } then timerSetCallback(v.timer, onTimer)",
  },
  TSBPF2122: {
    message: "timer callback '{0}' must return 0 (or nothing): the verifier refuses any other value",
    hint: "declare its result as `: 0` or `: void`",
  },
  TSBPF2123: {
    message: "{0} programs cannot use timers: the kernel refuses maps with a bpf_timer in them",
    hint: "arm the timer from an XDP, TC, socket or cgroup program (or a tp_btf/fentry one)",
  },
  TSBPF2124: {
    message: "{0} values cannot hold a timer: the kernel takes bpf_timer only in HashMap, LruHashMap and ArrayMap values",
    hint: "keep the timers in a HashMap, LruHashMap or ArrayMap (not a per-CPU map)",
  },
  // 2170-2179: iterator output (compiler/frontend/seq-output.ts).
  TSBPF2170: {
    message: "{0} writes to the iterator's seq_file: pass `meta.seq` (after its null check)",
    hint: "if (meta === null) return 0; const seq = meta.seq; if (seq === null) return 0; then {0}(seq, ...)",
  },
  TSBPF2171: {
    message: "{0} is for iterators: the kernel offers bpf_seq_* only to iter programs, not to {1} programs",
    hint: "call it from an iter(target, ...) program's callback",
  },
  // 2110-2119: socket maps and local storage (compiler/frontend/lower-storage.ts).
  TSBPF2110: {
    message: "the first argument must be a module-level {0} map",
    hint: "declare it at module level, e.g. const store = new {0}<Counter>();",
  },
  TSBPF2111: {
    message: "pass the program's context as the socket: {0} programs have no socket the helper can use here",
    hint: "skStorageGet(store, ctx, ...) in cgroupSkb, tc, sockOps, cgroup sock_addr, cgroupSock or skMsg programs",
  },
  TSBPF2113: {
    message: "the socket looked up here is not released on the path {0}",
    hint: "call skRelease(sk) on every path after the null check, before returning (the verifier's 'Unreleased reference')",
  },
  TSBPF2114: {
    message: "expected a socket from a SockMap/SockHash lookup or skLookupTcp/skLookupUdp, after its null check",
    hint: "const sk = socks.lookup(0); if (sk === null) return SkAction.PASS; ... skRelease(sk);",
  },
  TSBPF2112: {
    message: "the {0} must be a trusted kernel pointer (e.g. getCurrentTask()), not a value read from memory",
    hint: "taskStorageGet(store, getCurrentTask(), null, StorageFlags.CREATE)",
  },

  TSBPF2250: {
    message: "'{0}' has no kernel layout: it is not a type or field generated by `tsbpf vmlinux`",
    hint: "declare kernel structs with `tsbpf vmlinux -o vmlinux.d.ts` and import them with `import type`",
  },
  TSBPF2251: {
    message: "kernel field '{0}' has a type tsbpf cannot read: {1}",
    hint: "read integer, enum, pointer, array or struct fields",
  },
  TSBPF2252: {
    message: "kernel bitfield '{0}' cannot be read: it is not an integer, or spans more than 64 bits",
    hint: "read the whole word that holds it with probeReadKernel",
  },
  TSBPF2254: {
    message: "{0} takes an enum member of a generated kernel enum, e.g. pid_type.PIDTYPE_PID",
    hint: "pass `EnumName.MEMBER` from vmlinux.d.ts",
  },
  TSBPF2255: {
    message: "getCurrentTask() needs the kernel's task_struct: import a vmlinux.d.ts generated by `tsbpf vmlinux`",
    hint: 'import type { task_struct } from "./vmlinux"',
  },
  TSBPF2256: {
    message: "'{0}' is read through a kernel pointer that may be null",
    hint: "check the pointer first: if (p === null) return 0;",
  },
  TSBPF2257: { message: "{0} takes a kernel struct reference and a field name", hint: 'coreFieldExists(task, "pid")' },
  // 2150-2199: helpers and program kinds (compiler/frontend/helpers-table.ts).
  TSBPF2150: { message: "'{0}' ({1}) cannot be called from a {2} program", hint: "the kernel offers {1} only to these program types: {3}" },
  TSBPF2151: {
    message: "invalid bpfPrintk format: {0}",
    hint: "bpf_trace_printk implements %d %i %u %x %X (with l or ll for 64 bits), %c, %s, %p, %px, %pK, %pI4, %pi4, %pI6, %pi6 and %%, with flags 0+- and a width",
  },
  TSBPF2152: {
    message: "the format has {0} conversions but {1} arguments follow it",
    hint: "give one argument per conversion (at most 3)",
  },
  TSBPF2153: {
    message: "'{0}' needs {1}, not {2}",
    hint: "match each argument to its conversion: %lld/%llu/%llx for 64-bit integers, a FixedArray<u8, N> for %s",
  },
  TSBPF2154: {
    message: "'{0}' points into the packet as it was before {1} (line {2}), which may move or resize it",
    hint: "the verifier forgets packet references after such a call: get the header again with ctx.header<T>(offset) after it",
  },
  TSBPF2155: {
    message: "spinLock and spinUnlock take the SpinLock field of a map value",
    hint: "declare `lock: SpinLock` in the value struct and pass it from a lookup: spinLock(v.lock)",
  },
  TSBPF2156: {
    message: "{0} programs cannot use spin locks: the kernel refuses maps with a bpf_spin_lock in them",
    hint: "use atomics (atomicAdd, atomicCmpXchg) in these programs",
  },
  TSBPF2157: {
    message: "'{0}' needs the program's context, which this function does not have",
    hint: "take the context as a parameter (function f(ctx: XdpContext, ...)) and pass it from the program",
  },
  TSBPF2158: {
    message: "{0} is called while the spin lock taken at line {1} is held",
    hint: "the verifier allows no helper or function calls between spinLock and spinUnlock: move the call out",
  },
  TSBPF2159: {
    message: "a path returns while the spin lock taken at line {0} is held",
    hint: "call spinUnlock on every path before returning",
  },

  TSBPF3001: {
    message: "no LICENSE export: the kernel rejects GPL-only helpers without one",
    hint: 'export const LICENSE = "GPL";',
    severity: "warning",
  },

  TSBPF3010: {
    message: "'{0}' may need about {1} verifier steps; the kernel stops at 1,000,000",
    hint: "shrink the loop's trip count or the comparisons in its body, or use loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3011: {
    message:
      "'{0}': this loop's trip count depends on data and it runs inside another loop; the verifier may walk it once per trip of the enclosing loop's exits and stop at 1,000,000",
    hint: "bound the inner loop's start tightly (a small mask or guard), give it a constant trip count with a `break`, or move the outer loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3012: {
    message:
      "'{0}' may need about {1} verifier steps: this loop can stop early after any trip, leaving up to {2} different states that the enclosing loop ({3} trips) needs exactly, so the verifier's states may multiply with each of its trips; the kernel stops at 1,000,000",
    hint: "count into a value that is only stored, keep the value this loop changes out of packet offsets, array indexes and comparisons with constants or counters in the enclosing loop, cut the trip counts, or move the enclosing loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3013: {
    message:
      "'{0}' may need about {1} verifier steps: this loop changes '{2}' only on some of its {3} trips, under a condition on data, and the verifier needs its exact value (a packet offset, an index, or a comparison it can decide), so paths that changed it different numbers of times stay apart and multiply with each trip; the kernel stops at 1,000,000",
    hint: "keep the value in one range where you change it (`v = (v + 1) & 63` instead of `++v`: every path then holds the same range and they merge), stop the loop at a small bound (`if (n >= 2) break;`), cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3014: {
    message:
      "'{0}' may need about {1} verifier steps: this loop reads the packet at offsets its counter moves and stops when a read fails, so its exits know different packet lengths and hold different ranges of what it changed ({2} distinct exit states); the code after it keeps a packet pointer and compares those values, so the verifier walks that code once per exit state; the kernel stops at 1,000,000",
    hint: "read the header fields the code after the loop uses into locals before it (the compiler does that itself unless the function writes the packet or passes the context to a call), keep what the loop sums out of later comparisons, check the furthest offset it reads once before it (`if (ctx.header<FixedArray<u8, 64>>(0) === null) return ...;`), cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3015: {
    message:
      "'{0}' may need about {1} verifier steps: this loop can stop early after any trip, and each exit leaves '{2}' at another known value ({3} exit states) that the code after the loop needs exactly (a comparison, an offset, an index or a key), so the verifier walks that code once per exit; the kernel stops at 1,000,000",
    hint: "keep '{2}' out of later comparisons, offsets and keys (store it, or keep it in one range: `n = (n + 1) & 7`), make the checks the loop breaks on before it, cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3016: {
    message:
      "'{0}' may need about {1} verifier steps: under the kernel's limit of 1,000,000, but most of them are walks of the code after this loop, once for each of its {2} exit states, which the estimate counts low (by a tenth where it is measured, by half on some programs)",
    hint: "build with --verify to have the running kernel's verifier judge it (a test that loads it does the same); to cut the walks, read the header fields that follow into locals before the loop, keep what it sums out of later comparisons, or cut the trip count",
    severity: "warning",
    cost: true,
  },

  TSBPF3017: {
    message:
      "'{0}' may need about {1} verifier steps: this loop adds a value read from data to '{2}' on each of its {3} trips and compares '{2}' with a constant or its counter, so each trip's comparison leaves it in other ranges than the last trip's, which the verifier keeps apart; the kernel stops at 1,000,000",
    hint: "compare the sum once after the loop, cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3018: {
    message:
      "'{0}' may need about {1} verifier steps: this loop calls a map on one side of a condition on data, on each of its {2} trips; inside a loop the verifier keeps few states, so the paths that skipped the call (and its key and value on the stack) walk on through later trips before they prune, and those walks grow with every trip; the kernel stops at 1,000,000",
    hint: "make the call on both sides of the condition or on none (count into a local and store it once after the loop), cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3019: {
    message:
      "'{0}' may need about {1} verifier steps: this loop compares '{2}', a value from data it does not change, with its counter (or a value that moves with it) on each of its {3} trips, so each trip cuts off another range of '{2}' and the verifier keeps the pieces apart; the kernel stops at 1,000,000",
    hint: "stop the loop at the value (`if (i >= len) break;`: only one piece goes on), clamp the value to a few bits before the loop, cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3020: {
    message: "'{0}' is marked @global but is compiled as a static subprogram: {1}",
    hint: "a global function is verified once from its BTF prototype: it takes integers, the context of an xdp, tc, socket or cgroup-skb program and struct references to writable memory (headers, map values, struct locals, globals), and returns an integer; drop @global to silence this",
    severity: "warning",
  },
  TSBPF3021: {
    message:
      "'{0}' may need about {1} verifier steps: this loop sets '{2}' to its counter under a condition on data, and '{2}' is then compared, used as a map key or as an index, so the verifier holds every earlier trip's value apart at each of its {3} trips; the kernel stops at 1,000,000",
    hint: "cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3022: {
    message:
      "'{0}' may need about {1} verifier steps: this loop keeps '{2}' as a strict running maximum or minimum over {3} trips, and each update raises the least value it can hold, so the paths stop merging once they reach the type's end (past as many trips as its data has values), or at once when '{2}' is an index after the loop; the kernel stops at 1,000,000",
    hint: "compare with >= (or <=) instead of > (or <): the extreme is the same and the paths merge; or cut the trip count",
    severity: "warning",
    cost: true,
  },

  TSBPF3023: {
    message:
      "'{0}' may need about {1} verifier steps: under the kernel's limit of 1,000,000, but this loop can stop early after any trip and the loop around it ({2} trips) carries each exit's length on to its next records, so the verifier's states multiply with each record, a count that swings from one size to the next, to twice the estimate and more where it is measured",
    hint: "build with --verify to have the running kernel's verifier judge it (a test that loads it does the same); to cut the walks, cut the records or the bytes per record, or move the loop over records into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3024: {
    message:
      "'{0}' may need about {1} verifier steps: this loop moves '{2}' by a constant on each of its {3} trips and orders it against a constant, so each trip's comparison cuts its range at another place; once a piece holds one value the comparisons on it are decided, the verifier tracks '{2}' exactly and keeps the pieces apart; the kernel stops at 1,000,000",
    hint: "stop the loop at the value (`if (rem <= 0) break;`: one piece goes on), start it at a constant (every comparison is then decided), cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3025: {
    message:
      "'{0}' may need about {1} verifier steps: '{2}' is set here to one of several results of the function it calls, each its own range, and later code needs it exactly (a comparison the verifier decides, an offset or a key), so the verifier walks that code once per result, and once per combination with the values like it before ({3} walks); the kernel stops at 1,000,000",
    hint: "look the value up in a table instead (a global `FixedArray` indexed by the byte holds one range), have the function compute it without `if`s, keep it out of comparisons until the values are combined, cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },
  TSBPF3026: {
    message:
      "'{0}' may need about {1} verifier steps: the loop() body '{2}' steps '{3}' by a constant and needs it exactly (a comparison or its result), and the verifier does not end its walk on the body's `return 1`, so each walk starts from a new value: it walks the body once per trip the count allows (up to {4}) and the code after the call once per walk; the kernel stops at 1,000,000",
    hint: "step the field only where the body goes on, after a test of it that stops (`if (s.n >= 10) return 1; s.n++;`), keep it out of comparisons and the result, mask the count smaller, or make fewer such calls",
    severity: "warning",
    cost: true,
  },
  TSBPF3027: {
    message:
      "'{0}': this loop() call runs inside loops the verifier walks trip by trip ({1} trips, from line {2}); once it has walked the call, the kernel compares that loop's states by every value they hold, dead or not, so paths that carry different values through the trips stop merging and may multiply past its limit of 1,000,000, which the estimate ({3} steps) does not model",
    hint: "move the loop() call out of the loop, or make the loop itself a loop() (bpf_loop) whose body holds the call; build with --verify to have the running kernel's verifier judge it",
    severity: "warning",
    cost: true,
  },
  TSBPF3028: {
    message:
      "'{0}': this condition on data forks the loop into a side that stops at a constant bound of its counter ({1} trips before the bound, {2} after) and a side that stops on data, in a loop that calls a helper and reads the packet at its counter; the verifier walks the side it set aside past the fork through the later trips, and how far depends on where it stored states, from a few thousand steps to past its limit of 1,000,000, which the estimate ({3} steps) does not model",
    hint: "build with --verify to have the running kernel's verifier judge it; to make it safe, move the helper call out of the loop (keep what it stores in a local and call it once after), cut the trip count, or move the loop into loop() (bpf_loop), whose body the verifier checks per call, not per trip",
    severity: "warning",
    cost: true,
  },

  TSBPF9001: {
    message: "internal compiler error: {0}",
    hint: "this is a bug in tsbpf; please report it with the input file",
    severity: "internal",
  },
} satisfies Record<string, DiagnosticDef>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

/** The verifier-cost warnings (`cost: true`): the compiler's word that the kernel may refuse a program for its size. */
export const COST_WARNING_CODES: ReadonlySet<string> = new Set(
  Object.entries(DIAGNOSTICS as Record<string, DiagnosticDef>)
    .filter(([, d]) => d.cost)
    .map(([c]) => c),
);

export function formatMessage(code: DiagnosticCode, args: (string | number)[]): string {
  return DIAGNOSTICS[code].message.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ""));
}
