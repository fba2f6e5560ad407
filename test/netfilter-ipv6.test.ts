// Netfilter over IPv6: a netfilter program attached for NFPROTO_IPV6 (attachNetfilter's
// `family: "ipv6"`) at LOCAL_OUT in a test network namespace sees that namespace's IPv6 packets,
// reads their IPv6 and UDP headers from the skb, and drops UDP to one port: the sender's sendto()
// fails with EPERM, another port goes through, and IPv4 to the same port is not affected (IPv4 has
// its own hooks). As test/netfilter.test.ts does for IPv4.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { DEFAULT_BTF, vmlinuxDts } from "../compiler/tools/vmlinux.js";
import { attachNetfilter, loadObject, u32le, type BpfObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const SRC = `import { netfilter, NfVerdict, ArrayMap, probeReadKernel, htons, type u32, type u64, type Ipv6Hdr, type UdpHdr } from "tsbpf/bpf";
import type {} from "./vmlinux";

/** 0: packets seen, 1: dropped, 2: the hook of the last one, 3: its family, 4: the length of the last one dropped, 5: its hop limit. */
const stats = new ArrayMap<u64>(6);

function bump(i: u32): void {
  const c = stats.lookup(i);
  if (c !== null) c.value += 1;
}

export const nf6 = netfilter((ctx) => {
  const skb = ctx.skb;
  bump(0);
  stats.update(2, ctx.state.hook);
  stats.update(3, ctx.state.pf);
  const ip6 = probeReadKernel<Ipv6Hdr>(skb.head + skb.network_header);
  // UDP right after the fixed header (no extension headers in this test's traffic).
  if (ip6 === null || ip6.nexthdr !== 17) return NfVerdict.ACCEPT;
  const udp = probeReadKernel<UdpHdr>(skb.head + skb.transport_header);
  if (udp === null || udp.dest !== htons(47012)) return NfVerdict.ACCEPT;
  bump(1);
  stats.update(4, skb.len);
  stats.update(5, ip6.hop_limit);
  return NfVerdict.DROP;
});
/** 0: fragments seen (next header 44), 1: whole UDP datagrams to port 47014, 2: the length of the last one. */
const frags = new ArrayMap<u64>(3);

function bumpFrag(i: u32): void {
  const c = frags.lookup(i);
  if (c !== null) c.value += 1;
}

export const frag6 = netfilter((ctx) => {
  const skb = ctx.skb;
  const ip6 = probeReadKernel<Ipv6Hdr>(skb.head + skb.network_header);
  if (ip6 === null) return NfVerdict.ACCEPT;
  if (ip6.nexthdr === 44) {
    bumpFrag(0);
    return NfVerdict.ACCEPT;
  }
  if (ip6.nexthdr !== 17) return NfVerdict.ACCEPT;
  const udp = probeReadKernel<UdpHdr>(skb.head + skb.network_header + 40);
  if (udp === null || udp.dest !== htons(47014)) return NfVerdict.ACCEPT;
  bumpFrag(1);
  frags.update(2, skb.len);
  return NfVerdict.ACCEPT;
});
export const LICENSE = "GPL";
`;

let dir: string;
let object: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsbpf-nf6-"));
  writeFileSync(join(dir, "vmlinux.d.ts"), vmlinuxDts(DEFAULT_BTF, ["sk_buff", "nf_hook_state"], 1));
  const file = join(dir, "nf6.bpf.ts");
  writeFileSync(file, SRC);
  const r = compile(file, SRC, { checkIr: true });
  expect(r.diagnostics).toEqual([]);
  object = r.object!;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sends one UDP datagram of `size` bytes to [::1]:47014 from inside `ns`; "ok" or the error code. */
function sendBig(ns: string, size: number): string {
  const js = `const s=require("dgram").createSocket("udp6");s.send(Buffer.alloc(${size}),47014,"::1",(e)=>{console.log(e?e.code:"ok");s.close();});`;
  return execFileSync("ip", ["netns", "exec", ns, process.execPath, "-e", js], { timeout: 10000 }).toString().trim();
}

/** Sends one UDP datagram (1 byte) to ADDR:port from inside `ns` with hop limit / TTL 7; "ok" or the error code. */
function sendFrom(ns: string, family: "udp4" | "udp6", address: string, port: number): string {
  const js = `const s=require("dgram").createSocket("${family}");s.bind(0,()=>{s.setTTL(7);s.send("x",${port},"${address}",(e)=>{console.log(e?e.code:"ok");s.close();});});`;
  return execFileSync("ip", ["netns", "exec", ns, process.execPath, "-e", js], { timeout: 10000 }).toString().trim();
}

describeKernel("netfilter over IPv6 in the kernel", () => {
  let obj: BpfObject;
  const ns = `tsbpf-nf6-${process.pid}`;
  beforeAll(() => {
    obj = loadObject(object);
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
  });
  afterAll(() => {
    obj?.close();
    execFileSync("ip", ["netns", "del", ns]);
  });

  it("attached for NFPROTO_IPV6 at LOCAL_OUT, it sees and drops IPv6 packets; IPv4 to the same port passes", () => {
    const stat = (i: number) => new DataView(obj.maps.get("stats")!.lookup(u32le(i))!.buffer).getBigUint64(0, true);
    expect(sendFrom(ns, "udp6", "::1", 47012)).toBe("ok"); // not attached yet
    expect(stat(0)).toBe(0n);
    {
      using link = attachNetfilter(obj.programs.get("nf6")!, { family: "ipv6", hook: "output", priority: -10, netns: `/run/netns/${ns}` });
      expect(link.target).toBe(`netfilter:ipv6:output@/run/netns/${ns}`);
      expect(sendFrom(ns, "udp6", "::1", 47012)).toBe("EPERM");
      expect(sendFrom(ns, "udp6", "::1", 47013)).toBe("ok");
      expect(stat(1)).toBe(1n);
      expect(stat(3)).toBe(10n); // NFPROTO_IPV6
      expect(stat(2)).toBe(3n); // NF_INET_LOCAL_OUT
      expect(stat(4)).toBe(49n); // the dropped datagram: 40 + 8 + 1 byte of payload
      expect(stat(5)).toBe(7n); // the hop limit the sender set, read from the IPv6 header
      // IPv4 packets go through the IPv4 hooks: the program does not see them.
      const seen = stat(0);
      expect(sendFrom(ns, "udp4", "127.0.0.1", 47012)).toBe("ok");
      expect(stat(0)).toBe(seen);
      expect(stat(1)).toBe(1n);
    }
    // Detached with the link: the port is open again, and nothing more is counted.
    const seen = stat(0);
    expect(sendFrom(ns, "udp6", "::1", 47012)).toBe("ok");
    expect(stat(0)).toBe(seen);
  });

  it("at IPv6 PREROUTING, defrag: true hands the program the reassembled datagram instead of its fragments", () => {
    const frag = (i: number) => new DataView(obj.maps.get("frags")!.lookup(u32le(i))!.buffer).getBigUint64(0, true);
    // A 3,000-byte datagram over a 1,280-byte MTU leaves the sender in 3 fragments and is reassembled on input.
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "mtu", "1280"]);
    const prog = obj.programs.get("frag6")!;
    {
      using _link = attachNetfilter(prog, { family: "ipv6", hook: "prerouting", priority: -100, netns: `/run/netns/${ns}` });
      expect(sendBig(ns, 3000)).toBe("ok");
      expect(frag(0)).toBe(3n); // the fragments, one by one
      expect(frag(1)).toBe(0n);
    }
    {
      using _link = attachNetfilter(prog, { family: "ipv6", hook: "prerouting", priority: -100, defrag: true, netns: `/run/netns/${ns}` });
      expect(sendBig(ns, 3000)).toBe("ok");
      expect(frag(0)).toBe(3n); // no fragment reached the program
      expect(frag(1)).toBe(1n);
      expect(frag(2)).toBe(3048n); // 40 + 8 + 3000: the whole datagram
    }
  });
});
