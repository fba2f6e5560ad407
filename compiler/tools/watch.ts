// `tsbpf run FILE.bpf.ts --attach SPEC --watch`: deploy the file as a live module pinned in
// /sys/fs/bpf/tsbpf-run-<pid>, then recompile on every save and swap the new version in place
// (maps kept, runtime/live-module.ts). A compile error, a verifier rejection or a changed map
// layout prints the diagnostic and leaves the running version alone. Ctrl-C (or --duration)
// detaches everything and removes the pins.

import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { compile } from "../compile.js";
import { formatDiagnostic } from "../format-diagnostic.js";
import { ensureBpffs } from "../../runtime/kernel.js";
import type { BpfObject } from "../../runtime/object.js";
import { deployModule, unloadModule, type ModuleAttach } from "../../runtime/live-module.js";
import { describeDeploy, describeLoadError } from "./load-command.js";

export interface WatchArgs {
  input: string;
  attach: ModuleAttach[];
  intervalMs: number;
  durationS: number | null;
  raw: boolean;
}

export interface WatchIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  signal?: AbortSignal;
}

/** Debounce for editors that write a file in several steps (truncate, write, rename). */
const SETTLE_MS = 120;

/** Compile `text`; null (diagnostics printed) when it has errors. */
function build(input: string, text: string, io: WatchIo): Uint8Array | null {
  const r = compile(input, text);
  for (const d of r.diagnostics) io.stderr(formatDiagnostic(d, text, false) + "\n");
  if (!r.ok || !r.object) {
    const n = r.diagnostics.filter((d) => d.severity !== "warning").length;
    io.stderr(`${n} error${n === 1 ? "" : "s"}\n`);
    return null;
  }
  return r.object;
}

export async function watchRun(
  a: WatchArgs,
  io: WatchIo,
  printMaps: (obj: BpfObject, raw: boolean, out: (s: string) => void) => void,
): Promise<number> {
  const input = resolve(a.input);
  const pinDir = `${ensureBpffs()}/tsbpf-run-${process.pid}`;
  let text = readFileSync(input, "utf8");
  const first = build(input, text, io);
  if (first === null) {
    io.stderr("nothing to run\n");
    return 1;
  }
  let obj: BpfObject;
  let generation = 1;
  try {
    const r = deployModule(first, {
      pinDir,
      attach: a.attach,
      keepOpen: true,
      source: input,
      objectName: basename(input).replace(/(\.bpf)?\.ts$/, ""),
    });
    obj = r.object!;
    describeDeploy(r, io.stdout);
  } catch (e) {
    describeLoadError(e, io.stderr);
    try {
      unloadModule(pinDir);
    } catch {
      // nothing was pinned
    }
    return 1;
  }
  io.stdout(`watching ${a.input}: live module pinned in ${pinDir}; saving the file swaps the new version in\n`);

  let timer: NodeJS.Timeout | null = null;
  let busy = false;
  let again = false;
  const rebuild = (): void => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      let next: string;
      try {
        next = readFileSync(input, "utf8");
      } catch {
        return; // mid-rename; the next event brings the file back
      }
      if (next === text) return;
      text = next;
      const bytes = build(input, text, io);
      if (bytes === null) {
        io.stderr(`build failed: keeping the running version (generation ${generation})\n`);
        return;
      }
      try {
        const r = deployModule(bytes, { pinDir, attach: a.attach, keepOpen: true, source: input });
        obj.close();
        obj = r.object!;
        generation = r.record.generation;
        describeDeploy(r, io.stdout);
        io.stdout(`swapped in generation ${generation}\n`);
      } catch (e) {
        describeLoadError(e, io.stderr);
        io.stderr(`load failed: keeping the running version (generation ${generation})\n`);
      }
    } finally {
      busy = false;
      if (again) {
        again = false;
        setImmediate(rebuild);
      }
    }
  };

  let watcher: FSWatcher | null = null;
  // Watch the directory: editors often replace the file (rename), which ends a watch on the file itself.
  watcher = watch(dirname(input), (_event, name) => {
    if (name !== basename(input)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(rebuild, SETTLE_MS);
  });

  await new Promise<void>((resolveDone) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(tick);
      if (stopTimer) clearTimeout(stopTimer);
      process.off("SIGINT", finish);
      process.off("SIGTERM", finish);
      io.signal?.removeEventListener("abort", finish);
      resolveDone();
    };
    const tick = setInterval(() => printMaps(obj, a.raw, io.stdout), a.intervalMs);
    const stopTimer = a.durationS === null ? null : setTimeout(finish, a.durationS * 1000);
    process.on("SIGINT", finish);
    process.on("SIGTERM", finish);
    io.signal?.addEventListener("abort", finish);
    if (io.signal?.aborted) finish();
  });

  watcher.close();
  if (timer) clearTimeout(timer);
  printMaps(obj, a.raw, io.stdout);
  obj.close();
  const gone = unloadModule(pinDir);
  io.stdout(`detached ${gone.programs.join(", ")}; removed ${pinDir}\n`);
  return 0;
}
