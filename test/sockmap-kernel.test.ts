// Socket maps and socket local storage in the kernel: SockMap/SockHash with sk_msg and sk_skb
// verdict programs attached to them redirect bytes between TCP connections on loopback (in a network
// namespace of their own, test/support/sockmap-child.ts), and a sock_ops program fills a SockHash
// with the cgroup's established sockets, read back from user space.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { describeKernel } from "./kernel-env.js";

const FILE = join(import.meta.dirname, "sockmap-case.bpf.ts");

function build(src: string): Uint8Array {
  const r = compile(FILE, src, { checkIr: true });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return r.object!;
}

const CGROUP2 = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].find((d) => existsSync(join(d, "cgroup.controllers"))) ?? "/sys/fs/cgroup";

/** Runs a child script under `unshare -n` with the object file and a fresh child cgroup; returns its JSON. */
function runChild(script: string, object: Uint8Array, tag: string): unknown {
  const file = join(tmpdir(), `tsbpf-${tag}-${process.pid}.o`);
  const cgroup = join(CGROUP2, `tsbpf-${tag}-${process.pid}`);
  writeFileSync(file, object);
  if (!existsSync(cgroup)) mkdirSync(cgroup);
  try {
    const child = join(import.meta.dirname, "support", script);
    const out = execFileSync("unshare", ["-n", process.execPath, "--import", "tsx", child, file, cgroup], {
      encoding: "utf8",
      timeout: 60_000,
    });
    return JSON.parse(out);
  } finally {
    rmSync(file, { force: true });
    for (let i = 0; i < 50 && existsSync(cgroup); i++) {
      try {
        rmdirSync(cgroup);
      } catch {
        execFileSync("sleep", ["0.02"]);
      }
    }
  }
}

const SOCKMAP_SRC = `
import { skMsg, skSkb, sockOps, SockMap, SockHash, SkRedirectFlags, SockOpsOp, ArrayMap, atomicAdd, msgRedirectMap, skRedirectMap, sockHashUpdate, ntohs, u16, type u32, type u64 } from "tsbpf/bpf";

interface Conn {
  local_port: u32;
  remote_port: u32;
}
const msgSocks = new SockMap(2);
const skbSocks = new SockMap(2);
const established = new SockHash<Conn>(64);
/** 0: sk_msg runs, 1: sk_skb verdict runs, 2: sockHashUpdate successes, 3: failures. */
const counts = new ArrayMap<u64>(4);

function bump(i: u32): void {
  const c = counts.lookup(i);
  if (c !== null) atomicAdd(c.value, 1);
}

export const msg = skMsg((ctx) => {
  bump(0);
  return msgRedirectMap(msgSocks, 1, SkRedirectFlags.INGRESS);
});

export const verdict = skSkb("verdict", (ctx) => {
  bump(1);
  return skRedirectMap(skbSocks, 1);
});

export const ops = sockOps((ctx) => {
  if (ctx.op === SockOpsOp.ACTIVE_ESTABLISHED_CB || ctx.op === SockOpsOp.PASSIVE_ESTABLISHED_CB) {
    // local_port is in host order; remote_port holds the network-order port in its upper 16 bits.
    const key: Conn = { local_port: ctx.local_port, remote_port: ntohs(u16(ctx.remote_port >> 16)) };
    bump(sockHashUpdate(established, key) === 0 ? 2 : 3);
  }
  return 1;
});
export const LICENSE = "GPL";
`;

describeKernel("socket maps in the kernel", () => {
  it("sk_msg and sk_skb verdict programs redirect bytes between connections; sock_ops fills a SockHash", () => {
    const r = runChild("sockmap-child.ts", build(SOCKMAP_SRC), "sockmap") as {
      port: number;
      msg: Record<string, string>;
      skb: Record<string, string>;
      msgCookies: string[];
      established: { local_port: number; remote_port: number; cookie: string }[];
      clientPorts: number[];
      counts: string[];
      links: [string, string, boolean, boolean];
    };
    // Attached through BPF links (Linux 6.10+), not the BPF_PROG_ATTACH fallback.
    expect(r.links).toEqual(["sockmap:msgSocks:msg_verdict", "sockmap:skbSocks:verdict", true, true]);
    // sk_msg: a1's bytes land in b1's receive queue, a1's peer gets nothing.
    expect(r.msg).toEqual({ b1: "via-sk-msg", a1s: "", b1s: "" });
    // sk_skb verdict: the bytes a2s received leave through b2s, so b2 reads them; a2s's reader does not.
    expect(r.skb).toEqual({ b2: "via-sk-skb", a2s: "", b2s: "" });
    expect(BigInt(r.counts[0]!)).toBeGreaterThanOrEqual(1n);
    expect(BigInt(r.counts[1]!)).toBeGreaterThanOrEqual(1n);
    // User space reads a socket map slot as the socket's cookie.
    expect(r.msgCookies.every((c) => c !== undefined && BigInt(c) > 0n)).toBe(true);
    // sock_ops: both ends of all four connections are in the SockHash, under their own ports.
    expect(r.counts[2]).toBe("8");
    expect(r.counts[3]).toBe("0");
    const keys = r.established.map((e) => `${e.local_port}->${e.remote_port}`).sort();
    const want = r.clientPorts.flatMap((p) => [`${p}->${r.port}`, `${r.port}->${p}`]).sort();
    expect(keys).toEqual(want);
    expect(new Set(r.established.map((e) => e.cookie)).size).toBe(8);
    // The cookie user space reads from the SockMap is that of the same socket in the SockHash.
    expect(r.established.find((e) => e.local_port === r.clientPorts[0])?.cookie).toBe(r.msgCookies[0]);
  });
});

describeKernel("socket map helpers", () => {
  it("the SockHash variants (redirects, update, lookup with skAssign) pass the verifier (keys by address), and each helper is refused in other program kinds", async () => {
    const { loadObject } = await import("../runtime/index.js");
    using obj = loadObject(
      build(`
import { skMsg, skSkb, skLookup, sockOps, SockMap, SockHash, SkAction, msgRedirectHash, skRedirectHash, sockMapUpdate, skAssign, skRelease, i32, type u32 } from "tsbpf/bpf";
interface Key { port: u32; tag: u32 }
const socks = new SockMap(4);
const hash = new SockHash<Key>(16);
export const msg = skMsg((ctx) => msgRedirectHash(hash, { port: ctx.local_port, tag: 1 }));
export const verdict = skSkb("stream_verdict", (ctx) => {
  const k: Key = { port: ctx.len, tag: 2 };
  return skRedirectHash(hash, k);
});
export const parser = skSkb("stream_parser", (ctx) => i32(ctx.len));
export const lookup = skLookup((ctx) => {
  const sk = hash.lookup({ port: ctx.local_port, tag: 3 });
  if (sk === null) return SkAction.PASS;
  const rc = skAssign(sk);
  skRelease(sk);
  return rc === 0 ? SkAction.PASS : SkAction.DROP;
});
export const ops = sockOps((ctx) => {
  sockMapUpdate(socks, ctx.op & 3);
  return 1;
});
export const LICENSE = "GPL";
`),
    );
    expect([...obj.programs.values()].map((p) => p.section).sort()).toEqual([
      "sk_lookup",
      "sk_msg",
      "sk_skb/stream_parser",
      "sk_skb/stream_verdict",
      "sockops",
    ]);
    expect(obj.typed.hash.map.keySize).toBe(8);
    const r = compile(
      FILE,
      `import { skMsg, SockMap, skRedirectMap } from "tsbpf/bpf";
const socks = new SockMap(4);
export const msg = skMsg((ctx) => skRedirectMap(socks, 0));
export const LICENSE = "GPL";
`,
    );
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TSBPF2150"]);
    expect(`${r.diagnostics[0]!.message} ${r.diagnostics[0]!.hint}`).toMatch(/bpf_sk_redirect_map.*skMsg.*SK_SKB/);
  });
});

const STORAGE_SRC = `
import { cgroupSkb, cgroupSockAddr4, SkStorage, StorageFlags, ArrayMap, skStorageGet, skStorageDelete, type u32, type u64 } from "tsbpf/bpf";

interface Usage {
  packets: u64;
  bytes: u64;
  connects: u32;
  port: u32;
}
const usage = new SkStorage<Usage>();
/** 0: a port (network order) whose connections lose their value in connect4. */
const config = new ArrayMap<u32>(1);

export const egress = cgroupSkb("egress", (ctx) => {
  const u = skStorageGet(usage, ctx, null, StorageFlags.CREATE);
  if (u !== null) {
    u.packets += 1;
    u.bytes += ctx.len;
  }
  return 1;
});

export const connect = cgroupSockAddr4("connect4", (ctx) => {
  const u = skStorageGet(usage, ctx, { packets: 0, bytes: 0, connects: 100, port: 0 }, StorageFlags.CREATE);
  if (u !== null) {
    u.connects += 1;
    u.port = ctx.user_port;
  }
  const drop = config.lookup(0);
  if (drop !== null && drop.value === ctx.user_port) skStorageDelete(usage, ctx);
  return 1;
});
export const LICENSE = "GPL";
`;

type Usage = { packets: number; bytes: number; connects: number; port: number } | null;

describeKernel("socket local storage in the kernel", () => {
  it("SkStorage counts each socket's egress bytes (cgroupSkb) and connects (connect4), read back by socket fd", () => {
    const r = runChild("storage-child.ts", build(STORAGE_SRC), "skstorage") as Record<string, Usage> & { port: number };
    const be16 = (p: number) => ((p & 0xff) << 8) | (p >> 8);
    // connect4 created the value from its init (connects: 100) and counted the connect.
    expect(r.client).toMatchObject({ connects: 101, port: be16(r.port) });
    // Every egress packet of the client: the SYN, the 1000 data bytes, ACKs; each with 40 bytes of headers at least.
    expect(r.client!.packets).toBeGreaterThanOrEqual(3);
    expect(r.client!.bytes).toBeGreaterThanOrEqual(1000 + 40 * r.client!.packets);
    // The accepted socket never connected: its value was created zeroed by its first egress packet.
    expect(r.server).toMatchObject({ connects: 0, port: 0 });
    expect(r.server!.packets).toBeGreaterThanOrEqual(1);
    // The SYN-ACK leaves with the listener as its socket (the request socket is not a full one).
    expect(r.listener).toMatchObject({ connects: 0, port: 0 });
    expect(r.listener!.packets).toBeGreaterThanOrEqual(1);
    // skStorageDelete in connect4 dropped the value; later egress packets created a zeroed one.
    expect(r.deleted).toMatchObject({ connects: 0, port: 0 });
    expect(r.deleted!.packets).toBeGreaterThanOrEqual(1);
    expect(r.written).toEqual({ packets: 7, bytes: 8, connects: 9, port: 10 });
  });
});

it("local storage calls report a wrong map, a wrong owner and a wrong program kind", () => {
  const codes = (body: string, wrapper = `cgroupSkb("egress", (ctx) => {`) => {
    const r = compile(
      FILE,
      `import { cgroupSkb, xdp, SkStorage, SockMap, StorageFlags, skStorageGet, type SockContext, type u64 } from "tsbpf/bpf";
const store = new SkStorage<u64>();
const other = new SockMap(4);
export const p = ${wrapper}
  ${body}
  return 1;
});
export const LICENSE = "GPL";
`,
    );
    return r.diagnostics.map((d) => d.code);
  };
  expect(codes(`const v = skStorageGet(store, ctx, null, StorageFlags.CREATE); if (v !== null) v.value += 1;`)).toEqual([]);
  // A SockMap has the (empty) shape of an SkStorage as far as tsc is concerned; tsbpf knows better.
  expect(codes(`skStorageGet(other, ctx);`)).toEqual(["TSBPF2110"]);
  const fake = `const s: SockContext = { bound_dev_if: 0, family: 2, type: 1, protocol: 6, mark: 0, priority: 0 };`;
  expect(codes(`${fake} skStorageGet(store, s);`)).toEqual(["TSBPF2111"]);
  expect(codes(`${fake} skStorageGet(store, s);`, `xdp((ctx) => {`)).toEqual(["TSBPF2150"]);
});

const CGROUP_STORAGE_SRC = `
import { cgroupSkb, CgroupStorage, PerCpuCgroupStorage, getLocalStorage, atomicAdd, type u64 } from "tsbpf/bpf";

interface Usage {
  packets: u64;
  bytes: u64;
}
const perCgroup = new CgroupStorage<Usage>();
const perCgroupPerCpu = new PerCpuCgroupStorage<u64>();

export const count = cgroupSkb("egress", (ctx) => {
  const u = getLocalStorage(perCgroup);
  atomicAdd(u.packets, 1);
  atomicAdd(u.bytes, ctx.len);
  getLocalStorage(perCgroupPerCpu).value += 1;
  return 1;
});
export const LICENSE = "GPL";
`;

describeKernel("cgroup storage in the kernel", () => {
  it("CgroupStorage and PerCpuCgroupStorage count each cgroup's egress packets, read back by cgroup id", () => {
    const r = runChild("cgroup-storage-child.ts", build(CGROUP_STORAGE_SRC), "cgstorage") as {
      ids: string[];
      values: { packets: number; bytes: number }[];
      perCpuSums: string[];
      keys: string[];
      written: unknown;
      deleted: unknown;
    };
    // One value per cgroup the program is attached to, keyed by the cgroup's id.
    expect(r.keys).toEqual([...r.ids].sort());
    // 3 and 5 datagrams of 1 byte: 20 (IP) + 8 (UDP) + 1 bytes each.
    expect(r.values).toEqual([
      { packets: 3, bytes: 3 * 29 },
      { packets: 5, bytes: 5 * 29 },
    ]);
    expect(r.perCpuSums).toEqual(["3", "5"]);
    // User space overwrites a value; the kernel refuses deletes (EINVAL).
    expect(r.written).toEqual({ packets: 7, bytes: 8 });
    expect(String(r.deleted)).toMatch(/EINVAL|Invalid argument/);
  });
});

const SK_LOOKUP_SRC = `
import { skLookup, SockMap, SkAction, ArrayMap, atomicAdd, skAssign, skRelease, type u64 } from "tsbpf/bpf";

const listeners = new SockMap(1);
/** 0: connections assigned to the listener, 1: assignments refused. */
const hits = new ArrayMap<u64>(2);

export const steer = skLookup((ctx) => {
  if (ctx.protocol !== 6 || ctx.local_port < 7000 || ctx.local_port > 7009) return SkAction.PASS;
  const sk = listeners.lookup(0);
  if (sk === null) return SkAction.PASS;
  const rc = skAssign(sk);
  skRelease(sk);
  const c = hits.lookup(rc === 0 ? 0 : 1);
  if (c !== null) atomicAdd(c.value, 1);
  return rc === 0 ? SkAction.PASS : SkAction.DROP;
});
export const LICENSE = "GPL";
`;

describeKernel("sk_lookup in the kernel", () => {
  it("steers connections to a port range to one listening socket from a SockMap", () => {
    const file = join(tmpdir(), `tsbpf-sklookup-${process.pid}.o`);
    writeFileSync(file, build(SK_LOOKUP_SRC));
    try {
      const child = join(import.meta.dirname, "support", "sklookup-child.ts");
      const out = execFileSync("unshare", ["-n", process.execPath, "--import", "tsx", child, file], { encoding: "utf8", timeout: 60_000 });
      const r = JSON.parse(out) as {
        port: number;
        results: { inRange: string[]; outside: string; direct: string };
        seenPorts: number[];
        hits: string[];
      };
      const hello = `hello from ${r.port}`;
      // Ports 7000-7009 have no socket of their own: the program hands them the listener.
      expect(r.results.inRange).toEqual([hello, hello]);
      // Outside the range nothing listens: refused, as without the program.
      expect(r.results.outside).toBe("ECONNREFUSED");
      expect(r.results.direct).toBe(hello);
      // The accepted sockets keep the port the client dialled.
      expect(r.seenPorts).toEqual([7000, 7009, r.port]);
      expect(r.hits).toEqual(["2", "0"]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("a socket reference that some path does not release is a compile-time error (TSBPF2113)", () => {
    const leaky = SK_LOOKUP_SRC.replace("  skRelease(sk);\n", "  if (rc === 0) skRelease(sk);\n");
    const r = compile(FILE, leaky);
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TSBPF2113"]);
    expect(r.diagnostics[0]!.message).toMatch(/not released on the path through lines .* to the return on line/);
    // Only a looked-up socket can be assigned or released.
    const fake = SK_LOOKUP_SRC.replace("import { skLookup,", "import { type SockRef, skLookup,").replace(
      "  skRelease(sk);\n",
      "  skRelease(sk);\n  const other: SockRef = { bound_dev_if: 0, family: 2, type: 1, protocol: 6, mark: 0, priority: 0, src_ip4: 0, src_port: 0, dst_ip4: 0, state: 0 };\n  skRelease(other);\n",
    );
    expect(compile(FILE, fake).diagnostics.map((d) => d.code)).toEqual(["TSBPF2114"]);
  });
});

const SOCKHASH_SRC = `
import { skMsg, skSkb, sockOps, SockMap, SockHash, ArrayMap, SkAction, SkRedirectFlags, SockOpsOp, msgRedirectHash, skRedirectHash, sockMapUpdate, i32, type u32 } from "tsbpf/bpf";

const msgHash = new SockHash<u32>(8);
const skbHash = new SockHash<u32>(8);
const lastAccepted = new SockMap(1);
const mine = new SockMap(1);
/** 0: the key sk_msg sends to, 1: the key the sk_skb verdict sends to. */
const config = new ArrayMap<u32>(2);

export const msg = skMsg((ctx) => {
  const to = config.lookup(0);
  if (to === null) return SkAction.PASS;
  return msgRedirectHash(msgHash, to.value, SkRedirectFlags.INGRESS);
});

export const parser = skSkb("stream_parser", (ctx) => i32(ctx.len));

export const verdict = skSkb("stream_verdict", (ctx) => {
  const to = config.lookup(1);
  if (to === null) return SkAction.PASS;
  return skRedirectHash(skbHash, to.value);
});

export const ops = sockOps((ctx) => {
  if (ctx.op === SockOpsOp.PASSIVE_ESTABLISHED_CB) sockMapUpdate(lastAccepted, 0);
  return 1;
});
export const LICENSE = "GPL";
`;

describeKernel("socket hashes in the kernel", () => {
  it("msgRedirectHash, stream parser + skRedirectHash and sockMapUpdate move bytes and sockets", () => {
    const r = runChild("sockhash-child.ts", build(SOCKHASH_SRC), "sockhash") as {
      msg: Record<string, string>;
      skb: Record<string, string>;
      cookies: [string, string];
    };
    expect(r.msg).toEqual({ b1: "via-msg-hash", a1s: "", b1s: "" });
    expect(r.skb).toEqual({ b2: "via-skb-hash", a2s: "", b2s: "" });
    // sock_ops put the last accepted socket in its SockMap: the same socket user space added to another.
    expect(r.cookies[0]).not.toBe("undefined");
    expect(r.cookies[0]).toBe(r.cookies[1]);
  });
});
