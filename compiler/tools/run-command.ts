// `tsbpf run`: compile (if given a .bpf.ts), load, attach, then print map contents every interval
// and ring-buffer / perf-buffer events as they arrive, until SIGINT/SIGTERM or --duration; then
// detach and unload. It is the quickest way to watch a program work on a real machine.

import { readFileSync } from "node:fs";
import { MAP_TYPE, mapKind } from "../../common/map-kinds.js";
import { compile } from "../compile.js";
import { formatDiagnostic } from "../format-diagnostic.js";
import { loadObject, type BpfObject } from "../../runtime/object.js";
import type { BpfProgram } from "../../runtime/program.js";
import type { BpfMap } from "../../runtime/map.js";
import type { Link } from "../../runtime/link.js";
import {
  attachAuto,
  attachCgroup,
  attachRawTracepoint,
  attachTc,
  attachTracepoint,
  attachUprobe,
  attachXdp,
  type XdpMode,
} from "../../runtime/attach.js";
import { attachFlowDissector, attachNetfilter, attachNetns, NF_HOOK } from "../../runtime/attach-net.js";
import { RingBuffer, type EventReader } from "../../runtime/ring-buffer.js";
import { PerfBuffer } from "../../runtime/perf-buffer.js";
import { watchRun } from "./watch.js";
import { BPF_PROG_TYPE, progTypesFor } from "../../common/program-types.js";

export const RUN_USAGE = `usage:
  tsbpf run <file.bpf.ts|file.o> [--attach [PROG=]SPEC]... [--interval ms] [--duration s] [--raw] [--watch]

SPEC is one of
  xdp:IFNAME[:generic|driver|offload|auto]   XDP on an interface (default mode: auto)
  tc:IFNAME:ingress|egress                   TC classifier through a clsact qdisc
  tp:CATEGORY/NAME                           tracepoint, e.g. tp:syscalls/sys_enter_getpid
  raw_tp:NAME                                raw tracepoint, e.g. raw_tp:sys_enter
  uprobe:BINARY:FUNCTION                     uprobe on a function of an ELF file
  cgroup:PATH                                cgroup program on a cgroup v2 directory
  flow_dissector[:NETNS]                     flow dissector of a network namespace (a file such as
                                             /run/netns/NAME; default this process's)
  netfilter:ipv4|ipv6:HOOK[:PRIORITY[:NETNS]]  netfilter hook: prerouting, input, forward, output,
                                             postrouting (priority default 0)
  netns[:PATH]                               sk_lookup program on a network namespace (default: this one)
  auto                                       every program, from its section name (the default)
PROG picks the program; without it the first program of a fitting type is used.
Map contents are printed every --interval ms (default 1000; all-zero entries hidden), ring-buffer
and perf-buffer events as they arrive (hex). --raw prints hex even when BTF could decode values.
--watch (a .bpf.ts with xdp, tc, cgroup, tp or raw_tp attach specs): recompile on save and swap the new
version in place keeping the maps; a compile error or verifier rejection keeps the running version.`;

export interface RunIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Stops the run like SIGINT does (tests). */
  signal?: AbortSignal;
}

const defaultIo: RunIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

interface AttachSpec {
  program?: string;
  spec: string;
}

interface RunArgs {
  input: string;
  attach: AttachSpec[];
  intervalMs: number;
  durationS: number | null;
  raw: boolean;
  watch: boolean;
}

class UsageError extends Error {}

function parseArgs(args: string[]): RunArgs {
  let input: string | undefined;
  const attach: AttachSpec[] = [];
  let intervalMs = 1000;
  let durationS: number | null = null;
  let raw = false;
  let watch = false;
  const value = (i: number, opt: string): string => {
    const v = args[i];
    if (v === undefined) throw new UsageError(`${opt} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--attach") {
      const v = value(++i, a);
      const eq = v.indexOf("=");
      attach.push(eq > 0 && !v.slice(0, eq).includes(":") ? { program: v.slice(0, eq), spec: v.slice(eq + 1) } : { spec: v });
    } else if (a === "--interval") {
      intervalMs = Number(value(++i, a));
      if (!(intervalMs >= 10)) throw new UsageError(`--interval must be at least 10 ms`);
    } else if (a === "--duration") {
      durationS = Number(value(++i, a));
      if (!(durationS >= 0)) throw new UsageError(`--duration must be a number of seconds`);
    } else if (a === "--raw") raw = true;
    else if (a === "--watch") watch = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (input === undefined) input = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (input === undefined) throw new UsageError("missing input file");
  if (watch && (!/\.ts$/.test(input) || attach.length === 0))
    throw new UsageError("--watch needs a .bpf.ts file and at least one --attach");
  return { input, attach: attach.length ? attach : [{ spec: "auto" }], intervalMs, durationS, raw, watch };
}

/** Program types (enum bpf_prog_type) each attach kind accepts. */
const KIND_TYPES: Record<string, number[]> = {
  xdp: progTypesFor("xdp"),
  tc: progTypesFor("tc"),
  tp: progTypesFor("tracepoint"),
  raw_tp: progTypesFor("raw_tp"),
  uprobe: progTypesFor("uprobe"),
  cgroup: progTypesFor("cgroup"),
  flow_dissector: [BPF_PROG_TYPE.FLOW_DISSECTOR],
  netfilter: progTypesFor("netfilter"),
  netns: [BPF_PROG_TYPE.SK_LOOKUP],
};

function pickProgram(obj: BpfObject, kind: string, name: string | undefined): BpfProgram {
  if (name !== undefined) {
    const p = obj.programs.get(name);
    if (!p) throw new Error(`no program named '${name}' (have: ${[...obj.programs.keys()].join(", ")})`);
    return p;
  }
  const fits = [...obj.programs.values()].filter((p) => p.fd >= 0 && KIND_TYPES[kind]!.includes(p.type));
  if (fits.length === 0) throw new Error(`no program in the object can attach as ${kind}`);
  return fits[0]!;
}

function attachOne(obj: BpfObject, a: AttachSpec): Link[] {
  const [kind, ...rest] = a.spec.split(":");
  if (kind === "auto") {
    const progs = a.program !== undefined ? [pickProgramByName(obj, a.program)] : [...obj.programs.values()].filter((p) => p.fd >= 0);
    const links: Link[] = [];
    try {
      for (const p of progs) links.push(attachAuto(p));
    } catch (e) {
      for (const l of links) l.close();
      throw e;
    }
    return links;
  }
  if (kind === undefined || !(kind in KIND_TYPES)) throw new UsageError(`unknown attach spec '${a.spec}'`);
  const prog = pickProgram(obj, kind, a.program);
  switch (kind) {
    case "xdp": {
      const [ifname, mode] = rest;
      if (!ifname) throw new UsageError("xdp:IFNAME needs an interface name");
      return [attachXdp(prog, ifname, { mode: (mode ?? "auto") as XdpMode })];
    }
    case "tc": {
      const [ifname, dir] = rest;
      if (!ifname || (dir !== "ingress" && dir !== "egress")) throw new UsageError("tc:IFNAME:ingress|egress");
      return [attachTc(prog, ifname, dir)];
    }
    case "tp": {
      const [cat, name] = rest.join(":").split("/");
      if (!cat || !name) throw new UsageError("tp:CATEGORY/NAME");
      return [attachTracepoint(prog, cat, name)];
    }
    case "raw_tp":
      if (!rest[0]) throw new UsageError("raw_tp:NAME");
      return [attachRawTracepoint(prog, rest[0])];
    case "uprobe": {
      const func = rest.pop();
      const bin = rest.join(":");
      if (!bin || !func) throw new UsageError("uprobe:BINARY:FUNCTION");
      return [attachUprobe(prog, bin, /^(0x[0-9a-f]+|\d+)$/i.test(func) ? Number(func) : func)];
    }
    case "cgroup":
      if (!rest.length) throw new UsageError("cgroup:PATH");
      return [attachCgroup(prog, rest.join(":"))];
    case "flow_dissector":
      return [attachFlowDissector(prog, rest.length ? rest.join(":") : undefined)];
    case "netfilter": {
      const [family, hook, priority, ...ns] = rest;
      if ((family !== "ipv4" && family !== "ipv6") || !hook || !(hook in NF_HOOK) || (priority !== undefined && !/^-?\d+$/.test(priority)))
        throw new UsageError("netfilter:ipv4|ipv6:prerouting|input|forward|output|postrouting[:PRIORITY[:NETNS]]");
      return [
        attachNetfilter(prog, {
          family,
          hook: hook as keyof typeof NF_HOOK,
          priority: priority === undefined ? 0 : Number(priority),
          netns: ns.length ? ns.join(":") : undefined,
        }),
      ];
    }
    case "netns":
      return [rest.length ? attachNetns(prog, rest.join(":")) : attachNetns(prog)];
  }
  throw new UsageError(`unknown attach spec '${a.spec}'`);
}

function pickProgramByName(obj: BpfObject, name: string): BpfProgram {
  const p = obj.programs.get(name);
  if (!p) throw new Error(`no program named '${name}' (have: ${[...obj.programs.keys()].join(", ")})`);
  return p;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const allZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

interface TypedLike {
  entries(): Iterable<[unknown, unknown]>;
}

/** BTF-decoded maps when runtime/typed-map.ts provides them (BpfObject.typed), else null. */
function typedMaps(obj: BpfObject): Record<string, TypedLike> | null {
  try {
    const t = (obj as unknown as { typed?: Record<string, TypedLike> }).typed;
    return t && typeof t === "object" ? t : null;
  } catch {
    return null;
  }
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x instanceof Uint8Array ? hex(x) : x));
}

function isZero(v: unknown): boolean {
  if (v === 0 || v === 0n || v === false || v === null || v === undefined) return true;
  if (v instanceof Uint8Array || v instanceof Int8Array) return v.every((x) => x === 0);
  if (Array.isArray(v)) return v.every(isZero);
  if (typeof v === "object") return Object.values(v as object).every(isZero);
  return false;
}

/** Per-CPU raw values: the per-CPU sum of each u64 field when the value is made of u64s, else hex per CPU. */
function perCpuRaw(map: BpfMap, key: Uint8Array): string | null {
  const vals = map.lookupPerCpu(key);
  if (!vals || vals.every(allZero)) return null;
  if (map.valueSize % 8 === 0) {
    const sums: bigint[] = [];
    for (const v of vals) {
      const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
      for (let i = 0; i < map.valueSize / 8; i++) sums[i] = (sums[i] ?? 0n) + dv.getBigUint64(i * 8, true);
    }
    return `sum over ${vals.length} CPUs: [${sums.join(", ")}]`;
  }
  return vals.map(hex).join(" ");
}

function printMaps(obj: BpfObject, raw: boolean, out: (s: string) => void): void {
  const typed = raw ? null : typedMaps(obj);
  const stamp = new Date().toISOString();
  out(`--- ${stamp}\n`);
  for (const map of obj.maps.values()) {
    if (!mapKind(map.type)?.iterable) continue; // lookups return no data worth printing
    const lines: string[] = [];
    let hidden = 0;
    try {
      const t = typed?.[map.name];
      if (t) {
        for (const [k, v] of t.entries()) {
          if (isZero(v)) hidden++;
          else lines.push(`  ${show(k)}: ${show(v)}`);
        }
      } else {
        for (const key of map.keys()) {
          if (map.isPerCpu) {
            const s = perCpuRaw(map, key);
            if (s === null) hidden++;
            else lines.push(`  ${hex(key)}: ${s}`);
          } else {
            const v = map.lookup(key);
            if (!v || allZero(v)) hidden++;
            else lines.push(`  ${hex(key)}: ${hex(v)}`);
          }
        }
      }
    } catch (e) {
      lines.push(`  (cannot read: ${(e as Error).message})`);
    }
    out(`${map.name}:${lines.length === 0 && hidden === 0 ? " (empty)" : ""}\n`);
    for (const l of lines) out(l + "\n");
    if (hidden) out(`  (${hidden} all-zero entr${hidden === 1 ? "y" : "ies"} hidden)\n`);
  }
}

function loadInput(input: string, io: RunIo): Uint8Array | string | null {
  if (!/\.ts$/.test(input)) return input;
  const text = readFileSync(input, "utf8");
  const r = compile(input, text);
  for (const d of r.diagnostics) io.stderr(formatDiagnostic(d, text, false) + "\n");
  if (!r.ok || !r.object) {
    const n = r.diagnostics.filter((d) => d.severity !== "warning").length;
    io.stderr(`${n} error${n === 1 ? "" : "s"}; nothing to run\n`);
    return null;
  }
  return r.object;
}

/** Pump events from a reader to `out` until it is closed. */
async function pumpEvents(name: string, reader: EventReader<Uint8Array>, out: (s: string) => void): Promise<void> {
  for (;;) {
    const r = await reader.next();
    if (r.done) return;
    out(`event ${name}: ${hex(r.value)}\n`);
  }
}

/** `tsbpf run ...`; resolves to the exit code. */
export async function runCommand(args: string[], io: RunIo = defaultIo): Promise<number> {
  let parsed: RunArgs;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n${RUN_USAGE}\n`);
    return 2;
  }
  if (parsed.watch) return watchRun(parsed, io, printMaps);

  let obj: BpfObject | null = null;
  const links: Link[] = [];
  const readers: EventReader<Uint8Array>[] = [];
  const pumps: Promise<void>[] = [];
  const cleanup = (): void => {
    for (const r of readers) r.close();
    for (const l of links.reverse()) {
      try {
        l.close();
      } catch (e) {
        io.stderr(`warning: detaching ${l.target}: ${(e as Error).message}\n`);
      }
    }
    obj?.close();
  };

  try {
    const src = loadInput(parsed.input, io);
    if (src === null) return 1;
    obj = loadObject(src);
    for (const a of parsed.attach) {
      for (const l of attachOne(obj, a)) {
        links.push(l);
        io.stdout(`attached ${l.program} to ${l.target}\n`);
      }
    }
    for (const map of obj.maps.values()) {
      if (map.type === MAP_TYPE.RINGBUF) readers.push(new RingBuffer(map));
      else if (map.type === MAP_TYPE.PERF_EVENT_ARRAY) readers.push(new PerfBuffer(map));
      else continue;
      pumps.push(pumpEvents(map.name, readers[readers.length - 1]!, io.stdout));
    }
  } catch (e) {
    cleanup();
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\n${RUN_USAGE}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    io.stderr(err.code === "ENOENT" && err.path ? `error: cannot read ${err.path}: no such file\n` : `error: ${err.message}\n`);
    return 1;
  }

  const o = obj;
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      if (stopTimer) clearTimeout(stopTimer);
      process.off("SIGINT", finish);
      process.off("SIGTERM", finish);
      io.signal?.removeEventListener("abort", finish);
      resolve();
    };
    const timer = setInterval(() => printMaps(o, parsed.raw, io.stdout), parsed.intervalMs);
    const stopTimer = parsed.durationS === null ? null : setTimeout(finish, parsed.durationS * 1000);
    process.on("SIGINT", finish);
    process.on("SIGTERM", finish);
    io.signal?.addEventListener("abort", finish);
    if (io.signal?.aborted) finish();
  });

  try {
    for (const r of readers) r.poll();
  } catch {
    // best effort: events still queued are printed below
  }
  printMaps(o, parsed.raw, io.stdout);
  cleanup();
  await Promise.all(pumps);
  io.stdout(`detached ${links.length} link${links.length === 1 ? "" : "s"}\n`);
  return 0;
}
