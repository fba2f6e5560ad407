// Global functions (`@noinline @global`): BTF FUNC with global linkage, the context parameter typed as
// the kernel's context struct, `arg:nonnull` on struct references, a visible symbol; the verifier
// checks them once ("safe for any args that match its prototype") and they behave like the static
// version. Functions that cannot be global stay static with TSBPF3020.
import { readFileSync } from "node:fs";
import { describe, expect } from "vitest";
import { it } from "vitest";
import { readObjectBtf } from "../common/btf-reader.js";
import { readElf } from "../common/read-elf.js";
import { compile } from "../compiler/compile.js";
import { loadObject } from "../runtime/index.js";
import { eth, icmp, ipv4, ipv6, packet, payload, readMap, tcp, testRun, udp } from "../testing/index.js";
import { describeKernel, kernelTest } from "./kernel-env.js";

const GLOBAL = "test/fixtures/codegen/global-funcs.bpf.ts";
const STATIC = "bench/programs/bpf2bpf/bpf2bpf.bpf.ts";

function build(file: string, text = readFileSync(file, "utf8")) {
  const r = compile(file, text);
  if (!r.ok || !r.object) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r;
}

describe("global functions in the object", () => {
  it("have global BTF linkage, a ctx parameter of type struct xdp_md *, arg:nonnull tags and default visibility", () => {
    const obj = build(GLOBAL).object!;
    const btf = readObjectBtf(obj)!;
    const funcs = btf.types.filter((t) => t.kind === "FUNC");
    const byName = new Map(funcs.map((f) => [f.name, f] as const));
    expect(byName.get("l4Port")).toMatchObject({ linkage: 1 });
    expect(byName.get("ipScore")).toMatchObject({ linkage: 1 });
    const proto = btf.types[(byName.get("l4Port") as { type: number }).type]!;
    if (proto.kind !== "FUNC_PROTO") throw new Error("no prototype");
    const ctxPtr = btf.types[proto.params[0]!.type]!;
    expect(ctxPtr.kind).toBe("PTR");
    expect(btf.types[(ctxPtr as { type: number }).type]).toMatchObject({ kind: "STRUCT", name: "xdp_md" });
    const tags = btf.types.filter((t) => t.kind === "DECL_TAG");
    const l4 = byName.get("l4Port")!.id;
    const ip = byName.get("ipScore")!.id;
    expect(tags.map((t) => [t.name, (t as { type: number }).type, (t as { componentIdx: number }).componentIdx])).toEqual([
      ["arg:nonnull", l4, 1],
      ["arg:nonnull", ip, 0],
    ]);
    const syms = readElf(obj).symbols.filter((s) => s.name === "l4Port" || s.name === "ipScore");
    expect(syms.map((s) => s.visibility)).toEqual([0, 0]); // STV_DEFAULT: libbpf keeps them global
    // Without @global the same functions are static.
    const st = readObjectBtf(build(STATIC).object!)!;
    expect(st.types.filter((t) => t.kind === "FUNC" && t.name === "l4Port").map((t) => (t as { linkage: number }).linkage)).toEqual([0]);
  });

  it("stay static with TSBPF3020 when they return void, are a loop() body or receive read-only memory", () => {
    const src = `import { xdp, XdpAction, ArrayMap, loop, type u32, type u64 } from "tsbpf/bpf";
interface S { n: u32; }
interface Cfg { limit: u32; }
const counts = new ArrayMap<u64>(1);
const cfg: Cfg = { limit: 3 };
/** @noinline @global */
function bump(s: S): void { s.n += 1; }
/** @noinline @global */
function step(i: u32, s: S): u32 { s.n += i; return 0; }
/** @noinline @global */
function limitOf(c: Cfg): u32 { return c.limit; }
/** @noinline @global */
function twice(x: u32): u32 { return x * 2; }
export const p = xdp((ctx) => {
  const s: S = { n: 0 };
  bump(s);
  loop(4, step, s);
  const c = counts.lookup(0);
  if (c !== null) c.value += s.n + limitOf(cfg) + twice(ctx.len);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    const r = compile("g.bpf.ts", src);
    expect(r.ok).toBe(true);
    const warned = r.diagnostics.filter((d) => d.code === "TSBPF3020").map((d) => d.message);
    expect(warned).toEqual([
      expect.stringMatching(/^'bump' .*returns void/),
      expect.stringMatching(/^'step' .*loop\(\) body/),
      expect.stringMatching(/^'limitOf' .*read-only memory/),
    ]);
    const btf = readObjectBtf(r.object!)!;
    const linkage = Object.fromEntries(
      btf.types.filter((t) => t.kind === "FUNC").map((t) => [t.name, (t as { linkage: number }).linkage] as const),
    );
    expect(linkage).toMatchObject({ bump: 0, step: 0, limitOf: 0, twice: 1 });
  });
});

describeKernel("global functions in the kernel", () => {
  kernelTest("are verified once from their prototype and behave like the static subprograms", () => {
    using g = loadObject(build(GLOBAL).object!, { logLevel: 2 | 4, name: `g${process.pid}` });
    using s = loadObject(build(STATIC).object!, { name: `s${process.pid}` });
    const log = [...g.programs.values()][0]!.verifierLog;
    expect(log).toContain("Func#1 ('l4Port') is safe for any args that match its prototype");
    expect(log).toContain("Func#2 ('ipScore') is safe for any args that match its prototype");
    const packets = [
      packet(eth(), ipv4(), udp({ dport: 53 })),
      packet(eth(), ipv4({ options: 2 }), tcp({ dport: 443 })),
      packet(eth(), ipv4(), udp({ dport: 50000 })),
      packet(eth(), ipv4(), tcp({ dport: 8080 })),
      packet(eth(), ipv4({ options: 1 }), udp()).subarray(0, 40),
      packet(eth(), ipv6(), udp()),
    ];
    for (const p of packets) {
      expect(testRun(g.programs.get("bpf2bpf")!, p).verdict).toBe(testRun(s.programs.get("bpf2bpf")!, p).verdict);
    }
    const scores = readMap(g, "scores");
    expect(scores).toEqual(readMap(s, "scores"));
    expect([...scores.values()].some((v) => v !== 0n)).toBe(true);
  });

  kernelTest("take stack structs, globals and map values, and a TC context", () => {
    using o = loadObject(build("test/fixtures/codegen/global-args.bpf.ts").object!, { logLevel: 2 | 4, name: `a${process.pid}` });
    expect(o.programs.get("px")!.verifierLog).toContain("Func#1 ('addTo') is safe for any args that match its prototype");
    expect(o.programs.get("pt")!.verifierLog).toContain("Func#1 ('skbLen') is safe for any args that match its prototype");
    expect(testRun(o.programs.get("px")!, packet(eth(), ipv4(), udp())).verdict).toBe("XDP_PASS");
    expect(readMap(o, "accs").get(0)).toEqual({ sum: 7n, calls: 1, pad: 0 });
    expect(testRun(o.programs.get("pt")!, packet(eth(), ipv4(), udp())).verdict).toBe("TC_ACT_OK");
  });

  kernelTest("examples/ip-sizes: verified once per function, counts packets, bytes and small packets per protocol", () => {
    using o = loadObject(build("examples/ip-sizes/ip-sizes.bpf.ts").object!, { logLevel: 2 | 4, name: `i${process.pid}` });
    const prog = o.programs.get("ip_sizes")!;
    for (const f of ["slotOf", "ipLen", "account"]) expect(prog.verifierLog).toMatch(new RegExp(`\\('${f}'\\) is safe for any args`));
    const small = packet(eth(), ipv4(), udp(), payload(20));
    const big = packet(eth(), ipv4(), tcp(), payload(300));
    const icmpEcho = packet(eth(), ipv4(), icmp(), payload(8));
    for (const p of [small, small, big, icmpEcho, packet(eth(), ipv6(), udp())]) expect(testRun(prog, p).verdict).toBe("XDP_PASS");
    const len = (p: Uint8Array) => BigInt(p.length - 14);
    const stats = readMap(o, "sizes");
    expect(stats.get(2)).toEqual({ packets: 2n, bytes: 2n * len(small), small: 2n });
    expect(stats.get(1)).toEqual({ packets: 1n, bytes: len(big), small: 0n });
    expect(stats.get(3)).toEqual({ packets: 1n, bytes: len(icmpEcho), small: 1n });
    expect(stats.get(0)).toEqual({ packets: 0n, bytes: 0n, small: 0n });
  });
});
