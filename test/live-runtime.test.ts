// Live modules through the runtime API: deploy pins links and maps; deploying again replaces the
// program in place (same link, same map, new program id); changed map layouts are refused with the
// map and field named, or migrated; attachments the kernel cannot update need allowGap; wrong pin
// dirs and moved attach points are refused before anything changes; unload removes everything.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import {
  deployModule,
  listModuleRecords,
  moduleStatus,
  openPinnedMap,
  openPinnedMaps,
  readModuleRecord,
  unloadModule,
  MapLayoutError,
  ReplaceError,
  attachRawTracepoint,
  attachXdp,
  loadObject,
  type PerCpuTypedMap,
} from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";
import { fdCount, VethNetns } from "./support/bpf-c.js";
import { LiveEnv, LIVE_FIXTURES, tcProgIds, xdpProgId } from "./support/live.js";
import { skeletonFor } from "../compiler/tools/skeleton.js";

describeKernel("live modules (runtime API)", () => {
  const env = new LiveEnv();
  const net = new VethNetns("l");
  const xdpSpec = () => `xdp:${net.host}:generic`;
  beforeAll(() => {
    process.env.TSBPF_STATE_DIR = env.stateDir;
    net.create();
  });
  afterAll(() => {
    net.destroy();
    env.cleanup();
    delete process.env.TSBPF_STATE_DIR;
  });
  beforeEach(async () => {
    // Each test starts with nothing on the veth. The kernel frees a link whose last fd closed from a
    // workqueue, so the previous test's detach may take a moment to show on a loaded machine.
    for (let i = 0; i < 50 && xdpProgId(net.host) !== null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(xdpProgId(net.host)).toBeNull();
  });

  it("replaces an XDP program in place: same link and map, entries kept, new program", () => {
    const pin = env.pinDir("xdp");
    try {
      const first = deployModule(env.object("xdp-a"), { pinDir: pin, attach: [{ spec: xdpSpec() }] });
      expect(first.programs).toMatchObject([{ program: "live_xdp", action: "attached" }]);
      expect(first.plan.fresh).toEqual(["hits"]);
      expect(existsSync(join(pin, "links", "live_xdp"))).toBe(true);
      expect(existsSync(join(pin, "maps", "hits"))).toBe(true);
      const idA = xdpProgId(net.host);
      expect(idA).toBe(first.programs[0]!.progId);

      // Another "process" (the pinned-map API) writes an entry the new version must see.
      const before = moduleStatus(readModuleRecord(pin)!);
      {
        using pm = openPinnedMaps(pin);
        (pm.maps.hits as PerCpuTypedMap<number, bigint>).setAll(1, 41n);
      }

      const second = deployModule(env.object("xdp-b"), { pinDir: pin, attach: [{ spec: xdpSpec() }] });
      expect(second.programs).toMatchObject([{ program: "live_xdp", action: "replaced" }]);
      expect(second.programs[0]!.micros).toBeGreaterThan(0);
      expect(second.plan.reused).toEqual(["hits"]);
      const idB = xdpProgId(net.host);
      expect(idB).not.toBe(idA);
      expect(idB).toBe(second.programs[0]!.progId);

      const after = moduleStatus(readModuleRecord(pin)!);
      expect(after.programs[0]!.linkId).toBe(before.programs[0]!.linkId); // the same link, updated
      expect(after.maps[0]!.id).toBe(before.maps[0]!.id); // the same map
      expect(after.record.generation).toBe(2);
      expect(after.programs[0]!.tag).toMatch(/^[0-9a-f]{16}$/);
      using pm = openPinnedMap(join(pin, "maps", "hits"));
      expect((pm.typed() as PerCpuTypedMap<number, bigint>).get(1)!.every((v) => v === 41n)).toBe(true);
      expect(listModuleRecords().some((r) => r.pinDir === pin)).toBe(true);
    } finally {
      const gone = unloadModule(pin);
      expect(gone.programs).toEqual(["live_xdp"]);
    }
    expect(xdpProgId(net.host)).toBeNull();
    expect(existsSync(pin)).toBe(false);
    expect(readModuleRecord(pin)).toBeNull();
  });

  it("gives another process typed access to the pinned maps through the skeleton", async () => {
    const pin = env.pinDir("skel");
    const src = join(LIVE_FIXTURES, "xdp-a.bpf.ts");
    const { text } = skeletonFor(src, readFileSync(src, "utf8"), { runtimeImport: join(import.meta.dirname, "..", "runtime", "index.ts") });
    const skelPath = join(env.tmp, "xdp-a.skel.ts");
    writeFileSync(skelPath, text!);
    const skel = (await import(skelPath)) as {
      openPinned(dir: string): { maps: { hits: PerCpuTypedMap<number, bigint> }; close(): void };
    };
    try {
      deployModule(env.object("xdp-a"), { pinDir: pin, attach: [{ spec: xdpSpec() }] });
      const p = skel.openPinned(pin);
      try {
        p.maps.hits.setAll(2, 5n);
        expect(p.maps.hits.get(2)!.every((v) => v === 5n)).toBe(true);
        expect(p.maps.hits.get(3)!.every((v) => v === 0n)).toBe(true);
      } finally {
        p.close();
      }
      expect(() => skel.openPinned(join(pin, "links"))).toThrow(/do not match the skeleton: missing map 'hits'/);
    } finally {
      unloadModule(pin);
    }
  });

  it("refuses a changed map layout, naming the map and what differs, and keeps the old program", () => {
    const pin = env.pinDir("layout");
    try {
      deployModule(env.object("xdp-a"), { pinDir: pin, attach: [{ spec: xdpSpec() }] });
      const id = xdpProgId(net.host);
      const fds = fdCount();
      let err: unknown;
      try {
        deployModule(env.object("xdp-wide"), { pinDir: pin, attach: [{ spec: xdpSpec() }] });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MapLayoutError);
      expect((err as Error).message).toMatch(
        /map 'hits' cannot be reused .*: value size: 8 in the pinned map, 16 in the new object; pass a migration/,
      );
      expect(xdpProgId(net.host)).toBe(id);
      expect(fdCount()).toBe(fds); // the refused object and the opened pins are all closed
    } finally {
      unloadModule(pin);
    }
  });

  it("tells same-size layouts apart by their BTF fields", () => {
    const pin = env.pinDir("swap");
    try {
      deployModule(env.object("swapped"), { pinDir: pin, attach: [{ spec: xdpSpec() }] });
      expect(() => deployModule(env.object("swapped-b"), { pinDir: pin, attach: [{ spec: xdpSpec() }] })).toThrow(
        /map 'pairs' cannot be reused .*: value field 1: 'first' in the pinned map, 'second' in the new object/,
      );
    } finally {
      unloadModule(pin);
    }
  });

  it("migrates a changed map with a user function and pins the new map in its place", () => {
    const pin = env.pinDir("migrate");
    try {
      deployModule(env.object("xdp-a"), { pinDir: pin, attach: [{ spec: xdpSpec() }] });
      const oldId = moduleStatus(readModuleRecord(pin)!).maps[0]!.id;
      {
        using pm = openPinnedMaps(pin);
        (pm.maps.hits as PerCpuTypedMap<number, bigint>).setAll(0, 7n);
      }
      const r = deployModule(env.object("xdp-wide"), {
        pinDir: pin,
        attach: [{ spec: xdpSpec() }],
        migrate: {
          hits: (from, to) => {
            for (const [k, perCpu] of from.entries())
              to.set(
                k,
                (perCpu as bigint[]).map((p) => ({ packets: p, bytes: 0n })),
              );
          },
        },
      });
      expect(r.plan.migrated.map((m) => m.name)).toEqual(["hits"]);
      expect(r.programs).toMatchObject([{ action: "replaced" }]);
      const st = moduleStatus(readModuleRecord(pin)!);
      expect(st.maps[0]!.id).not.toBe(oldId);
      using pm = openPinnedMaps(pin);
      const v = (pm.maps.hits as PerCpuTypedMap<number, { packets: bigint; bytes: bigint }>).get(0)!;
      expect(v.every((x) => x.packets === 7n && x.bytes === 0n)).toBe(true);
    } finally {
      unloadModule(pin);
    }
  });

  it("refuses a dir pinned by something else, a migration for a missing map, and a concurrent load", () => {
    const foreign = env.pinDir("foreign");
    mkdirSync(join(foreign, "links"), { recursive: true });
    try {
      expect(() => deployModule(env.object("xdp-a"), { pinDir: foreign, attach: [{ spec: xdpSpec() }] })).toThrow(
        /holds links pinned by something else \(no tsbpf record for it\)/,
      );
    } finally {
      rmSync(foreign, { recursive: true, force: true });
    }
    const pin = env.pinDir("mig");
    expect(() => deployModule(env.object("xdp-a"), { pinDir: pin, attach: [{ spec: xdpSpec() }], migrate: { nope: () => {} } })).toThrow(
      /a migration is given for map 'nope', but the new object has no such map/,
    );
    expect(existsSync(pin)).toBe(false);
    // A lock held by a live process (our parent stands in for another tsbpf) refuses; a stale one is taken over.
    const lock = join(env.stateDir, "modules", `${encodeURIComponent(pin)}.json.lock`);
    mkdirSync(join(env.stateDir, "modules"), { recursive: true });
    writeFileSync(lock, String(process.ppid));
    expect(() => deployModule(env.object("xdp-a"), { pinDir: pin, attach: [{ spec: xdpSpec() }] })).toThrow(
      new RegExp(`is being changed by another tsbpf process \\(pid ${process.ppid}\\)`),
    );
    writeFileSync(lock, "999999999");
    try {
      deployModule(env.object("xdp-a"), { pinDir: pin, attach: [{ spec: xdpSpec() }] });
      expect(existsSync(lock)).toBe(false);
    } finally {
      unloadModule(pin);
    }
  });

  it("refuses a pin dir outside bpffs and moving a program to another attach point", () => {
    expect(() => deployModule(env.object("xdp-a"), { pinDir: join(env.tmp, "pins"), attach: [{ spec: xdpSpec() }] })).toThrow(
      /is not on a bpffs mount/,
    );
    const pin = env.pinDir("move");
    try {
      deployModule(env.object("xdp-a"), { pinDir: pin, attach: [{ program: "live_xdp", spec: xdpSpec() }] });
      expect(() => deployModule(env.object("xdp-b"), { pinDir: pin, attach: [{ program: "live_xdp", spec: `xdp:lo:generic` }] })).toThrow(
        /program 'live_xdp' of .* is attached to xdp:.*, not xdp:lo:generic: unload the module first/,
      );
      // Without PROG= the program is found by name after loading: refused the same way, nothing moved.
      const id = xdpProgId(net.host);
      expect(() => deployModule(env.object("xdp-b"), { pinDir: pin, attach: [{ spec: `xdp:lo:generic` }] })).toThrow(
        /program 'live_xdp' of .* is attached to xdp:.*, not xdp:lo:generic: unload the module first/,
      );
      expect(xdpProgId(net.host)).toBe(id);
      expect(xdpProgId("lo")).toBeNull();
    } finally {
      unloadModule(pin);
    }
  });

  it("refuses to replace a raw tracepoint (no atomic update) unless allowGap", () => {
    const pin = env.pinDir("rawtp");
    try {
      deployModule(env.object("rawtp"), { pinDir: pin, attach: [{ spec: "raw_tp:sys_enter" }] });
      expect(() => deployModule(env.object("rawtp"), { pinDir: pin, attach: [{ spec: "raw_tp:sys_enter" }] })).toThrow(
        /attached through a raw_tracepoint link, which the kernel cannot update atomically; pass --allow-gap/,
      );
      const r = deployModule(env.object("rawtp"), { pinDir: pin, attach: [{ spec: "raw_tp:sys_enter" }], allowGap: true });
      expect(r.programs).toMatchObject([{ action: "reattached" }]);
      expect(r.plan.reused).toEqual(["calls"]);
      const st = moduleStatus(readModuleRecord(pin)!);
      expect(st.programs[0]!.progId).toBe(r.programs[0]!.progId);
    } finally {
      unloadModule(pin);
    }
  });

  it("replaces a TC classifier on the same handle and priority", () => {
    const pin = env.pinDir("tc");
    const spec = `tc:${net.host}:ingress`;
    try {
      const a = deployModule(env.object("tc-a"), { pinDir: pin, attach: [{ spec }] });
      expect(tcProgIds(net.host)).toEqual([a.programs[0]!.progId]);
      const tcA = readModuleRecord(pin)!.programs[0]!.tc!;
      const b = deployModule(env.object("tc-b"), { pinDir: pin, attach: [{ spec }] });
      expect(b.programs).toMatchObject([{ action: "replaced" }]);
      expect(tcProgIds(net.host)).toEqual([b.programs[0]!.progId]);
      expect(readModuleRecord(pin)!.programs[0]!.tc).toEqual(tcA);
      expect(b.plan.reused).toEqual(["hits"]);
    } finally {
      unloadModule(pin);
    }
    expect(tcProgIds(net.host)).toEqual([]);
  });

  it("puts everything back when a load fails part-way (first load and replacement)", () => {
    const pin = env.pinDir("undo");
    const fds = fdCount();
    const host = net.host;
    // First load: the second attach point does not exist; the XDP program attached first is detached again.
    expect(() =>
      deployModule(env.object("multi"), {
        pinDir: pin,
        attach: [
          { program: "live_xdp", spec: xdpSpec() },
          { program: "live_tc", spec: "tc:tsbpf-nope0:ingress" },
        ],
      }),
    ).toThrow(/no network interface named 'tsbpf-nope0'/);
    expect(xdpProgId(host)).toBeNull();
    expect(existsSync(pin)).toBe(false);
    expect(readModuleRecord(pin)).toBeNull();
    try {
      const first = deployModule(env.object("multi"), {
        pinDir: pin,
        attach: [
          { program: "live_xdp", spec: xdpSpec() },
          { program: "live_tc", spec: `tc:${host}:ingress` },
        ],
      });
      const ids = first.programs.map((p) => p.progId);
      expect([xdpProgId(host), ...tcProgIds(host)]).toEqual(ids);
      // Replacement: both programs are switched, then the third attach fails: both are switched back.
      expect(() =>
        deployModule(env.object("multi"), {
          pinDir: pin,
          attach: [
            { program: "live_xdp", spec: xdpSpec() },
            { program: "live_tc", spec: `tc:${host}:ingress` },
            { program: "live_xdp2", spec: "xdp:tsbpf-nope0:generic" },
          ],
        }),
      ).toThrow(/no network interface named 'tsbpf-nope0'/);
      expect([xdpProgId(host), ...tcProgIds(host)]).toEqual(ids);
      const st = moduleStatus(readModuleRecord(pin)!);
      expect(st.record.generation).toBe(1);
      expect(st.programs.map((p) => p.progId)).toEqual(ids);
      // The refused replacement changed nothing a later one depends on.
      const again = deployModule(env.object("multi"), {
        pinDir: pin,
        attach: [
          { program: "live_xdp", spec: xdpSpec() },
          { program: "live_tc", spec: `tc:${host}:ingress` },
        ],
      });
      expect(again.programs.map((p) => p.action)).toEqual(["replaced", "replaced"]);
      expect(again.record.generation).toBe(2);
    } finally {
      unloadModule(pin);
    }
    expect(xdpProgId(host)).toBeNull();
    expect(tcProgIds(host)).toEqual([]);
    expect(fdCount()).toBe(fds); // no fd survives deploys, refusals, rollbacks and unload
  });

  it("keeps .bss/.data variables across a replacement; .rodata constants come from the new object", () => {
    const pin = env.pinDir("glob");
    const packet = new Uint8Array(64);
    try {
      const a = deployModule(env.object("xdp-global"), { pinDir: pin, attach: [{ spec: xdpSpec() }], keepOpen: true });
      const objA = a.object!;
      try {
        for (let i = 0; i < 3; i++) objA.programs.get("live_xdp")!.run({ data: packet });
        expect(objA.globals.get("packets")).toBe(3n);
      } finally {
        objA.close();
      }
      const b = deployModule(env.object("xdp-global"), {
        pinDir: pin,
        attach: [{ spec: xdpSpec() }],
        keepOpen: true,
        load: { rodata: { VERSION: 2 } },
      });
      const objB = b.object!;
      try {
        expect(b.plan.reused.some((n) => n.endsWith(".bss"))).toBe(true);
        expect(b.plan.unpinned.some((n) => n.endsWith(".rodata"))).toBe(true);
        expect(objB.globals.get("packets")).toBe(3n);
        objB.programs.get("live_xdp")!.run({ data: packet });
        expect(objB.globals.get("packets")).toBe(4n);
        expect(objB.globals.get("last_version")).toBe(2);
      } finally {
        objB.close();
      }
    } finally {
      unloadModule(pin);
    }
  });

  it("Link.replaceProgram swaps an XDP link's program, compare-and-swap included; raw tracepoints refuse", () => {
    using a = loadObject(env.object("xdp-a"));
    using b = loadObject(env.object("xdp-b"));
    const progA = a.programs.get("live_xdp")!;
    const progB = b.programs.get("live_xdp")!;
    {
      using link = attachXdp(progA, net.host, { mode: "generic" });
      const idA = xdpProgId(net.host);
      // Expecting B to be running is wrong: nothing changes.
      expect(() => link.replaceProgram(progA, { expectedProgFd: progB.fd })).toThrow(ReplaceError);
      expect(xdpProgId(net.host)).toBe(idA);
      link.replaceProgram(progB, { expectedProgFd: progA.fd });
      expect(xdpProgId(net.host)).not.toBe(idA);
      link.replaceProgram(progA);
      expect(xdpProgId(net.host)).toBe(idA);
    }
    expect(xdpProgId(net.host)).toBeNull();
    using r = loadObject(env.object("rawtp"));
    using raw = attachRawTracepoint(r.programs.get("live_rawtp")!, "sys_enter");
    let err: unknown;
    try {
      raw.replaceProgram(r.programs.get("live_rawtp")!);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReplaceError);
    expect((err as ReplaceError).atomic).toBe(false);
    expect((err as Error).message).toMatch(/a raw_tracepoint link cannot have its program replaced atomically/);
  });
});
