// Program kinds beyond packets and tracing, in the kernel: every cgroup socket/device kind passes the
// verifier touching its context's fields, and the attachable ones are attached to a child cgroup of
// their own (under /sys/fs/cgroup) and triggered by a child process moved into it: connect() refused
// or redirected (the connect4-policy example, through the runtime and through its user.ts), socket()
// refused, a device open refused.

import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { attachCgroup, attachPerfEvent, loadObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const ROOT = join(import.meta.dirname, "..");
const FILE = join(import.meta.dirname, "kinds-case.bpf.ts");

function build(src: string, file = FILE): Uint8Array {
  const r = compile(file, src, { checkIr: true });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return r.object!;
}

/** The cgroup v2 mount: /sys/fs/cgroup itself, or /sys/fs/cgroup/unified beside v1 hierarchies. */
const CGROUP2 =
  ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].find(
    (d) => existsSync(join(d, "cgroup.procs")) && existsSync(join(d, "cgroup.controllers")),
  ) ?? (existsSync("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup");
const CGROUP = join(CGROUP2, `tsbpf-kinds-${process.pid}`);

/**
 * Runs `script` (JavaScript, top-level await allowed; it prints its result as JSON) in a child node
 * process that is moved into CGROUP before the script starts.
 */
async function inCgroup(script: string): Promise<unknown> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", `process.stdin.once("data", async () => { ${script} });`], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  await new Promise((r) => child.on("spawn", r));
  writeFileSync(join(CGROUP, "cgroup.procs"), String(child.pid));
  child.stdin.end("go\n");
  const code = await exited;
  expect(code, out).toBe(0);
  return JSON.parse(out);
}

/** A child's connect() to 127.0.0.1:port: "ok" or the error code. */
const CONNECT = (port: number) => `await (async () => { const net = await import("node:net"); return new Promise((r) => {
  const s = net.connect(${port}, "127.0.0.1"); s.on("connect", () => { s.end(); r("ok"); }); s.on("error", (e) => r(e.code)); }); })()`;

let server: Server;
let serverPort = 0;
let accepted = 0;

describeKernel("cgroup program kinds in the kernel", () => {
  beforeAll(async () => {
    if (!existsSync(CGROUP)) mkdirSync(CGROUP);
    server = createServer((s) => {
      accepted++;
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    serverPort = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    // The cgroup is empty once the children have exited (a dead process leaves it at once).
    for (let i = 0; i < 50 && existsSync(CGROUP); i++) {
      try {
        rmdirSync(CGROUP);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });

  it("every cgroup socket and device kind passes the verifier using its context's fields", () => {
    using obj = loadObject(
      build(`
import { cgroupSockAddr4, cgroupSockAddr6, cgroupSendmsg4, cgroupSendmsg6, cgroupSock, cgroupPostBind4, cgroupPostBind6, cgroupDevice, htons, htonl } from "tsbpf/bpf";
export const c4 = cgroupSockAddr4("connect4", (ctx) => {
  if (ctx.user_family !== 2 || ctx.type !== 1 || ctx.protocol === 17 || ctx.family !== 2) return 1;
  ctx.user_ip4 = htonl(0x7f000001);
  ctx.user_port = htons(9);
  return 1;
});
export const b4 = cgroupSockAddr4("bind4", (ctx) => (ctx.user_port === htons(1) ? 0 : 1));
export const r4 = cgroupSockAddr4("recvmsg4", (ctx) => { ctx.user_ip4 = ctx.user_ip4; return 1; });
export const gp4 = cgroupSockAddr4("getpeername4", (ctx) => 1);
export const gs4 = cgroupSockAddr4("getsockname4", (ctx) => 1);
export const c6 = cgroupSockAddr6("connect6", (ctx) => { ctx.user_ip6_3 = ctx.user_ip6_0 ^ ctx.user_ip6_1 ^ ctx.user_ip6_2; return 1; });
export const b6 = cgroupSockAddr6("bind6", (ctx) => 1);
export const s4 = cgroupSendmsg4((ctx) => { ctx.msg_src_ip4 = ctx.user_ip4; return 1; });
export const s6 = cgroupSendmsg6((ctx) => { ctx.msg_src_ip6_0 = ctx.user_ip6_0; return 1; });
export const create = cgroupSock("sock_create", (ctx) => { ctx.mark = ctx.family + ctx.type + ctx.protocol; ctx.priority = 1; ctx.bound_dev_if = 0; return 1; });
export const release = cgroupSock("sock_release", (ctx) => 1);
export const pb4 = cgroupPostBind4((ctx) => (ctx.src_port === 1 && ctx.src_ip4 !== 0 ? 0 : 1));
export const pb6 = cgroupPostBind6((ctx) => (ctx.src_ip6_3 === 1 && ctx.src_port === 1 ? 0 : 1));
export const dev = cgroupDevice((ctx) => (ctx.major === 1 && ctx.minor === 3 && (ctx.access_type >> 16) !== 0 ? 1 : 1));
export const LICENSE = "GPL";
`),
    );
    expect([...obj.programs.values()].map((p) => [p.name, p.fd > 0])).toEqual([...obj.programs.keys()].map((n) => [n, true]));
    expect(obj.programs.size).toBe(14);
  });

  it("connect4-policy refuses blocked ports and redirects others for processes in the cgroup", async () => {
    const file = join(ROOT, "examples", "connect4-policy", "connect4-policy.bpf.ts");
    using obj = loadObject(build(readFileSync(file, "utf8"), file));
    const { blocked_ports: blocked, redirect_ports: redirects, stats } = Object.fromEntries(obj.maps);
    const u16 = (n: number) => new Uint8Array(new Uint16Array([n]).buffer);
    blocked!.update(u16(7), u16(1));
    redirects!.update(u16(9), u16(serverPort));
    const before = accepted;
    {
      using link = attachCgroup(obj.programs.get("connect4_policy")!, CGROUP);
      void link;
      const got = await inCgroup(`console.log(JSON.stringify([${CONNECT(7)}, ${CONNECT(9)}, ${CONNECT(serverPort)}]));`);
      expect(got).toEqual(["EPERM", "ok", "ok"]);
    }
    expect(accepted - before).toBe(2); // port 9 arrived at the listener
    const count = (i: number) => new DataView(stats!.lookup(new Uint8Array(new Uint32Array([i]).buffer))!.buffer).getBigUint64(0, true);
    expect([count(0), count(1), count(2)]).toEqual([1n, 1n, 1n]);
    // Detached: port 7 is no longer refused (nothing listens there: ECONNREFUSED).
    expect(await inCgroup(`console.log(JSON.stringify(${CONNECT(7)}));`)).toBe("ECONNREFUSED");
  });

  it("connect4-policy's user.ts fills the tables from its arguments and reports the counters", async () => {
    const file = join(ROOT, "examples", "connect4-policy", "connect4-policy.bpf.ts");
    const object = join(tmpdir(), `tsbpf-connect4-${process.pid}.o`);
    writeFileSync(object, build(readFileSync(file, "utf8"), file));
    try {
      const args = [
        "--import",
        "tsx",
        join(ROOT, "examples", "connect4-policy", "user.ts"),
        CGROUP,
        "--block",
        "7",
        "--redirect",
        `9:${serverPort}`,
        "--duration",
        "3",
        "--object",
        object,
      ];
      let stdout = "";
      const child = execFile(process.execPath, args, { cwd: ROOT, timeout: 30_000 });
      child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((r) => child.on("close", r));
      for (let i = 0; i < 300 && !/^attached /m.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toMatch(/^attached connect4_policy to cgroup:/m);
      expect(await inCgroup(`console.log(JSON.stringify([${CONNECT(7)}, ${CONNECT(9)}]));`)).toEqual(["EPERM", "ok"]);
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/^total {2}refused 1 \| redirected 1 \| passed 0$/m);
      expect(stdout).toMatch(/^detached$/m);
    } finally {
      rmSync(object, { force: true });
    }
  }, 40_000);

  it("cgroupSock refuses socket() and cgroupDevice refuses a device open for processes in the cgroup", async () => {
    using obj = loadObject(
      build(`
import { cgroupSock, cgroupDevice } from "tsbpf/bpf";
export const no_udp = cgroupSock("sock_create", (ctx) => (ctx.type === 2 ? 0 : 1));
export const no_null = cgroupDevice((ctx) => (ctx.major === 1 && ctx.minor === 3 ? 0 : 1));
export const LICENSE = "GPL";
`),
    );
    using a = attachCgroup(obj.programs.get("no_udp")!, CGROUP);
    using b = attachCgroup(obj.programs.get("no_null")!, CGROUP);
    void [a, b];
    const got = await inCgroup(`
      const dgram = await import("node:dgram"); const fs = await import("node:fs"); const net = await import("node:net");
      const udp = await new Promise((r) => { const s = dgram.createSocket("udp4"); s.on("error", (e) => r(e.code)); s.bind(0, "127.0.0.1", () => { s.close(); r("ok"); }); });
      let nul; try { fs.closeSync(fs.openSync("/dev/null", "r")); nul = "ok"; } catch (e) { nul = e.code; }
      let zero; try { fs.closeSync(fs.openSync("/dev/zero", "r")); zero = "ok"; } catch (e) { zero = e.code; }
      const tcp = ${CONNECT(serverPort)};
      console.log(JSON.stringify([udp, nul, zero, tcp]));`);
    expect(got).toEqual(["EPERM", "EPERM", "ok", "ok"]);
  });

  it("sockOps sees the TCP events of the cgroup's connections and gets state callbacks on request", async () => {
    using obj = loadObject(
      build(`
import { sockOps, atomicAdd, ArrayMap, SockOpsOp, SockOpsCbFlags, type u64 } from "tsbpf/bpf";
const seen = new ArrayMap<u64>(16);
export const ops = sockOps((ctx) => {
  if (ctx.op < 16) {
    const c = seen.lookup(ctx.op);
    if (c !== null) atomicAdd(c.value, 1);
  }
  if (ctx.op === SockOpsOp.ACTIVE_ESTABLISHED_CB) ctx.setCbFlags(SockOpsCbFlags.STATE);
  return 1;
});
export const LICENSE = "GPL";
`),
    );
    {
      using link = attachCgroup(obj.programs.get("ops")!, CGROUP);
      void link;
      expect(await inCgroup(`console.log(JSON.stringify(${CONNECT(serverPort)}));`)).toBe("ok");
      await new Promise((r) => setTimeout(r, 200)); // the client's close runs its state changes
    }
    const seen = obj.maps.get("seen")!;
    const count = (op: number) => new DataView(seen.lookup(new Uint8Array(new Uint32Array([op]).buffer))!.buffer).getBigUint64(0, true);
    expect(count(3), "TCP_CONNECT_CB").toBe(1n);
    expect(count(4), "ACTIVE_ESTABLISHED_CB").toBe(1n);
    expect(count(10), "STATE_CB after setCbFlags").toBeGreaterThan(0n);
    expect(count(5), "the listener is not in the cgroup").toBe(0n);
  });

  it("cgroupSysctl refuses sysctl reads for processes in the cgroup", async () => {
    using obj = loadObject(
      build(`
import { cgroupSysctl } from "tsbpf/bpf";
export const no_reads = cgroupSysctl((ctx) => (ctx.write === 0 ? 0 : 1));
export const LICENSE = "GPL";
`),
    );
    const read = `let r; try { (await import("node:fs")).readFileSync("/proc/sys/kernel/ostype", "utf8"); r = "ok"; } catch (e) { r = e.code; } console.log(JSON.stringify(r));`;
    {
      using link = attachCgroup(obj.programs.get("no_reads")!, CGROUP);
      void link;
      expect(await inCgroup(read)).toBe("EPERM");
    }
    expect(await inCgroup(read)).toBe("ok");
  });

  it("xdpFrags and perfEvent programs load (xdp.frags also runs)", () => {
    using obj = loadObject(
      build(`
import { xdpFrags, perfEvent, XdpAction, ArrayMap, type u64 } from "tsbpf/bpf";
const results = new ArrayMap<u64>(2);
export const frags = xdpFrags((ctx) => (ctx.len > 20 ? XdpAction.PASS : XdpAction.DROP));
export const sample = perfEvent((ctx) => {
  results.update(0, ctx.sample_period);
  results.update(1, ctx.addr);
  return 0;
});
export const LICENSE = "GPL";
`),
    );
    const frags = obj.programs.get("frags")!;
    expect(frags.section).toBe("xdp.frags");
    expect(frags.run({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(frags.run({ data: new Uint8Array(16) }).retval).toBe(1);
    expect(obj.programs.get("sample")!.fd).toBeGreaterThan(0);
  });

  it("perfEvent runs on the samples of a CPU-clock event of this process (attachPerfEvent)", async () => {
    using obj = loadObject(
      build(`
import { perfEvent, atomicAdd, ArrayMap, type u64 } from "tsbpf/bpf";
const results = new ArrayMap<u64>(2);
export const sample = perfEvent((ctx) => {
  const n = results.lookup(0);
  if (n !== null) atomicAdd(n.value, 1);
  results.update(1, ctx.sample_period);
  return 0;
});
export const LICENSE = "GPL";
`),
    );
    {
      using link = attachPerfEvent(obj.programs.get("sample")!, { pid: 0, cpu: -1, samplePeriod: 100_000 });
      void link;
      const end = Date.now() + 100;
      let spin = 0;
      while (Date.now() < end) spin++; // 100 ms of CPU: about 1000 samples of 100 µs
      void spin;
    }
    const results = obj.maps.get("results")!;
    const at = (i: number) => new DataView(results.lookup(new Uint8Array(new Uint32Array([i]).buffer))!.buffer).getBigUint64(0, true);
    expect(at(0)).toBeGreaterThan(100n);
    expect(at(1)).toBe(100_000n);
    const after = at(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(at(0)).toBe(after); // detached
  });

  it("skSkb (parser and verdict, with packet access) and skMsg programs load", () => {
    using obj = loadObject(
      build(`
import { skSkb, skMsg, SkAction, type u32 } from "tsbpf/bpf";
interface Len { n: u32 }
export const parser = skSkb("stream_parser", (ctx) => {
  const h = ctx.header<Len>(0);
  return h === null ? 0 : h.n + 4;
});
export const verdict = skSkb("stream_verdict", (ctx) => {
  ctx.priority = ctx.len > 100 ? 1 : 0;
  ctx.tc_index = ctx.protocol;
  return ctx.ifindex !== 0 ? SkAction.PASS : SkAction.DROP;
});
export const msg = skMsg((ctx) => (ctx.size > 0 && ctx.family === 2 && ctx.local_port !== 0 && ctx.remote_ip6_3 === 0 ? SkAction.PASS : SkAction.DROP));
export const LICENSE = "GPL";
`),
    );
    for (const name of ["parser", "verdict", "msg"]) expect(obj.programs.get(name)!.fd, name).toBeGreaterThan(0);
  });
});
