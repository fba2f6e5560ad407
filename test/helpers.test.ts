// Helpers from the intrinsics table, run in the kernel: each program is compiled from the source
// here, loaded (the verifier accepts it) and run with BPF_PROG_TEST_RUN or attached and triggered;
// the tests check the helper's effect (return value, output packet, map contents, trace output).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { ensureTracefs, loadObject } from "../runtime/index.js";
import { parseFormat } from "../compiler/frontend/printk.js";
import { describeKernel } from "./kernel-env.js";
import { ipv4Packet } from "./support/packets.js";

const FILE = join(import.meta.dirname, "helpers-case.bpf.ts");

function build(src: string): Uint8Array {
  const r = compile(FILE, src, { checkIr: true });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return r.object!;
}

const XDP_ABORTED = 0, XDP_REDIRECT = 4, TC_ACT_REDIRECT = 7;

it("bpfPrintk formats are parsed as the kernel's bpf_bprintf_prepare parses them", () => {
  const kinds = (f: string) => {
    const r = parseFormat(f);
    return "error" in r ? "error" : r.map((c) => (c.kind === "int" ? `${c.signed ? "i" : "u"}${c.bits}` : c.kind === "ip" ? `ip${c.bytes}` : c.kind));
  };
  expect(kinds("plain text\n")).toEqual([]);
  expect(kinds("%d %i %u")).toEqual(["i32", "i32", "u32"]);
  expect(kinds("%x %X")).toEqual(["u32", "u32"]);
  expect(kinds("%ld %llu %-08llx")).toEqual(["i64", "u64", "u64"]);
  expect(kinds("%+5d % d")).toEqual(["i32", "i32"]);
  expect(kinds("%s %c 100%%")).toEqual(["str", "char"]);
  expect(kinds("%p %px %pK")).toEqual(["ptr", "ptr", "ptr"]);
  expect(kinds("%pI4 %pi6")).toEqual(["ip4", "ip16"]);
  expect(kinds("%p.")).toEqual(["ptr"]);
  for (const bad of ["%f", "%5.2d", "%lf", "%pB", "%pS", "%n", "%hd", "%z", "tab\u00e9", "\u0001", "%d %d %d %d", "%"]) expect(kinds(bad), bad).toBe("error");
});

describeKernel("helpers in the kernel", () => {
  it("redirect returns XDP_REDIRECT / TC_ACT_REDIRECT (XDP_ABORTED for flags XDP does not take)", () => {
    using obj = loadObject(build(`
import { xdp, tc, redirect, RedirectFlags, XdpAction, TcAction } from "tsbpf/bpf";
export const to_lo = xdp((ctx) => redirect(1));
export const bad_flags = xdp((ctx) => redirect(1, RedirectFlags.INGRESS));
export const tc_to_lo = tc((ctx) => redirect(1, RedirectFlags.INGRESS));
export const LICENSE = "GPL";
`));
    const pkt = ipv4Packet(17, 64);
    const run = (name: string) => obj.programs.get(name)!.run({ data: pkt }).retval;
    expect(run("to_lo")).toBe(XDP_REDIRECT);
    expect(run("bad_flags")).toBe(XDP_ABORTED);
    expect(run("tc_to_lo")).toBe(TC_ACT_REDIRECT);
  });

  it("bpfPrintk writes checked formats to the trace buffer", () => {
    using obj = loadObject(build(`
import { xdp, bpfPrintk, getCurrentComm, XdpAction, type u32, type u64, type i32 } from "tsbpf/bpf";
interface Hdr { id: u32; neg: i32; big: u64; ip: u32; }
export const say = xdp((ctx) => {
  const h = ctx.header<Hdr>(0);
  if (h === null) return XdpAction.DROP;
  bpfPrintk("tsbpf-printk %u: big=%llx neg=%d\\n", h.id, h.big, h.neg);
  bpfPrintk("tsbpf-printk %u: ip=%pI4 c=%c\\n", h.id, h.ip, 79);
  const comm = getCurrentComm();
  bpfPrintk("tsbpf-printk %u: comm=%s 100%%\\n", h.id, comm);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`));
    const id = (process.pid * 7919 + Date.now()) >>> 0;
    const pkt = new Uint8Array(64);
    const v = new DataView(pkt.buffer);
    v.setUint32(0, id, true);
    v.setInt32(4, -42, true);
    v.setBigUint64(8, 0x1234_5678_9abc_def0n, true);
    pkt.set([192, 0, 2, 7], 16);
    expect(obj.programs.get("say")!.run({ data: pkt }).retval).toBe(2);
    const trace = readFileSync(join(ensureTracefs(), "trace"), "utf8");
    const lines = trace.split("\n").filter((l) => l.includes(`tsbpf-printk ${id}:`)).map((l) => l.slice(l.indexOf("tsbpf-printk")));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`tsbpf-printk ${id}: big=123456789abcdef0 neg=-42`);
    expect(lines[1]).toBe(`tsbpf-printk ${id}: ip=192.0.2.7 c=O`);
    expect(lines[2]).toMatch(new RegExp(`^tsbpf-printk ${id}: comm=\\S.* 100%$`));
  });
});
