// `tsbpf/testing`: helpers for a user's own tests of their BPF programs, usable from any test runner
// (vitest, node:test, jest):
//   - compileAndLoad(): build a .bpf.ts file and load it into the kernel in one call
//   - packet builders (./packets.ts): Ethernet, VLAN, IPv4 with options, IPv6, TCP, UDP, ICMP
//   - testRun(): BPF_PROG_TEST_RUN with the verdict by name and the output packet
//   - setMaps()/readMap(): typed map fixtures before a run and results after it
//   - kernelSkipReason(): why the kernel cannot run these tests here, to skip with that reason
// It sits above the compiler and the runtime (it imports both; neither imports it).

import { readFileSync } from "node:fs";
import { compile, type CompileOptions } from "../compiler/compile.js";
import type { Diagnostic } from "../compiler/diagnostic.js";
import { formatDiagnostic } from "../compiler/format-diagnostic.js";
import { bpfAvailable, loadObject, type BpfObject, type BpfProgram, type LoadOptions } from "../runtime/index.js";

export * from "./packets.js";

/** The source had errors: `diagnostics` as the compiler reports them, formatted in the message. */
export class CompileError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(file: string, diagnostics: Diagnostic[], text: string) {
    const errors = diagnostics.filter((d) => d.severity !== "warning");
    super(
      `${file}: ${errors.length} error${errors.length === 1 ? "" : "s"}\n${diagnostics.map((d) => formatDiagnostic(d, d.file === file ? text : undefined)).join("\n")}`,
    );
    this.name = "CompileError";
    this.diagnostics = diagnostics;
  }
}

export interface CompileAndLoadOptions extends LoadOptions {
  /** Source text instead of reading `file` (the file name is still used for imports and messages). */
  source?: string;
  cpu?: CompileOptions["cpu"];
}

/**
 * Compiles a .bpf.ts file and loads the object into the kernel: a BpfObject to run, attach and read
 * maps from (close it, or `using obj = ...`). Compile errors throw CompileError; a verifier
 * rejection throws the runtime's VerifierError (naming the TypeScript line).
 */
export function compileAndLoad(file: string, opts: CompileAndLoadOptions = {}): BpfObject {
  const { source, cpu, ...load } = opts;
  const text = source ?? readFileSync(file, "utf8");
  const r = compile(file, text, { cpu });
  if (!r.ok || !r.object) throw new CompileError(file, r.diagnostics, text);
  return loadObject(r.object, { name: load.name ?? `t${process.pid}`, ...load });
}

const XDP = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"];
const TC: Record<number, string> = {
  [-1]: "TC_ACT_UNSPEC",
  0: "TC_ACT_OK",
  1: "TC_ACT_RECLASSIFY",
  2: "TC_ACT_SHOT",
  3: "TC_ACT_PIPE",
  4: "TC_ACT_STOLEN",
  5: "TC_ACT_QUEUED",
  6: "TC_ACT_REPEAT",
  7: "TC_ACT_REDIRECT",
};

export interface TestRunResult {
  /** The program's return value (for TC as a signed number: -1 is TC_ACT_UNSPEC). */
  retval: number;
  /** The verdict by name: "XDP_PASS", "TC_ACT_SHOT", "SK_PASS"/"SK_DROP" (cgroup_skb), or for a
   *  socket filter "keep N bytes" / "drop". */
  verdict: string;
  /** The packet as the program left it (rewritten headers, adjusted head/tail). */
  packet: Uint8Array;
  /** Average run time in nanoseconds, as the kernel measured it. */
  duration: number;
}

/** Runs a packet program (XDP, TC, socket filter, cgroup_skb) once on `packet` with BPF_PROG_TEST_RUN. */
export function testRun(prog: BpfProgram, packet: Uint8Array, opts: { repeat?: number } = {}): TestRunResult {
  const r = prog.run({ data: packet, repeat: opts.repeat });
  const s = prog.section;
  let retval = r.retval;
  let verdict: string;
  if (s.startsWith("xdp")) verdict = XDP[retval] ?? `XDP action ${retval}`;
  else if (s.startsWith("tc") || s.startsWith("classifier") || s.startsWith("tcx")) {
    retval = retval | 0;
    verdict = TC[retval] ?? `TC action ${retval}`;
  } else if (s.startsWith("socket")) verdict = retval === 0 ? "drop" : `keep ${retval} bytes`;
  else if (s.startsWith("cgroup_skb") || s.startsWith("cgroup/skb")) verdict = retval & 1 ? "SK_PASS" : "SK_DROP";
  else verdict = String(retval);
  return { retval, verdict, packet: r.data, duration: r.duration };
}

type Entries = Iterable<readonly [unknown, unknown]> | Record<string | number, unknown>;

/**
 * Map fixtures: writes entries into the object's maps by name, decoded and encoded through the
 * object's BTF like `obj.typed` (numbers/bigints/structs). Records use numeric keys as numbers.
 */
export function setMaps(obj: BpfObject, fixtures: Record<string, Entries>): void {
  for (const [name, entries] of Object.entries(fixtures)) {
    const m = obj.typed[name];
    if (!m) throw new Error(`no map '${name}' in the object (maps: ${Object.keys(obj.typed).join(", ")})`);
    const list =
      Symbol.iterator in Object(entries)
        ? [...(entries as Iterable<readonly [unknown, unknown]>)]
        : Object.entries(entries).map(([k, v]) => [/^\d+$/.test(k) ? Number(k) : k, v] as const);
    for (const [k, v] of list) m.set(k, v);
  }
}

/** A map's entries after a run, as a Map (per-CPU maps: per-CPU arrays of values). */
export function readMap<K = unknown, V = unknown>(obj: BpfObject, name: string): Map<K, V> {
  const m = obj.typed[name];
  if (!m) throw new Error(`no map '${name}' in the object (maps: ${Object.keys(obj.typed).join(", ")})`);
  return new Map(m.readAll() as [K, V][]);
}

let warned = false;

/**
 * Why kernel tests cannot run here (no bpf(), not root, no BTF...), or undefined when they can.
 * The first call prints one line "skipping kernel tests: <reason>" so a skip is never silent; with
 * CI=true a missing kernel is an error instead of a skip. Use: `describe.skipIf(kernelSkipReason())`.
 */
export function kernelSkipReason(): string | undefined {
  const a = bpfAvailable();
  if (a.ok) return undefined;
  if (process.env.CI === "true") throw new Error(`kernel tests cannot run under CI=true: ${a.reason}`);
  if (!warned) {
    warned = true;
    console.warn(`skipping kernel tests: ${a.reason}`);
  }
  return a.reason;
}
