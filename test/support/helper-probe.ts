// Asks the running kernel whether a program type may call a helper: loads `r1..r5 = 0; call id;
// r0 = 0; exit` and reads the verifier's answer. Rejections name the helper ("unknown func",
// "program of this type cannot use helper"); any other verifier complaint (argument types) means
// the type may call it. libbpf_probe_bpf_helper does the same but misreads this kernel's messages.

import koffi from "koffi";

interface ProbeApi {
  load(type: number, name: string, license: string, insns: Uint8Array, cnt: number, opts: Uint8Array): number;
  close(fd: number): number;
}
let api: ProbeApi | null = null;
function probeApi(): ProbeApi {
  if (api) return api;
  const lib = koffi.load("libbpf.so.1");
  const libc = koffi.load("libc.so.6");
  api = {
    load: lib.func("int bpf_prog_load(int type, const char *name, const char *license, const void *insns, size_t cnt, void *opts)"),
    close: libc.func("int close(int fd)"),
  };
  return api;
}

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = code;
  b[1] = (src << 4) | dst;
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

export type ProbeAnswer = "allowed" | "denied" | "unknown";

/** Whether program type `progType` (with `attachType`) may call helper `id` on this kernel. */
export function probeHelper(progType: number, id: number, attachType = 0): { answer: ProbeAnswer; log: string } {
  const MOV64_IMM = 0xb7,
    CALL = 0x85,
    EXIT = 0x95;
  const code = Buffer.concat([
    ...[1, 2, 3, 4, 5].map((r) => insn(MOV64_IMM, r, 0, 0, 0)),
    insn(CALL, 0, 0, 0, id),
    insn(MOV64_IMM, 0, 0, 0, 0),
    insn(EXIT, 0, 0, 0, 0),
  ]);
  const log = Buffer.alloc(64 * 1024);
  const opts = Buffer.alloc(104);
  opts.writeBigUInt64LE(104n, 0);
  opts.writeUInt32LE(attachType, 12);
  opts.writeUInt32LE(1, 88); // log_level
  opts.writeUInt32LE(log.length, 92);
  opts.writeBigUInt64LE(BigInt(koffi.address(log)), 96);
  const a = probeApi();
  const fd = a.load(progType, "probe", "GPL", code, code.length / 8, opts);
  void log;
  const text = log.toString("utf8", 0, Math.max(0, log.indexOf(0)));
  if (fd >= 0) {
    a.close(fd);
    return { answer: "allowed", log: text };
  }
  if (/unknown func|invalid func|cannot use helper|helper call is not allowed in probe/.test(text)) return { answer: "denied", log: text };
  if (text.length === 0) return { answer: "unknown", log: `load failed with ${fd} and no verifier log` };
  return { answer: "allowed", log: text };
}
