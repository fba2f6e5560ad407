// sk_lookup for UDP: a program steers datagrams for ports 7100-7109 to one bound UDP socket from a
// SockMap (an IPv4 one and an IPv6 one, by the lookup's family). Node's dgram sockets do not expose their fd, so the socket is created and bound by the
// runtime (bindUdpSocket: socket(2)/bind(2) through koffi), added to the map by fd, and adopted by a
// Node dgram socket (bind({ fd })) that receives the datagrams. Runs in a fresh network namespace.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dgram from "node:dgram";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { bindUdpSocket } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const SRC = `import { skLookup, SockMap, ArrayMap, SkAction, skAssign, skRelease, atomicAdd, i64, u64, type u32 } from "tsbpf/bpf";

/** Slot 0: the IPv4 UDP socket that serves the range, slot 1: the IPv6 one. */
const target = new SockMap(2);
/** 0: datagrams steered, 1: refused by skAssign, 2: TCP lookups in the range (left alone), 3: the last skAssign error. */
const stats = new ArrayMap<u64>(4);

function count(i: u32): void {
  const c = stats.lookup(i);
  if (c !== null) atomicAdd(c.value, 1);
}

export const steer_udp = skLookup((ctx) => {
  if (ctx.local_port < 7100 || ctx.local_port > 7109) return SkAction.PASS;
  if (ctx.protocol !== 17) {
    count(2);
    return SkAction.PASS;
  }
  const sk = target.lookup(ctx.family === 10 ? 1 : 0);
  if (sk === null) return SkAction.PASS;
  const rc = skAssign(sk);
  skRelease(sk);
  if (rc === 0) {
    count(0);
  } else {
    count(1);
    stats.update(3, u64(-i64(rc)));
  }
  return SkAction.PASS;
});
export const LICENSE = "GPL";
`;

let dir: string;
let objectPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsbpf-sk-lookup-udp-"));
  const file = join(dir, "udp.bpf.ts");
  writeFileSync(file, SRC);
  const r = compile(file, SRC, { checkIr: true });
  expect(r.diagnostics).toEqual([]);
  objectPath = join(dir, "udp.bpf.o");
  writeFileSync(objectPath, r.object!);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("bindUdpSocket binds a UDP socket that a Node dgram socket adopts, and refuses bad addresses", async () => {
  const before = readdirSync("/proc/self/fd").length;
  const fd = bindUdpSocket({ address: "127.0.0.1" });
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind({ fd }, r));
  expect(s.address().address).toBe("127.0.0.1");
  const got = new Promise<string>((r) => s.once("message", (m) => r(m.toString())));
  const c = dgram.createSocket("udp4");
  c.send("ping", s.address().port, "127.0.0.1");
  expect(await got).toBe("ping");
  c.close();
  await new Promise<void>((r) => s.close(r));
  const fd6 = bindUdpSocket({ address: "::1" });
  const s6 = dgram.createSocket("udp6");
  await new Promise<void>((r) => s6.bind({ fd: fd6 }, r));
  expect(s6.address()).toMatchObject({ address: "::1", family: "IPv6" });
  await new Promise<void>((r) => s6.close(r));
  expect(() => bindUdpSocket({ address: "not-an-ip" })).toThrow(/not an IPv4 or IPv6 address literal/);
  expect(() => bindUdpSocket({ port: 70000 })).toThrow(RangeError);
  // A port in use: bind's error, and the socket is closed again.
  const busy = bindUdpSocket({ address: "127.0.0.1" });
  const b = dgram.createSocket("udp4");
  await new Promise<void>((r) => b.bind({ fd: busy }, r));
  expect(() => bindUdpSocket({ address: "127.0.0.1", port: b.address().port })).toThrow(
    /cannot bind a UDP socket to 127\.0\.0\.1:\d+: EADDRINUSE/,
  );
  await new Promise<void>((r) => b.close(r));
  expect(readdirSync("/proc/self/fd").length).toBe(before);
});

describeKernel("sk_lookup for UDP in the kernel", () => {
  it("steers datagrams for ports 7100-7109 to one UDP socket from a SockMap, over IPv4 and IPv6; other ports and TCP are left alone", () => {
    const child = join(import.meta.dirname, "support", "sk-lookup-udp-child.ts");
    const out = execFileSync("unshare", ["-n", process.execPath, "--import", "tsx", child, objectPath], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const r = JSON.parse(out) as {
      port: number;
      port6: number;
      cookie: string;
      receivedBefore: string[];
      received: string[];
      received6: string[];
      tcp: string;
      stats: string[];
    };
    // The map took the UDP socket (the kernel gives it a cookie).
    expect(r.cookie).toMatch(/^\d+$/);
    expect(r.cookie).not.toBe("0");
    // Before attaching, nothing listens on 7100.
    expect(r.receivedBefore).toEqual([]);
    // Attached: the socket bound to its own port receives what was sent to 7100, 7105 and 7109, and
    // to its port directly; 7110 is outside the range and has no socket.
    expect(r.received.slice().sort()).toEqual(["to 7100", "to 7105", "to 7109", `to ${r.port}`].sort());
    // The same over IPv6, to the IPv6 socket in slot 1.
    expect(r.received6.slice().sort()).toEqual(["to 7100", "to 7109", `to ${r.port6}`].sort());
    // TCP to a port in the range is passed on: nothing listens, so the connection is refused.
    expect(r.tcp).toBe("ECONNREFUSED");
    expect(r.stats).toEqual(["5", "0", "1", "0"]);
  }, 60_000);
});
