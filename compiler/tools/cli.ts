// The `tsbpf` command. One table names every command and loads its module on demand: `build`, the
// common case, pays for no runtime (koffi, libbpf), object reader or skeleton writer it does not use.

import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { type CompileResult, compile } from "../compile.js";
import { defaultPasses } from "../passes/index.js";
import { CHECK_USAGE } from "./check.js";
import { asTyped, errorCount, type OutputOptions, printJson, printText, sourceCache, takeOutputFlags } from "./diag-output.js";
import { INIT_USAGE } from "./init.js";
import type { Verification } from "./verify-object.js";
import { kernelVerdict, verifyUnavailable } from "./verify-report.js";

const USAGE = `usage:
  tsbpf build <file.bpf.ts> [-o out.o] [--cpu=v3|v4] [--verify] [--dump-ir=<stage>[,<stage>...]] [--format=text|json] [--quiet]
  tsbpf build --watch <file.bpf.ts> [-o out.o] [--cpu=v3|v4] [--verify]
${CHECK_USAGE}
  tsbpf disasm <file.o>
  tsbpf run <file.bpf.ts|file.o> [--attach [PROG=]SPEC]... [--interval ms] [--duration s] [--raw] [--watch]
  tsbpf inspect <file.o>
  tsbpf gen <file.bpf.ts> [-o out.skel.ts] [--object <file.bpf.o>] [--runtime <module>]
  tsbpf load <file.bpf.ts|file.o> --attach [PROG=]SPEC... --pin DIR [--allow-gap] [--migrate MODULE]
  tsbpf unload <DIR>
  tsbpf ls [--json]
  tsbpf image <file.bpf.ts|file.o> -o DIR [--tag TAG] [--arch ARCH]
  tsbpf vmlinux [--btf FILE] [--only NAME,...] [--depth N] -o <file.d.ts | dir>
${INIT_USAGE}

  tsbpf --version

stages for --dump-ir: input, lower, each optimisation pass by name, or all`;

type Command = (args: string[]) => number | Promise<number>;

/** Every command, by name. A new command is one row here and its module under compiler/tools/. */
const COMMANDS: Record<string, Command> = {
  build: (a) => (a.includes("--watch") ? import("./build-watch.js").then((m) => m.watchCommand(a)) : build(a)),
  check: (a) => import("./check.js").then((m) => m.checkCommand(a)),
  disasm: (a) => import("../elf/disasm-object.js").then((m) => disasm(a, m.disassembleObject)),
  run: (a) => import("./run-command.js").then((m) => m.runCommand(a)),
  inspect: (a) => import("./inspect.js").then((m) => m.inspectCommand(a)),
  gen: (a) => import("./skeleton.js").then((m) => m.genCommand(a)),
  load: (a) => import("./load-command.js").then((m) => m.loadCommand(a)),
  unload: (a) => import("./module-commands.js").then((m) => m.unloadCommand(a)),
  ls: (a) => import("./module-commands.js").then((m) => m.lsCommand(a)),
  image: (a) => import("./image-command.js").then((m) => m.imageCommand(a)),
  vmlinux: (a) => import("./vmlinux.js").then((m) => m.vmlinuxCommand(a)),
  init: (a) => import("./init.js").then((m) => m.initCommand(a)),
  help: () => {
    process.stdout.write(USAGE + "\n");
    return 0;
  },
  version: () => {
    process.stdout.write(`tsbpf ${packageVersion()}\n`);
    return 0;
  },
};
const ALIASES: Record<string, string> = { "-h": "help", "--help": "help", "-v": "version", "--version": "version" };

export function main(argv: string[]): number | Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  const run = COMMANDS[ALIASES[cmd] ?? cmd];
  if (!run || !Object.hasOwn(COMMANDS, ALIASES[cmd] ?? cmd)) {
    process.stderr.write(`error: unknown command '${cmd}'${suggest(cmd)}\n${USAGE}\n`);
    return 2;
  }
  try {
    const r = run(rest);
    return typeof r === "number" ? r : r.catch(crashed);
  } catch (e) {
    return crashed(e);
  }
}

/** Errors from reading an input path, in words. */
const FS_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "is a directory, not a file",
  EACCES: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "path too long",
};

/** What escapes a command: an unreadable input in words, anything else as a tsbpf bug. */
function crashed(e: unknown): number {
  const err = e as NodeJS.ErrnoException;
  const fsError = FS_ERRORS[err.code ?? ""];
  if (fsError) {
    process.stderr.write(`error: cannot read ${err.path}: ${fsError}\n`);
    return 1;
  }
  process.stderr.write(`internal error: ${err.message}\nthis is a bug in tsbpf; please report it\n`);
  if (process.env.TSBPF_DEBUG) process.stderr.write(`${err.stack}\n`);
  return 3;
}

/** ", did you mean 'build'?" for a near miss (edit distance <= 2), else "". */
function suggest(cmd: string): string {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    return d[a.length][b.length];
  };
  const near = Object.keys(COMMANDS).find((c) => dist(cmd, c) <= 2);
  return near ? `; did you mean '${near}'?` : "";
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: string };
    if (pkg.version) return pkg.version;
  } catch {
    /* the source layout: one level less */
  }
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

/** Reads an input file; errors name the path (EISDIR carries none by itself). */
function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    (e as NodeJS.ErrnoException).path ??= path;
    throw e;
  }
}

/** Every name --dump-ir accepts. */
function dumpStages(): string[] {
  return ["input", "lower", ...new Set(defaultPasses.map((p) => p.name)), "all"];
}

function build(argv: string[]): number | Promise<number> {
  const taken = takeOutputFlags(argv);
  if ("error" in taken) {
    process.stderr.write(`error: ${taken.error}\n`);
    return 2;
  }
  const { opts: out_, rest: args } = taken;
  let input: string | undefined;
  let output: string | undefined;
  let dump: Set<string> | undefined;
  let cpu: "v3" | "v4" = "v3";
  let verify = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--verify") verify = true;
    else if (a === "-o") {
      output = args[++i];
      if (output === undefined || output === "") {
        process.stderr.write("error: -o needs a file name\n");
        return 2;
      }
    } else if (a.startsWith("--dump-ir=")) {
      dump = new Set(a.slice("--dump-ir=".length).split(","));
      const known = dumpStages();
      const bad = [...dump].filter((x) => !known.includes(x));
      if (bad.length) {
        process.stderr.write(`error: unknown --dump-ir stage ${bad.map((b) => `'${b}'`).join(", ")}; stages: ${known.join(", ")}\n`);
        return 2;
      }
    } else if (a === "--cpu=v3" || a === "--cpu=v4") cpu = a === "--cpu=v4" ? "v4" : "v3";
    else if (a.startsWith("--cpu=") || a === "--cpu") {
      process.stderr.write(`error: unknown cpu '${a.slice("--cpu=".length)}', use v3 or v4\n`);
      return 2;
    } else if (a.startsWith("-")) {
      process.stderr.write(`error: unknown option ${a}\n${USAGE}\n`);
      return 2;
    } else input = a;
  }
  if (!input) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  const text = readInput(input).toString("utf8");
  const result = compile(input, text, { dumpIr: dump, cpu });
  const file = input;
  const out = output ?? input.replace(/(\.bpf)?\.ts$/, "") + ".bpf.o";
  // Only the runtime (koffi, libbpf) verifies: loaded on demand, as `run` and `load` load it.
  if (verify && result.ok && result.object)
    return import("./verify-object.js").then(
      (m) => finishBuild(file, text, out, result, out_, m.verifyObject(file, text, result.object!)),
      (e: Error) => finishBuild(file, text, out, result, out_, { ok: false, unavailable: `tsbpf's runtime did not load (${e.message})` }),
    );
  return finishBuild(file, text, out, result, out_);
}

/** Prints the diagnostics (the compiler's and --verify's) and writes the object when there is no error. */
function finishBuild(input: string, text: string, out: string, result: CompileResult, out_: OutputOptions, verdict?: Verification): number {
  const diagnostics = [...result.diagnostics, ...(verdict && !verdict.ok && "diagnostics" in verdict ? verdict.diagnostics : [])];
  const source = sourceCache({ [input]: text });
  (out_.format === "json" ? printJson : printText)(asTyped(diagnostics, [input]), source, out_);
  if (verdict && !verdict.ok && "unavailable" in verdict) {
    process.stderr.write(verifyUnavailable(verdict.unavailable));
    return 1;
  }
  if (!result.ok || !result.object || errorCount(diagnostics) > 0) {
    const n = errorCount(diagnostics);
    if (out_.format === "text" && !out_.quiet) process.stderr.write(`${n} error${n === 1 ? "" : "s"}; no object written\n`);
    return 1;
  }
  try {
    writeFileSync(out, result.object);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such directory" : (FS_ERRORS[err.code ?? ""] ?? err.message);
    process.stderr.write(`error: cannot write ${out}: ${why}\n`);
    return 1;
  }
  const verified = new Map(verdict?.ok ? verdict.programs.map((v) => [v.name, v]) : []);
  for (const p of out_.format === "text" && !out_.quiet ? result.programs : []) {
    const v = verified.get(p.name);
    const kernel = v ? `; ${kernelVerdict(v)}` : "";
    process.stdout.write(`${basename(out)}: ${p.section} ${p.name}: ${p.insnCount} instructions, ${p.stackSize} bytes of stack${kernel}\n`);
  }
  return 0;
}

function disasm(args: string[], disassembleObject: (bytes: Uint8Array) => string): number {
  if (args.length !== 1) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  const bytes = readInput(args[0]);
  try {
    process.stdout.write(disassembleObject(new Uint8Array(bytes)));
  } catch (e) {
    process.stderr.write(`error: ${args[0]}: ${(e as Error).message}\n`);
    return 1;
  }
  return 0;
}
