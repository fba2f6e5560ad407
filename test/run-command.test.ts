// `tsbpf run` in-process: compile the xdp-counter example, attach it to a veth and ping through it;
// attach a C tracepoint program and watch its ring-buffer events; usage and attach errors give exit
// codes 2 and 1 and leave nothing attached or open.

import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type RunIo } from "../compiler/tools/run-command.js";
import { describeKernel } from "./kernel-env.js";
import { CBuilder, clangIt, fdCount, haveClang, libc, SYS_getpid, VethNetns } from "./support/bpf-c.js";

const EXAMPLE = join(import.meta.dirname, "..", "examples", "xdp-counter", "xdp-counter.bpf.ts");

function capture(): RunIo & { out: string[]; err: string[]; abort(): void } {
  const ctl = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s) => out.push(s), stderr: (s) => err.push(s), signal: ctl.signal, abort: () => ctl.abort() };
}

const TP_C = `
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } calls SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&calls, &k);
	if (c) __sync_fetch_and_add(c, 1);
	__u32 *e = bpf_ringbuf_reserve(&events, 4, 0);
	if (e) { *e = 0xabcd1234; bpf_ringbuf_submit(e, 0); }
	return 0;
}
`;

describe("tsbpf run: arguments", () => {
  it("rejects bad usage with exit code 2", async () => {
    for (const args of [[], ["x.o", "--bogus"], ["x.o", "--interval"], ["x.o", "--interval", "1"]]) {
      const io = capture();
      expect(await runCommand(args, io)).toBe(2);
      expect(io.err.join("")).toMatch(/usage:\n {2}tsbpf run/);
    }
  });

  it("reports a missing file with exit code 1", async () => {
    const io = capture();
    expect(await runCommand(["/nonexistent/prog.o"], io)).toBe(1);
    expect(io.err.join("")).toMatch(/error:/);
  });
});

describeKernel("tsbpf run", () => {
  const net = new VethNetns("r");
  const c = haveClang ? new CBuilder() : null;
  beforeAll(() => net.create());
  afterAll(() => {
    net.destroy();
    c?.remove();
  });

  it("compiles, attaches XDP to a veth, prints counters while traffic flows, and detaches", async () => {
    const fds = fdCount();
    const io = capture();
    const done = runCommand([EXAMPLE, "--attach", `xdp:${net.host}:generic`, "--interval", "100", "--raw"], io);
    // Compilation and loading are synchronous: by now the program is attached.
    expect(net.hostLink()).toMatch(/xdpgeneric/);
    expect(net.ping(3)).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    io.abort();
    expect(await done).toBe(0);
    const out = io.out.join("");
    expect(out).toMatch(new RegExp(`attached xdp_counter to xdp:${net.host} \\(generic\\)`));
    // Key 1 (ICMP), summed over CPUs: [packets, bytes].
    expect(out).toMatch(/counters:\n {2}01000000: sum over \d+ CPUs: \[[3-9]\d*, \d+\]/);
    expect(out).toMatch(/detached 1 link\n$/);
    expect(net.hostLink()).not.toMatch(/xdp/);
    expect(fdCount()).toBe(fds);
  });

  clangIt("attaches a tracepoint and prints ring-buffer events until --duration", async () => {
    const obj = c!.build("tp", TP_C);
    const io = capture();
    const done = runCommand([obj, "--attach", "tp:syscalls/sys_enter_getpid", "--interval", "50", "--duration", "0.3"], io);
    setTimeout(() => {
      for (let i = 0; i < 3; i++) libc().syscall(SYS_getpid);
    }, 50);
    expect(await done).toBe(0);
    const out = io.out.join("");
    expect(out).toMatch(/attached on_getpid to tracepoint:syscalls\/sys_enter_getpid/);
    expect(out).toMatch(/event events: 3412cdab/);
    expect(out).toMatch(/calls:\n {2}/);
  });

  it("attaches the sk-lookup-ports example to a named network namespace (netns:PATH) and detaches", async () => {
    const ns = `tsbpf-run-${process.pid}`;
    execFileSync("ip", ["netns", "add", ns]);
    try {
      const io = capture();
      const src = join(import.meta.dirname, "..", "examples", "sk-lookup-ports", "sk-lookup-ports.bpf.ts");
      expect(await runCommand([src, "--attach", `netns:/run/netns/${ns}`, "--duration", "0.2"], io)).toBe(0);
      expect(io.out.join("")).toMatch(new RegExp(`attached steer_ports to netns:/run/netns/${ns}`));
    } finally {
      execFileSync("ip", ["netns", "del", ns]);
    }
  });

  it("fails with exit code 1 when the attach fails, leaving nothing open", async () => {
    const fds = fdCount();
    const io = capture();
    expect(await runCommand([EXAMPLE, "--attach", "xdp:tsbpf-nope0"], io)).toBe(1);
    expect(io.err.join("")).toMatch(/no network interface named 'tsbpf-nope0'/);
    const io2 = capture();
    expect(await runCommand([EXAMPLE], io2)).toBe(1); // auto: XDP needs a target
    expect(io2.err.join("")).toMatch(/needs a target: use attachXdp/);
    expect(fdCount()).toBe(fds);
  });
});
