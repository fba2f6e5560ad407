// BPF timers: a BpfTimer field in a map value, armed by a program and fired later by the kernel,
// which calls the callback subprogram (map, key, value). The kernel test runs an XDP program once
// with BPF_PROG_TEST_RUN; it arms the timer, and user space waits for the callback's counter.
// Compile-time checks mirror the verifier's timer rules (TSBPF2120-2124).

import { join } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { loadObject, u32le } from "../runtime/index.js";
import { ipv4Packet } from "../testing/packets.js";
import { describeKernel } from "./kernel-env.js";

const FILE = join(import.meta.dirname, "timers-case.bpf.ts");

const HEAD = `import { xdp, tc, tracepoint, timerInit, timerSetCallback, timerStart, timerCancel, ktimeGetNs, atomicAdd, ArrayMap, HashMap, PerCpuArray, XdpAction, zero, TcAction, TimerClock, type BpfTimer, type u32, u64 } from "tsbpf/bpf";
interface Elem { timer: BpfTimer; fired: u64; armedAt: u64; firedAt: u64; again: u32 }
const timers = new ArrayMap<Elem>(2);
`;

function build(src: string): Uint8Array {
  const r = compile(FILE, HEAD + src, { checkIr: true });
  expect(r.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
  return r.object!;
}
const codes = (src: string) => compile(FILE, HEAD + src).diagnostics.map((d) => d.code);

const ARM = `
function onTimer(map: ArrayMap<Elem>, key: u32, value: Elem): 0 {
  value.fired += 1;
  value.firedAt = ktimeGetNs();
  if (key === 1 && value.again > 0) {
    value.again -= 1;
    timerStart(value.timer, 1000000, 0);
  }
  return 0;
}
export const arm = xdp((ctx) => {
  for (let k: u32 = 0; k < 2; k++) {
    const e = timers.lookup(k);
    if (e === null) return XdpAction.ABORTED;
    e.armedAt = ktimeGetNs();
    e.again = 2;
    if (timerInit(e.timer, timers, TimerClock.MONOTONIC) !== 0) return XdpAction.DROP;
    timerSetCallback(e.timer, onTimer);
    timerStart(e.timer, 5000000, 0);
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

it("timer rules are compile-time errors", () => {
  const prog = (body: string, extra = "") =>
    codes(`${extra}
function cb(map: ArrayMap<Elem>, key: u32, value: Elem): 0 { return 0; }
export const p = xdp((ctx) => {
  const e = timers.lookup(0);
  if (e === null) return XdpAction.DROP;
${body}
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`);
  expect(
    prog("  timerInit(e.timer, timers);\n  timerSetCallback(e.timer, cb);\n  timerStart(e.timer, 1000);\n  timerCancel(e.timer);"),
  ).toEqual([]);
  // Not a map value's timer: a stack copy.
  expect(
    prog("  const copy: Elem = { timer: e.timer, fired: 0, armedAt: 0, firedAt: 0, again: 0 };\n  timerStart(copy.timer, 1);"),
  ).toContain("TSBPF2120");
  // A callback whose value is not the struct holding the timer; one that returns something else
  // than 0 (tsc already refuses it against the declaration); one that is not a function.
  expect(prog("  timerSetCallback(e.timer, bad);", "function bad(map: ArrayMap<u64>, key: u32, value: u64): 0 { return 0; }\n")).toEqual([
    "TSBPF2121",
  ]);
  expect(
    prog("  timerSetCallback(e.timer, bad);", "function bad(map: ArrayMap<Elem>, key: u32, value: Elem): u32 { return 1; }\n"),
  ).toEqual(["TS2769"]);
  expect(prog("  timerSetCallback(e.timer, short);", "function short(map: ArrayMap<Elem>): void {}\n")).toEqual([]);
  // A clock bpf_timer_init refuses: TimerClock has only the ones it takes.
  expect(prog("  timerInit(e.timer, timers, 3);")).toEqual(["TS2345"]);
  // A per-CPU map cannot hold timers.
  expect(
    codes(`const pc = new PerCpuArray<Elem>(1);
export const p = xdp((ctx) => {
  const e = timers.lookup(0);
  if (e === null) return XdpAction.DROP;
  timerInit(e.timer, pc);
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`),
  ).toContain("TSBPF2124");
  expect(
    codes(`const pc = new PerCpuArray<Elem>(1);\nexport const p = xdp((ctx) => XdpAction.PASS);\nexport const LICENSE = "GPL";\n`),
  ).toEqual(["TSBPF2124"]);
  // Tracing programs cannot use maps with timers.
  expect(
    codes(`export const t = tracepoint<{ pad: u64 }>("syscalls", "sys_enter_getpid", (ctx) => {
  const e = timers.lookup(0);
  if (e !== null) timerStart(e.timer, 1);
  return 0;
});
export const LICENSE = "GPL";
`),
  ).toEqual(["TSBPF2123"]);
});

describeKernel("timers in the kernel", () => {
  it("an XDP program arms timers; the kernel calls the callback, which updates the value and re-arms itself", async () => {
    using obj = loadObject(build(ARM));
    const map = obj.maps.get("timers")!;
    const fired = (k: number) => new DataView(map.lookup(u32le(k))!.buffer).getBigUint64(16, true);
    expect(fired(0)).toBe(0n);
    expect(obj.programs.get("arm")!.run({ data: ipv4Packet(17, 64) }).retval).toBe(2);
    // Armed for 5 ms: nothing has fired yet right after the run.
    expect(fired(0)).toBe(0n);
    const deadline = Date.now() + 3000;
    while ((fired(0) < 1n || fired(1) < 3n) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fired(0)).toBe(1n);
    // Key 1's callback re-armed itself twice (again = 2): three calls in all.
    expect(fired(1)).toBe(3n);
    const v = new DataView(map.lookup(u32le(0))!.buffer);
    const armedAt = v.getBigUint64(24, true);
    const firedAt = v.getBigUint64(32, true);
    expect(firedAt - armedAt).toBeGreaterThanOrEqual(5000000n);
  });

  it("user space: writing a value or deleting an element cancels its timer; an untouched one fires", async () => {
    using obj = loadObject(
      build(`
const byKey = new HashMap<u32, Elem>(4);
/** 0, 1: array timers fired, by key; 2: hash timers fired. */
const fired = new ArrayMap<u64>(3);
function onArray(map: ArrayMap<Elem>, key: u32, value: Elem): 0 {
  const c = fired.lookup(key);
  if (c !== null) atomicAdd(c.value, 1);
  return 0;
}
function onHash(map: HashMap<u32, Elem>, key: u32, value: Elem): 0 {
  const c = fired.lookup(2);
  if (c !== null) atomicAdd(c.value, 1);
  return 0;
}
export const arm = xdp((ctx) => {
  for (let k: u32 = 0; k < 2; k++) {
    const e = timers.lookup(k);
    if (e === null) return XdpAction.ABORTED;
    timerInit(e.timer, timers);
    timerSetCallback(e.timer, onArray);
    timerStart(e.timer, 200000000);
    const fresh: Elem = zero<Elem>();
    byKey.update(k, fresh);
    const h = byKey.lookup(k);
    if (h === null) return XdpAction.ABORTED;
    timerInit(h.timer, byKey);
    timerSetCallback(h.timer, onHash);
    timerStart(h.timer, 200000000);
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`),
    );
    expect(obj.programs.get("arm")!.run({ data: ipv4Packet(17, 64) }).retval).toBe(2);
    // Before the 200 ms are up: overwrite array value 0 and hash key 0, delete hash key 1.
    const zeroes = new Uint8Array(48);
    obj.maps.get("timers")!.update(u32le(0), zeroes);
    obj.maps.get("byKey")!.update(u32le(0), zeroes);
    obj.maps.get("byKey")!.delete(u32le(1));
    await new Promise((r) => setTimeout(r, 600));
    const count = (i: number) => new DataView(obj.maps.get("fired")!.lookup(u32le(i))!.buffer).getBigUint64(0, true);
    expect(count(1)).toBe(1n); // array value 1, untouched, fired
    expect(count(0)).toBe(0n);
    expect(count(2)).toBe(0n);
  });

  it("timerCancel stops a pending timer (1), finds none the second time (0), and the callback never runs", async () => {
    using obj = loadObject(
      build(`
const results = new ArrayMap<u64>(2);
function never(map: ArrayMap<Elem>, key: u32, value: Elem): 0 {
  value.fired += 1;
  return 0;
}
export const arm = xdp((ctx) => {
  const e = timers.lookup(0);
  if (e === null) return XdpAction.ABORTED;
  timerInit(e.timer, timers, TimerClock.BOOTTIME);
  timerSetCallback(e.timer, never);
  return timerStart(e.timer, 300000000) === 0 ? XdpAction.PASS : XdpAction.DROP;
});
export const cancel = tc((ctx) => {
  const e = timers.lookup(0);
  if (e === null) return TcAction.SHOT;
  results.update(0, u64(timerCancel(e.timer)));
  results.update(1, u64(timerCancel(e.timer)));
  return TcAction.OK;
});
export const LICENSE = "GPL";
`),
    );
    expect(obj.programs.get("arm")!.run({ data: ipv4Packet(17, 64) }).retval).toBe(2);
    expect(obj.programs.get("cancel")!.run({ data: ipv4Packet(17, 64) }).retval).toBe(0);
    const result = (i: number) => new DataView(obj.maps.get("results")!.lookup(u32le(i))!.buffer).getBigInt64(0, true);
    expect(result(0)).toBe(1n);
    expect(result(1)).toBe(0n);
    await new Promise((r) => setTimeout(r, 500));
    expect(new DataView(obj.maps.get("timers")!.lookup(u32le(0))!.buffer).getBigUint64(16, true)).toBe(0n);
  });
});
