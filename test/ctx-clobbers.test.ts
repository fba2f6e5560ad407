// Context reads are pure only where nothing changes the context: cse and licm ask ctx-clobbers.ts.
// Regressions for three miscompiles: a field read again after a store to it (TC `ctx.mark`), `data`
// reused after xdp_adjust_head, and loads through a subprogram's struct parameter taken for context
// reads; the random-function property of passes.test.ts found the first through licm.

import { describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { HELPER, PACKET_MOVING_HELPERS } from "../compiler/frontend/helper-ids.js";
import { CTX_METHODS } from "../compiler/frontend/helpers-table.js";
import { parseFunc } from "../compiler/ir/parse.js";
import { printFunc } from "../compiler/ir/print.js";
import { cse } from "../compiler/passes/cse.js";
import { licm } from "../compiler/passes/licm.js";
import { loadObject } from "../runtime/index.js";
import { ipv4Packet } from "../testing/packets.js";
import { describeKernel } from "./kernel-env.js";
import { expectPass, norm } from "./support/ir-pass.js";

const unchanged = (run: (f: ReturnType<typeof parseFunc>) => unknown, src: string) => expectPass(run, src, src);

describe("cse and licm around context writes", () => {
  it("reads a field again after a store to it, and still merges reads of other fields", () => {
    expectPass(
      cse,
      `func f(%0:ptr) {
b0:
  %1:i32 = load.4 %0, 8
  %2:i32 = load.4 %0, 0
  %3:i32 = add %1, 1
  store.4 %0, 8, %3
  %4:i32 = load.4 %0, 8
  %5:i32 = load.4 %0, 0
  %6:i32 = add %4, %5
  ret %6
}`,
      `func f(%0:ptr) {
b0:
  %1:i32 = load.4 %0, 8
  %2:i32 = load.4 %0, 0
  %3:i32 = add %1, 1
  store.4 %0, 8, %3
  %4:i32 = load.4 %0, 8
  %6:i32 = add %4, %2
  ret %6
}`,
    );
  });

  it("does not merge across a store on one arm of a branch, merges when the store is before both reads", () => {
    unchanged(
      cse,
      `func f(%0:ptr, %1:i32) {
b0:
  %2:i32 = load.4 %0, 8
  cbr eq.32 %1, 0 -> b1, b2
b1:
  store.4 %0, 8, 5
  br b2
b2:
  %3:i32 = load.4 %0, 8
  %4:i32 = add %2, %3
  ret %4
}`,
    );
    expectPass(
      cse,
      `func f(%0:ptr) {
b0:
  store.4 %0, 8, 5
  %1:i32 = load.4 %0, 8
  br b1
b1:
  %2:i32 = load.4 %0, 8
  %3:i32 = add %1, %2
  ret %3
}`,
      `func f(%0:ptr) {
b0:
  store.4 %0, 8, 5
  %1:i32 = load.4 %0, 8
  br b1
b1:
  %3:i32 = add %1, %1
  ret %3
}`,
    );
  });

  it("reads data again after a packet-moving helper; a helper given the context keeps data but not fields", () => {
    const adjust = HELPER.xdp_adjust_head;
    unchanged(
      cse,
      `func f(%0:ptr) {
b0:
  %1:ptr = ctxptr %0, 0
  %2:i64 = call ${adjust} (%0, 14)
  %3:ptr = ctxptr %0, 0
  ret 0
}`,
    );
    const other = HELPER.skb_change_type;
    expectPass(
      cse,
      `func f(%0:ptr) {
b0:
  %1:ptr = ctxptr %0, 76
  %2:i32 = load.4 %0, 4
  %3:i64 = call ${other} (%0, 1)
  %4:ptr = ctxptr %0, 76
  %5:i32 = load.4 %0, 4
  ret %5
}`,
      `func f(%0:ptr) {
b0:
  %1:ptr = ctxptr %0, 76
  %2:i32 = load.4 %0, 4
  %3:i64 = call ${other} (%0, 1)
  %5:i32 = load.4 %0, 4
  ret %5
}`,
    );
  });

  it("a loop that writes a field reads it in the loop; other fields still leave", () => {
    expectPass(
      licm,
      `func f(%0:ptr) {
b0:
  br b1
b1:
  %1:i32 = phi [b0: 0], [b2: %5]
  cbr ult.32 %1, 4 -> b2, b3
b2:
  %2:i32 = load.4 %0, 8
  %3:i32 = load.4 %0, 0
  %4:i32 = add %2, %3
  store.4 %0, 8, %4
  %5:i32 = add %1, 1
  br b1
b3:
  ret %1
}`,
      `func f(%0:ptr) {
b0:
  %3:i32 = load.4 %0, 0
  br b1
b1:
  %1:i32 = phi [b0: 0], [b2: %5]
  cbr ult.32 %1, 4 -> b2, b3
b2:
  %2:i32 = load.4 %0, 8
  %4:i32 = add %2, %3
  store.4 %0, 8, %4
  %5:i32 = add %1, 1
  br b1
b3:
  ret %1
}`,
    );
  });

  it("treats no parameter as a context in a noctx function, and the named one after `ctx`", () => {
    const noctx = `func g(%0:ptr, %1:i32) noctx {
b0:
  %2:i32 = load.4 %0, 0
  %3:i32 = add %2, %1
  store.4 %0, 0, %3
  %4:i32 = load.4 %0, 0
  %5:i32 = load.4 %0, 0
  %6:i32 = add %4, %5
  ret %6
}`;
    // Not a context: cse leaves every load (load-cse is the pass for ordinary memory).
    unchanged(cse, noctx);
    expect(printFunc(parseFunc(noctx))).toBe(norm(noctx));
    const later = `func g(%0:i32, %1:ptr) ctx %1 {
b0:
  %2:i32 = load.4 %1, 0
  %3:i32 = load.4 %1, 0
  %4:i32 = add %2, %3
  ret %4
}`;
    expect(printFunc(parseFunc(later))).toBe(norm(later));
    expectPass(
      cse,
      later,
      `func g(%0:i32, %1:ptr) ctx %1 {
b0:
  %2:i32 = load.4 %1, 0
  %4:i32 = add %2, %2
  ret %4
}`,
    );
    expect(() => parseFunc(later.replace("ctx %1", "ctx %0"))).toThrow(/'ctx' names a parameter after the first/);
  });

  it("lists every helper a context method marks as moving the packet", () => {
    for (const [name, row] of Object.entries(CTX_METHODS))
      if (row.movesPacket) expect([name, PACKET_MOVING_HELPERS.has(HELPER[row.helper as keyof typeof HELPER])]).toEqual([name, true]);
  });

  it("marks a subprogram whose first parameter is not a context noctx", () => {
    const src = `import { xdp, XdpAction, type u32 } from "tsbpf/bpf";
interface S { a: u32; b: u32 }
/** @noinline */
function bump(s: S, k: u32): u32 {
  s.a += k;
  return s.a;
}
export const p = xdp((ctx) => {
  const s: S = { a: 5, b: 0 };
  return bump(s, 3) === 8 ? XdpAction.PASS : XdpAction.DROP;
});
export const LICENSE = "GPL";
`;
    const dumps = new Map<string, string>();
    const r = compile("/tmp/noctx.bpf.ts", src, { dumpIr: new Set(["all"]), dump: (_s, t) => void dumps.set(t.split("(")[0]!, t) });
    expect(r.diagnostics).toEqual([]);
    const bump = [...dumps.values()].find((t) => t.startsWith("func bump("))!;
    expect(bump.split("\n")[0]).toBe("func bump(%0:ptr, %1:i32) noctx {");
    // The load after the store stays.
    expect(bump.match(/load\.4 %0, 0/g)?.length).toBe(2);
  });
});

describeKernel("context writes in the kernel", () => {
  it("a TC program reads back the mark it wrote, in a loop too; a subprogram returns the field it updated; XDP reads data again after adjustHead", () => {
    const src = `import { xdp, tc, XdpAction, TcAction, type EthHdr, type u32 } from "tsbpf/bpf";
interface S { a: u32; b: u32 }
/** @noinline */
function bump(s: S, k: u32): u32 {
  s.a += k;
  return s.a;
}
export const once = tc((ctx) => {
  const a = ctx.mark;
  ctx.mark = a + 1;
  return ctx.mark === a + 1 ? TcAction.OK : TcAction.SHOT;
});
export const loop = tc((ctx) => {
  let n: u32 = 0;
  for (let i = 0; i < 4; i++) {
    n += ctx.mark;
    ctx.mark = ctx.mark + 1;
  }
  return n === 6 ? TcAction.OK : TcAction.SHOT;
});
export const sub = xdp((ctx) => {
  const s: S = { a: 5, b: 0 };
  return bump(s, 3) === 8 ? XdpAction.PASS : XdpAction.DROP;
});
export const pop = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XdpAction.DROP;
  const proto = eth.h_proto;
  if (ctx.adjustHead(14) !== 0) return XdpAction.ABORTED;
  const e2 = ctx.header<EthHdr>(0);
  if (e2 === null) return XdpAction.DROP;
  e2.h_proto = proto;
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    const r = compile("/tmp/ctx-writes.bpf.ts", src);
    expect(r.diagnostics).toEqual([]);
    using obj = loadObject(r.object!);
    const pkt = ipv4Packet(17, 64);
    const run = (name: string) => obj.programs.get(name)!.run({ data: pkt });
    expect(run("once").retval).toBe(0);
    expect(run("loop").retval).toBe(0);
    expect(run("sub").retval).toBe(2);
    const popped = run("pop");
    expect(popped.retval).toBe(2);
    // 14 bytes gone, and the first header's protocol (IPv4) written into the next one's.
    const want = [...pkt.subarray(14)];
    want.splice(12, 2, 0x08, 0x00);
    expect([...popped.data]).toEqual(want);
  });
});
