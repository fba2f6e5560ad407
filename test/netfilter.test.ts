// Netfilter programs (section "netfilter", BPF_PROG_TYPE_NETFILTER): libbpf 1.1 does not know the
// section, so the runtime sets the program and expected attach types before load; attachNetfilter
// creates the link with a raw BPF_LINK_CREATE inside a test network namespace. The program reads
// the hook state and the packet through the trusted kernel pointers of struct bpf_nf_ctx (typed by
// a vmlinux.d.ts generated here), counts what it sees and drops UDP to one port at LOCAL_OUT: the
// sender's sendto() fails with EPERM, a send to another port goes through.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { runCommand } from "../compiler/tools/run-command.js";
import { DEFAULT_BTF, vmlinuxDts } from "../compiler/tools/vmlinux.js";
import { attachNetfilter, AttachError, loadObject, u32le, type BpfObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const SRC = `import { netfilter, NfVerdict, ArrayMap, probeReadKernel, htons, type u64, type Ipv4Hdr, type UdpHdr } from "tsbpf/bpf";
import type {} from "./vmlinux";

/** 0: packets seen, 1: dropped, 2: the hook of the last one, 3: its protocol family, 4: the length of the last one dropped. */
const stats = new ArrayMap<u64>(5);

function bump(i: u32): void {
  const c = stats.lookup(i);
  if (c !== null) c.value += 1;
}
function put(i: u32, v: u64): void {
  stats.update(i, v);
}

export const nf = netfilter((ctx) => {
  const skb = ctx.skb;
  bump(0);
  put(2, ctx.state.hook);
  put(3, ctx.state.pf);
  const ip = probeReadKernel<Ipv4Hdr>(skb.head + skb.network_header);
  if (ip === null || ip.protocol !== 17) return NfVerdict.ACCEPT;
  const udp = probeReadKernel<UdpHdr>(skb.head + skb.transport_header);
  if (udp === null || udp.dest !== htons(47012)) return NfVerdict.ACCEPT;
  bump(1);
  put(4, skb.len);
  return NfVerdict.DROP;
});
export const LICENSE = "GPL";
`.replace("type u64,", "type u32, type u64,");

let dir: string;
let object: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsbpf-nf-"));
  writeFileSync(join(dir, "vmlinux.d.ts"), vmlinuxDts(DEFAULT_BTF, ["sk_buff", "nf_hook_state"], 1));
  const file = join(dir, "nf.bpf.ts");
  writeFileSync(file, SRC);
  const r = compile(file, SRC, { checkIr: true });
  expect(r.diagnostics).toEqual([]);
  object = r.object!;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a netfilter program compiles to section 'netfilter'; its context's kernel pointers need a vmlinux.d.ts", () => {
  const file = join(dir, "novmlinux.bpf.ts");
  const src = `import { netfilter, NfVerdict } from "tsbpf/bpf";
export const nf = netfilter((ctx) => (ctx.skb.len > 100 ? NfVerdict.DROP : NfVerdict.ACCEPT));
export const LICENSE = "GPL";
`;
  writeFileSync(file, src);
  // Without kernel types tsc sees \`never\` (no such property).
  expect(compile(file, src).diagnostics.map((d) => d.code)).toEqual(["TS2339"]);
});

/** Sends one UDP datagram to 127.0.0.1:port from inside `ns`; "ok" or the error code. */
function sendFrom(ns: string, port: number): string {
  const js = `const s=require("dgram").createSocket("udp4");s.send("x",${port},"127.0.0.1",(e)=>{console.log(e?e.code:"ok");s.close();});`;
  return execFileSync("ip", ["netns", "exec", ns, process.execPath, "-e", js], { timeout: 10000 }).toString().trim();
}

describeKernel("netfilter in the kernel", () => {
  let obj: BpfObject;
  const ns = `tsbpf-nf-${process.pid}`;
  beforeAll(() => {
    obj = loadObject(object);
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
  });
  afterAll(() => {
    obj?.close();
    execFileSync("ip", ["netns", "del", ns]);
  });

  it("loads as BPF_PROG_TYPE_NETFILTER though libbpf 1.1 does not know the section", () => {
    expect(obj.programs.get("nf")!.type).toBe(32);
    expect(obj.programs.get("nf")!.section).toBe("netfilter");
  });

  it("attached at IPv4 LOCAL_OUT in a namespace, it sees and drops that namespace's packets", () => {
    const stat = (i: number) => new DataView(obj.maps.get("stats")!.lookup(u32le(i))!.buffer).getBigUint64(0, true);
    const home = readlinkSync("/proc/thread-self/ns/net");
    expect(sendFrom(ns, 47012)).toBe("ok"); // not attached yet
    {
      using link = attachNetfilter(obj.programs.get("nf")!, { family: "ipv4", hook: "output", priority: -10, netns: `/run/netns/${ns}` });
      expect(link.fd).toBeGreaterThan(0);
      // The thread entered the namespace only to create the link.
      expect(readlinkSync("/proc/thread-self/ns/net")).toBe(home);
      expect(sendFrom(ns, 47012)).toBe("EPERM");
      expect(sendFrom(ns, 47013)).toBe("ok");
      expect(stat(1)).toBe(1n);
      expect(stat(0)).toBeGreaterThanOrEqual(2n);
      expect(stat(2)).toBe(3n); // NF_INET_LOCAL_OUT
      expect(stat(3)).toBe(2n); // NFPROTO_IPV4
      expect(stat(4)).toBe(29n); // the dropped datagram: 20 + 8 + 1 byte of payload
    }
    // Detached with the link: the port is open again, and nothing more is counted.
    const seen = stat(0);
    expect(sendFrom(ns, 47012)).toBe("ok");
    expect(stat(0)).toBe(seen);
  });

  it("tsbpf run attaches it with --attach netfilter:ipv4:output:PRIORITY:NETNS and prints its map", async () => {
    const file = join(dir, "nf.bpf.o");
    writeFileSync(file, object);
    const out: string[] = [];
    const err: string[] = [];
    const ctl = new AbortController();
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), signal: ctl.signal };
    const done = runCommand([file, "--attach", `netfilter:ipv4:output:-5:/run/netns/${ns}`, "--interval", "100", "--raw"], io);
    // Loading and attaching are synchronous: the hook is in place now.
    expect(sendFrom(ns, 47012)).toBe("EPERM");
    await new Promise((r) => setTimeout(r, 250));
    ctl.abort();
    expect(await done).toBe(0);
    expect(err.join("")).toBe("");
    const text = out.join("");
    expect(text).toMatch(new RegExp(`attached nf to netfilter:ipv4:output@/run/netns/${ns}`));
    expect(text).toMatch(/stats:\n/);
    expect(text).toMatch(/detached 1 link\n$/);
    expect(sendFrom(ns, 47012)).toBe("ok");
  });

  it("refuses a priority the kernel reserves, a missing namespace and auto-attach with clear errors", () => {
    const prog = obj.programs.get("nf")!;
    expect(() => prog.attach()).toThrow(/needs a target: use attachNetfilter/);
    expect(() => attachNetfilter(prog, { family: "ipv4", hook: "output", priority: 2 ** 31 - 1 })).toThrow(RangeError);
    const attached = () => attachNetfilter(prog, { family: "ipv4", hook: "output", netns: "/run/netns/no-such-tsbpf-ns" });
    expect(attached).toThrow(AttachError);
  });
});
