// Language features beyond the fixtures' arithmetic: loops of every kind, switch, labels, arrays,
// tracing program kinds. Each program is compiled, verified by the kernel and, where it can run under
// BPF_PROG_TEST_RUN, executed with results compared to the same logic written in plain TypeScript.

import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { disassembleObject } from "../compiler/elf/disasm-object.js";
import koffi from "koffi";
import {
  attachKprobe,
  attachRawTracepoint,
  attachTracepoint,
  attachTracing,
  attachUprobe,
  loadObject,
  readU32,
  readU64,
  RingBuffer,
  u32le,
} from "../runtime/index.js";
import { ctypeCodec } from "../runtime/codec.js";
import { describeModule } from "../compiler/tools/module-info.js";
import { describeKernel } from "./kernel-env.js";
import { checksum, ipv4Packet, tcpChecksum, tcpPacket } from "../testing/packets.js";

const dir = join(import.meta.dirname, "lang");

function build(name: string): Uint8Array {
  const file = join(dir, name);
  const r = compile(file, readFileSync(file, "utf8"), { checkIr: true });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return r.object!;
}

/** The control-flow program's results for input bytes a, b, c, d, computed the ordinary way. */
function controlFlowExpected(a: number, b: number, c: number, d: number): bigint[] {
  let sum = 0;
  for (let i = 0; i < (a & 31); i++) sum += i;
  let s = 0;
  if (b === 1) s = 11;
  else if (b === 2) s = 10;
  else if (b === 3) s = 300;
  else s = 999;
  const found = c < 16 ? Math.floor(c / 4) * 100 + (c % 4) : 0;
  const table = [0, 1, 7, 9, 16, 25, 36, 49];
  const skipped = a & 7;
  const w = 55 - skipped;
  const lab = b === 1 ? 1 : b === 2 ? 2 : 0;
  return [sum, 1, s, found, d < 8 ? table[d] : 0, w * 10 + lab].map(BigInt);
}

describeKernel("language features in the kernel", () => {
  it("loops, switch, labels and arrays compute what TypeScript computes", () => {
    using obj = loadObject(build("control-flow.bpf.ts"));
    const prog = obj.programs.get("control_flow")!;
    const results = obj.maps.get("results")!;
    const inputs = [
      [0, 0, 0, 0],
      [5, 1, 5, 2],
      [31, 2, 15, 7],
      [40, 3, 16, 8],
      [7, 200, 3, 255],
      [1, 1, 12, 3],
    ];
    for (const [a, b, c, d] of inputs) {
      const pkt = new Uint8Array(64);
      pkt.set([a, b, c, d]);
      expect(prog.run({ data: pkt }).retval).toBe(2);
      const got = [0, 1, 2, 3, 4, 5].map((k) => readU64(results.lookup(u32le(k))!));
      expect(got, `inputs ${[a, b, c, d]}`).toEqual(controlFlowExpected(a, b, c, d));
    }
  });

  it("rewrites packets with a variable header length and keeps checksums valid", () => {
    using obj = loadObject(build("packet-rewrite.bpf.ts"));
    const prog = obj.programs.get("packet_rewrite")!;
    for (const ipOptions of [0, 1, 3]) {
      for (const dport of [80, 443]) {
        const pkt = tcpPacket({ sport: 40000, dport, ttl: 9, ipOptions });
        const r = prog.run({ data: pkt });
        expect(r.retval).toBe(3); // XDP_TX
        const out = r.data;
        const ihl = out[14] & 0x0f;
        expect(ihl).toBe(5 + ipOptions);
        expect(out[22]).toBe(8); // TTL decremented
        expect(checksum(out.subarray(14, 14 + ihl * 4))).toBe(0); // IP checksum still valid
        const t = 14 + ihl * 4;
        expect((out[t + 2] << 8) | out[t + 3]).toBe(dport === 80 ? 8080 : dport);
        expect(tcpChecksum(out)).toBe(0); // TCP checksum still valid
      }
    }
    // TTL 1 is dropped; a header length below 5 words is dropped.
    expect(prog.run({ data: tcpPacket({ sport: 1, dport: 2, ttl: 1 }) }).retval).toBe(1);
    const bad = tcpPacket({ sport: 1, dport: 2 });
    bad[14] = 0x44;
    expect(prog.run({ data: bad }).retval).toBe(1);
    const ports = obj.maps.get("ports")!;
    const count = (port: number) => readU64(ports.lookup(new Uint8Array([port & 0xff, port >> 8]))!);
    expect(count(80)).toBe(3n);
    expect(count(443)).toBe(3n);
  });

  it("module-level functions are inlined with their semantics", () => {
    using obj = loadObject(build("functions.bpf.ts"));
    const prog = obj.programs.get("functions")!;
    const results = obj.maps.get("results")!;
    const gcd = (a: number, b: number): number => {
      for (let i = 0; i < 64; i++) {
        if (b === 0) return a;
        [a, b] = [b, a % b];
      }
      return a;
    };
    for (const [a, b, c, d] of [
      [12, 18, -50, 9],
      [7, 0, 3, 0],
      [100, 75, 11, 255],
      [0xfffffff0, 3, -10, 4],
    ]) {
      const pkt = new Uint8Array(32);
      const v = new DataView(pkt.buffer);
      v.setUint32(0, a, true);
      v.setUint32(4, b, true);
      v.setInt32(8, c, true);
      pkt[12] = d;
      expect(prog.run({ data: pkt }).retval).toBe(2);
      const w = (a * 3 + b) >>> 0;
      const pair = BigInt(Math.min(a, b)) * 1000n + BigInt(Math.max(a, b));
      const expected = [BigInt.asUintN(64, BigInt(Math.max(-10, Math.min(10, c)))), BigInt(gcd(a, b)), BigInt(w), BigInt(gcd(w, d)), pair];
      expect(
        [0, 1, 2, 3, 4].map((k) => readU64(results.lookup(u32le(k))!)),
        `inputs ${[a, b, c, d]}`,
      ).toEqual(expected);
    }
  });

  it("globals live in .rodata/.data/.bss and atomics update map values and globals", () => {
    using obj = loadObject(build("globals-atomics.bpf.ts"));
    const prog = obj.programs.get("globals_atomics")!;
    const section = (suffix: string) => [...obj.maps.values()].find((m) => m.name.endsWith(suffix))!;
    const small = new Uint8Array(60);
    const big = new Uint8Array(200);
    expect(prog.run({ data: small, repeat: 3 }).retval).toBe(2); // 60 <= LIMIT: pass
    expect(prog.run({ data: big }).retval).toBe(1); // 200 > LIMIT: drop

    const bss = section(".bss").lookup(u32le(0))!;
    expect(readU64(bss, 0)).toBe(4n); // packets
    expect(readU64(bss, 8)).toBe(3n * 60n + 200n); // total_bytes
    let seed = 7;
    for (let i = 0; i < 4; i++) seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    expect(readU32(section(".data").lookup(u32le(0))!, 0)).toBe(seed);
    expect(readU32(section(".rodata").lookup(u32le(0))!, 0)).toBe(100);

    const st = obj.maps.get("stats")!.lookup(u32le(0))!;
    expect(readU64(st, 0)).toBe(8n); // hits: 2 per run
    expect(readU32(st, 8)).toBe(200); // last
    expect(readU32(st, 12)).toBe(5); // flags: 4, then cmpxchg 4 -> 5 (later runs: 5|4 = 5, no swap)
    expect(readU32(st, 16)).toBe(60); // prev: last before the final run
    expect(readU32(st, 20)).toBe(5); // swapped: flags seen by the final cmpxchg
  });

  it("@noinline functions are BPF-to-BPF calls with the same semantics", () => {
    const bytes = build("calls.bpf.ts");
    expect(disassembleObject(bytes)).toMatch(/R_BPF_64_32\s+mix/);
    using obj = loadObject(bytes);
    const prog = obj.programs.get("calls")!;
    const results = obj.maps.get("results")!;
    for (const len of [20, 64, 1500]) {
      const pkt = new Uint8Array(len);
      pkt[12] = 0x08; // EtherType 0x0800, read as a little-endian u16
      expect(prog.run({ data: pkt }).retval).toBe(2);
      const got = [0, 1, 2].map((k) => readU64(results.lookup(u32le(k))!));
      expect(got).toEqual([BigInt(len * 3 + (len + 1) * 5 + 14 + 33 + 1000), BigInt(len * len + (len + 1) * (len + 1)), 8n]);
    }
    const acc = obj.maps.get("accs")!.lookup(u32le(0))!;
    expect(readU64(acc, 0)).toBe(20n + 64n + 1500n);
    expect(readU32(acc, 8)).toBe(3);
    expect(acc[12] | (acc[13] << 8)).toBe(7);
  });

  it("object literals passed to struct parameters are new stack structs (inlined and @noinline)", () => {
    using obj = loadObject(build("object-args.bpf.ts"));
    const prog = obj.programs.get("object_args")!;
    const results = obj.maps.get("results")!;
    for (const len of [14, 100]) {
      expect(prog.run({ data: new Uint8Array(len) }).retval).toBe(2);
      const got = [0, 1, 2].map((k) => readU64(results.lookup(u32le(k))!));
      expect(got).toEqual([BigInt(len + 3 + 1), BigInt(2 + len), BigInt(3 + len)]);
    }
  });

  it("loop() runs a callback through bpf_loop with shared state and early stop", () => {
    using obj = loadObject(build("bpf-loop.bpf.ts"));
    const prog = obj.programs.get("bpf_loop")!;
    const results = obj.maps.get("results")!;
    for (const len of [14, 100, 1000]) {
      expect(prog.run({ data: new Uint8Array(len) }).retval).toBe(2);
      const [sum, steps, n] = [0, 1, 2].map((k) => readU64(results.lookup(u32le(k))!));
      expect(sum).toBe(BigInt((len * (len - 1)) / 2));
      expect(steps).toBe(BigInt(len));
      expect(n).toBe(BigInt(len + 1)); // the stopping call counts as an iteration
    }
  });

  it("a TC classifier reads the packet, drops by port and writes skb->mark", () => {
    using obj = loadObject(build("tc-mark.bpf.ts"));
    const prog = obj.programs.get("tc_mark")!;
    const udp = (dport: number) => {
      const p = ipv4Packet(17, 60);
      new DataView(p.buffer).setUint16(36, dport);
      return p;
    };
    const ctx = new Uint8Array(192); // struct __sk_buff
    const r = prog.run({ data: udp(4789), ctx });
    expect(r.retval).toBe(0); // TC_ACT_OK
    expect(readU32(r.ctx!, 8)).toBe(4789 + 60); // mark = port + skb->len
    expect(prog.run({ data: udp(9), ctx }).retval).toBe(2); // TC_ACT_SHOT
    expect(prog.run({ data: ipv4Packet(6, 60), ctx }).retval).toBe(0);
  });

  it("a tracepoint program counts openat calls and reports typed ring-buffer events", async () => {
    const file = join(dir, "tracing.bpf.ts");
    const text = readFileSync(file, "utf8");
    using obj = loadObject(build("tracing.bpf.ts"));
    const eventType = describeModule(file, text).maps.find((m) => m.name === "events")!.value;
    const codec = ctypeCodec<{ pid: number; flags: number; ts: bigint; comm: Uint8Array; path: Uint8Array }>(eventType);
    using link = attachTracepoint(obj.programs.get("on_openat")!, "syscalls", "sys_enter_openat");
    const events = new RingBuffer(obj.maps.get("events")!, { decode: (b) => codec.decode(b) });
    const target = join(tmpdir(), `tsbpf-open-${process.pid}.txt`);
    writeFileSync(target, "x");
    for (let i = 0; i < 3; i++) closeSync(openSync(target, "r"));
    const cstr = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));
    const mine = [];
    for (const ev of events.drain()) if (ev.pid === process.pid && cstr(ev.path) === target) mine.push(ev);
    events.close();
    rmSync(target, { force: true });
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine[0].ts).toBeGreaterThan(0n);
    expect(cstr(mine[0].comm).length).toBeGreaterThan(0);
    const opens = readU64(obj.maps.get("opens")!.lookup(u32le(process.pid))!);
    expect(opens).toBeGreaterThanOrEqual(3n);
    void link;
  });

  it("copies structs, folds enums, constant objects, sizeof and offsetof", () => {
    using obj = loadObject(build("structs-consts.bpf.ts"));
    expect(obj.programs.get("structs_consts")!.run({ data: new Uint8Array(77) }).retval).toBe(2);
    const results = obj.maps.get("results")!;
    expect(readU64(results.lookup(u32le(0))!)).toBe(77n); // b kept the copied x
    // struct Shape { u8 tag; Point origin (4); u16 size (12); Point corner (16) } = 24 bytes
    expect(readU64(results.lookup(u32le(1))!)).toBe(16n * 1000n + 24n);
    expect(readU64(results.lookup(u32le(2))!)).toBe(443n - 80n);
    const s = obj.maps.get("shapes")!.lookup(u32le(0))!;
    expect(s[0]).toBe(5); // Color.Blue | Color.Red
    expect([readU32(s, 4), readU32(s, 8), readU32(s, 16), readU32(s, 20)]).toEqual([77, 7, 77, 99]);
  });

  it("arrays of structs at run-time indexes: fields read and written, nested, compound; past the end reads 0 and writes nothing", () => {
    using obj = loadObject(build("struct-arrays.bpf.ts"));
    const prog = obj.programs.get("struct_arrays")!;
    const table = obj.maps.get("table")!;
    const results = obj.maps.get("results")!;
    const pkt = (i: number, j: number, key: number) => new Uint8Array([i, j, key & 0xff, key >> 8, ...new Array(60).fill(0)]);
    // struct Slot { u32 key; u64 hits (8); struct Point at (16): { u16 x; u32 y (4) } } = 24 bytes
    const slot = (n: number) => {
      const v = table.lookup(u32le(0))!;
      return { key: readU32(v, n * 24), hits: readU64(v.subarray(n * 24 + 8)), x: v[n * 24 + 16]! | (v[n * 24 + 17]! << 8) };
    };
    const result = (k: number) => readU64(results.lookup(u32le(k))!);
    expect(prog.run({ data: pkt(2, 2, 0x1234) }).retval).toBe(2);
    expect(slot(2)).toEqual({ key: 0x1234, hits: 1n, x: 2 });
    expect([result(0), result(1)]).toEqual([0x1234n, 77n]);
    prog.run({ data: pkt(2, 1, 0x1234) });
    expect(slot(2)).toEqual({ key: 0x1234, hits: 2n, x: 1 });
    expect([result(0), result(1)]).toEqual([0n, 7n]);
    // Past the end: nothing written (the table is as before), reads give 0.
    const before = table.lookup(u32le(0))!;
    prog.run({ data: pkt(9, 200, 0x5555) });
    expect(table.lookup(u32le(0))).toEqual(before);
    expect([result(0), result(1)]).toEqual([0n, 0n]);
  });

  it("raw_tp, tp_btf and uprobe programs attach and count this process's getpid calls", () => {
    using obj = loadObject(build("tracing-kinds.bpf.ts"), { rodata: { TARGET_TGID: process.pid } });
    const libc = koffi.load("libc.so.6");
    const getpid = libc.func("int getpid()");
    const hits = obj.maps.get("hits")!;
    const count = (slot: number) => readU64(hits.lookup(u32le(slot))!);
    {
      using _raw = attachRawTracepoint(obj.programs.get("raw_sys_enter")!, "sys_enter");
      using _btf = attachTracing(obj.programs.get("btf_sys_enter")!);
      using _up = attachUprobe(obj.programs.get("libc_getpid")!, "/lib/x86_64-linux-gnu/libc.so.6", "getpid");
      for (let i = 0; i < 5; i++) getpid();
    }
    // Other threads of this process may call getpid too: at least our five calls were seen.
    expect(count(0)).toBeGreaterThanOrEqual(5n);
    expect(count(1)).toBeGreaterThanOrEqual(5n);
    expect(count(2)).toBeGreaterThanOrEqual(5n);
    const settled = [count(0), count(1), count(2)];
    getpid(); // detached: nothing counts any more
    expect([count(0), count(1), count(2)]).toEqual(settled);
  });

  it("fentry/fexit/LSM programs compile to their sections; this kernel refuses to load them", () => {
    const bytes = build("trampolines.bpf.ts");
    const listing = disassembleObject(bytes);
    for (const section of ["fentry/do_unlinkat", "fexit/do_unlinkat", "lsm/file_open"]) expect(listing).toContain(section);
    let error: unknown;
    try {
      loadObject(bytes).close();
    } catch (e) {
      error = e;
    }
    // Kernels with BPF trampolines load them; this one answers EPERM (see docs/runtime.md).
    if (error) expect(String((error as Error).message)).toMatch(/EPERM|operation not permitted/i);
  });

  it("a kprobe program loads; attaching fails on kernels without CONFIG_KPROBES", () => {
    using obj = loadObject(build("tracing.bpf.ts"));
    const prog = obj.programs.get("on_getpid_kprobe")!;
    let error: unknown;
    try {
      attachKprobe(prog, "__x64_sys_getpid").close();
    } catch (e) {
      error = e;
    }
    if (error) expect((error as Error).name).toBe("AttachError");
  });

  it("tracing programs pass the verifier", () => {
    using obj = loadObject(build("tracing.bpf.ts"));
    for (const name of ["on_openat", "on_exec_raw", "on_getpid_kprobe"]) {
      expect(obj.programs.get(name)?.fd, name).toBeGreaterThan(0);
    }
  });
});
