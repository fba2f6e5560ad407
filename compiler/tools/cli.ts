// The `tsbpf` command: build a .bpf.ts file into an eBPF object, or disassemble an object.

import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { compile } from "../compile.js";
import { formatDiagnostic } from "../format-diagnostic.js";

const USAGE = `usage:
  tsbpf build <file.bpf.ts> [-o out.o] [--cpu=v3|v4] [--dump-ir=<stage>[,<stage>...]]
  tsbpf build --watch <file.bpf.ts> [-o out.o] [--cpu=v3|v4]
  tsbpf disasm <file.o>
  tsbpf run <file.bpf.ts|file.o> [--attach [PROG=]SPEC]... [--interval ms] [--duration s] [--raw]
  tsbpf inspect <file.o>
  tsbpf gen <file.bpf.ts> [-o out.skel.ts] [--object <file.bpf.o>] [--runtime <module>]

stages for --dump-ir: lower, each optimisation pass by name, or all`;

export function main(argv: string[]): number | Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "build":
        if (rest.includes("--watch")) return lazy(import("./watch.js").then((m) => m.watchCommand(rest)));
        return build(rest);
      case "disasm":
        return lazy(import("../elf/disasm-object.js").then((m) => disasm(rest, m.disassembleObject)));
      case "run":
        // Loaded on demand: the runtime (koffi, libbpf) and the object readers cost start-up time
        // that `build` does not need.
        return lazy(import("./run-command.js").then((m) => m.runCommand(rest)));
      case "inspect":
        return lazy(import("./inspect.js").then((m) => m.inspectCommand(rest)));
      case "gen":
        return lazy(import("./skeleton.js").then((m) => m.genCommand(rest)));
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(USAGE + "\n");
        return 0;
      default:
        process.stderr.write(USAGE + "\n");
        return 2;
    }
  } catch (e) {
    return crashed(e);
  }
}

/** A command loaded on demand: its errors are reported like those of the commands loaded eagerly. */
function lazy(run: Promise<number>): Promise<number> {
  return run.catch(crashed);
}

function crashed(e: unknown): number {
  const err = e as NodeJS.ErrnoException;
  if (err.code === "ENOENT") {
    process.stderr.write(`error: cannot read ${err.path}: no such file\n`);
    return 1;
  }
  process.stderr.write(`internal error: ${err.message}\nthis is a bug in tsbpf; please report it\n`);
  if (process.env.TSBPF_DEBUG) process.stderr.write(`${err.stack}\n`);
  return 3;
}

function build(args: string[]): number {
  let input: string | undefined;
  let output: string | undefined;
  let dump: Set<string> | undefined;
  let cpu: "v3" | "v4" = "v3";
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-o") output = args[++i];
    else if (a.startsWith("--dump-ir=")) dump = new Set(a.slice("--dump-ir=".length).split(","));
    else if (a === "--cpu=v3" || a === "--cpu=v4") cpu = a === "--cpu=v4" ? "v4" : "v3";
    else if (a.startsWith("-")) {
      process.stderr.write(`error: unknown option ${a}\n${USAGE}\n`);
      return 2;
    } else input = a;
  }
  if (!input) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  const text = readFileSync(input, "utf8");
  const result = compile(input, text, { dumpIr: dump, cpu });
  const color = process.stderr.isTTY;
  for (const d of result.diagnostics) process.stderr.write(formatDiagnostic(d, text, color) + "\n");
  if (!result.ok || !result.object) {
    const n = result.diagnostics.filter((d) => d.severity !== "warning").length;
    process.stderr.write(`${n} error${n === 1 ? "" : "s"}; no object written\n`);
    return 1;
  }
  const out = output ?? input.replace(/(\.bpf)?\.ts$/, "") + ".bpf.o";
  writeFileSync(out, result.object);
  for (const p of result.programs) {
    process.stdout.write(`${basename(out)}: ${p.section} ${p.name}: ${p.insnCount} instructions, ${p.stackSize} bytes of stack\n`);
  }
  return 0;
}

function disasm(args: string[], disassembleObject: (bytes: Uint8Array) => string): number {
  if (args.length !== 1) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  const bytes = readFileSync(args[0]);
  try {
    process.stdout.write(disassembleObject(new Uint8Array(bytes)));
  } catch (e) {
    process.stderr.write(`error: ${args[0]}: ${(e as Error).message}\n`);
    return 1;
  }
  return 0;
}
