// Runs generated programs (diff-gen.ts) in the kernel and compares every observable — return value,
// the `results` ArrayMap, the hash map, the packet after the run — with the reference evaluator
// (diff-ref.ts). Many programs share one .bpf.ts file, one compile and one load: tsc dominates the
// cost of a compile, so batching is what makes hundreds of cases fit in a test run.

import { compile } from "../../compiler/compile.js";
import { COST_WARNING_CODES } from "../../compiler/diagnostics-table.js";
import { loadObject, readU64, u32le, type BpfObject } from "../../runtime/index.js";
import {
  BITS,
  GLOBALS,
  HKEY_MASK,
  INPUT_FIELDS,
  INPUT_LAYOUT,
  NSLOTS,
  packetBytes,
  printProgram,
  printTracingProgram,
  readField,
  S_FIELDS,
  S_LAYOUT,
  shapesOf,
  T_PATHS,
  TKEY_MASK,
  type Case,
  type InputVec,
  type IntName,
  type Layout,
  type PacketIn,
  type Program,
  type TracingKind,
} from "./diff-gen.js";
import { evaluate, POISON, type RefResult } from "./diff-ref.js";

// ------------------------------------------------------------------------------------ layout

/** The bytes of a packet input (for the kernel run; the reference builds the same bytes). */
export const packInput = (p: PacketIn | InputVec): Uint8Array => packetBytes(p);

function decode(bytes: Uint8Array, fields: readonly (readonly [string, IntName])[], lay: Layout): Map<string, bigint> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Map(fields.map(([n, t]) => [n, readField(dv, lay.offsets.get(n)!, t)]));
}

// ------------------------------------------------------------------------------------ running

/** "cost": the verifier gave up on a program's size or complexity (a verifier-cost estimate too low). */
export type FailureKind = "compile" | "load" | "cost" | "run" | "mismatch" | "ref";

/** The kernel's refusals for size and complexity (BPF_COMPLEXITY_LIMIT_INSNS / _JMP_SEQ). */
export const isCostRefusal = (detail: string): boolean => /BPF program is too large|is too complex/.test(detail);

/**
 * Did the compiler warn of the cost before a refusal (a failure's detail: "compiler warned: ...",
 * after the program kind for the tracing kinds, "tracepoint: compiler warned: ...")? Only the
 * verifier-cost warnings count (COST_WARNING_CODES).
 */
export const costWarned = (detail: string): boolean => /^(?:[\w-]+: )?compiler warned: /.test(detail);

/**
 * A failure whose only diagnostics are tsc's own (TSnnnn), at the compile step: the generator's
 * code tsc's narrowing refuses, not a compiler bug. A tsc message may go on over indented lines
 * (`Type '32' is not assignable ...`): those belong to the one above. The tracing kinds put the
 * kind first ("rawTracepoint: TS2367 ...").
 */
export const tscRejected = (f: { kind: string; detail: string }): boolean => {
  const diags = f.detail
    .replace(/^[\w-]+: /, "")
    .split("\n")
    .filter((l) => l.trim() !== "" && !/^\s/.test(l));
  return f.kind === "compile" && diags.length > 0 && diags.every((l) => /^TS\d+ /.test(l));
};

export interface Failure {
  kind: FailureKind;
  /** Index of the case in the batch. */
  index: number;
  /** The failing program alone, as a complete .bpf.ts file (named prog0). */
  source: string;
  detail: string;
}

export interface BatchStats {
  programs: number;
  runs: number;
  compiles: number;
  /** Batches that hit a known, already-reported compiler bug and were compiled around it. */
  knownBugs: number;
  /** Programs run per shape (diff-gen's shapesOf: packet loops, struct copies, calls). */
  shapes: Record<string, number>;
  /** Runs per event of the reference run (a loop hit the packet end, stopped on a byte, ...). */
  events: Record<string, number>;
  /** Warnings by code on batches that loaded (a cost warning on a program the kernel took is an overestimate). */
  warnings: Record<string, number>;
  /** The first programs that loaded after a verifier-cost warning (COST_WARNING_CODES), to see false alarms. */
  warnedPrograms: { code: string; source: string }[];
}

export const newStats = (): BatchStats => ({
  programs: 0,
  runs: 0,
  compiles: 0,
  knownBugs: 0,
  shapes: {},
  events: {},
  warnings: {},
  warnedPrograms: [],
});

/** "packet loops 120, struct copies 80, ..." */
export const formatShapes = (s: Record<string, number>): string =>
  Object.entries(s)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");

export interface HarnessOptions {
  /**
   * Treat known, already-reported compiler bugs as failures instead of working around them. None is
   * known at the moment: KNOWN_ICE is the hook for the next one (a batch matching it is recompiled
   * without checkIr so its semantics are still compared).
   */
  strict?: boolean;
}

const KNOWN_ICE = /^$^/; // matches nothing: no known internal compiler error

function compileBatch(src: string, opts: HarnessOptions, stats: BatchStats): ReturnType<typeof compile> {
  const once = (checkIr: boolean): ReturnType<typeof compile> => {
    stats.compiles++;
    try {
      return compile("diff.bpf.ts", src, { checkIr });
    } catch (e) {
      const message = String((e as Error).stack ?? e);
      return {
        ok: false,
        diagnostics: [{ code: "THROW", severity: "internal", file: "diff.bpf.ts", start: 0, length: 0, line: 0, col: 0, message }],
        programs: [],
      };
    }
  };
  const res = once(true);
  if (!res.ok && !opts.strict && res.diagnostics.length > 0 && res.diagnostics.every((d) => KNOWN_ICE.test(d.message))) {
    stats.knownBugs++;
    return once(false);
  }
  return res;
}

const hex = (v: bigint): string => (v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
export const describeInput = (p: PacketIn): string =>
  `len=${p.len} ${INPUT_FIELDS.map(([n], i) => `${n}=${p.v[i]}`).join(" ")}` +
  (p.len > INPUT_LAYOUT.size ? ` tail=[${p.tail.slice(0, p.len - INPUT_LAYOUT.size).join(",")}]` : "");

/** Compares one kernel run with the reference; returns the differences (empty when equal). */
function compareRun(obj: BpfObject, retval: number, data: Uint8Array, ref: RefResult): string[] {
  const diffs: string[] = [];
  if (BigInt(retval >>> 0) !== ref.retval) diffs.push(`retval: got ${hex(BigInt(retval >>> 0))} want ${hex(ref.retval)}`);
  const results = obj.maps.get("results")!;
  for (let i = 0; i < NSLOTS; i++) {
    const got = readU64(results.lookup(u32le(i))!);
    const want = ref.state.results[i]!;
    if (got !== want) diffs.push(`results[${i}]: got ${hex(got)} want ${hex(want)}${want === POISON ? " (not written)" : ""}`);
  }
  const hm = obj.maps.get("hm")!;
  for (let k = 0n; k <= BigInt(HKEY_MASK); k++) {
    const raw = hm.lookup(u32le(Number(k)));
    const want = ref.state.hash.get(k);
    if (!raw || !want) {
      if (!!raw !== !!want) diffs.push(`hm[${k}]: ${raw ? "present" : "absent"}, want ${want ? "present" : "absent"}`);
      continue;
    }
    const got = decode(raw, S_FIELDS, S_LAYOUT);
    for (const [f] of S_FIELDS)
      if (got.get(f) !== want.get(f)) diffs.push(`hm[${k}].${f}: got ${hex(got.get(f)!)} want ${hex(want.get(f)!)}`);
  }
  const tm = obj.maps.get("tm");
  for (let k = 0n; k <= BigInt(TKEY_MASK); k++) {
    const raw = tm?.lookup(u32le(Number(k)));
    const want = ref.state.tmap.get(k);
    if (!raw || !want) {
      if (!!raw !== !!want) diffs.push(`tm[${k}]: ${raw ? "present" : "absent"}, want ${want ? "present" : "absent"}`);
      continue;
    }
    // Members only: padding is not a value (a copy may or may not carry it).
    const g = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const w = new DataView(want.buffer, want.byteOffset, want.byteLength);
    for (const [path, t, off] of T_PATHS) {
      const a = readField(g, off, t);
      const b = readField(w, off, t);
      if (a !== b) diffs.push(`tm[${k}].${path}: got ${hex(a)} want ${hex(b)}`);
    }
  }
  const vars = new Set(obj.globals.vars.map((v) => v.name));
  for (const [g] of GLOBALS) {
    if (!vars.has(g)) continue;
    const got = BigInt(obj.globals.get(g) as number | bigint);
    const want = ref.state.globals.get(g)!;
    if (got !== want) diffs.push(`${g}: got ${hex(got)} want ${hex(want)}`);
  }
  const want = ref.state.packet;
  if (data.length !== want.length) diffs.push(`packet length: got ${data.length} want ${want.length}`);
  else if (data.length >= INPUT_LAYOUT.size) {
    const pkt = decode(data, INPUT_FIELDS, INPUT_LAYOUT);
    for (const [f] of INPUT_FIELDS) {
      if (pkt.get(f) !== ref.state.input.get(f)) diffs.push(`p.${f}: got ${hex(pkt.get(f)!)} want ${hex(ref.state.input.get(f)!)}`);
    }
  }
  for (let i = data.length >= INPUT_LAYOUT.size ? INPUT_LAYOUT.size : 0; i < Math.min(data.length, want.length); i++)
    if (data[i] !== want[i]) diffs.push(`packet[${i}]: got ${data[i]} want ${want[i]}`);
  return diffs;
}

function resetMaps(obj: BpfObject): void {
  const results = obj.maps.get("results")!;
  const poison = new Uint8Array(8);
  new DataView(poison.buffer).setBigUint64(0, POISON, true);
  for (let i = 0; i < NSLOTS; i++) results.update(u32le(i), poison);
  const hm = obj.maps.get("hm")!;
  for (let k = 0; k <= HKEY_MASK; k++) hm.delete(u32le(k));
  const tm = obj.maps.get("tm");
  for (let k = 0; k <= TKEY_MASK; k++) tm?.delete(u32le(k));
  // Globals the compiler kept (unused ones may be dropped) start from their initial values.
  const vars = new Map(obj.globals.vars.map((v) => [v.name, v]));
  for (const [g, t, sec, v] of GLOBALS) {
    if (sec === "rodata" || !vars.has(g)) continue;
    obj.globals.set(g, BITS[t] === 64 ? v : Number(v));
  }
}

function diagText(d: { code: string; line: number; col: number; message: string }[]): string {
  return d.map((x) => `${x.code} ${x.line}:${x.col} ${x.message}`).join("\n");
}

/**
 * Compiles `cases` into one file, loads it once and runs every program on each of its inputs.
 * A batch that does not compile or load is split until the culprits are found alone.
 */
export function runBatch(cases: Case[], stats: BatchStats = newStats(), opts: HarnessOptions = {}, base = 0): Failure[] {
  if (cases.length === 0) return [];
  const failures: Failure[] = [];
  const single = (i: number) => printProgram([cases[i]!.prog]);
  const split = (): Failure[] => {
    const mid = Math.ceil(cases.length / 2);
    return [...runBatch(cases.slice(0, mid), stats, opts, base), ...runBatch(cases.slice(mid), stats, opts, base + mid)];
  };

  const res = compileBatch(printProgram(cases.map((c) => c.prog)), opts, stats);
  if (!res.ok || !res.object) {
    if (cases.length > 1) return split();
    return [{ kind: "compile", index: base, source: single(0), detail: diagText(res.diagnostics) }];
  }
  let obj: BpfObject;
  try {
    obj = loadObject(res.object, { name: "diff" });
  } catch (e) {
    if (cases.length > 1) return split();
    const msg = String((e as Error).message ?? e);
    const log = (e as { log?: string }).log;
    const warned = res.diagnostics.filter((d) => d.severity === "warning" && COST_WARNING_CODES.has(d.code));
    const detail =
      (warned.length ? `compiler warned: ${diagText(warned)}\n` : "no compiler warning\n") +
      (log ? `${msg}\n${log.split("\n").slice(-30).join("\n")}` : msg);
    return [{ kind: isCostRefusal(detail) ? "cost" : "load", index: base, source: single(0), detail }];
  }
  for (const d of res.diagnostics) {
    if (d.severity !== "warning") continue;
    stats.warnings[d.code] = (stats.warnings[d.code] ?? 0) + 1;
    const i = Number(/'prog(\d+)'/.exec(d.message)?.[1] ?? -1);
    if (COST_WARNING_CODES.has(d.code) && i >= 0 && i < cases.length && stats.warnedPrograms.length < 50)
      stats.warnedPrograms.push({ code: d.code, source: single(i) });
  }
  try {
    cases.forEach((c, i) => {
      stats.programs++;
      for (const sh of shapesOf(c.prog)) stats.shapes[sh] = (stats.shapes[sh] ?? 0) + 1;
      const prog = obj.programs.get(`prog${i}`);
      if (!prog) {
        failures.push({ kind: "load", index: base + i, source: single(i), detail: `program prog${i} missing from the object` });
        return;
      }
      for (const input of c.inputs) {
        let ref: RefResult;
        try {
          ref = evaluate(c.prog, input);
        } catch (e) {
          failures.push({ kind: "ref", index: base + i, source: single(i), detail: String((e as Error).stack ?? e) });
          return;
        }
        resetMaps(obj);
        stats.runs++;
        for (const ev of ref.state.events) stats.events[ev] = (stats.events[ev] ?? 0) + 1;
        let out: { retval: number; data: Uint8Array };
        try {
          out = prog.run({ data: packetBytes(input) });
        } catch (e) {
          failures.push({ kind: "run", index: base + i, source: single(i), detail: String(e) });
          return;
        }
        const diffs = compareRun(obj, out.retval, out.data, ref);
        if (diffs.length) {
          failures.push({
            kind: "mismatch",
            index: base + i,
            source: single(i),
            detail: `input: ${describeInput(input)}\n${diffs.join("\n")}`,
          });
          return;
        }
      }
    });
  } finally {
    obj.close();
  }
  return failures;
}

export function formatFailures(fs: Failure[]): string {
  return fs.map((f) => `--- ${f.kind} (case ${f.index})\n${f.detail}\n--- program:\n${f.source}`).join("\n\n");
}

/** Source of a batch, for debugging. */
export const batchSource = (progs: Program[]): string => printProgram(progs);

// ------------------------------------------------------------------------------ tracing kinds

export interface TracingStats {
  /** Programs that compiled and passed the verifier, per kind. */
  loaded: Record<string, number>;
  compiles: number;
}

export const newTracingStats = (): TracingStats => ({ loaded: {}, compiles: 0 });

/**
 * Compiles generated programs as tracing programs of `kind` (diff-gen's printTracingProgram) and
 * loads them: these kinds cannot be test-run, so the property is that every program compiles and
 * passes the verifier. A batch that fails is split until the culprits are found alone.
 */
export function loadTracingBatch(progs: Program[], kind: TracingKind, stats: TracingStats, base = 0): Failure[] {
  if (progs.length === 0) return [];
  const split = (): Failure[] => {
    const mid = Math.ceil(progs.length / 2);
    return [...loadTracingBatch(progs.slice(0, mid), kind, stats, base), ...loadTracingBatch(progs.slice(mid), kind, stats, base + mid)];
  };
  const src = printTracingProgram(progs, kind);
  const single = (): string => printTracingProgram([progs[0]!], kind);
  stats.compiles++;
  let res: ReturnType<typeof compile>;
  try {
    res = compile("trace.bpf.ts", src, { checkIr: true });
  } catch (e) {
    res = {
      ok: false,
      diagnostics: [
        {
          code: "THROW",
          severity: "internal",
          file: "trace.bpf.ts",
          start: 0,
          length: 0,
          line: 0,
          col: 0,
          message: String((e as Error).stack ?? e),
        },
      ],
      programs: [],
    };
  }
  if (!res.ok || !res.object) {
    if (progs.length > 1) return split();
    return [{ kind: "compile", index: base, source: single(), detail: `${kind}: ${diagText(res.diagnostics)}` }];
  }
  let obj: BpfObject;
  try {
    obj = loadObject(res.object, { name: "difftrace" });
  } catch (e) {
    if (progs.length > 1) return split();
    const msg = String((e as Error).message ?? e);
    const log = (e as { log?: string }).log;
    const warned = res.diagnostics.filter((d) => d.severity === "warning" && COST_WARNING_CODES.has(d.code));
    const detail =
      `${kind}: ${warned.length ? `compiler warned: ${diagText(warned)}` : "no compiler warning"}\n` +
      (log ? `${msg}\n${log.split("\n").slice(-30).join("\n")}` : msg);
    return [{ kind: isCostRefusal(detail) ? "cost" : "load", index: base, source: single(), detail }];
  }
  try {
    const missing = progs.flatMap((_, i) => (obj.programs.get(`prog${i}`) ? [] : [i]));
    stats.loaded[kind] = (stats.loaded[kind] ?? 0) + progs.length - missing.length;
    return missing.map((i) => ({
      kind: "load" as const,
      index: base + i,
      source: printTracingProgram([progs[i]!], kind),
      detail: `prog${i} missing`,
    }));
  } finally {
    obj.close();
  }
}
