// The runtime and the CLI on hostile objects (truncated or corrupt ELF, another machine, corrupt BTF,
// huge section sizes, directories, missing paths): a typed error naming the problem, never a crash
// or a hang. Use after close gives a clear error, and loading/closing objects, links, ring buffers
// and perf buffers many times leaks no file descriptors.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { it } from "vitest";
import { compile } from "../compiler/compile.js";
import { attachTracepoint } from "../runtime/attach.js";
import { BpfObjectError, loadObject } from "../runtime/object.js";
import { PerfBuffer } from "../runtime/perf-buffer.js";
import { RingBuffer } from "../runtime/ring-buffer.js";
import { describeKernel } from "./kernel-env.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "bin", "tsbpf.js");

const SRC = `import { tracepoint, xdp, XdpAction, HashMap, RingBuf, PerfEventArray, type i32, type u32, type u64 } from "tsbpf/bpf";
interface Ev { n: u64 }
interface SysEnterGetpid { __pad: u64; __syscall_nr: i32 }
const counts = new HashMap<u32, u64>(16);
const events = new RingBuf<Ev>(4096);
const perf = new PerfEventArray<Ev>();
export const on_getpid = tracepoint<SysEnterGetpid>("syscalls", "sys_enter_getpid", (ctx) => {
  const e: Ev = { n: 1 };
  events.output(e);
  perf.output(ctx, e);
  return 0;
});
export const pass = xdp(() => XdpAction.PASS);
export const LICENSE = "GPL";
`;

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Section headers of an object: [offset of the header, name]. */
function sections(b: Uint8Array): { hdr: number; name: string }[] {
  const shoff = Number(dv(b).getBigUint64(40, true));
  const shnum = dv(b).getUint16(60, true);
  const strOff = Number(dv(b).getBigUint64(shoff + dv(b).getUint16(62, true) * 64 + 24, true));
  return Array.from({ length: shnum }, (_, i) => {
    let name = "";
    for (let k = strOff + dv(b).getUint32(shoff + i * 64, true); b[k]; k++) name += String.fromCharCode(b[k]);
    return { hdr: shoff + i * 64, name };
  });
}

function hostileObjects(good: Uint8Array): Record<string, [Uint8Array, RegExp]> {
  const wrongMachine = good.slice();
  dv(wrongMachine).setUint16(18, 62, true);
  const huge = good.slice();
  for (const s of sections(huge).slice(1)) dv(huge).setBigUint64(s.hdr + 32, 0xffffffffffn, true);
  const badBtf = good.slice();
  const btf = sections(badBtf).find((s) => s.name === ".BTF")!;
  const off = Number(dv(badBtf).getBigUint64(btf.hdr + 24, true));
  const size = Number(dv(badBtf).getBigUint64(btf.hdr + 32, true));
  for (let k = off + 24; k < off + size; k += 3) badBtf[k] ^= 0x5a;
  return {
    empty: [new Uint8Array(0), /only 0 bytes/],
    "truncated to 64 bytes": [good.slice(0, 64), /out of bounds/],
    "truncated to half": [good.slice(0, good.length >> 1), /out of bounds/],
    "another machine": [wrongMachine, /not an eBPF object \(ELF machine 62, expected 247\)/],
    "huge section sizes": [huge, /out of bounds/],
    "corrupt BTF": [badBtf, /invalid BTF/],
    "an x86 executable": [new Uint8Array(fs.readFileSync(process.execPath).subarray(0, 100_000)), /ELF|out of bounds/],
    "random bytes": [new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) & 0xff)), /bad magic/],
  };
}

let tmp: string;
let good: Uint8Array;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsbpf-robust-rt-${process.pid}-`));
  const r = compile("robust-rt.bpf.ts", SRC);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  good = r.object!;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("hostile objects", () => {
  it("loadObject: BpfObjectError naming the problem (bytes and paths), a directory and a missing path", () => {
    for (const [what, [bytes, why]] of Object.entries(hostileObjects(good))) {
      for (const src of [bytes, path.join(tmp, `${what.replace(/\W+/g, "-")}.o`)]) {
        if (typeof src === "string") fs.writeFileSync(src, bytes);
        let err: unknown;
        try {
          loadObject(src).close();
        } catch (e) {
          err = e;
        }
        expect(err, what).toBeInstanceOf(BpfObjectError);
        expect((err as Error).message, what).toMatch(why);
      }
    }
    expect(() => loadObject(tmp)).toThrow(/is a directory/);
    expect(() => loadObject(path.join(tmp, "missing.o"))).toThrow(BpfObjectError);
    expect(() => loadObject(path.join(tmp, "missing.o"))).toThrow(/no such file/);
  });

  it("inspect, disasm and run: exit 1 with 'error:', never an internal error or a hang", () => {
    const files = Object.entries(hostileObjects(good)).map(([what, [bytes]]) => {
      const f = path.join(tmp, `cli-${what.replace(/\W+/g, "-")}.o`);
      fs.writeFileSync(f, bytes);
      return f;
    });
    for (const f of [...files, tmp, path.join(tmp, "missing.o")]) {
      for (const cmd of ["inspect", "disasm", "run"]) {
        const r = spawnSync(process.execPath, [BIN, cmd, f, ...(cmd === "run" ? ["--duration", "1"] : [])], {
          encoding: "utf8",
          timeout: 30_000,
        });
        expect(r.signal, `${cmd} ${f}`).toBeNull();
        // disasm needs no BTF: an object whose BTF alone is corrupt still disassembles.
        if (cmd === "disasm" && f.includes("corrupt-BTF")) {
          expect(r.status).toBe(0);
          continue;
        }
        expect(r.status, `${cmd} ${f}: ${r.stderr}`).toBe(1);
        expect(r.stderr, `${cmd} ${f}`).toMatch(/^error: /);
        expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
      }
    }
  }, 300_000);
});

/** Open file descriptors of this process. */
const fds = (): number => fs.readdirSync("/proc/self/fd").length;

describeKernel("use after close and fd hygiene", () => {
  it("maps, programs, links and readers give a clear error after close", () => {
    const obj = loadObject(good);
    const map = obj.maps.get("counts")!;
    const prog = obj.programs.get("pass")!;
    const link = attachTracepoint(obj.programs.get("on_getpid")!, "syscalls", "sys_enter_getpid");
    const rb = new RingBuffer(obj.maps.get("events")!);
    link.close();
    expect(link.closed).toBe(true);
    link.close(); // twice is fine
    rb.close();
    expect(() => rb.poll()).toThrow(/closed/);
    obj.close();
    obj.close();
    expect(() => map.lookup(new Uint8Array(4))).toThrow(/closed BPF object/);
    expect(() => map.update(new Uint8Array(4), new Uint8Array(8))).toThrow(/closed BPF object/);
    expect(() => prog.fd).toThrow(/closed BPF object/);
    expect(() => prog.run({ data: new Uint8Array(64) })).toThrow(/closed BPF object/);
    expect(() => link.fd).toThrow(/closed/);
    expect(() => obj.typed).toThrow(/closed/);
  });

  it("200 rounds of load, attach, ring buffer, perf buffer and close leak no fds", () => {
    const round = () => {
      const obj = loadObject(good);
      const link = attachTracepoint(obj.programs.get("on_getpid")!, "syscalls", "sys_enter_getpid");
      const rb = new RingBuffer(obj.maps.get("events")!);
      const pb = new PerfBuffer(obj.maps.get("perf")!, { pageCount: 1 });
      pb.close();
      rb.close();
      link.close();
      obj.close();
    };
    for (let i = 0; i < 5; i++) round(); // warm up lazily opened fds (libbpf, epoll)
    const before = fds();
    for (let i = 0; i < 200; i++) round();
    expect(fds()).toBe(before);
  }, 300_000);
});
