// Map kinds in the kernel: each example built on a map kind from common/map-kinds.ts is compiled,
// loaded (the verifier must accept it), fed real packets with BPF_PROG_TEST_RUN and read back
// through the runtime's typed maps.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { attachTracepoint, attachXdp, ifindexOf, loadObject, ProgArrayMap, ValueMap } from "../runtime/index.js";
import { libc, SYS_getpid } from "./support/bpf-c.js";
import { RingBuffer } from "../runtime/ring-buffer.js";
import { describeKernel } from "./kernel-env.js";
import { ipv4Packet, ipv6Packet } from "../testing/packets.js";

const root = join(import.meta.dirname, "..", "examples");
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;
const XDP_REDIRECT = 4;

function build(name: string): Uint8Array {
  const file = join(root, name, `${name}.bpf.ts`);
  const r = compile(file, readFileSync(file, "utf8"), { checkIr: true });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return r.object!;
}

/** "10.1.2.3" as the number a program reads from ip.saddr (packet bytes as a host-order u32). */
const hostOrder = (addr: string): number => new Uint32Array(new Uint8Array(addr.split(".").map(Number)).buffer)[0]!;
/** "10.1.2.3" as the big-endian number ipv4Packet writes. */
const be = (addr: string): number => addr.split(".").reduce((a, b) => a * 256 + Number(b), 0);

describeKernel("LpmTrie", () => {
  it("lpm-blocklist drops by longest matching prefix and counts per prefix", () => {
    using obj = loadObject(build("lpm-blocklist"));
    const prog = obj.programs.get("lpm_blocklist")!;
    const blocklist = obj.typed.blocklist!;
    const stats = obj.typed.stats!;
    expect(obj.maps.get("blocklist")!.type).toBe(11);
    const prefixes: [string, number][] = [
      ["10.0.0.0", 8],
      ["10.1.0.0", 16],
      ["192.168.7.0", 24],
      ["203.0.113.9", 32],
    ];
    for (const [addr, len] of prefixes) blocklist.set({ prefixlen: len, addr: hostOrder(addr) }, 0n);

    const run = (src: string, repeat = 1) => prog.run({ data: ipv4Packet(17, 60, { saddr: be(src) }), repeat }).retval;
    expect(run("10.1.2.3", 3)).toBe(XDP_DROP); // /16 beats /8
    expect(run("10.200.0.1", 2)).toBe(XDP_DROP); // /8 only
    expect(run("192.168.7.255")).toBe(XDP_DROP);
    expect(run("192.168.8.1")).toBe(XDP_PASS);
    expect(run("203.0.113.9")).toBe(XDP_DROP);
    expect(run("203.0.113.10")).toBe(XDP_PASS);
    expect(run("11.0.0.1")).toBe(XDP_PASS);
    expect(prog.run({ data: ipv6Packet(60) }).retval).toBe(XDP_PASS); // not counted

    const hits = Object.fromEntries([...blocklist.entries()].map(([k, v]) => [`${k.prefixlen}/${k.addr}`, v]));
    expect(hits).toEqual({
      [`8/${hostOrder("10.0.0.0")}`]: 2n,
      [`16/${hostOrder("10.1.0.0")}`]: 3n,
      [`24/${hostOrder("192.168.7.0")}`]: 1n,
      [`32/${hostOrder("203.0.113.9")}`]: 1n,
    });
    const sum = (i: number) => (stats.get(i) as bigint[]).reduce((a, b) => a + b, 0n);
    expect(sum(0)).toBe(3n);
    expect(sum(1)).toBe(7n);

    // Deleting the /16 lets 10.1.x.x fall back to the /8.
    expect(blocklist.delete({ prefixlen: 16, addr: hostOrder("10.1.0.0") })).toBe(true);
    expect(run("10.1.2.3")).toBe(XDP_DROP);
    expect(blocklist.get({ prefixlen: 8, addr: hostOrder("10.0.0.0") })).toBe(3n);
  });

  it("LpmTrie gets BPF_F_NO_PREALLOC without asking, and keeps user flags", () => {
    const src = `import { xdp, XdpAction, LpmTrie, MapFlags, type u32, type u64 } from "tsbpf/bpf";
interface K { prefixlen: u32; data: u64 }
const a = new LpmTrie<K, u32>(16);
const b = new LpmTrie<K, u32>(16, MapFlags.RDONLY_PROG);
export const p = xdp(() => {
  const x = a.lookup({ prefixlen: 64, data: 1 });
  const y = b.lookup({ prefixlen: 64, data: 1 });
  return x !== null || y !== null ? XdpAction.DROP : XdpAction.PASS;
});
export const LICENSE = "GPL";`;
    const r = compile("lpm-flags.bpf.ts", src);
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    const flags = (name: string) => {
      const out = JSON.parse(execBpftoolMapShow(obj.maps.get(name)!.fd));
      return out.flags as number;
    };
    expect(flags("a")).toBe(1);
    expect(flags("b")).toBe(1 | 128);
    expect(obj.programs.get("p")!.run({ data: ipv4Packet(6, 60) }).retval).toBe(XDP_PASS);
  });
});

/** `bpftool map show` of a map by id, found through its fd's /proc fdinfo. */
function execBpftoolMapShow(fd: number): string {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
  const id = /map_id:\s*(\d+)/.exec(info)?.[1];
  expect(id).toBeDefined();
  return execFileSync("bpftool", ["-j", "map", "show", "id", id!], { encoding: "utf8" });
}

describeKernel("ProgArray and tail calls", () => {
  it("tail-call-dispatcher jumps by IP protocol through statically filled slots; user space changes slots", () => {
    using obj = loadObject(build("tail-call-dispatcher"));
    const dispatcher = obj.programs.get("dispatcher")!;
    const handlers = obj.typed.handlers as ProgArrayMap;
    expect(handlers).toBeInstanceOf(ProgArrayMap);
    const stats = obj.typed.stats!;
    const path = (i: number) => (stats.get(i) as bigint[]).reduce((a, b) => a + b, 0n);
    const programs = () => obj.programs.values();

    // libbpf filled slots 6 and 17 from the .rel.maps relocations; the rest are empty.
    expect(handlers.program(6, programs())?.name).toBe("handle_tcp");
    expect(handlers.program(17, programs())?.name).toBe("handle_udp");
    expect(handlers.programId(1)).toBeUndefined();
    expect([...handlers.keys()].length).toBe(256);
    expect([...handlers.entries()].map(([i]) => i)).toEqual([6, 17]);

    const udpTo = (port: number) => {
      const p = ipv4Packet(17, 60);
      new DataView(p.buffer).setUint16(36, port); // UDP destination port
      return p;
    };
    expect(dispatcher.run({ data: ipv4Packet(6, 60), repeat: 2 }).retval).toBe(XDP_PASS);
    expect(dispatcher.run({ data: udpTo(9) }).retval).toBe(XDP_DROP); // handle_udp's verdict
    expect(dispatcher.run({ data: udpTo(53) }).retval).toBe(XDP_PASS);
    expect(dispatcher.run({ data: ipv4Packet(1, 60) }).retval).toBe(XDP_PASS); // ICMP: empty slot
    expect(dispatcher.run({ data: ipv6Packet(60) }).retval).toBe(XDP_PASS); // not IPv4: no tail call
    expect([path(0), path(1), path(2)]).toEqual([1n, 2n, 2n]);

    // Run time: ICMP to the UDP handler (drops nothing: ICMP has no port 9), UDP slot emptied.
    handlers.setProgram(1, obj.programs.get("handle_udp")!);
    expect(handlers.program(1, programs())?.name).toBe("handle_udp");
    expect(handlers.delete(17)).toBe(true);
    expect(dispatcher.run({ data: ipv4Packet(1, 60) }).retval).toBe(XDP_PASS);
    expect(dispatcher.run({ data: udpTo(9) }).retval).toBe(XDP_PASS); // falls through now
    expect([path(0), path(1), path(2)]).toEqual([2n, 2n, 3n]);
  });

  it("rejects slots that name something other than a program of this file", () => {
    const src = (slots: string) => `import { xdp, socketFilter, XdpAction, ProgArray } from "tsbpf/bpf";
export const a = xdp(() => XdpAction.PASS);
export const s = socketFilter(() => 0);
const other = 3;
const jmp = new ProgArray(4, ${slots});
export const d = xdp((ctx) => { jmp.tailCall(ctx, 0); return XdpAction.PASS; });
export const LICENSE = "GPL";`;
    const codes = (slots: string) => compile("slots.bpf.ts", src(slots)).diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(codes("{ 0: a }")).toEqual([]);
    expect(codes("{ 4: a }")).toEqual(["TSBPF2102 bad program-array slots: slot 4 is outside 0..3"]);
    expect(codes("{ 0: a, 1: s }")).toEqual([
      "TSBPF2102 bad program-array slots: 's' is socketFilter, the other slots xdp: one program array holds one program type",
    ]);
  });
});

const RESERVE_SRC = `import { xdp, XdpAction, RingBuf, ETH_P_IP, htons, type u8, type u32, type u64, type EthHdr, type Ipv4Hdr } from "tsbpf/bpf";

interface PacketEvent {
  saddr: u32;
  len: u32;
  proto: u8;
  seq: u64;
}

const events = new RingBuf<PacketEvent>(4096);
let seq: u64 = 0;

export const report = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  const e = events.reserve();
  if (e === null) return XdpAction.PASS; // full: nothing to release
  e.saddr = ip.saddr;
  e.len = ctx.len;
  e.proto = ip.protocol;
  e.seq = seq;
  if (ip.protocol === 1) {
    events.discard(e); // ICMP: reserved, then dropped
    return XdpAction.PASS;
  }
  seq += 1;
  events.submit(e);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
`;

describeKernel("RingBuf reserve/submit/discard", () => {
  it("writes events in place; submitted ones reach user space, discarded ones do not", async () => {
    const r = compile("reserve.bpf.ts", RESERVE_SRC, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    const prog = obj.programs.get("report")!;
    const decode = (b: Uint8Array) => {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return { saddr: v.getUint32(0, false), len: v.getUint32(4, true), proto: b[8], seq: v.getBigUint64(16, true) };
    };
    using rb = new RingBuffer(obj.maps.get("events")!, { decode });
    prog.run({ data: ipv4Packet(6, 60, { saddr: be("10.0.0.7") }) });
    prog.run({ data: ipv4Packet(1, 70) }); // discarded
    prog.run({ data: ipv4Packet(17, 80, { saddr: be("10.0.0.9") }) });
    prog.run({ data: ipv6Packet(60) }); // no reservation
    expect(rb.poll()).toBe(2);
    const got = rb.drain();
    expect(got).toEqual([
      { saddr: be("10.0.0.7"), len: 60, proto: 6, seq: 0n },
      { saddr: be("10.0.0.9"), len: 80, proto: 17, seq: 1n },
    ]);
  });

  it("rejects a path that neither submits nor discards, naming its lines", () => {
    const leaky = RESERVE_SRC.replace("    events.discard(e); // ICMP: reserved, then dropped\n", "");
    const r = compile("leak.bpf.ts", leaky);
    expect(r.ok).toBe(false);
    const d = r.diagnostics.filter((x) => x.code === "TSBPF2103");
    expect(d).toHaveLength(1);
    expect(d[0]!.line).toBe(18); // the reserve() call
    expect(d[0]!.message).toBe(
      "the ring-buffer record reserved here is neither submitted nor discarded on the path through lines 19-25 to the return on line 25",
    );
  });

  it("rejects submit of a record before its null check (TypeScript) and of a record from elsewhere", () => {
    const early = RESERVE_SRC.replace(
      "  if (e === null) return XdpAction.PASS; // full: nothing to release\n",
      "  events.submit(e);\n  if (e === null) return XdpAction.PASS;\n",
    );
    expect(compile("early.bpf.ts", early).diagnostics.map((d) => d.code)).toEqual(["TS2345"]); // Reserved<T> | null
    // An inlined function may release it; a separate subprogram (@noinline) cannot take it at all.
    const via = (doc: string) =>
      RESERVE_SRC.replace("type u8,", "type u8, type Reserved,")
        .replace(
          "export const report",
          `${doc}function finish(r: Reserved<PacketEvent>): void {\n  events.submit(r);\n}\n\nexport const report`,
        )
        .replace("  events.submit(e);\n  return", "  finish(e);\n  return");
    const inlined = compile("inlined.bpf.ts", via(""), { checkIr: true });
    expect(inlined.diagnostics).toEqual([]);
    using obj = loadObject(inlined.object!);
    expect(obj.programs.get("report")!.fd).toBeGreaterThan(0);
    expect(
      compile("via.bpf.ts", via("/** @noinline */\n"))
        .diagnostics.map((d) => d.code)
        .sort(),
    ).toEqual(["TSBPF2021"]);
  });
});

describeKernel("DevMap and bpf_redirect_map", () => {
  it("xdp-redirect: test run returns REDIRECT with a filled slot and falls back to PASS with an empty one", () => {
    using obj = loadObject(build("xdp-redirect"));
    const prog = obj.programs.get("xdp_redirect")!;
    const tx = obj.typed.tx_port!;
    const stats = obj.typed.stats!;
    expect(obj.maps.get("tx_port")!.type).toBe(14);
    const sum = (i: number) => (stats.get(i) as bigint[]).reduce((a, b) => a + b, 0n);
    expect(prog.run({ data: ipv4Packet(6, 60) }).retval).toBe(XDP_PASS); // slot 0 empty
    tx.set(0, ifindexOf("lo"));
    expect(tx.get(0)).toBe(ifindexOf("lo"));
    expect(prog.run({ data: ipv4Packet(6, 60), repeat: 2 }).retval).toBe(XDP_REDIRECT);
    expect(prog.run({ data: ipv6Packet(60) }).retval).toBe(XDP_PASS); // not IPv4: not redirected
    expect([sum(0), sum(1)]).toEqual([2n, 1n]);
  });

  it("DevMapHash, CpuMap and XskMap load and redirect (test run)", () => {
    const src = `import { xdp, XdpAction, DevMapHash, CpuMap, XskMap } from "tsbpf/bpf";
const byIfindex = new DevMapHash(8);
const cpus = new CpuMap(4);
const sockets = new XskMap(4);
export const p = xdp((ctx) => {
  if (ctx.len > 100) return byIfindex.redirect(1, XdpAction.DROP);
  if (ctx.len > 80) return cpus.redirect(0, XdpAction.DROP);
  return sockets.redirect(ctx.rx_queue_index, XdpAction.PASS);
});
export const LICENSE = "GPL";`;
    const r = compile("redirects.bpf.ts", src, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    expect(["byIfindex", "cpus", "sockets"].map((n) => obj.maps.get(n)!.type)).toEqual([25, 16, 17]);
    const prog = obj.programs.get("p")!;
    expect(prog.run({ data: ipv4Packet(6, 120) }).retval).toBe(XDP_DROP); // key 1 absent: fallback
    expect(prog.run({ data: ipv4Packet(6, 90) }).retval).toBe(XDP_DROP); // CPU 0 not set up
    expect(prog.run({ data: ipv4Packet(6, 60) }).retval).toBe(XDP_PASS); // no AF_XDP socket
    obj.typed.byIfindex!.set(1, ifindexOf("lo"));
    obj.typed.cpus!.set(0, 192); // queue size: the kernel starts a kthread for CPU 0
    expect(obj.typed.cpus!.get(0)).toBe(192);
    expect(prog.run({ data: ipv4Packet(6, 120) }).retval).toBe(XDP_REDIRECT);
    expect(prog.run({ data: ipv4Packet(6, 90) }).retval).toBe(XDP_REDIRECT);
  });

  it("xdp-redirect moves real frames from one veth to another", () => {
    const tag = `${process.pid % 100000}`;
    const ns = `tsbpf-maps-${process.pid}`;
    const [a0, a1, b0, b1] = [`tmra${tag}h`, `tmra${tag}p`, `tmrb${tag}h`, `tmrb${tag}p`];
    const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });
    const cleanup = () => {
      for (const dev of [a0, b0]) spawnSync("ip", ["link", "del", dev]);
      spawnSync("ip", ["netns", "del", ns]);
    };
    cleanup();
    try {
      ip("netns", "add", ns);
      ip("link", "add", a0, "type", "veth", "peer", "name", a1, "netns", ns);
      ip("link", "add", b0, "type", "veth", "peer", "name", b1, "netns", ns);
      for (const dev of [a0, b0]) ip("link", "set", dev, "up");
      for (const dev of [a1, b1, "lo"]) ip("-n", ns, "link", "set", dev, "up");
      ip("-n", ns, "addr", "add", "10.213.0.2/24", "dev", a1);
      // A static neighbour: frames to 10.213.0.1 leave a1 without ARP, addressed to a0.
      const mac = JSON.parse(ip("-j", "link", "show", a0))[0].address as string;
      ip("-n", ns, "neigh", "add", "10.213.0.1", "lladdr", mac, "dev", a1);
      const rx = () => Number(JSON.parse(ip("-n", ns, "-s", "-j", "link", "show", b1))[0].stats64.rx.packets);

      using obj = loadObject(build("xdp-redirect"));
      obj.typed.tx_port!.set(0, ifindexOf(b0));
      using link = attachXdp(obj.programs.get("xdp_redirect")!, a0, { mode: "generic" });
      expect(link.fd).toBeGreaterThan(0);
      const before = rx();
      spawnSync("ip", ["netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "1", "-q", "10.213.0.1"]);
      const redirected = (obj.typed.stats!.get(0) as bigint[]).reduce((a, b) => a + b, 0n);
      expect(redirected).toBe(3n); // three echo requests, none answered (they never reached a0's stack)
      expect(rx() - before).toBeGreaterThanOrEqual(3);
    } finally {
      cleanup();
    }
  }, 20_000);
});

describeKernel("Queue, Stack and BloomFilter", () => {
  const SRC = `import { xdp, XdpAction, Queue, Stack, BloomFilter, UpdateFlags, type u32, type u64 } from "tsbpf/bpf";
interface Item { a: u32; b: u64 }
const fifo = new Queue<Item>(4);
const lifo = new Stack<u64>(4);
const seen = new BloomFilter<u32>(1024, 3);
const out = new Queue<u64>(16);

export const p = xdp((ctx) => {
  // Echo the two oldest queue items and the newest stack value into \`out\`, then move the packet
  // length through the bloom filter.
  const first = fifo.pop();
  if (first !== null) out.push(first.b + first.a);
  const top = lifo.peek();
  if (top !== null) out.push(top.value);
  fifo.push({ a: ctx.len, b: 1000 }, UpdateFlags.EXIST);
  if (seen.has(ctx.len)) return XdpAction.DROP;
  seen.push(ctx.len);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";`;

  it("push/pop/peek in programs and user space, map_extra for the bloom filter", () => {
    const r = compile("values.bpf.ts", SRC, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    expect(["fifo", "lifo", "seen", "out"].map((n) => obj.maps.get(n)!.type)).toEqual([22, 23, 30, 22]);
    expect(obj.maps.get("fifo")!.keySize).toBe(0);
    const { fifo, lifo, seen, out } = obj.typed as unknown as Record<string, ValueMap>;
    expect(fifo).toBeInstanceOf(ValueMap);
    fifo.push({ a: 1, b: 10n });
    fifo.push({ a: 2, b: 20n });
    lifo.push(5n);
    lifo.push(6n);
    const prog = obj.programs.get("p")!;
    expect(prog.run({ data: ipv4Packet(6, 60) }).retval).toBe(XDP_PASS); // 60 not seen yet
    expect(prog.run({ data: ipv4Packet(6, 60) }).retval).toBe(XDP_DROP); // now it may be
    // out: 11 (first pop), 6 (stack top), 22 (second pop), 6 (top again: peek does not remove)
    const got: bigint[] = [];
    for (let v = out.pop(); v !== undefined; v = out.pop()) got.push(v);
    expect(got).toEqual([11n, 6n, 22n, 6n]);
    expect(lifo.pop()).toBe(6n);
    expect(lifo.pop()).toBe(5n);
    expect(lifo.pop()).toBeUndefined();
    // The program queued two items of its own, { a: 60, b: 1000 } each.
    expect(fifo.peek()).toEqual({ a: 60, b: 1000n });
    expect(seen.mayContain(60)).toBe(true);
    expect(seen.mayContain(61)).toBe(false); // 3 hashes, 1024 bits per entry: a false positive here would be a bug
    seen.push(61);
    expect(seen.mayContain(61)).toBe(true);
    // map_extra reached the kernel.
    expect(readFileSync(`/proc/self/fdinfo/${obj.maps.get("seen")!.fd}`, "utf8")).toMatch(/^map_extra:\s+0x3$/m);
  });

  it("rejects a bad hash count", () => {
    const bad = SRC.replace("new BloomFilter<u32>(1024, 3)", "new BloomFilter<u32>(1024, 16)");
    expect(compile("bad.bpf.ts", bad).diagnostics.map((d) => d.code)).toEqual(["TSBPF2105"]);
  });
});

describeKernel("Pinning.BY_NAME", () => {
  it("pins a map under its name; a second object and bpftool share it", () => {
    const src = `import { xdp, XdpAction, HashMap, ArrayMap, Pinning, MapFlags, type u32, type u64 } from "tsbpf/bpf";
const shared_counts = new HashMap<u32, u64>(16, { pinning: Pinning.BY_NAME, flags: MapFlags.NO_PREALLOC });
const private_counts = new ArrayMap<u64>(1);
export const p = xdp((ctx) => {
  const c = shared_counts.lookup(ctx.len);
  if (c !== null) c.value += 1;
  else shared_counts.update(ctx.len, 1);
  const q = private_counts.lookup(0);
  if (q !== null) q.value += 1;
  return XdpAction.PASS;
});
export const LICENSE = "GPL";`;
    const r = compile("pin.bpf.ts", src, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    const root = `/sys/fs/bpf/tsbpf-maps-pin-${process.pid}`;
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root);
    try {
      {
        using first = loadObject(r.object!, { pinRoot: root });
        first.programs.get("p")!.run({ data: ipv4Packet(6, 60), repeat: 3 });
        expect(readdirSync(root)).toEqual(["shared_counts"]); // only the pinned map
      }
      // The first object is gone; the pinned map and its contents stay.
      const dump = JSON.parse(execFileSync("bpftool", ["-j", "map", "dump", "pinned", `${root}/shared_counts`], { encoding: "utf8" }));
      expect(dump).toHaveLength(1);
      using second = loadObject(r.object!, { pinRoot: root });
      expect(second.typed.shared_counts!.get(60)).toBe(3n);
      second.programs.get("p")!.run({ data: ipv4Packet(6, 60) });
      expect(second.typed.shared_counts!.get(60)).toBe(4n);
      expect(second.typed.private_counts!.get(0)).toBe(1n); // not pinned: a fresh map
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("rejects options that are not constants", () => {
    const src = `import { HashMap, Pinning, type u32 } from "tsbpf/bpf";
declare const how: Pinning;
const m = new HashMap<u32, u32>(16, { pinning: how });
export const LICENSE = "GPL";`;
    expect(compile("opt.bpf.ts", src).diagnostics.map((d) => d.code)).toEqual(["TSBPF2106"]);
  });
});

describeKernel("StackTraceMap", () => {
  it("getStackId stores the kernel and user stacks of a traced getpid()", () => {
    const src = `import { tracepoint, StackTraceMap, StackFlags, ArrayMap, getCurrentPidTgid, u32, type u8, type u16, type i32, type i64 } from "tsbpf/bpf";
interface SysEnter { common_type: u16; common_flags: u8; common_preempt_count: u8; common_pid: i32; __syscall_nr: i32 }
// Two maps: with REUSE_STACKID the user stack may take the kernel stack's bucket in a shared map.
const stacks = new StackTraceMap(64, 32);
const ustacks = new StackTraceMap(64, 32);
/** 0: kernel stack id, 1: user stack id of the last getpid() of the target process. */
const ids = new ArrayMap<i64>(2);
let target: u32 = 0;
export const on_getpid = tracepoint<SysEnter>("syscalls", "sys_enter_getpid", (ctx) => {
  if (u32(getCurrentPidTgid() >> 32) !== target) return 0;
  ids.update(0, stacks.getStackId(ctx, StackFlags.REUSE_STACKID));
  ids.update(1, ustacks.getStackId(ctx, StackFlags.USER_STACK | StackFlags.REUSE_STACKID));
  return 0;
});
export const LICENSE = "GPL";`;
    const r = compile("stacks.bpf.ts", src, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!, { data: { target: process.pid } });
    expect(obj.maps.get("stacks")!.valueSize).toBe(32 * 8);
    using link = attachTracepoint(obj.programs.get("on_getpid")!, "syscalls", "sys_enter_getpid");
    expect(link.fd).toBeGreaterThan(0);
    libc().syscall(SYS_getpid);
    const kernelId = obj.typed.ids!.get(0) as bigint;
    const userId = obj.typed.ids!.get(1) as bigint;
    expect(kernelId).toBeGreaterThanOrEqual(0n);
    expect(userId).toBeGreaterThanOrEqual(0n);
    const kernelStack = obj.typed.stacks!.get(Number(kernelId)) as bigint[];
    const userStack = obj.typed.ustacks!.get(Number(userId)) as bigint[];
    expect(kernelStack).toHaveLength(32);
    // Kernel text is in the top half of the address space; user code in the bottom half.
    expect(kernelStack[0]! >= 0xffff800000000000n).toBe(true);
    expect(userStack[0]! > 0n && userStack[0]! < 0x800000000000n).toBe(true);
  });
});

describeKernel("LruPerCpuHashMap (a kind added as one table row and one stdlib class)", () => {
  it("counts per CPU and reads back as per-CPU arrays", () => {
    const src = `import { xdp, XdpAction, LruPerCpuHashMap, type u32, type u64 } from "tsbpf/bpf";
const recent = new LruPerCpuHashMap<u32, u64>(8);
export const p = xdp((ctx) => {
  const c = recent.lookup(ctx.len);
  if (c !== null) c.value += 1;
  else recent.update(ctx.len, 1);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";`;
    const r = compile("lru.bpf.ts", src, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    expect(obj.maps.get("recent")!.type).toBe(10);
    obj.programs.get("p")!.run({ data: ipv4Packet(6, 60), repeat: 5 });
    const perCpu = obj.typed.recent!.get(60) as bigint[];
    expect(obj.typed.recent!.isPerCpu).toBe(true);
    expect(perCpu.reduce((a, b) => a + b, 0n)).toBe(5n);
  });
});

describeKernel("ArrayOfMaps and HashOfMaps", () => {
  const SRC = `import { xdp, XdpAction, HashMap, ArrayOfMaps, HashOfMaps, type u32, type u64 } from "tsbpf/bpf";
const blue = new HashMap<u32, u64>(64);
const green = new HashMap<u32, u64>(64);
const tables = new ArrayOfMaps(2, { 0: blue, 1: green });
const byKey = new HashOfMaps(8, { 7: green });
let active: u32 = 0;
export const p = xdp((ctx) => {
  const c = tables.lookupIn(active, ctx.len);
  if (c !== null) c.value += 1;
  else if (tables.updateIn(active, ctx.len, 1) !== 0) return XdpAction.DROP;
  const g = byKey.lookupIn(7, ctx.len);
  return g !== null && g.value > 2 ? XdpAction.TX : XdpAction.PASS;
});
export const LICENSE = "GPL";`;

  it("looks up and updates through inner maps filled at load; user space swaps slots", () => {
    const r = compile("mim.bpf.ts", SRC, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    expect(obj.maps.get("tables")!.type).toBe(12);
    expect(obj.maps.get("byKey")!.type).toBe(13);
    const prog = obj.programs.get("p")!;
    const blue = obj.typed.blue!;
    const green = obj.typed.green!;
    const tables = obj.typed.tables!;
    const mapId = (fd: number) => Number(/^map_id:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))![1]);
    // libbpf put blue in slot 0 and green in slot 1 (reads give the inner maps' ids).
    expect(tables.get(0)).toBe(mapId(obj.maps.get("blue")!.fd));
    expect(tables.get(1)).toBe(mapId(obj.maps.get("green")!.fd));

    expect(prog.run({ data: ipv4Packet(6, 60), repeat: 3 }).retval).toBe(XDP_PASS);
    expect(blue.get(60)).toBe(3n);
    expect(green.get(60)).toBeUndefined();
    obj.globals.set("active", 1);
    for (let i = 0; i < 3; i++) prog.run({ data: ipv4Packet(6, 60) });
    expect(green.get(60)).toBe(3n);
    expect(prog.run({ data: ipv4Packet(6, 60) }).retval).toBe(XDP_TX); // green[60] = 4 > 2 through byKey[7]

    // Swap from user space: slot 1 now holds blue; an emptied slot makes updateIn fail (DROP).
    tables.set(1, obj.maps.get("blue")!.fd);
    prog.run({ data: ipv4Packet(6, 60) });
    expect(blue.get(60)).toBe(4n);
    tables.delete(1);
    expect(prog.run({ data: ipv4Packet(6, 61) }).retval).toBe(XDP_DROP);
  });

  it("rejects inner maps of different definitions", () => {
    const bad = SRC.replace("const green = new HashMap<u32, u64>(64);", "const green = new HashMap<u32, u64>(32);");
    expect(compile("bad.bpf.ts", bad).diagnostics.map((d) => d.code)).toEqual(["TSBPF2108"]);
  });
});
