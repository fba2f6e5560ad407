// `tsbpf build --watch <file.bpf.ts> [-o out.o] [--cpu=v3|v4]`: build, then rebuild whenever the
// file changes, until interrupted. A rebuild reuses what the process already has: TypeScript and the
// compiler loaded and JIT-compiled, the stdlib parsed and bound (ts-adapter's shared SourceFiles),
// the previous tsc program (old-program reuse of unchanged files and module resolutions), and the
// previous compile's results (compiler/incremental.ts): only the statements an edit changed are
// type-checked again when nothing else names them, and only programs whose input changed are
// compiled; an unchanged object is not written again. Each build reports its time, from reading
// the file to the object written (the 3 ms the watcher waits for a save's events to settle come
// before that).

import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, statSync, watch, writeSync, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { compile, type IncrementalState } from "../compile.js";
import { formatDiagnostic } from "../format-diagnostic.js";

const WARM_UPS = 8;
/**
 * How long a save's events (truncate, write, rename: microseconds apart) may take to settle before
 * the file is read. Part of every rebuild's latency, so short; a file read empty in the middle of
 * a save is read again after EMPTY_RETRY_MS, one read shorter than the file is dropped (the rest of
 * the save rebuilds), and errors wait ERROR_SETTLE_MS to be shown only if the file kept that text.
 */
const DEBOUNCE_MS = 3;
const EMPTY_RETRY_MS = 25;
const ERROR_SETTLE_MS = 25;
const USAGE = "usage: tsbpf build --watch <file.bpf.ts> [-o out.o] [--cpu=v3|v4]";

export function watchCommand(args: string[]): Promise<number> | number {
  let input: string | undefined;
  let output: string | undefined;
  let cpu: "v3" | "v4" = "v3";
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--watch") continue;
    if (a === "-o") output = args[++i];
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
  const file = input;
  const out = output ?? file.replace(/(\.bpf)?\.ts$/, "") + ".bpf.o";
  const state: IncrementalState = {};
  const color = process.stderr.isTTY && !process.env.NO_COLOR;
  let last: string | undefined;
  let written: Uint8Array | undefined;

  let pending: NodeJS.Timeout | undefined;
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
    if (text === last) return; // an event without a change (metadata, a second event for one save)
    if (text === "" && why === "change" && !retried) {
      // Most likely truncated by a save still writing: look again once its events have stopped.
      pending = setTimeout(() => build("change", true), EMPTY_RETRY_MS);
      return;
    }
    last = text;
    const result = compile(file, text, { cpu, incremental: state });
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
      else setTimeout(() => last === text && holds(file, text) && report(), ERROR_SETTLE_MS);
      return;
    }
    report();
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
        .map((p) => `${basename(out)}: ${p.section} ${p.name}: ${p.insnCount} instructions, ${p.stackSize} bytes of stack\n`)
        .join("") +
        `${why === "first" ? "built" : "rebuilt"} ${basename(out)} in ${ms.toFixed(1)} ms (CPU ${((used.user + used.system) / 1000).toFixed(1)} ms); watching ${file} for changes\n`,
    );
  };

  build("first");
  if (last === undefined) return 1;
  // While the user edits: compile the same text a few times more, silently, so that the first real
  // rebuild runs JIT-compiled code instead of paying for the warm-up itself. Not through `state`,
  // which would reuse everything and warm nothing.
  let warmUps = WARM_UPS;
  const warmUp = (): void => {
    if (warmUps-- <= 0 || last === undefined) return;
    compile(file, last, { cpu });
    setImmediate(warmUp);
  };
  setImmediate(warmUp);
  // Watch the directory, not the file: editors that save by writing a new file and renaming it
  // over the old one would end a watch on the file itself.
  const name = basename(file);
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(resolve(file)), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      // One save is often several events (truncate, write, rename); build once they stop, so a
      // half-written file is not compiled.
      clearTimeout(pending);
      pending = setTimeout(() => build("change"), DEBOUNCE_MS);
    });
  } catch (e) {
    process.stderr.write(`error: cannot watch ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((done) => {
    const stop = () => {
      clearTimeout(pending);
      watcher.close();
      done(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/**
 * Writes `bytes` over the file in place. Not writeFileSync: opening with O_TRUNC makes ext4 start
 * writing the old blocks back when the file is closed (its safeguard for files replaced by
 * truncation), which cost 1.5-2 ms of every rebuild here. Like writeFileSync, not atomic.
 */
function overwrite(path: string, bytes: Uint8Array): void {
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

/** The file still has the length of `text` (a save in progress changes it). */
function holds(file: string, text: string): boolean {
  try {
    return statSync(file).size === Buffer.byteLength(text);
  } catch {
    return false;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
