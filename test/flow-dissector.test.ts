// Flow dissector programs (section "flow_dissector"): test/flow-dissector.bpf.ts compiled, loaded,
// run with BPF_PROG_TEST_RUN on real frames (the kernel returns the bpf_flow_keys it filled as the
// output data), then attached to a fresh network namespace, where the kernel dissects looped-back
// UDP packets with it (RPS on lo asks for each packet's flow hash). A second program copies the
// headers with ctx.loadBytes, which only real traffic can exercise.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { attachFlowDissector, loadObject, u32le, type BpfObject } from "../runtime/index.js";
import { eth, ipv4, ipv6, packet, payload, tcp, udp } from "../testing/packets.js";
import { describeKernel } from "./kernel-env.js";

const FILE = join(import.meta.dirname, "flow-dissector.bpf.ts");
const OK = 0,
  DROP = 2;

function build(): Uint8Array {
  const r = compile(FILE, readFileSync(FILE, "utf8"), { checkIr: true });
  expect(r.diagnostics).toEqual([]);
  return r.object!;
}

/** struct bpf_flow_keys from the test run's output. */
function keys(b: Uint8Array) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    nhoff: v.getUint16(0, true),
    thoff: v.getUint16(2, true),
    addr_proto: v.getUint16(4, true),
    is_frag: b[6],
    is_first_frag: b[7],
    ip_proto: b[9],
    n_proto: v.getUint16(10, false),
    sport: v.getUint16(12, false),
    dport: v.getUint16(14, false),
    ipv4_src: [...b.subarray(16, 20)].join("."),
    ipv4_dst: [...b.subarray(20, 24)].join("."),
    ipv6_src: Buffer.from(b.subarray(16, 32)).toString("hex"),
    ipv6_dst: Buffer.from(b.subarray(32, 48)).toString("hex"),
  };
}

it("flow_keys is typed: a pointer field of the context, read and written in place", () => {
  const r = compile(
    join(import.meta.dirname, "fd-case.bpf.ts"),
    `import { flowDissector, FlowDissectorAction } from "tsbpf/bpf";
export const d = flowDissector((ctx) => {
  ctx.flow_keys.nosuch = 1;
  return FlowDissectorAction.OK;
});
export const LICENSE = "GPL";
`,
  );
  expect(r.diagnostics.map((d) => d.code)).toEqual(["TS2339"]);
});

describeKernel("flow dissector in the kernel", () => {
  let obj: BpfObject;
  beforeAll(() => {
    obj = loadObject(build());
  });
  afterAll(() => obj?.close());

  it("test runs fill the flow keys from IPv4/IPv6 TCP and UDP frames", () => {
    const prog = obj.programs.get("dissect")!;
    const run = (frame: Uint8Array) => {
      const r = prog.run({ data: frame, dataOutSize: 56 });
      return { retval: r.retval, keys: keys(r.data) };
    };
    const u4 = run(packet(eth(), ipv4({ saddr: "192.0.2.7", daddr: "198.51.100.9" }), udp({ sport: 5353, dport: 53 }), payload(20)));
    expect(u4.retval).toBe(OK);
    expect(u4.keys).toMatchObject({
      nhoff: 14,
      thoff: 34,
      addr_proto: 0x0800,
      ip_proto: 17,
      n_proto: 0x0800,
      sport: 5353,
      dport: 53,
      ipv4_src: "192.0.2.7",
      ipv4_dst: "198.51.100.9",
      is_frag: 0,
    });
    // IP options move the transport header: thoff follows the IHL.
    const t4 = run(packet(eth(), ipv4({ options: 2 }), tcp({ sport: 40000, dport: 443 }), payload(10)));
    expect(t4.retval).toBe(OK);
    expect(t4.keys).toMatchObject({ thoff: 42, ip_proto: 6, sport: 40000, dport: 443 });
    const u6 = run(packet(eth(), ipv6({ saddr: "fd00::1", daddr: "fd00::2" }), udp({ sport: 1234, dport: 4789 }), payload(8)));
    expect(u6.retval).toBe(OK);
    expect(u6.keys).toMatchObject({ thoff: 54, addr_proto: 0x86dd, ip_proto: 17, sport: 1234, dport: 4789 });
    expect(u6.keys.ipv6_src).toBe("fd000000000000000000000000000001");
    expect(u6.keys.ipv6_dst).toBe("fd000000000000000000000000000002");
    // A first fragment (MF set, offset 0) is marked, with its ports; ARP is not dissected: DROP.
    const frag = run(packet(eth(), ipv4({ flags: 1 }), udp({ dport: 7 }), payload(30)));
    expect(frag.retval).toBe(OK);
    expect(frag.keys).toMatchObject({ is_frag: 1, is_first_frag: 1, dport: 7 });
    expect(run(packet(eth({ type: 0x0806 }), payload(28))).retval).toBe(DROP);
    // A header cut short by the end of the frame: DROP.
    expect(run(packet(eth(), ipv4({ proto: 6 }), payload(2))).retval).toBe(DROP);
  });

  it("BpfFlowKeys keeps the kernel's union layout, also as a @noinline function's parameter", () => {
    const src = `import { flowDissector, FlowDissectorAction, type BpfFlowKeys, type u32 } from "tsbpf/bpf";
/** @noinline */
function mark(k: BpfFlowKeys, v: u32): u32 {
  k.ipv6_dst[3] = v;
  k.flow_label = v + 1;
  return 0;
}
export const d = flowDissector((ctx) => {
  const keys: BpfFlowKeys = ctx.flow_keys;
  keys.ipv4_dst = 0x04030201;
  mark(keys, 5);
  return FlowDissectorAction.OK;
});
export const LICENSE = "GPL";
`;
    const r = compile(join(import.meta.dirname, "fd-layout.bpf.ts"), src, { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    using o = loadObject(r.object!);
    const out = o.programs.get("d")!.run({ data: packet(eth(), ipv4(), udp(), payload(4)), dataOutSize: 56 }).data;
    const v = new DataView(out.buffer, out.byteOffset);
    expect(keys(out).ipv4_dst).toBe("1.2.3.4"); // offset 20, inside the union
    expect(v.getUint32(44, true)).toBe(5); // ipv6_dst[3]
    expect(v.getUint32(52, true)).toBe(6); // flow_label
  });

  it("ctx.loadBytes (bpf_skb_load_bytes) fails in test runs: the kernel's helper needs the packet's sk_buff", () => {
    const prog = obj.programs.get("dissect_copy")!;
    const frame = packet(eth(), ipv4(), tcp({ sport: 1000, dport: 22 }), payload(4));
    expect(prog.run({ data: frame, dataOutSize: 56 }).retval).toBe(DROP);
  });

  // Each program on real traffic in a namespace of its own: the in-place reader and the loadBytes copier.
  it.each([
    ["dissect", 47011],
    ["dissect_copy", 47021],
  ])("attached to a network namespace, %s dissects that namespace's packets", (name, port) => {
    const ns = `tsbpf-fd-${process.pid}-${name}`;
    execFileSync("ip", ["netns", "add", ns]);
    try {
      execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
      // RPS on lo: every received packet needs a flow hash, which the flow dissector computes.
      execFileSync("ip", ["netns", "exec", ns, "tee", "/sys/class/net/lo/queues/rx-0/rps_cpus"], {
        input: "1\n",
        stdio: ["pipe", "ignore", "inherit"],
      });
      using link = attachFlowDissector(obj.programs.get(name)!, `/run/netns/${ns}`);
      expect(link.target).toContain(ns);
      const send = `const s=require("dgram").createSocket("udp4");let n=0;const go=()=>s.send("x",${port},"127.0.0.1",()=>{if(++n<5)go();else s.close();});go();`;
      execFileSync("ip", ["netns", "exec", ns, process.execPath, "-e", send], { timeout: 10000 });
      const c = obj.maps.get("byPort")!.lookup(u32le(port));
      expect(c).not.toBeNull();
      expect(new DataView(c!.buffer, c!.byteOffset).getBigUint64(0, true)).toBeGreaterThanOrEqual(5n);
    } finally {
      execFileSync("ip", ["netns", "del", ns]);
    }
  });
});
