// Rebuild time of `tsbpf build --watch` on a 200-line program, as the watcher reports it: the CLI
// is started as users start it, the file is edited EDITS times (a constant changes), and each
// "rebuilt ... in X ms" line is collected, with the time from the save to that line (what a user
// waits: the watcher's settle time, the file event and the rebuild). Used by bench/compile-time.ts.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WARM_UP_MS } from "../compiler/tools/build-watch.js";
import { SHAPES } from "./synthetic.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EDITS = Number(process.env.WATCH_EDITS ?? 20);

export interface WatchTimes {
  lines: number;
  first?: number;
  rebuilds: number[];
  /** CPU time of each rebuild as the watcher reports it (what the machine's load inflates least). */
  rebuildsCpu: number[];
  /** From the end of the save (writeFileSync) to the watcher's "rebuilt" line arriving here. */
  saveToObject: number[];
  error?: string;
}

/**
 * `root`: the tsbpf checkout whose bin/tsbpf.js runs (another build, for an A/B comparison);
 * `gapMs`: the pause after each rebuild before the next save (a person pauses for seconds).
 */
export async function measureWatch(tmp: string, lines = 200, root = ROOT, gapMs = 50, edits = EDITS): Promise<WatchTimes> {
  const file = join(tmp, "watched.bpf.ts");
  const source = (k: number) => SHAPES.programs(lines).replace("let y: u32 = e.value ^", `let y: u32 = e.value + ${k} ^`);
  writeFileSync(file, source(0));
  // bin/tsbpf, as a user runs it: the start-up snapshot and its V8 flags (a larger young generation,
  // fewer collections during a rebuild) when they are built, else the plain entry.
  const child = spawn(join(root, "bin", "tsbpf"), ["build", "--watch", file, "-o", join(tmp, "watched.o")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const result: WatchTimes = { lines: source(0).split("\n").length, rebuilds: [], rebuildsCpu: [], saveToObject: [] };
  let buffered = "";
  let waiting: ((ms: number, cpuMs: number) => void) | undefined;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const m = /^(?:re)?built \S+ in ([\d.]+) ms \(CPU ([\d.]+) ms\)/.exec(line);
      if (m && waiting) waiting(Number(m[1]), Number(m[2]));
    }
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const next = (timeoutMs: number) =>
    new Promise<[number, number]>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no build reported within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
      waiting = (ms, cpuMs) => {
        clearTimeout(t);
        waiting = undefined;
        res([ms, cpuMs]);
      };
    });
  try {
    result.first = (await next(60_000))[0];
    // Let the watcher's silent warm-up compiles finish, as they do while a user reads the output
    // and goes back to the editor.
    await new Promise((r) => setTimeout(r, WARM_UP_MS + 500));
    for (let k = 1; k <= edits; k++) {
      const done = next(30_000);
      writeFileSync(file, source(k));
      const saved = performance.now();
      const [ms, cpuMs] = await done;
      result.saveToObject.push(performance.now() - saved);
      result.rebuilds.push(ms);
      result.rebuildsCpu.push(cpuMs);
      await new Promise((r) => setTimeout(r, gapMs)); // let a second event for the same save pass
    }
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    child.kill("SIGTERM");
  }
  return result;
}
