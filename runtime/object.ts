// Why: loadObject is the runtime's front door: it opens an ELF object with
// libbpf, loads it into the kernel, turns verifier rejections into a typed
// VerifierError carrying the kernel log, and guarantees no fd or native
// buffer survives a failure.

import { readFileSync, statSync } from "node:fs";
import { readElf } from "../common/read-elf.js";
import { readObjectBtf } from "../common/btf-reader.js";
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE, sectionType } from "../common/program-types.js";
import { BpfMap } from "./map.js";
import { BpfProgram } from "./program.js";
import { buildTypedMaps, type TypedMaps } from "./typed-map.js";
import { applyInitialValues, openGlobals, type Globals } from "./globals.js";
import { explainVerifierLog, formatExplanation, readLineInfo, type VerifierExplanation } from "./verifier-log.js";
import {
  addressOf,
  errnoFrom,
  errnoText,
  lastErrno,
  libbpf,
  NativeMemory,
  OPEN_OPTS,
  withLibbpfMessages,
  type LibbpfApi,
  type LibbpfMessage,
  type Ptr,
} from "./libbpf.js";

/**
 * Sections libbpf 1.1 does not know (netfilter) leave the program without a type, and libbpf would
 * refuse to load it: set the type and expected attach type from tsbpf's own section table.
 */
function setTypeFromSection(api: LibbpfApi, prog: Ptr): void {
  if (api.bpf_program__type(prog) !== 0) return;
  const st = sectionType(api.bpf_program__section_name(prog));
  if (!st) return;
  api.bpf_program__set_type(prog, BPF_PROG_TYPE[st.type]);
  if (st.attach) api.bpf_program__set_expected_attach_type(prog, BPF_ATTACH_TYPE[st.attach]);
}

export interface LoadOptions {
  /** Object name (prefix of global-data map names); default: file basename, or "tsbpf" for bytes. */
  name?: string;
  /** Verifier log level for successful loads too (1 = basic, 2 = verbose, 4 = stats); default 0. */
  logLevel?: number;
  /** Bytes reserved per program for the verifier log; default 16 MiB (only touched on failure/logLevel). */
  logSize?: number;
  /** Values for `.rodata` variables (`const X: u32 = ...`), written before load; the verifier sees them as constants. */
  rodata?: Readonly<Record<string, unknown>>;
  /** Initial values for `.data`/`.bss` variables (module-level `let`), written before load. */
  data?: Readonly<Record<string, unknown>>;
  /**
   * @internal Called with libbpf's `struct bpf_object *` after open and before load (map reuse
   * from pins, runtime/pinned.ts); throwing aborts the load and closes everything.
   */
  beforeLoad?: (obj: Ptr) => void;
  /**
   * Kernel BTF to resolve CO-RE relocations against instead of /sys/kernel/btf/vmlinux (libbpf's
   * btf_custom_path): a raw BTF file, e.g. another kernel's, to check an object's portability.
   */
  btfCustomPath?: string;
  /** Keep libbpf's debug messages (CO-RE relocations applied, ...) in `BpfObject.libbpfLog`. */
  libbpfDebug?: boolean;
  /**
   * Directory (on bpffs) for maps declared with `pinning: Pinning.BY_NAME`; default /sys/fs/bpf.
   * libbpf pins such a map at `<pinRoot>/<name>`, or reuses the map already pinned there.
   */
  pinRoot?: string;
}

/**
 * The object could not be opened: a missing path, a directory, not an ELF file, an ELF file for
 * another machine, or one libbpf cannot parse (truncated, corrupt sections or BTF).
 */
export class BpfObjectError extends Error {
  readonly path: string;
  readonly errno?: number;

  constructor(path: string, reason: string, errno?: number) {
    super(`cannot open BPF object ${path}: ${reason}`);
    this.name = "BpfObjectError";
    this.path = path;
    this.errno = errno;
  }
}

const EM_BPF = 247;

/** Checks what libbpf would only call "format invalid", to name the problem. */
function precheck(src: string | Uint8Array, label: string): void {
  let bytes: Uint8Array;
  if (typeof src === "string") {
    try {
      if (statSync(src).isDirectory()) throw new BpfObjectError(label, "is a directory, not a file");
      bytes = readFileSync(src);
    } catch (e) {
      if (e instanceof BpfObjectError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new BpfObjectError(label, code === "ENOENT" ? "ENOENT (no such file or directory)" : (e as Error).message);
    }
  } else bytes = src;
  let machine: number;
  try {
    machine = readElf(bytes).machine;
  } catch (e) {
    throw new BpfObjectError(label, (e as Error).message);
  }
  if (machine !== EM_BPF) throw new BpfObjectError(label, `not an eBPF object (ELF machine ${machine}, expected ${EM_BPF})`);
}

/** After libbpf refused to open an ELF file for BPF: is its BTF what is broken? */
function explainOpenFailure(src: string | Uint8Array): string | undefined {
  try {
    readObjectBtf(typeof src === "string" ? readFileSync(src) : src);
  } catch (e) {
    const m = (e as Error).message;
    return m.startsWith("invalid BTF") ? m : `invalid BTF: ${m}`;
  }
  return undefined;
}

/**
 * The kernel verifier refused a program; `log` is its full verifier log. When the object has line
 * info, the message names the TypeScript file:line:col of the failing instruction, the verifier's
 * reason and a hint (runtime/verifier-log.ts); `source`, `reason` and `hint` hold the same.
 */
export class VerifierError extends Error {
  readonly program: string;
  readonly log: string;
  readonly errno: number;
  readonly reason?: string;
  readonly hint?: string;
  readonly insn?: number;
  readonly source?: VerifierExplanation["source"];

  constructor(program: string, log: string, errno: number, explained?: VerifierExplanation) {
    const tail = meaningfulTail(log, 3);
    super(
      `verifier rejected program '${program}' (${errnoText(errno)})` +
        (explained?.reason
          ? `:\n  ${formatExplanation(program, explained).replace(/\n/g, "\n  ")}\n  (the full verifier log is in .log)`
          : tail.length
            ? `:\n  ${tail.join("\n  ")}`
            : ""),
    );
    this.name = "VerifierError";
    this.program = program;
    this.log = log;
    this.errno = errno;
    this.reason = explained?.reason;
    this.hint = explained?.hint;
    this.insn = explained?.insn;
    this.source = explained?.source;
  }
}

/**
 * EPERM with nothing verified: the kernel refused the program type itself before the verifier
 * ran (this is how kernels without BPF trampolines refuse fentry/fexit/LSM/iterator programs).
 */
function refusedType(errno: number, section: string | undefined, log: string): VerifierExplanation | undefined {
  if (errno !== EPERM || !/processed 0 insns/.test(log)) return undefined;
  const st = section ? sectionType(section) : undefined;
  const kind = st ? `${st.type}${st.attach ? `/${st.attach}` : ""}` : "this";
  return {
    reason: `the kernel refused to load a ${kind} program (section '${section ?? "?"}') before verifying it`,
    hint:
      st?.type === "TRACING" || st?.type === "LSM" || st?.type === "EXT"
        ? "kernels without BPF trampolines refuse fentry/fexit and LSM programs like this (LSM also needs 'bpf' among the active LSMs); a kernel may also refuse one attach target (an iterator target, a function) to this process"
        : "this kernel does not allow this program type for this process",
  };
}

/** Reads the object's line info to explain a rejection; a failure here never hides the rejection. */
function explain(src: string | Uint8Array, section: string | undefined, log: string, program: string): VerifierExplanation | undefined {
  try {
    return explainVerifierLog(log, section, readLineInfo(typeof src === "string" ? readFileSync(src) : src), program);
  } catch {
    return undefined;
  }
}

/** The process may not load BPF programs: it is not root and lacks CAP_BPF/CAP_SYS_ADMIN. */
export class BpfPermissionError extends Error {
  readonly errno: number;

  constructor(label: string, errno: number) {
    super(
      `cannot load BPF object ${label}: ${errnoText(errno)}: loading BPF programs needs root, or CAP_BPF with ` +
        `CAP_PERFMON (and CAP_NET_ADMIN for networking programs); this process has none of CAP_BPF and CAP_SYS_ADMIN`,
    );
    this.name = "BpfPermissionError";
    this.errno = errno;
  }
}

const EPERM = 1;
const CAP_SYS_ADMIN = 21n;
const CAP_BPF = 39n;

/** Whether the effective capability set (from /proc/self/status) holds CAP_BPF or CAP_SYS_ADMIN. */
function hasBpfCapabilities(): boolean {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (!hex) return true;
    const caps = BigInt(`0x${hex}`);
    return ((caps >> CAP_BPF) & 1n) === 1n || ((caps >> CAP_SYS_ADMIN) & 1n) === 1n;
  } catch {
    return true; // cannot tell: report the plain error
  }
}

/** Last `n` log lines that say what went wrong (not the statistics trailer). */
function meaningfulTail(log: string, n: number): string[] {
  const noise = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|-- END|-- BEGIN)/;
  const lines = log
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "" && !noise.test(l.trim()));
  return lines.slice(-n);
}

function warningsOf(messages: LibbpfMessage[]): string[] {
  return messages.filter((m) => m.level === 0).map((m) => m.text.replace(/^libbpf: /, ""));
}

function describeMessages(messages: LibbpfMessage[]): string {
  const warnings = warningsOf(messages);
  return warnings.length ? `\n  libbpf: ${warnings.slice(-4).join("\n  libbpf: ")}` : "";
}

export class BpfObject {
  readonly name: string;
  readonly programs = new Map<string, BpfProgram>();
  readonly maps = new Map<string, BpfMap>();
  /** libbpf warnings printed while opening/loading (e.g. BTF fallbacks); normally empty. */
  readonly warnings: string[];
  /** Every libbpf message of the load when `libbpfDebug` was set (CO-RE: "relo #0: patched insn ..."). */
  libbpfLog: string[] = [];
  #ptr: Ptr | null;
  #native: NativeMemory[];

  /** @internal Use loadObject. */
  constructor(name: string, ptr: Ptr, native: NativeMemory[], warnings: string[] = []) {
    this.name = name;
    this.warnings = warnings;
    this.#ptr = ptr;
    this.#native = native;
  }

  get closed(): boolean {
    return this.#ptr === null;
  }

  #typed: TypedMaps | null = null;
  /** Every map as a TypedMap, keys and values decoded from the object's BTF (runtime/typed-map.ts). */
  get typed(): TypedMaps {
    this.#typed ??= buildTypedMaps(this, this.#ptr);
    return this.#typed;
  }

  #globals: Globals | null = null;
  /** Global variables by name: `get`/`set` for .data/.bss, `rodata` for .rodata (runtime/globals.ts). */
  get globals(): Globals {
    this.#globals ??= openGlobals(libbpf(), this, this.#ptr);
    return this.#globals;
  }

  /** Unload everything and close all fds; safe to call twice. */
  close(): void {
    const ptr = this.#ptr;
    if (ptr === null) return;
    this.#ptr = null;
    libbpf().bpf_object__close(ptr);
    for (const mem of this.#native) mem.free();
    this.#native = [];
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function* iterate(next: (prev: Ptr | null) => Ptr | null): Generator<Ptr> {
  for (let p = next(null); p; p = next(p)) yield p;
}

/**
 * After a failed load, the program the kernel refused and its log. libbpf
 * names it in a warning; failing that (no print hook), with logLevel 0 only a
 * refused program has a log, and loading stops at the first refusal.
 */
/**
 * EPERM although the process may load BPF (libbpf then suggests `ulimit -l`, which is not the
 * cause): kernels without BPF trampolines or without the BPF LSM refuse fentry/fexit/LSM loads.
 * Names the program and the likely reason.
 */
function refusedKindHint(api: LibbpfApi, obj: Ptr, errno: number, messages: LibbpfMessage[]): string {
  if (errno !== EPERM) return "";
  const named = messages.map((m) => /prog '([^']+)': BPF program load failed/.exec(m.text)?.[1]).find((n) => n !== undefined);
  let section = "";
  for (let p = api.bpf_object__next_program(obj, null); p; p = api.bpf_object__next_program(obj, p)) {
    if (api.bpf_program__name(p) === named) section = api.bpf_program__section_name(p);
  }
  if (/^lsm(\.s)?\//.test(section)) {
    let lsms = "";
    try {
      lsms = readFileSync("/sys/kernel/security/lsm", "utf8").trim();
    } catch {}
    const why = lsms.split(",").includes("bpf")
      ? "the BPF LSM is active, so a lockdown or security policy refused it"
      : `this kernel does not run the BPF LSM ('bpf' is not in ${lsms ? `/sys/kernel/security/lsm: ${lsms}` : "the active LSMs: /sys/kernel/security/lsm is missing"}; it needs CONFIG_BPF_LSM and lsm=...,bpf at boot)`;
    return `: the kernel refused LSM program '${named}' (section '${section}') although this process may load BPF programs: ${why}`;
  }
  if (/^(fentry|fexit|fmod_ret|iter)(\.s)?\//.test(section)) {
    return `: the kernel refused tracing program '${named}' (section '${section}') although this process may load BPF programs: this kernel has no BPF trampolines for it (fentry/fexit/iterators)`;
  }
  return "";
}

function failedProgram(
  api: LibbpfApi,
  logs: Map<Ptr, NativeMemory>,
  messages: LibbpfMessage[],
  logLevel: number,
): { name: string; log: string } | null {
  const withLog = [...logs]
    .map(([prog, mem]) => ({ name: api.bpf_program__name(prog), log: mem.cString() }))
    .filter((p) => p.log.trim() !== "");
  for (const m of messages) {
    const named = /prog '([^']+)': BPF program load failed/.exec(m.text)?.[1];
    const hit = named === undefined ? undefined : withLog.find((p) => p.name === named);
    if (hit) return hit;
  }
  return logLevel === 0 && withLog.length > 0 ? withLog[withLog.length - 1]! : null;
}

/** Open an eBPF ELF object (a file path or its bytes) and load it into the kernel. */
export function loadObject(src: string | Uint8Array, opts: LoadOptions = {}): BpfObject {
  const api = libbpf();
  const label = opts.name ?? (typeof src === "string" ? src : "<bytes>");
  const logLevel = opts.logLevel ?? 0;
  const logSize = opts.logSize ?? 16 << 20;
  if (logSize < 128 || logSize > 0x3fff_ffff) throw new RangeError(`logSize ${logSize} out of range`);

  precheck(src, label);
  return withLibbpfMessages((messages) => {
    const native: NativeMemory[] = [];
    let obj: Ptr | null = null;
    try {
      const name = opts.name ?? (typeof src === "string" ? undefined : "tsbpf");
      const nameBytes = name === undefined ? null : Buffer.from(`${name}\0`, "utf8");
      const openOpts = Buffer.alloc(OPEN_OPTS.size);
      openOpts.writeBigUInt64LE(BigInt(OPEN_OPTS.size), 0);
      // The name only has to outlive the open call: libbpf copies it.
      if (nameBytes) openOpts.writeBigUInt64LE(addressOf(nameBytes), OPEN_OPTS.objectName);
      // Like the name, the path is only read during open (libbpf keeps its own copy).
      const btfPath = opts.btfCustomPath === undefined ? null : Buffer.from(`${opts.btfCustomPath}\0`, "utf8");
      if (btfPath) openOpts.writeBigUInt64LE(addressOf(btfPath), OPEN_OPTS.btfCustomPath);
      const pinRootBytes = opts.pinRoot === undefined ? null : Buffer.from(`${opts.pinRoot}\0`, "utf8");
      if (pinRootBytes) openOpts.writeBigUInt64LE(addressOf(pinRootBytes), OPEN_OPTS.pinRootPath);

      if (typeof src === "string") {
        obj = api.bpf_object__open_file(src, openOpts);
      } else {
        // libbpf may keep pointing into the image, so it lives in native memory until close().
        const image = NativeMemory.from(src);
        native.push(image);
        obj = api.bpf_object__open_mem(image.ptr, image.size, openOpts);
      }
      void nameBytes;
      void btfPath;
      void pinRootBytes;
      if (!obj) {
        const errno = lastErrno() || 22;
        throw new BpfObjectError(label, `${explainOpenFailure(src) ?? errnoText(errno)}${describeMessages(messages)}`, errno);
      }

      const logs = new Map<Ptr, NativeMemory>();
      for (const prog of iterate((p) => api.bpf_object__next_program(obj!, p))) {
        const log = new NativeMemory(logSize);
        native.push(log);
        log.view()[0] = 0;
        logs.set(prog, log);
        api.bpf_program__set_log_buf(prog, log.ptr, logSize);
        if (logLevel > 0) api.bpf_program__set_log_level(prog, logLevel);
        setTypeFromSection(api, prog);
      }

      applyInitialValues(api, obj, opts);
      opts.beforeLoad?.(obj);

      const rc = api.bpf_object__load(obj);
      if (rc < 0) {
        const errno = errnoFrom(rc);
        if (errno === EPERM && !hasBpfCapabilities()) throw new BpfPermissionError(label, errno);
        const failed = failedProgram(api, logs, messages, logLevel);
        if (failed) {
          const prog = [...logs.keys()].find((p) => api.bpf_program__name(p) === failed.name);
          const section = prog ? api.bpf_program__section_name(prog) : undefined;
          throw new VerifierError(
            failed.name,
            failed.log,
            errno,
            refusedType(errno, section, failed.log) ?? explain(src, section, failed.log, failed.name),
          );
        }
        throw new Error(
          `cannot load BPF object ${label}: ${errnoText(errno)}${refusedKindHint(api, obj, errno, messages)}${describeMessages(messages)}`,
        );
      }

      const result = new BpfObject(name ?? label, obj, native, warningsOf(messages));
      if (opts.libbpfDebug) result.libbpfLog = messages.map((m) => m.text);
      for (const prog of iterate((p) => api.bpf_object__next_program(obj!, p))) {
        const log = logLevel > 0 ? (logs.get(prog)?.cString() ?? "") : "";
        const program = new BpfProgram(result, prog, log);
        result.programs.set(program.name, program);
      }
      for (const map of iterate((p) => api.bpf_object__next_map(obj!, p))) {
        const m = new BpfMap(result, map);
        result.maps.set(m.name, m);
      }
      obj = null; // owned by `result` now
      return result;
    } catch (e) {
      if (obj) api.bpf_object__close(obj);
      for (const mem of native) mem.free();
      // With libbpfDebug, a failed load still shows what libbpf did before it (e.g. CO-RE relocations).
      if (opts.libbpfDebug && e instanceof Error) Object.assign(e, { libbpfLog: messages.map((m) => m.text) });
      throw e;
    }
  }, opts.libbpfDebug);
}
