// Why: attaching is where programs meet real traffic. These tests build a veth pair into a network
// namespace of their own, attach XDP (the compiled xdp-counter example) and TC programs to it and
// ping through it, filter a real UDP socket, attach to a cgroup, and check that every error path
// throws the documented AttachError and leaks no file descriptor.

import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { BPFFS_PATH, ensureBpffs, loadObject, readU64, u32le, type BpfMap } from "../runtime/index.js";
import { attachCgroup, attachSocketFilter, attachTc, attachXdp, attachAuto } from "../runtime/attach.js";
import { AttachError, Link } from "../runtime/link.js";
import { describeKernel } from "./kernel-env.js";
import { CBuilder, clangIt, fdCount, haveClang, libc, loopback, run, VethNetns } from "./support/bpf-c.js";

const IPPROTO_ICMP = 1;

function xdpCounterObject(): Uint8Array {
  const file = join(import.meta.dirname, "..", "examples", "xdp-counter", "xdp-counter.bpf.ts");
  const r = compile(file, readFileSync(file, "utf8"));
  expect(r.ok).toBe(true);
  return r.object!;
}

/** Packets counted for `proto` by xdp-counter, summed over CPUs. */
function xdpPackets(counters: BpfMap, proto: number): bigint {
  let n = 0n;
  for (const v of counters.lookupPerCpu(u32le(proto))!) n += readU64(v, 0);
  return n;
}

const TC_C = `
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } ipv4 SEC(".maps");
SEC("tc")
int tc_count(struct __sk_buff *skb)
{
	__u32 k = 0;
	if (skb->protocol == __builtin_bswap16(0x0800)) {
		__u64 *c = bpf_map_lookup_elem(&ipv4, &k);
		if (c) __sync_fetch_and_add(c, 1);
	}
	return 0; /* TC_ACT_OK */
}
`;

const SOCKET_C = `
/* Keep datagrams of at most 50 bytes (UDP header included), drop the rest. */
SEC("socket")
int small_only(struct __sk_buff *skb)
{
	return skb->len <= 50 ? skb->len : 0;
}
`;

const CGROUP_C = `
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } seen SEC(".maps");
SEC("cgroup_skb/egress")
int egress_count(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&seen, &k);
	if (c) __sync_fetch_and_add(c, 1);
	return 1; /* allow */
}
`;

const count = (map: BpfMap): bigint => readU64(map.lookup(u32le(0))!, 0);

describeKernel("attach to network hooks", () => {
  const net = new VethNetns("a");
  const c = haveClang ? new CBuilder() : null;

  beforeAll(() => {
    net.create();
  });
  afterAll(() => {
    net.destroy();
    c?.remove();
  });

  describe("XDP", () => {
    it("counts real pings in generic mode and stops counting after close()", () => {
      const fds = fdCount();
      {
        using obj = loadObject(xdpCounterObject());
        const prog = obj.programs.get("xdp_counter")!;
        const counters = obj.maps.get("counters")!;
        const link = attachXdp(prog, net.host, { mode: "generic" });
        expect(link.fd).toBeGreaterThan(0);
        expect(net.hostLink()).toMatch(/xdpgeneric/);
        expect(net.ping(3)).toBe(true);
        const seen = xdpPackets(counters, IPPROTO_ICMP);
        expect(seen).toBeGreaterThanOrEqual(3n);

        link.close();
        link.close(); // idempotent
        expect(net.hostLink()).not.toMatch(/xdp/);
        expect(net.ping(2)).toBe(true);
        expect(xdpPackets(counters, IPPROTO_ICMP)).toBe(seen);
      }
      expect(fdCount()).toBe(fds);
    });

    it("attaches in driver mode on veth and detaches with `using`", () => {
      using obj = loadObject(xdpCounterObject());
      const counters = obj.maps.get("counters")!;
      {
        using link = attachXdp(obj.programs.get("xdp_counter")!, net.host, { mode: "driver" });
        expect(link.target).toContain("driver");
        expect(net.hostLink()).toMatch(/prog\/xdp id/);
        expect(net.hostLink()).not.toMatch(/xdpgeneric/);
        expect(net.ping(3)).toBe(true);
        expect(xdpPackets(counters, IPPROTO_ICMP)).toBeGreaterThanOrEqual(3n);
      }
      expect(net.hostLink()).not.toMatch(/xdp/);
    });

    it("refuses a second program on the same interface (EBUSY) without leaking fds", () => {
      using obj = loadObject(xdpCounterObject());
      const prog = obj.programs.get("xdp_counter")!;
      using first = attachXdp(prog, net.host, { mode: "generic" });
      const fds = fdCount();
      const err = (() => {
        try {
          attachXdp(prog, net.host, { mode: "generic" });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(AttachError);
      expect((err as AttachError).errno).toBe(16);
      expect((err as AttachError).message).toMatch(/EBUSY.*already attached/s);
      expect(fdCount()).toBe(fds);
      expect(first.closed).toBe(false);
    });

    it("names a missing interface, rejects a bad mode, and needs a target for auto-attach", () => {
      using obj = loadObject(xdpCounterObject());
      const prog = obj.programs.get("xdp_counter")!;
      const fds = fdCount();
      expect(() => attachXdp(prog, "tsbpf-nope0")).toThrow(/no network interface named 'tsbpf-nope0'/);
      expect(() => attachXdp(prog, net.host, { mode: "turbo" as never })).toThrow(RangeError);
      expect(() => attachAuto(prog)).toThrow(/needs a target: use attachXdp/);
      expect(() => prog.attach()).toThrow(AttachError);
      expect(fdCount()).toBe(fds);
    });

    it("a pinned link stays attached after close() until it is unpinned", () => {
      ensureBpffs();
      const dir = join(BPFFS_PATH, `tsbpf-test-${process.pid}`);
      mkdirSync(dir, { recursive: true });
      const pin = join(dir, "xdp_link");
      try {
        using obj = loadObject(xdpCounterObject());
        const link = attachXdp(obj.programs.get("xdp_counter")!, net.host, { mode: "generic" });
        link.pin(pin);
        expect(link.pinnedPath).toBe(pin);
        expect(existsSync(pin)).toBe(true);
        link.close();
        obj.close();
        expect(net.hostLink()).toMatch(/xdpgeneric/);

        const again = Link.open(pin);
        expect(again.fd).toBeGreaterThan(0);
        again.unpin();
        expect(existsSync(pin)).toBe(false);
        again.close();
        expect(net.hostLink()).not.toMatch(/xdp/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("refuses a program of the wrong type", () => {
      using obj = loadObject(xdpCounterObject());
      const prog = obj.programs.get("xdp_counter")!;
      expect(() => attachTc(prog, net.host, "ingress")).toThrow(/only TC programs/);
      expect(() => attachSocketFilter(prog, 0)).toThrow(/only socket filter programs/);
    });
  });

  describe("TC (clsact)", () => {
    clangIt("counts ingress and egress IPv4 packets on the veth and removes the qdisc on close", () => {
      const fds = fdCount();
      {
        using obj = loadObject(c!.build("tc", TC_C));
        const prog = obj.programs.get("tc_count")!;
        using both = loadObject(c!.build("tc", TC_C));
        const egressMap = both.maps.get("ipv4")!;
        const ingressMap = obj.maps.get("ipv4")!;

        const ingress = attachTc(prog, net.host, "ingress");
        const egress = attachTc(both.programs.get("tc_count")!, net.host, "egress");
        expect(ingress.fd).toBe(-1);
        expect(() => ingress.pin("/sys/fs/bpf/nope")).toThrow(/not a BPF link/);
        expect(net.hostQdiscs()).toMatch(/clsact/);
        expect(net.ping(3)).toBe(true);
        // Echo requests come in, replies go out.
        expect(count(ingressMap)).toBeGreaterThanOrEqual(3n);
        expect(count(egressMap)).toBeGreaterThanOrEqual(3n);

        ingress.close();
        // The egress filter still uses the qdisc this process created.
        expect(net.hostQdiscs()).toMatch(/clsact/);
        const before = count(ingressMap);
        expect(net.ping(2)).toBe(true);
        expect(count(ingressMap)).toBe(before);
        expect(count(egressMap)).toBeGreaterThanOrEqual(5n);

        egress.close();
        expect(net.hostQdiscs()).not.toMatch(/clsact/);
      }
      expect(fdCount()).toBe(fds);
    });

    clangIt("keeps a clsact qdisc it did not create", () => {
      run("tc", ["qdisc", "add", "dev", net.host, "clsact"]);
      try {
        using obj = loadObject(c!.build("tc", TC_C));
        const link = attachTc(obj.programs.get("tc_count")!, net.host, "ingress");
        link.close();
        expect(net.hostQdiscs()).toMatch(/clsact/);
      } finally {
        run("tc", ["qdisc", "del", "dev", net.host, "clsact"]);
      }
    });
  });

  describe("socket filter", () => {
    clangIt("drops large datagrams on a real UDP socket until detached", () => {
      const fds = fdCount();
      const L = libc();
      const sock = L.socket(2, 2 | 0o4000, 0); // AF_INET, SOCK_DGRAM | SOCK_NONBLOCK
      expect(sock).toBeGreaterThan(0);
      try {
        expect(L.bind(sock, loopback(0), 16)).toBe(0);
        const addr = Buffer.alloc(16);
        const len = Buffer.alloc(4);
        len.writeUInt32LE(16);
        expect(L.getsockname(sock, addr, len)).toBe(0);
        const port = addr.readUInt16BE(2);
        const send = (n: number): void => {
          const payload = Buffer.alloc(n, 0x61);
          expect(L.sendto(sock, payload, n, 0, loopback(port), 16)).toBe(n);
        };
        const received = (): number[] => {
          const out: number[] = [];
          const buf = Buffer.alloc(2048);
          for (let r = L.recv(sock, buf, buf.length, 0); r >= 0; r = L.recv(sock, buf, buf.length, 0)) out.push(r);
          return out;
        };

        {
          using obj = loadObject(c!.build("sock", SOCKET_C));
          const link = attachSocketFilter(obj.programs.get("small_only")!, sock);
          send(2);
          send(100);
          send(30);
          expect(received()).toEqual([2, 30]);
          link.close();
          send(100);
          expect(received()).toEqual([100]);
        }
      } finally {
        L.close(sock);
      }
      expect(fdCount()).toBe(fds);
    });

    clangIt("gives ENOTSOCK for an fd that is not a socket", () => {
      using obj = loadObject(c!.build("sock", SOCKET_C));
      const prog = obj.programs.get("small_only")!;
      const fds = fdCount();
      try {
        attachSocketFilter(prog, prog.fd);
        expect.fail("attached to a non-socket");
      } catch (e) {
        expect(e).toBeInstanceOf(AttachError);
        expect((e as AttachError).errno).toBe(88);
        expect((e as Error).message).toMatch(/ENOTSOCK.*not an open socket/);
      }
      expect(fdCount()).toBe(fds);
    });
  });

  describe("cgroup", () => {
    const root = "/sys/fs/cgroup/unified";
    const cgroup2 = existsSync(join(root, "cgroup.procs")) ? root : existsSync("/sys/fs/cgroup/cgroup.procs") ? "/sys/fs/cgroup" : null;

    clangIt("counts egress packets of the cgroup v2 hierarchy through a link", () => {
      if (!cgroup2) {
        console.warn("skipping cgroup attach test: no cgroup v2 hierarchy mounted");
        return;
      }
      const fds = fdCount();
      {
        using obj = loadObject(c!.build("cg", CGROUP_C));
        const seen = obj.maps.get("seen")!;
        {
          using link = attachCgroup(obj.programs.get("egress_count")!, cgroup2);
          expect(link.fd).toBeGreaterThan(0);
          const L = libc();
          const sock = L.socket(2, 2, 0);
          try {
            const payload = Buffer.from("hello");
            for (let i = 0; i < 3; i++) L.sendto(sock, payload, payload.length, 0, loopback(9), 16);
          } finally {
            L.close(sock);
          }
          expect(count(seen)).toBeGreaterThanOrEqual(3n);
        }
        const after = count(seen);
        const L = libc();
        const sock = L.socket(2, 2, 0);
        L.sendto(sock, Buffer.from("x"), 1, 0, loopback(9), 16);
        L.close(sock);
        expect(count(seen)).toBe(after);
      }
      expect(fdCount()).toBe(fds);
    });

    clangIt("reports a missing cgroup directory as ENOENT", () => {
      using obj = loadObject(c!.build("cg", CGROUP_C));
      const fds = fdCount();
      expect(() => attachCgroup(obj.programs.get("egress_count")!, "/sys/fs/cgroup/tsbpf-no-such-cgroup", "egress")).toThrow(
        /ENOENT.*cannot open the cgroup directory/,
      );
      expect(fdCount()).toBe(fds);
    });
  });
});
