// Why: end-to-end check of the runtime against the real kernel: objects built
// by clang-19 are loaded, run through BPF_PROG_TEST_RUN, inspected through
// their maps, and rejected programs surface as VerifierError without fd leaks.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BpfObject, loadObject, possibleCpus, readU32, readU64, u32le, u64le, VerifierError } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const COUNTER_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 2); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 1); } percpu SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u32); __uint(max_entries, 16); } table SEC(".maps");

#define BUMP(map, idx) do { __u32 k_ = (idx); __u64 *v_ = bpf_map_lookup_elem(&map, &k_); if (v_) __sync_fetch_and_add(v_, 1); } while (0)

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	__u64 *p;

	BUMP(counts, 0);
	p = bpf_map_lookup_elem(&percpu, &zero);
	if (p)
		*p += 1;
	if (data + 2 > end)
		return XDP_ABORTED;
	if (data[0] == 0xff) {
		BUMP(counts, 1);
		return XDP_DROP;
	}
	data[1] = 0x42;
	return XDP_PASS;
}

SEC("socket")
int sock_len(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
`;

const BAD_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* HASH, not ARRAY: new kernels prove constant in-range ARRAY lookups non-NULL. */
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, 1); } vals SEC(".maps");

SEC("xdp")
int ok_first(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int bad_deref(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&vals, &k);
	return *v ? XDP_DROP : XDP_PASS; /* no NULL check: the verifier must refuse */
}

char LICENSE[] SEC("license") = "GPL";
`;

const CLANG = "clang-19";
const XDP_DROP = 1;
const XDP_PASS = 2;
const BPF_PROG_TYPE_SOCKET_FILTER = 1;
const BPF_PROG_TYPE_XDP = 6;

function clangAvailable(): boolean {
  try {
    execFileSync(CLANG, ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

const haveClang = clangAvailable();
/** Cases that need clang-19: skipped with a warning locally, failing under CI=true. */
function clangIt(name: string, fn: () => void): void {
  if (haveClang) it(name, fn);
  else if (process.env.CI === "true") it(name, () => expect.fail(`${CLANG} is required under CI=true`));
  else it.skip(name, fn);
}

const openFds = (): number => readdirSync("/proc/self/fd").length;
const packet = (first: number, len = 64): Uint8Array => {
  const p = new Uint8Array(len);
  for (let i = 0; i < len; i++) p[i] = i & 0xff;
  p[0] = first;
  return p;
};

describeKernel("runtime (kernel)", () => {
  let dir = "";
  let counterPath = "";
  let badPath = "";

  beforeAll(() => {
    if (!haveClang) {
      if (process.env.CI !== "true") console.warn(`skipping clang-built runtime tests: ${CLANG} not found`);
      return;
    }
    dir = mkdtempSync(join(tmpdir(), "tsbpf-runtime-"));
    const build = (name: string, src: string): string => {
      const c = join(dir, `${name}.bpf.c`);
      const o = join(dir, `${name}.bpf.o`);
      writeFileSync(c, src);
      execFileSync(CLANG, ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", c, "-o", o], {
        stdio: "pipe",
      });
      return o;
    };
    counterPath = build("counter", COUNTER_C);
    badPath = build("bad", BAD_C);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  clangIt("exposes programs and maps with their metadata", () => {
    const obj = loadObject(counterPath);
    try {
      expect([...obj.programs.keys()].sort()).toEqual(["sock_len", "xdp_count"]);
      const xdp = obj.programs.get("xdp_count")!;
      expect(xdp.section).toBe("xdp");
      expect(xdp.type).toBe(BPF_PROG_TYPE_XDP);
      expect(xdp.fd).toBeGreaterThan(0);
      expect(obj.programs.get("sock_len")!.type).toBe(BPF_PROG_TYPE_SOCKET_FILTER);
      const counts = obj.maps.get("counts")!;
      expect([counts.type, counts.keySize, counts.valueSize, counts.maxEntries]).toEqual([2, 4, 8, 2]);
      expect(obj.maps.get("percpu")!.type).toBe(6);
      expect(obj.maps.get("table")!.type).toBe(1);
    } finally {
      obj.close();
    }
  });

  clangIt("runs XDP through BPF_PROG_TEST_RUN and counts in an ARRAY map", () => {
    const obj = loadObject(readFileSync(counterPath), { name: "counter" });
    try {
      expect(obj.name).toBe("counter");
      const xdp = obj.programs.get("xdp_count")!;
      const counts = obj.maps.get("counts")!;

      const pass = xdp.run({ data: packet(0x00) });
      expect(pass.retval).toBe(XDP_PASS);
      const expected = packet(0x00);
      expected[1] = 0x42;
      expect(pass.data).toEqual(expected);
      expect(pass.duration).toBeGreaterThanOrEqual(0);

      const drop = xdp.run({ data: packet(0xff), repeat: 10 });
      expect(drop.retval).toBe(XDP_DROP);
      expect(drop.data).toEqual(packet(0xff));

      const n = 100;
      expect(xdp.run({ data: packet(0x01, 14), repeat: n }).retval).toBe(XDP_PASS);

      expect(readU64(counts.lookup(u32le(0))!)).toBe(BigInt(1 + 10 + n));
      expect(readU64(counts.lookup(u32le(1))!)).toBe(10n);
      expect(counts.lookup(u32le(5))).toBeNull(); // out of range for max_entries 2 (ENOENT)

      counts.update(u32le(1), u64le(7n));
      expect(readU64(counts.lookup(u32le(1))!)).toBe(7n);
      expect([...counts.keys()].map((k) => readU32(k, 0))).toEqual([0, 1]);
      expect(() => counts.delete(u32le(0))).toThrow(/EINVAL/);
      expect(() => counts.lookup(new Uint8Array(2))).toThrow(/key must be 4 bytes/);
    } finally {
      obj.close();
    }
  });

  clangIt("reads per-CPU values with one slot per possible CPU", () => {
    const obj = loadObject(counterPath);
    try {
      const xdp = obj.programs.get("xdp_count")!;
      xdp.run({ data: packet(0), repeat: 25 });
      const percpu = obj.maps.get("percpu")!;
      const cpus = possibleCpus();
      expect(percpu.lookup(u32le(0))!.length).toBe(cpus * 8);
      const slots = percpu.lookupPerCpu(u32le(0))!;
      expect(slots.length).toBe(cpus);
      for (const s of slots) expect(s.length).toBe(8);
      expect(slots.reduce((sum, s) => sum + readU64(s), 0n)).toBe(25n);

      percpu.update(u32le(0), u64le(3n)); // one value is replicated to every CPU
      expect(percpu.lookupPerCpu(u32le(0))!.map((s) => readU64(s))).toEqual(Array(cpus).fill(3n));
    } finally {
      obj.close();
    }
  });

  clangIt("iterates and deletes HASH map keys", () => {
    const obj = loadObject(counterPath);
    try {
      const table = obj.maps.get("table")!;
      expect([...table.keys()]).toEqual([]);
      for (const k of [3, 1, 2]) table.update(u32le(k), u32le(k * 10));
      expect([...table.keys()].map((k) => readU32(k)).sort()).toEqual([1, 2, 3]);
      expect(readU32(table.lookup(u32le(2))!)).toBe(20);
      expect(table.delete(u32le(2))).toBe(true);
      expect(table.delete(u32le(2))).toBe(false);
      expect(table.lookup(u32le(2))).toBeNull();
      expect([...table.keys()].map((k) => readU32(k)).sort()).toEqual([1, 3]);
      expect(() => table.update(u32le(1), u32le(1), 1 /* BPF_NOEXIST */)).toThrow(/EEXIST/);
    } finally {
      obj.close();
    }
  });

  clangIt("runs a socket filter", () => {
    const obj = loadObject(counterPath);
    try {
      const res = obj.programs.get("sock_len")!.run({ data: packet(0, 60) });
      // The skb handed to a socket filter starts after the Ethernet header.
      expect(res.retval).toBe(60 - 14);
      expect(res.data.length).toBe(60);
    } finally {
      obj.close();
    }
  });

  clangIt("reports verifier rejections as VerifierError with the log", () => {
    let err: unknown;
    try {
      loadObject(badPath).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifierError);
    const v = err as VerifierError;
    expect(v.program).toBe("bad_deref");
    expect(v.message).toContain("bad_deref");
    expect(v.message).toMatch(/invalid mem access/);
    expect(v.log).toMatch(/R0 invalid mem access 'map_value_or_null'/);
    expect(v.log).toMatch(/processed \d+ insns/);
  });

  clangIt("keeps verifier logs on request and still blames the right program", () => {
    const obj = loadObject(counterPath, { logLevel: 1 });
    try {
      expect(obj.programs.get("xdp_count")!.verifierLog).toMatch(/processed \d+ insns/);
    } finally {
      obj.close();
    }
    const quiet = loadObject(counterPath);
    expect(quiet.programs.get("xdp_count")!.verifierLog).toBe("");
    quiet.close();
    try {
      loadObject(badPath, { logLevel: 1 });
      expect.fail("bad object loaded");
    } catch (e) {
      expect(e).toBeInstanceOf(VerifierError);
      expect((e as VerifierError).program).toBe("bad_deref");
    }
  });

  clangIt("does not leak file descriptors", () => {
    // Warm up once so lazily created process state is not counted.
    loadObject(counterPath).close();
    const before = openFds();
    for (let i = 0; i < 3; i++) {
      const obj = loadObject(readFileSync(counterPath));
      obj.programs.get("xdp_count")!.run({ data: packet(0) });
      obj[Symbol.dispose]();
      obj.close(); // idempotent
    }
    expect(() => loadObject(badPath)).toThrow(VerifierError);
    expect(openFds()).toBe(before);
  });

  it("fails clearly on something that is not an ELF object, without leaking", () => {
    const before = openFds();
    let err: unknown;
    try {
      loadObject(new Uint8Array([1, 2, 3, 4]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(VerifierError);
    expect((err as Error).message).toMatch(/cannot open BPF object/);
    expect(() => loadObject("/nonexistent/x.o")).toThrow(/ENOENT/);
    expect(openFds()).toBe(before);
  });

  clangIt("refuses to use a closed object's programs and maps", () => {
    const obj: BpfObject = loadObject(counterPath);
    const xdp = obj.programs.get("xdp_count")!;
    const counts = obj.maps.get("counts")!;
    obj.close();
    expect(obj.closed).toBe(true);
    expect(() => xdp.run({ data: packet(0) })).toThrow(/closed/);
    expect(() => counts.lookup(u32le(0))).toThrow(/closed/);
  });
});
