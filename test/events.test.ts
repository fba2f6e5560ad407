// Why: tracing programs and their event channels: a tracepoint, a raw tracepoint, tp_btf and a uprobe
// are triggered by real getpid() calls made through libc, events come back through a ring buffer
// (async iterator, decoded) and a perf event array, and the hooks this kernel cannot provide
// (kprobes, fentry) fail with the documented errors and leak no file descriptors.

import { afterAll, describe, expect } from "vitest";
import { loadObject, readU32, readU64, u32le, type BpfObject } from "../runtime/index.js";
import { attachKprobe, attachRawTracepoint, attachTracepoint, attachTracing, attachUprobe } from "../runtime/attach.js";
import { AttachError } from "../runtime/link.js";
import { PerfBuffer } from "../runtime/perf-buffer.js";
import { RingBuffer } from "../runtime/ring-buffer.js";
import { describeKernel } from "./kernel-env.js";
import { CBuilder, clangIt, fdCount, haveClang, libc, libcPath, SYS_getpid } from "./support/bpf-c.js";

/** Counts and reports getpid() calls of the thread whose id is config[0] (our main thread: tid == pid). */
const GETPID_C = `
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } config SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } perf SEC(".maps");
struct event { __u32 tgid; __u32 pid; __u64 seq; };

static __always_inline int report(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 k = 0;
	__u32 *target = bpf_map_lookup_elem(&config, &k);
	if (!target || (__u32)id != *target) return 0;
	__u64 *c = bpf_map_lookup_elem(&counts, &k);
	if (!c) return 0;
	__u64 seq = __sync_fetch_and_add(c, 1);
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->tgid = id >> 32;
		e->pid = (__u32)id;
		e->seq = seq;
		bpf_ringbuf_submit(e, 0);
	}
	struct event pe = { .tgid = id >> 32, .pid = (__u32)id, .seq = seq };
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &pe, sizeof(pe));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx) { return report(ctx); }
`;

/** Raw and BTF tracepoints on sys_enter, counting getpid (nr 39) of thread config[0]. */
const SYS_ENTER_C = `
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } config SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");

static __always_inline void bump(__u32 slot, long nr)
{
	__u32 k = 0;
	__u32 *target = bpf_map_lookup_elem(&config, &k);
	if (!target || (__u32)bpf_get_current_pid_tgid() != *target || nr != 39) return;
	__u64 *c = bpf_map_lookup_elem(&counts, &slot);
	if (c) __sync_fetch_and_add(c, 1);
}

/* raw_tracepoint args: (struct pt_regs *regs, long id) */
SEC("raw_tracepoint/sys_enter")
int raw_enter(struct bpf_raw_tracepoint_args *ctx) { bump(0, (long)ctx->args[1]); return 0; }

/* tp_btf gets the same two arguments, typed; read them as u64 slots. */
SEC("tp_btf/sys_enter")
int btf_enter(__u64 *ctx) { bump(1, (long)ctx[1]); return 0; }
`;

const UPROBE_C = `
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } config SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
SEC("uprobe")
int on_libc_getpid(void *ctx)
{
	__u32 k = 0;
	__u32 *target = bpf_map_lookup_elem(&config, &k);
	if (!target || (__u32)bpf_get_current_pid_tgid() != *target) return 0;
	__u64 *c = bpf_map_lookup_elem(&counts, &k);
	if (c) __sync_fetch_and_add(c, 1);
	return 0;
}
`;

const KPROBE_C = `SEC("kprobe/do_sys_openat2") int on_open(void *ctx) { return 0; }`;
const FENTRY_C = `SEC("fentry/do_sys_openat2") int on_open_fentry(void *ctx) { return 0; }`;

interface GetpidEvent {
  tgid: number;
  pid: number;
  seq: bigint;
}
const decodeEvent = (b: Uint8Array): GetpidEvent => ({ tgid: readU32(b, 0), pid: readU32(b, 4), seq: readU64(b, 8) });

function targetSelf(obj: BpfObject): void {
  obj.maps.get("config")!.update(u32le(0), u32le(process.pid));
}
const counter = (obj: BpfObject, slot = 0): bigint => readU64(obj.maps.get("counts")!.lookup(u32le(slot))!, 0);
const getpid = (n: number): void => {
  for (let i = 0; i < n; i++) libc().syscall(SYS_getpid);
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

describeKernel("tracing attach and events", () => {
  const c = haveClang ? new CBuilder() : null;
  afterAll(() => c?.remove());

  describe("tracepoint + ring buffer + perf buffer", () => {
    clangIt("counts getpid() calls and reads them back as decoded ring-buffer events", async () => {
      const fds = fdCount();
      {
        using obj = loadObject(c!.build("getpid", GETPID_C));
        targetSelf(obj);
        using link = attachTracepoint(obj.programs.get("on_getpid")!, "syscalls", "sys_enter_getpid");
        expect(link.fd).toBeGreaterThan(0);
        using rb = new RingBuffer(obj.maps.get("events")!, { decode: decodeEvent });
        getpid(5);
        expect(counter(obj)).toBe(5n);

        const events: GetpidEvent[] = [];
        for await (const e of rb) {
          events.push(e);
          if (events.length === 5) break;
        }
        expect(events.map((e) => e.seq)).toEqual([0n, 1n, 2n, 3n, 4n]);
        expect(events.every((e) => e.tgid === process.pid && e.pid === process.pid)).toBe(true);
        expect(rb.closed).toBe(true); // leaving for-await closes the reader
      }
      expect(fdCount()).toBe(fds);
    });

    clangIt("waits for events that arrive later, without blocking the event loop", async () => {
      using obj = loadObject(c!.build("getpid", GETPID_C));
      targetSelf(obj);
      using link = obj.programs.get("on_getpid")!.attach(); // auto-attach from the section name
      using rb = new RingBuffer(obj.maps.get("events")!, { decode: decodeEvent, intervalMs: 5 });
      const pending = rb.next();
      let timerRan = false;
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          timerRan = true;
          getpid(1);
          resolve();
        }, 30),
      );
      const r = await pending;
      expect(timerRan).toBe(true);
      expect(r.done).toBe(false);
      // (Not necessarily our call: OpenSSL in this thread also calls getpid() now and then.)
      expect((r.value as GetpidEvent).pid).toBe(process.pid);

      // close() ends a pending iteration.
      link.close();
      rb.drain();
      const waiting = rb.next();
      rb.close();
      expect(await waiting).toEqual({ value: undefined, done: true });
    });

    clangIt("drain() returns what is queued; decode errors reach the consumer", () => {
      using obj = loadObject(c!.build("getpid", GETPID_C));
      targetSelf(obj);
      using _link = attachTracepoint(obj.programs.get("on_getpid")!, "syscalls", "sys_enter_getpid");
      {
        using rb = new RingBuffer(obj.maps.get("events")!);
        getpid(3);
        const raw = rb.drain();
        expect(raw.map((b) => b.length)).toEqual([16, 16, 16]);
        expect(rb.drain()).toEqual([]);
      }
      {
        using rb = new RingBuffer(obj.maps.get("events")!, {
          decode: () => {
            throw new Error("bad event");
          },
        });
        getpid(1);
        expect(() => rb.poll()).toThrow("bad event");
      }
    });

    clangIt("reads the same events from a perf event array", async () => {
      const fds = fdCount();
      {
        using obj = loadObject(c!.build("getpid", GETPID_C));
        targetSelf(obj);
        using _link = attachTracepoint(obj.programs.get("on_getpid")!, "syscalls", "sys_enter_getpid");
        using pb = new PerfBuffer(obj.maps.get("perf")!, { decode: decodeEvent, pageCount: 8 });
        getpid(4);
        const events: GetpidEvent[] = [];
        for await (const e of pb) {
          events.push(e);
          if (events.length === 4) break;
        }
        expect(events.map((e) => e.seq).sort()).toEqual([0n, 1n, 2n, 3n]);
        expect(pb.lost).toBe(0n);
      }
      expect(fdCount()).toBe(fds);
    });

    clangIt("refuses maps of the wrong type and a missing tracepoint", () => {
      using obj = loadObject(c!.build("getpid", GETPID_C));
      const fds = fdCount();
      expect(() => new RingBuffer(obj.maps.get("counts")!)).toThrow(/not a ring buffer/);
      expect(() => new PerfBuffer(obj.maps.get("events")!)).toThrow(/not a perf event array/);
      const e = thrown(() => attachTracepoint(obj.programs.get("on_getpid")!, "syscalls", "sys_enter_no_such_call"));
      expect(e).toBeInstanceOf(AttachError);
      expect((e as AttachError).errno).toBe(2);
      expect((e as Error).message).toMatch(/no tracepoint syscalls\/sys_enter_no_such_call/);
      expect(fdCount()).toBe(fds);
    });
  });

  describe("raw tracepoints, tp_btf, uprobes", () => {
    clangIt("raw_tracepoint and tp_btf on sys_enter both see getpid()", () => {
      const fds = fdCount();
      {
        using obj = loadObject(c!.build("sysenter", SYS_ENTER_C));
        targetSelf(obj);
        {
          using _raw = attachRawTracepoint(obj.programs.get("raw_enter")!, "sys_enter");
          using _btf = attachTracing(obj.programs.get("btf_enter")!);
          getpid(7);
        }
        expect(counter(obj, 0)).toBe(7n);
        expect(counter(obj, 1)).toBe(7n);
        getpid(2); // detached: no longer counted
        expect(counter(obj, 0)).toBe(7n);
        expect(counter(obj, 1)).toBe(7n);
      }
      expect(fdCount()).toBe(fds);
    });

    clangIt("a uprobe on libc's getpid() counts calls by symbol name", () => {
      const fds = fdCount();
      {
        using obj = loadObject(c!.build("uprobe", UPROBE_C));
        targetSelf(obj);
        {
          using link = attachUprobe(obj.programs.get("on_libc_getpid")!, libcPath(), "getpid", { pid: process.pid });
          expect(link.target).toContain("getpid");
          for (let i = 0; i < 4; i++) libc().getpid();
        }
        expect(counter(obj)).toBe(4n);
        libc().getpid();
        expect(counter(obj)).toBe(4n);
      }
      expect(fdCount()).toBe(fds);
    });

    clangIt("a uprobe on a missing symbol or file fails with ENOENT", () => {
      using obj = loadObject(c!.build("uprobe", UPROBE_C));
      const prog = obj.programs.get("on_libc_getpid")!;
      const fds = fdCount();
      const e = thrown(() => attachUprobe(prog, libcPath(), "tsbpf_no_such_function"));
      expect(e).toBeInstanceOf(AttachError);
      expect((e as AttachError).errno).toBe(2);
      expect(thrown(() => attachUprobe(prog, "/no/such/binary", "main"))).toBeInstanceOf(AttachError);
      expect(fdCount()).toBe(fds);
    });
  });

  describe("hooks this kernel refuses", () => {
    clangIt("kprobe programs load but attaching throws AttachError ENOENT", () => {
      using obj = loadObject(c!.build("kprobe", KPROBE_C));
      const prog = obj.programs.get("on_open")!;
      const fds = fdCount();
      const e = thrown(() => attachKprobe(prog, "do_sys_openat2"));
      expect(e).toBeInstanceOf(AttachError);
      const err = e as AttachError;
      expect(err.target).toBe("kprobe:do_sys_openat2");
      if (err.errno === 2) {
        // CONFIG_KPROBES=n: neither the kprobe PMU nor kprobe_events exist.
        expect(err.message).toMatch(/cannot attach program 'on_open' to kprobe:do_sys_openat2: ENOENT/);
        expect(err.message).toMatch(/no kprobe support/);
      }
      expect(() => prog.attach()).toThrow(AttachError);
      expect(fdCount()).toBe(fds);
    });

    clangIt("fentry programs are refused at load time with EPERM", () => {
      const path = c!.build("fentry", FENTRY_C);
      const fds = fdCount();
      let obj: BpfObject | null = null;
      try {
        obj = loadObject(path);
      } catch (e) {
        expect((e as Error).message).toMatch(/cannot load BPF object .*: EPERM/);
      }
      if (obj) {
        // A kernel that accepts fentry: then attaching must work.
        using _o = obj;
        using link = attachTracing(obj.programs.get("on_open_fentry")!);
        expect(link.fd).toBeGreaterThan(0);
      }
      expect(fdCount()).toBe(fds);
    });
  });
});
