// `tsbpf build --watch <file.bpf.ts> [-o out.o] [--cpu=v3|v4] [--verify]`: build, then rebuild whenever the
// file changes, until interrupted. A rebuild reuses what the process already has: TypeScript and the
// compiler loaded and JIT-compiled, the stdlib parsed and bound (ts-adapter's shared SourceFiles),
// the previous tsc program (old-program reuse of unchanged files and module resolutions), and the
// previous compile's results (compiler/incremental.ts): only the statements an edit changed are
// type-checked again when nothing else names them, and only programs whose input changed are
// compiled; an unchanged object is not written again. Each build reports its time, from reading
// the file to the object written (the 3 ms the watcher waits for a save's events to settle come
// before that). The local modules the entry imports are watched too. Garbage is collected between
// rebuilds, in a young generation big enough for a whole rebuild (V8_FLAGS).
// bench/watch-profile.ts shows where a rebuild's time goes.

import { V8_FLAGS } from "./v8-flags.js";
import { spawn } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, statSync, watch, writeSync, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import os from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import type { IncrementalState } from "../compile.js";
import { formatDiagnostic } from "../format-diagnostic.js";
import { kernelVerdict, verifyUnavailable } from "./verify-report.js";

/**
 * Silent compiles after the first build, so that rebuilds run optimised code: whole-file compiles,
 * then rebuilds through a scratch state, for at most WARM_UP_MS. V8 optimises the rebuild path's
 * functions one by one as they run: on the 200-line bench program an incremental compile takes
 * 16 ms after 50 of them, 10 ms after 100, and levels off at about 6 ms after 150 to 300 (2 to 3 s;
 * 30 warm-ups left watch rebuilds at a 12.5 ms median, 400 bring them to 8-9 ms). The first file
 * event ends the warm-up: a save must not wait behind it (the rebuilds then warm up themselves).
 */
const COLD_WARM_UPS = 2;
const INCREMENTAL_WARM_UPS = 400;
export const WARM_UP_MS = 4000;
/**
 * How long a save's events (truncate, write, rename: microseconds apart) may take to settle before
 * the file is read. Part of every rebuild's latency, so short; a file read empty in the middle of
 * a save is read again after EMPTY_RETRY_MS, one read shorter than the file is dropped (the rest of
 * the save rebuilds), and errors wait ERROR_SETTLE_MS to be shown only if the file kept that text.
 */
const DEBOUNCE_MS = 3;
const EMPTY_RETRY_MS = 25;
const ERROR_SETTLE_MS = 25;
/** Growth of the heap since the last full collection that makes the watcher run one while idle. */
const FULL_GC_GROWTH = 24 * 1024 * 1024;
/** Set in the relaunched watcher's environment. */
const RELAUNCHED = "TSBPF_WATCH_RELAUNCHED";
const USAGE = "usage: tsbpf build --watch <file.bpf.ts> [-o out.o] [--cpu=v3|v4] [--verify]";

export function watchCommand(args: string[]): Promise<number> | number {
  let input: string | undefined;
  let output: string | undefined;
  let cpu: "v3" | "v4" = "v3";
  let verify = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--watch") continue;
    if (a === "--verify") verify = true;
    else if (a === "-o") output = args[++i];
    else if (a === "--cpu=v3" || a === "--cpu=v4") cpu = a === "--cpu=v4" ? "v4" : "v3";
    else if (a.startsWith("-")) {
      process.stderr.write(`error: unknown option ${a} with --watch\n${USAGE}\n`);
      return 2;
    } else if (input === undefined) input = a;
    else {
      process.stderr.write(`error: --watch takes one file\n${USAGE}\n`);
      return 2;
    }
  }
  if (!input || (output === undefined && args.includes("-o"))) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  const argv = relaunchArgv(args);
  if (argv) return relaunch(argv, () => runWatcher(input, output, cpu, verify));
  return runWatcher(input, output, cpu, verify);
}

async function runWatcher(file: string, output: string | undefined, cpu: "v3" | "v4", verify: boolean): Promise<number> {
  const { compile } = await import("../compile.js");
  // --verify: every object is loaded into the running kernel before it is written (verify-object.ts).
  const verifyObject = verify ? (await import("./verify-object.js")).verifyObject : undefined;
  if (verify) {
    const { bpfAvailable } = await import("../../runtime/index.js");
    const avail = bpfAvailable();
    if (!avail.ok) {
      process.stderr.write(verifyUnavailable(avail.reason));
      return 1;
    }
  }
  const out = output ?? file.replace(/(\.bpf)?\.ts$/, "") + ".bpf.o";
  const state: IncrementalState = {};
  const color = process.stderr.isTTY && !process.env.NO_COLOR;
  let last: string | undefined;
  let written: Uint8Array | undefined;

  let pending: NodeJS.Timeout | undefined;
  const idle = idleCollector();
  /** Counts builds, so that a build's late error report is dropped once another build has started. */
  let generation = 0;
  /** Warm-up compiles done; whether the warm-up is over (done, or ended by a file event). */
  let warmUps = 0;
  let warmedUp = false;
  /** Set when an imported local module changed: the entry's text alone does not tell. */
  let importsChanged = false;
  const build = (why: "first" | "change", retried = false): void => {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      // An editor that saves by rename may leave the path missing for a moment; the next event retries.
      if (why === "first")
        process.stderr.write(`error: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return;
    }
    // An event without a change (metadata, a second event for one save).
    if (text === last && !importsChanged) return;
    if (text === "" && why === "change" && !retried) {
      // Most likely truncated by a save still writing: look again once its events have stopped.
      pending = setTimeout(() => build("change", true), EMPTY_RETRY_MS);
      return;
    }
    last = text;
    importsChanged = false;
    const gen = ++generation;
    const result = compile(file, text, { cpu, incremental: state });
    follow(result.files ?? [file]);
    // Read in the middle of a save (the settle time is short): the rest of the save brings another
    // event and build, so this one writes and says nothing.
    if (why === "change" && !holds(file, text)) return;
    const report = (): void => {
      for (const d of result.diagnostics) process.stderr.write(formatDiagnostic(d, text, color) + "\n");
      if (result.ok && result.object) return;
      const n = result.diagnostics.filter((d) => d.severity !== "warning").length;
      process.stderr.write(`${n} error${n === 1 ? "" : "s"}; no object written; watching for changes\n`);
    };
    if (!result.ok || !result.object) {
      // A save still being written can also read as a broken file of the full size: errors are
      // shown once the file has kept this text a moment longer (a good build does not wait).
      if (why === "first") report();
      else setTimeout(() => gen === generation && holds(file, text) && report(), ERROR_SETTLE_MS);
      return;
    }
    report();
    const verdict = verifyObject?.(file, text, result.object);
    if (verdict && !verdict.ok) {
      const found = "diagnostics" in verdict ? verdict.diagnostics : [];
      for (const d of found) process.stderr.write(formatDiagnostic(d, text, color) + "\n");
      if ("unavailable" in verdict) process.stderr.write(`error: --verify: ${verdict.unavailable}\n`);
      const n = found.filter((d) => d.severity !== "warning").length;
      if (n > 0 || "unavailable" in verdict) {
        process.stderr.write(`${n || 1} error${n > 1 ? "s" : ""}; no object written; watching for changes\n`);
        return;
      }
    }
    const verified = new Map(verdict?.ok ? verdict.programs.map((v) => [v.name, v]) : []);
    try {
      // An unchanged object is not written again (unless it was removed meanwhile).
      if (!written || !sameBytes(written, result.object) || !existsSync(out)) overwrite(out, result.object);
      written = result.object;
    } catch (e) {
      process.stderr.write(
        `error: cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; watching for changes\n`,
      );
      return;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const used = process.cpuUsage(c0);
    // One write: a line per program, then the summary.
    process.stdout.write(
      result.programs
        .map((p) => {
          const v = verified.get(p.name);
          const kernel = v ? `; ${kernelVerdict(v)}` : "";
          return `${basename(out)}: ${p.section} ${p.name}: ${p.insnCount} instructions, ${p.stackSize} bytes of stack${kernel}\n`;
        })
        .join("") +
        `${why === "first" ? "built" : "rebuilt"} ${basename(out)} in ${ms.toFixed(1)} ms (CPU ${((used.user + used.system) / 1000).toFixed(1)} ms); watching ${file} for changes\n`,
    );
    if (why === "change") setImmediate(idle);
  };

  // Watch directories, not files: editors that save by writing a new file and renaming it over
  // the old one would end a watch on the file itself. The entry and the local modules it imports
  // (compile()'s `files`, followed after every build) are watched.
  const entry = resolve(file);
  const watched = new Set<string>([entry]);
  const dirs = new Map<string, FSWatcher>();
  const onEvent = (dir: string, changed: string | null): void => {
    const path = changed === null ? undefined : resolve(dir, changed);
    if (path !== undefined && !watched.has(path)) return;
    if (path !== entry) importsChanged = true;
    warmedUp = true;
    // One save is often several events (truncate, write, rename); build once they stop, so a
    // half-written file is not compiled.
    clearTimeout(pending);
    pending = setTimeout(() => build("change"), DEBOUNCE_MS);
  };
  function follow(files: readonly string[]): void {
    watched.clear();
    watched.add(entry);
    for (const f of files) watched.add(resolve(f));
    const want = new Set([...watched].map((f) => dirname(f)));
    for (const [dir, w] of dirs) if (!want.has(dir)) w.close(), dirs.delete(dir);
    for (const dir of want) {
      if (dirs.has(dir)) continue;
      try {
        dirs.set(
          dir,
          watch(dir, (_event, changed) => onEvent(dir, changed)),
        );
      } catch (e) {
        // The entry's directory is checked below; a module's that cannot be watched is said once.
        if (dir !== dirname(entry)) process.stderr.write(`warning: cannot watch ${dir}: ${(e as Error).message}\n`);
      }
    }
  }

  build("first");
  if (last === undefined) return 1;
  if (!dirs.has(dirname(entry))) {
    process.stderr.write(`error: cannot watch ${file}\n`);
    return 1;
  }
  // While the user edits: compile a few times more, silently, so that the first real rebuilds run
  // JIT-compiled code instead of paying for the warm-up themselves: the whole file, then rebuilds
  // after small edits through a scratch incremental state (not `state`, which would reuse
  // everything and warm nothing; its results are dropped).
  const scratch: IncrementalState = {};
  const warmUpEnd = performance.now() + WARM_UP_MS;
  const warmUp = (): void => {
    if (warmedUp || last === undefined) return;
    if (warmUps >= COLD_WARM_UPS + INCREMENTAL_WARM_UPS || performance.now() > warmUpEnd) {
      warmedUp = true;
      return idle(true);
    }
    const text = warmUps % 2 ? blankLineInMiddle(last) : last;
    compile(file, text, { cpu, incremental: warmUps++ < COLD_WARM_UPS ? undefined : scratch });
    setImmediate(warmUp);
  };
  setImmediate(warmUp);
  return new Promise<number>((done) => {
    // Idempotent, and not `once`: Ctrl-C in a terminal reaches both a relaunched watcher and the
    // process that started it, which forwards it too.
    const stop = () => {
      warmedUp = true;
      clearTimeout(pending);
      for (const w of dirs.values()) w.close();
      dirs.clear();
      done(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    // Relaunched: the channel to the process that started this one closes when it ends, even by
    // SIGKILL, which it cannot pass on; then this one stops too instead of watching on, orphaned.
    if (process.env[RELAUNCHED] && process.channel) {
      process.channel.unref();
      process.once("disconnect", stop);
    }
  });
}

/**
 * The arguments to start this watcher again with V8_FLAGS, or undefined when it already runs with
 * them (or there is no script to start). From the start-up snapshot, which node refuses to load
 * under other V8 flags, the plain JavaScript entry beside it is started instead.
 */
function relaunchArgv(args: string[]): string[] | undefined {
  if (process.env[RELAUNCHED]) return undefined;
  const exec = [...process.execArgv];
  if (V8_FLAGS.every((f) => exec.includes(f))) return undefined;
  let entry = process.argv[1];
  const at = exec.findIndex((a) => a === "--snapshot-blob" || a.startsWith("--snapshot-blob="));
  if (at >= 0) {
    const blob = exec[at]!.includes("=") ? exec[at]!.slice(exec[at]!.indexOf("=") + 1) : exec[at + 1];
    exec.splice(at, exec[at]!.includes("=") ? 1 : 2);
    entry = blob && resolve(dirname(blob), "../../bin/tsbpf.js"); // dist/snapshot/tsbpf.blob -> bin/tsbpf.js
  }
  if (!entry || !existsSync(entry)) return undefined;
  return [...V8_FLAGS, ...exec, entry, "build", ...args];
}

/** Runs the watcher as a child with `argv`, passing on SIGINT and SIGTERM; `fallback` if it cannot start. */
function relaunch(argv: string[], fallback: () => Promise<number>): Promise<number> {
  return new Promise<number>((done) => {
    const child = spawn(process.execPath, argv, {
      stdio: ["inherit", "inherit", "inherit", "ipc"],
      env: { ...process.env, [RELAUNCHED]: "1" },
    });
    const onInt = () => child.kill("SIGINT");
    const onTerm = () => child.kill("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    const detach = () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    };
    child.on("error", () => {
      detach();
      fallback().then(done);
    });
    child.on("exit", (code, signal) => {
      detach();
      done(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

/**
 * Writes `bytes` over the file in place. Not writeFileSync: opening with O_TRUNC makes ext4 start
 * writing the old blocks back when the file is closed (its safeguard for files replaced by
 * truncation), which cost 1.5-2 ms of every rebuild here. Like writeFileSync, not atomic.
 */
export function overwrite(path: string, bytes: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    fd = openSync(path, "w");
  }
  try {
    writeSync(fd, bytes, 0, bytes.length, 0);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}

/** `text` with an empty line inserted at the line start nearest its middle (a warm-up edit). */
function blankLineInMiddle(text: string): string {
  const at = text.indexOf("\n", text.length >> 1) + 1;
  return `${text.slice(0, at)}\n${text.slice(at)}`;
}

/** The file still has the length of `text` (a save in progress changes it). */
export function holds(file: string, text: string): boolean {
  try {
    return statSync(file).size === Buffer.byteLength(text);
  } catch {
    return false;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * Garbage collection while the watcher waits for the next save, instead of in the middle of the
 * next rebuild: a rebuild allocates about 4 MB (a new tsc program and checker, the changed program's
 * IR), so V8's young generation fills every rebuild or two, and a scavenge inside one cost 1 to 15 ms
 * (most of its objects are still alive then, and copied). Run after each build's report, a scavenge
 * finds the young generation nearly empty and the next rebuild starts with room for all it allocates;
 * the old generation, which grows by what each rebuild keeps (the program the next one reuses), is
 * collected in full once it has grown by FULL_GC_GROWTH. A no-op where V8 refuses to expose gc().
 */
function idleCollector(): (full?: boolean) => void {
  let gc: ((o?: { type?: "minor" | "major" }) => void) | undefined;
  try {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as typeof gc;
  } catch {
    return () => {};
  }
  let base = 0;
  return (full = false) => {
    if (!gc) return;
    gc({ type: "minor" });
    const used = process.memoryUsage().heapUsed;
    if (full || used > base + FULL_GC_GROWTH) {
      gc({ type: "major" });
      base = process.memoryUsage().heapUsed;
    }
  };
}
