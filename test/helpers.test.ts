// Helpers from the intrinsics table, run in the kernel: each program is compiled from the source
// here, loaded (the verifier accepts it) and run with BPF_PROG_TEST_RUN or attached and triggered;
// the tests check the helper's effect (return value, output packet, map contents, trace output).

import { join } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { loadObject } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { ipv4Packet } from "./support/packets.js";

const FILE = join(import.meta.dirname, "helpers-case.bpf.ts");

function build(src: string): Uint8Array {
  const r = compile(FILE, src, { checkIr: true });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return r.object!;
}

const XDP_ABORTED = 0, XDP_REDIRECT = 4, TC_ACT_REDIRECT = 7;

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
});
