// `tsbpf check <files...>`: the whole compiler short of writing an object, for editors' save hooks,
// pre-commit and CI. Exit codes as `build`: 0 clean (warnings allowed), 1 errors, 2 usage.

import { readFileSync } from "node:fs";
import { compile } from "../compile.js";
import type { Diagnostic } from "../diagnostic.js";
import { DIAGNOSTICS, formatMessage } from "../diagnostics-table.js";
import { asTyped, errorCount, printJson, printText, sourceCache, takeOutputFlags } from "./diag-output.js";
import type { Verification } from "./verify-object.js";
import { kernelVerdict, verifyUnavailable } from "./verify-report.js";

export const CHECK_USAGE = "  tsbpf check <file.bpf.ts>... [--cpu=v3|v4] [--verify] [--format=text|json] [--quiet]";

/** Loads and verifies one compiled object (verify-object.ts, imported only for --verify). */
type Verify = (file: string, text: string, object: Uint8Array) => Verification;

export function checkCommand(args: string[]): number | Promise<number> {
  if (args.includes("--verify"))
    return import("./verify-object.js").then((m) =>
      check(
        args.filter((a) => a !== "--verify"),
        m.verifyObject,
      ),
    );
  return check(args);
}

function check(args: string[], verify?: Verify): number {
  const taken = takeOutputFlags(args);
  if ("error" in taken) {
    process.stderr.write(`error: ${taken.error}\n`);
    return 2;
  }
  const { opts, rest } = taken;
  let cpu: "v3" | "v4" = "v3";
  const files: string[] = [];
  for (const a of rest) {
    if (a === "--cpu=v3" || a === "--cpu=v4") cpu = a === "--cpu=v4" ? "v4" : "v3";
    else if (a.startsWith("-")) {
      process.stderr.write(`error: unknown option ${a}\nusage:\n${CHECK_USAGE}\n`);
      return 2;
    } else files.push(a);
  }
  if (!files.length) {
    process.stderr.write(`usage:\n${CHECK_USAGE}\n`);
    return 2;
  }
  const texts: Record<string, string> = {};
  const all: Diagnostic[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
      all.push({
        code: "TSBPF2300",
        severity: "error",
        message: formatMessage("TSBPF2300", [f, why]),
        hint: DIAGNOSTICS.TSBPF2300.hint,
        file: f,
        start: 0,
        length: 0,
        line: 1,
        col: 1,
      });
      continue;
    }
    texts[f] = text;
    const r = compile(f, text, { cpu });
    all.push(...asTyped(r.diagnostics, [f]));
    if (verify && r.ok && r.object) {
      const v = verify(f, text, r.object);
      if (!v.ok && "unavailable" in v) {
        process.stderr.write(verifyUnavailable(v.unavailable));
        return 1;
      }
      if (!v.ok) all.push(...asTyped(v.diagnostics, [f]));
      else if (opts.format === "text" && !opts.quiet)
        for (const p of v.programs) process.stdout.write(`${f}: ${p.name} ${kernelVerdict(p)}\n`);
    }
  }
  const source = sourceCache(texts);
  if (opts.format === "json") printJson(all, source, opts);
  else {
    printText(all, source, opts);
    const n = errorCount(all);
    if (!opts.quiet) {
      const w = all.length - n;
      const files_ = `${files.length} file${files.length === 1 ? "" : "s"}`;
      process.stderr.write(
        n || w ? `${n} error${n === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"} in ${files_}\n` : `${files_} checked: no errors\n`,
      );
    }
  }
  return errorCount(all) ? 1 : 0;
}
