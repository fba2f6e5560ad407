// Why: an iterator program (section iter/<target>) runs only when someone reads it: a BPF link
// attaches it to its target (BPF_LINK_CREATE with BPF_TRACE_ITER), and each BPF_ITER_CREATE on that
// link gives a fresh file whose read() runs the program over the target's objects, returning what
// it wrote with seqPrintf/seqWrite.

import { closeSync, readSync } from "node:fs";
import { BPF_ATTACH_TYPE as A, BPF_PROG_TYPE } from "../common/program-types.js";
import { bpfSyscall, errnoFrom, lastErrno, libbpf } from "./libbpf.js";
import { AttachError, Link } from "./link.js";
import type { ProgramHandle } from "./types.js";

const EINVAL = 22;
const BPF_ITER_CREATE = 33;

/**
 * Attach an iterator (section 'iter/<target>': task, tcp, ...) to its target through a BPF link.
 * Read its output with readIterator(link), as often as wanted; closing the link detaches it.
 */
export function attachIterator(prog: ProgramHandle): Link {
  const target = `iter:${prog.section.replace(/^iter(\.s)?\//, "")}`;
  if (prog.type !== BPF_PROG_TYPE.TRACING || !/^iter(\.s)?\//.test(prog.section))
    throw new AttachError(
      prog.name,
      target,
      EINVAL,
      `; only iterators (section 'iter/<target>') attach as iterators (section '${prog.section}')`,
    );
  if (prog.fd < 0) throw new Error(`program '${prog.name}' is not loaded (autoload was off), so it cannot be attached`);
  const linkFd = libbpf().bpf_link_create(prog.fd, 0, A.TRACE_ITER, null);
  if (linkFd < 0) throw new AttachError(prog.name, target, errnoFrom(linkFd));
  return Link.fromFd(prog.name, target, linkFd);
}

/** Run the iterator once over its target (BPF_ITER_CREATE, then read to the end) and return its output. */
export function readIterator(link: Link): Uint8Array {
  const attr = Buffer.alloc(8); // union bpf_attr.iter_create: link_fd, flags
  attr.writeUInt32LE(link.fd, 0);
  const fd = bpfSyscall(BPF_ITER_CREATE, attr);
  if (fd < 0) throw new AttachError(link.program, link.target, lastErrno() || EINVAL, "; BPF_ITER_CREATE failed");
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
