// The `tsbpf` command: build a .bpf.ts file into an eBPF object, or disassemble an object.

import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { compile } from "../compile.js";
import { disassembleObject } from "../elf/disasm-object.js";
import { runCommand } from "./run-command.js";
import { inspectCommand } from "./inspect.js";
import { genCommand } from "./skeleton.js";
import { checkCommand, CHECK_USAGE } from "./check.js";
import { initCommand, INIT_USAGE } from "./init.js";
import { asTyped, errorCount, printJson, printText, sourceCache, takeOutputFlags } from "./diag-output.js";

const USAGE = `usage:
  tsbpf build <file.bpf.ts> [-o out.o] [--cpu=v3|v4] [--dump-ir=<stage>[,<stage>...]] [--format=text|json] [--quiet]
${CHECK_USAGE}
  tsbpf disasm <file.o>
  tsbpf run <file.bpf.ts|file.o> [--attach [PROG=]SPEC]... [--interval ms] [--duration s] [--raw]
  tsbpf inspect <file.o>
  tsbpf gen <file.bpf.ts> [-o out.skel.ts] [--object <file.bpf.o>] [--runtime <module>]
${INIT_USAGE}

stages for --dump-ir: lower, each optimisation pass by name, or all`;

export function main(argv: string[]): number | Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "build":
        return build(rest);
      case "disasm":
        return disasm(rest);
      case "run":
        return runCommand(rest);
      case "inspect":
        return inspectCommand(rest);
      case "gen":
        return genCommand(rest);
      case "check":
        return checkCommand(rest);
      case "init":
        return initCommand(rest);
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
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") {
      process.stderr.write(`error: cannot read ${err.path}: no such file\n`);
      return 1;
    }
    process.stderr.write(`internal error: ${err.message}\nthis is a bug in tsbpf; please report it\n`);
    if (process.env.TSBPF_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 3;
  }
}

function build(argv: string[]): number {
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
  const source = sourceCache({ [input]: text });
  (out_.format === "json" ? printJson : printText)(asTyped(result.diagnostics, [input]), source, out_);
  if (!result.ok || !result.object) {
    const n = errorCount(result.diagnostics);
    if (out_.format === "text" && !out_.quiet) process.stderr.write(`${n} error${n === 1 ? "" : "s"}; no object written\n`);
    return 1;
  }
  const out = output ?? input.replace(/(\.bpf)?\.ts$/, "") + ".bpf.o";
  writeFileSync(out, result.object);
  for (const p of out_.format === "text" && !out_.quiet ? result.programs : []) {
    process.stdout.write(`${basename(out)}: ${p.section} ${p.name}: ${p.insnCount} instructions, ${p.stackSize} bytes of stack\n`);
  }
  return 0;
}

function disasm(args: string[]): number {
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
