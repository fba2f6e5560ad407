// `tsbpf image <file.bpf.ts|file.o> -o DIR`: package the object as an OCI image layout that
// bpfman deploys (compiler/tools/oci-image.ts), compiling a .bpf.ts first.

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { writeBytecodeImage } from "./oci-image.js";
import { objectFor, type CliIo } from "./load-command.js";

const defaultIo: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

export const IMAGE_USAGE = `usage:
  tsbpf image <file.bpf.ts|file.o> -o DIR [--tag TAG] [--arch ARCH]

Writes an OCI image layout (bpfman's eBPF bytecode image: one tar+gzip layer holding the object,
labels io.ebpf.programs and io.ebpf.maps) into DIR, which must be new or empty. Push it with
\`skopeo copy oci:DIR docker://REGISTRY/NAME:TAG\`.`;

export function imageCommand(args: string[], io: CliIo = defaultIo): number {
  let input: string | undefined;
  let out: string | undefined;
  let tag: string | undefined;
  let arch: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => args[++i];
    if (a === "-o") out = value();
    else if (a === "--tag") tag = value();
    else if (a === "--arch") arch = value();
    else if (a.startsWith("-") || input !== undefined) {
      io.stderr(`error: unexpected argument ${a}\n${IMAGE_USAGE}\n`);
      return 2;
    } else input = a;
  }
  if (!input || !out || tag === "" || arch === "") {
    io.stderr(`${IMAGE_USAGE}\n`);
    return 2;
  }
  try {
    const src = objectFor(input, io.stderr);
    if (src === null) return 1;
    const bytes = typeof src === "string" ? new Uint8Array(readFileSync(src)) : src;
    const fileName = basename(input).replace(/(\.bpf)?\.(ts|o)$/, "") + ".bpf.o";
    const r = writeBytecodeImage(out, bytes, { fileName, tag, architecture: arch });
    io.stdout(`wrote OCI image layout ${out} (${tag ?? "latest"}): ${fileName} in layer ${r.layerDigest}\n`);
    io.stdout(`  io.ebpf.programs=${r.labels["io.ebpf.programs"]}\n  io.ebpf.maps=${r.labels["io.ebpf.maps"]}\n`);
    io.stdout(`  manifest ${r.manifestDigest}\n`);
    return 0;
  } catch (e) {
    const x = e as NodeJS.ErrnoException;
    io.stderr(x.code === "ENOENT" && x.path ? `error: cannot read ${x.path}: no such file\n` : `error: ${x.message}\n`);
    return 1;
  }
}
