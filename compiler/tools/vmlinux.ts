// `tsbpf vmlinux [--btf FILE] -o <file.d.ts>`: kernel BTF to TypeScript declarations (the TS
// counterpart of `bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h`).

import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseBtf } from "../../common/btf-reader.js";
import { DtsEmitter } from "../btf-to-ts/emit-dts.js";

const USAGE = "usage: tsbpf vmlinux [--btf FILE] [--only NAME,...] [--depth N] -o <file.d.ts | dir>";
export const DEFAULT_BTF = "/sys/kernel/btf/vmlinux";

/** Reads raw BTF (as in /sys/kernel/btf/*) and returns the declaration text. */
export function vmlinuxDts(btfPath: string, only?: string[], depth?: number): string {
  const btf = parseBtf(new Uint8Array(readFileSync(btfPath)));
  return new DtsEmitter(btf).emit({ source: btfPath, only, depth });
}

export function vmlinuxCommand(args: string[]): number {
  let btfPath = DEFAULT_BTF;
  let out: string | undefined;
  let only: string[] | undefined;
  let depth: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--btf") btfPath = args[++i];
    else if (a === "-o") out = args[++i];
    else if (a === "--only") only = (only ?? []).concat(args[++i].split(",").filter(Boolean));
    else if (a === "--depth") depth = Number(args[++i]);
    else {
      process.stderr.write(`error: unexpected argument ${a}\n${USAGE}\n`);
      return 2;
    }
  }
  if (!out || !btfPath || (depth !== undefined && !(Number.isInteger(depth) && depth >= 0))) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  let text: string;
  try {
    text = vmlinuxDts(btfPath, only, depth);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`error: ${btfPath}: ${err.code === "ENOENT" ? "no such file" : err.message}\n`);
    return 1;
  }
  let isDir = false;
  try {
    isDir = statSync(out).isDirectory();
  } catch {
    /* a new file */
  }
  const file = isDir ? join(out, "vmlinux.d.ts") : out;
  writeFileSync(file, text);
  process.stdout.write(`${file}: ${text.length} bytes\n`);
  return 0;
}
