// Why: a "live module" is an object whose programs stay attached and whose maps stay alive after
// the loading process exits, and which a newer version replaces in place: same hooks, same maps,
// no moment without a program. Pins in bpffs hold the links and maps (<dir>/links, <dir>/maps,
// <dir>/progs); a small JSON record (bpffs cannot hold plain files) remembers the attach points,
// TC handles and load time so `tsbpf load` again, `tsbpf unload` and `tsbpf ls` can find them.

import { closeSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { loadObject, type BpfObject, type LoadOptions } from "./object.js";
import type { BpfProgram } from "./program.js";
import type { Link } from "./link.js";
import { attachCgroup, attachRawTracepoint, attachTcx, attachTracepoint, attachXdp, ifindexOf, type XdpMode } from "./attach.js";
import {
  closePlan,
  pinFd,
  pinName,
  pinNewMaps,
  requireBpffsDir,
  reusePinnedMaps,
  runMigrations,
  type MapMigration,
  type MapReusePlan,
} from "./pinned.js";
import {
  attachTcFilter,
  detachTcFilter,
  linkUpdatable,
  replaceTcProgram,
  tcFilterProgId,
  updateLinkProgram,
  updatePinnedLink,
  type ProgramRef,
  type TcFilter,
} from "./replace.js";
import { libbpf } from "./libbpf.js";
import { linkInfo, mapInfo, openPinnedFd, progInfo, progInfoById } from "./obj-info.js";

/** One program's attach point as given on the command line: xdp:IF[:mode], tc:IF:dir, tcx:IF:dir, cgroup:PATH, tp:CAT/NAME, raw_tp:NAME. */
export interface ModuleAttach {
  /** Program name; default: the first program whose type fits the spec. */
  program?: string;
  spec: string;
}

export interface ProgramRecord {
  name: string;
  section: string;
  spec: string;
  /** "link": a pinned BPF link at links/<name>; "tc": a cls_bpf filter (no link to pin). */
  kind: "link" | "tc";
  tc?: TcFilter & { ifname: string };
}

/** The record `tsbpf ls` reads; one per pin directory. */
export interface ModuleRecord {
  version: 1;
  pinDir: string;
  source: string;
  objectName: string;
  loadedAt: string;
  replacedAt?: string;
  /** 1 for the first load, +1 per replacement. */
  generation: number;
  programs: ProgramRecord[];
  maps: string[];
}

export interface DeployOptions {
  pinDir: string;
  attach: ModuleAttach[];
  /** Migrations for maps whose layout changed, by map name. */
  migrate?: Readonly<Record<string, MapMigration>>;
  /** Accept detach + attach (a moment without a program) where atomic replacement is impossible. */
  allowGap?: boolean;
  /** Recorded for `ls` (the file the object came from). */
  source?: string;
  /** Object name (prefix of .bss/.data map names); kept from the first load on replacement. */
  objectName?: string;
  load?: Omit<LoadOptions, "beforeLoad" | "name">;
  /** Keep the new object open and return it (tsbpf run --watch reads its maps). */
  keepOpen?: boolean;
}

export interface SwapReport {
  program: string;
  spec: string;
  /** "replaced" atomically, "attached" fresh, "reattached" with a gap (allowGap), "detached" (gone from the new version). */
  action: "replaced" | "attached" | "reattached" | "detached";
  /** Time the hook switch itself took (BPF_LINK_UPDATE / netlink replace), microseconds. */
  micros?: number;
  progId?: number;
}

export interface DeployReport {
  record: ModuleRecord;
  programs: SwapReport[];
  plan: MapReusePlan;
  removedMaps: string[];
  object: BpfObject | null;
}

/** Where module records live: $TSBPF_STATE_DIR or /run/tsbpf. */
export function stateDir(): string {
  return process.env.TSBPF_STATE_DIR ?? "/run/tsbpf";
}

function recordPath(pinDir: string): string {
  return join(stateDir(), "modules", `${encodeURIComponent(resolve(pinDir))}.json`);
}

export function readModuleRecord(pinDir: string): ModuleRecord | null {
  const p = recordPath(pinDir);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, "utf8")) as ModuleRecord;
}

function writeRecord(r: ModuleRecord): void {
  mkdirSync(join(stateDir(), "modules"), { recursive: true });
  writeFileSync(recordPath(r.pinDir), JSON.stringify(r, null, 2) + "\n");
}

/** Every module record, newest first. */
export function listModuleRecords(): ModuleRecord[] {
  const dir = join(stateDir(), "modules");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as ModuleRecord)
    .sort((a, b) => b.loadedAt.localeCompare(a.loadedAt));
}

/** Program types (enum bpf_prog_type) each attach kind accepts. */
const KIND_TYPES: Record<string, number[]> = {
  xdp: [6],
  tc: [3, 4],
  tcx: [3],
  tp: [5],
  raw_tp: [17, 24],
  cgroup: [8, 9, 13, 15, 18, 23, 25],
};

function pick(obj: BpfObject, a: ModuleAttach): BpfProgram {
  const kind = a.spec.split(":")[0]!;
  if (!(kind in KIND_TYPES))
    throw new Error(
      `unknown attach spec '${a.spec}' (xdp:IFNAME[:mode], tc:IFNAME:ingress|egress, tcx:IFNAME:ingress|egress, cgroup:PATH, tp:CATEGORY/NAME, raw_tp:NAME)`,
    );
  if (a.program !== undefined) {
    const p = obj.programs.get(a.program);
    if (!p) throw new Error(`no program named '${a.program}' (have: ${[...obj.programs.keys()].join(", ")})`);
    return p;
  }
  const p = [...obj.programs.values()].find((x) => x.fd >= 0 && KIND_TYPES[kind]!.includes(x.type));
  if (!p) throw new Error(`no program in the object can attach as ${kind}`);
  return p;
}

/** Attach fresh; link kinds return a Link (to be pinned), tc returns the filter. */
function attachFresh(prog: BpfProgram, spec: string): { link?: Link; tc?: TcFilter & { ifname: string } } {
  const [kind, ...rest] = spec.split(":");
  switch (kind) {
    case "xdp":
      if (!rest[0]) throw new Error("xdp:IFNAME needs an interface name");
      return { link: attachXdp(prog, rest[0], { mode: (rest[1] ?? "auto") as XdpMode }) };
    case "tc": {
      const [ifname, dir] = rest;
      if (!ifname || (dir !== "ingress" && dir !== "egress")) throw new Error("tc:IFNAME:ingress|egress");
      return { tc: { ...attachTcFilter(prog, ifindexOf(ifname), dir), ifname } };
    }
    case "tcx": {
      const [ifname, dir] = rest;
      if (!ifname || (dir !== "ingress" && dir !== "egress")) throw new Error("tcx:IFNAME:ingress|egress");
      return { link: attachTcx(prog, ifname, dir) };
    }
    case "cgroup":
      if (!rest.length) throw new Error("cgroup:PATH");
      return { link: attachCgroup(prog, rest.join(":")) };
    case "tp": {
      const [cat, name] = rest.join(":").split("/");
      if (!cat || !name) throw new Error("tp:CATEGORY/NAME");
      return { link: attachTracepoint(prog, cat, name) };
    }
    case "raw_tp":
      if (!rest[0]) throw new Error("raw_tp:NAME");
      return { link: attachRawTracepoint(prog, rest[0]) };
  }
  throw new Error(`unknown attach spec '${spec}'`);
}

function unlinkIfExists(p: string): void {
  if (existsSync(p)) unlinkSync(p);
}

/**
 * Detach a pinned link now and remove its pin. Dropping the pin alone detaches only when the
 * kernel gets round to freeing the link (deferred work), so `unload` could return with the program
 * still attached; BPF_LINK_DETACH (XDP, cgroup, tcx, netns, ...) detaches before returning. Links
 * without it (tracepoints, raw tracepoints) go with their last reference.
 */
function detachPinnedLink(path: string): void {
  if (!existsSync(path)) return;
  const fd = openPinnedFd(path);
  try {
    libbpf().bpf_link_detach(fd); // EOPNOTSUPP for link kinds without detach: the unpin below does it
  } finally {
    closeSync(fd);
  }
  unlinkIfExists(path);
}

const micros = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1000;

/**
 * Load `src` as the live module pinned at `opts.pinDir`: the first time attach and pin everything;
 * when a module is already there, reuse its maps (layouts must match or be migrated) and replace
 * its programs in place, atomically, or refuse (before anything changes) where that is impossible
 * and allowGap is not set.
 */
export function deployModule(src: string | Uint8Array, opts: DeployOptions): DeployReport {
  const pinDir = resolve(opts.pinDir);
  requireBpffsDir(pinDir);
  return withModuleLock(pinDir, () => deployLocked(src, pinDir, opts));
}

/**
 * One load/unload at a time per module: a lock file next to the record, created exclusively,
 * naming the holder's pid (a lock left by a process that died is taken over).
 */
function withModuleLock<T>(pinDir: string, fn: () => T): T {
  const lock = `${recordPath(pinDir)}.lock`;
  mkdirSync(join(stateDir(), "modules"), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) {
        const holder = existsSync(lock) ? readFileSync(lock, "utf8").trim() : "?";
        throw new Error(`${pinDir} is being changed by another tsbpf process (pid ${holder}); try again when it is done (lock ${lock})`);
      }
      const holder = Number(readFileSync(lock, "utf8").trim());
      if (holder > 0 && holder !== process.pid && pidAlive(holder)) {
        throw new Error(`${pinDir} is being changed by another tsbpf process (pid ${holder}); try again when it is done (lock ${lock})`);
      }
      unlinkSync(lock); // stale: its process is gone
    }
  }
  try {
    return fn();
  } finally {
    unlinkIfExists(lock);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function deployLocked(src: string | Uint8Array, pinDir: string, opts: DeployOptions): DeployReport {
  const old = readModuleRecord(pinDir);
  if (!old && existsSync(join(pinDir, "links"))) {
    throw new Error(`${pinDir} holds links pinned by something else (no tsbpf record for it): choose another --pin directory or remove it`);
  }
  const linksDir = join(pinDir, "links");
  const mapsDir = join(pinDir, "maps");
  const progsDir = join(pinDir, "progs");

  // Refuse before loading anything: a different attach point, or a hook that cannot swap atomically.
  const oldByName = new Map((old?.programs ?? []).map((p) => [p.name, p]));
  if (old) {
    for (const a of opts.attach) {
      const prev = a.program !== undefined ? oldByName.get(a.program) : old.programs.find((p) => p.spec === a.spec);
      if (prev && prev.spec !== a.spec) {
        throw new Error(
          `program '${prev.name}' of ${pinDir} is attached to ${prev.spec}, not ${a.spec}: unload the module first to move it`,
        );
      }
    }
    for (const p of old.programs) {
      if (p.kind !== "link") continue;
      const path = join(linksDir, p.name);
      if (!existsSync(path))
        throw new Error(`${pinDir}: the link of '${p.name}' is no longer pinned at ${path}; unload the module and load it again`);
      const fd = openPinnedFd(path);
      try {
        const u = linkUpdatable(fd);
        if (!u.updatable && !opts.allowGap) {
          throw new Error(
            `program '${p.name}' (${p.spec}) is attached through a ${u.kind} link, which the kernel cannot update atomically; ` +
              `pass --allow-gap (allowGap) to detach and re-attach it, leaving a moment without the program`,
          );
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  const objectName =
    old?.objectName ?? opts.objectName ?? (typeof src === "string" ? basename(src).replace(/(\.bpf)?\.(o|ts)$/, "") : "tsbpf");
  const plan: MapReusePlan = { reused: [], fresh: [], migrated: [], unpinned: [] };
  const obj = loadObject(src, { ...opts.load, name: objectName, beforeLoad: reusePinnedMaps({ mapsDir, migrate: opts.migrate }, plan) });
  const report: SwapReport[] = [];
  // Until the record is written, every change has an undo: a failure part-way (an attach point
  // that is gone, a pin that cannot be written) puts the old version back and leaves no new pins.
  const undo: (() => void)[] = [];
  const keep: number[] = [];
  const hadDir = existsSync(pinDir);
  try {
    runMigrations(obj, plan, opts.migrate ?? {});
    for (const name of plan.fresh) undo.push(() => unlinkIfExists(join(mapsDir, pinName(name))));
    pinNewMaps(obj, { ...plan, migrated: [] }, mapsDir);

    const programs: ProgramRecord[] = [];
    for (const a of opts.attach) {
      const prog = pick(obj, a);
      const prev = oldByName.get(prog.name) ?? old?.programs.find((p) => p.spec === a.spec);
      if (prev && prev.spec !== a.spec) {
        throw new Error(
          `program '${prev.name}' of ${pinDir} is attached to ${prev.spec}, not ${a.spec}: unload the module first to move it`,
        );
      }
      if (prev?.kind === "link") {
        const path = join(linksDir, prev.name);
        const fd = openPinnedFd(path);
        let open = true;
        try {
          if (linkUpdatable(fd).updatable) {
            const oldProg = linkInfo(fd).progId;
            const t0 = process.hrtime.bigint();
            updateLinkProgram(fd, prog);
            report.push({ program: prog.name, spec: a.spec, action: "replaced", micros: micros(t0) });
            undo.push(() => withProgById(oldProg, (old) => updatePinnedLink(path, old)));
            if (prev.name !== prog.name) {
              pinFd(fd, join(linksDir, prog.name));
              unlinkSync(path);
            }
          } else {
            // allowGap was checked above: removing the pin and our fd detaches the old program
            // (this step has no undo: the old attachment is gone).
            unlinkSync(path);
            closeSync(fd);
            open = false;
            const { link } = attachFresh(prog, a.spec);
            try {
              link!.pin(join(linksDir, prog.name));
            } finally {
              link!.close();
            }
            report.push({ program: prog.name, spec: a.spec, action: "reattached" });
          }
        } finally {
          if (open) closeSync(fd);
        }
        programs.push({ name: prog.name, section: prog.section, spec: a.spec, kind: "link" });
      } else if (prev?.kind === "tc") {
        const oldProg = tcFilterProgId(prev.tc!);
        const t0 = process.hrtime.bigint();
        replaceTcProgram(prev.tc!, prog);
        report.push({ program: prog.name, spec: a.spec, action: "replaced", micros: micros(t0) });
        if (oldProg) undo.push(() => withProgById(oldProg, (old) => replaceTcProgram(prev.tc!, old)));
        programs.push({ name: prog.name, section: prog.section, spec: a.spec, kind: "tc", tc: prev.tc });
      } else {
        const r = attachFresh(prog, a.spec);
        if (r.link) {
          mkdirSync(linksDir, { recursive: true });
          const path = join(linksDir, prog.name);
          try {
            r.link.pin(path);
          } finally {
            r.link.close(); // the pin keeps it attached
          }
          undo.push(() => detachPinnedLink(path));
          programs.push({ name: prog.name, section: prog.section, spec: a.spec, kind: "link" });
        } else {
          const f = r.tc!;
          undo.push(() => detachTcFilter(f));
          programs.push({ name: prog.name, section: prog.section, spec: a.spec, kind: "tc", tc: f });
        }
        report.push({ program: prog.name, spec: a.spec, action: "attached" });
      }
      const progPin = join(progsDir, prog.name);
      if (existsSync(progPin)) {
        const oldFd = openPinnedFd(progPin);
        keep.push(oldFd);
        undo.push(() => pinFd(oldFd, progPin));
      } else undo.push(() => unlinkIfExists(progPin));
      pinFd(prog.fd, progPin);
      report[report.length - 1]!.progId = progInfo(prog.fd).id;
    }
    undo.length = 0; // every program runs the new version: from here on, only clean-up

    // Programs of the old version that the new one no longer attaches.
    for (const p of old?.programs ?? []) {
      if (programs.some((q) => q.name === p.name || q.spec === p.spec)) continue;
      detachProgram(pinDir, p);
      report.push({ program: p.name, spec: p.spec, action: "detached" });
    }

    // Maps whose layout changed now get the new map's pin; maps the new version dropped lose theirs.
    for (const m of plan.migrated) pinFd(obj.maps.get(m.name)!.fd, join(mapsDir, pinName(m.name)));
    const mapNames = [...plan.reused, ...plan.fresh, ...plan.migrated.map((m) => m.name)];
    const removedMaps: string[] = [];
    for (const f of existsSync(mapsDir) ? readdirSync(mapsDir) : []) {
      if (!mapNames.some((n) => pinName(n) === f)) {
        unlinkSync(join(mapsDir, f));
        removedMaps.push(f);
      }
    }

    const now = new Date().toISOString();
    const record: ModuleRecord = {
      version: 1,
      pinDir,
      source: opts.source ?? (typeof src === "string" ? resolve(src) : "<bytes>"),
      objectName,
      loadedAt: old?.loadedAt ?? now,
      ...(old ? { replacedAt: now } : {}),
      generation: (old?.generation ?? 0) + 1,
      programs,
      maps: mapNames,
    };
    writeRecord(record);
    return { record, programs: report, plan, removedMaps, object: opts.keepOpen ? obj : null };
  } catch (e) {
    for (const u of undo.reverse()) {
      try {
        u();
      } catch {
        // best effort: keep undoing the rest
      }
    }
    if (!hadDir) removeEmptyDirs(pinDir);
    if (opts.keepOpen) obj.close();
    throw e;
  } finally {
    for (const fd of keep) closeSync(fd);
    closePlan(plan);
    if (!opts.keepOpen) obj.close();
  }
}

/** Run `fn` with the program whose kernel id is `id` (still alive while a pin or link holds it). */
function withProgById(id: number, fn: (p: ProgramRef) => void): void {
  const fd = libbpf().bpf_prog_get_fd_by_id(id);
  if (fd < 0) throw new Error(`program id ${id} is gone`);
  try {
    fn({ fd, name: `previous version (id ${id})` });
  } finally {
    closeSync(fd);
  }
}

function removeEmptyDirs(pinDir: string): void {
  for (const d of [join(pinDir, "links"), join(pinDir, "progs"), join(pinDir, "maps"), pinDir]) {
    if (existsSync(d) && readdirSync(d).length === 0) rmdirSync(d);
  }
}

function detachProgram(pinDir: string, p: ProgramRecord): void {
  if (p.kind === "tc" && p.tc) detachTcFilter(p.tc);
  detachPinnedLink(join(pinDir, "links", p.name));
  unlinkIfExists(join(pinDir, "progs", p.name));
}

/** Detach every program of the module at `pinDir` and remove its pins and record; returns what was removed. */
export function unloadModule(pinDir: string): { programs: string[]; maps: string[] } {
  const dir = resolve(pinDir);
  requireBpffsDir(dir);
  return withModuleLock(dir, () => unloadLocked(dir));
}

function unloadLocked(dir: string): { programs: string[]; maps: string[] } {
  const rec = readModuleRecord(dir);
  if (!rec && !existsSync(dir)) throw new Error(`no module is loaded at ${dir} (no such directory)`);
  const programs: string[] = [];
  for (const p of rec?.programs ?? []) {
    detachProgram(dir, p);
    programs.push(p.name);
  }
  // Pins without a record entry (an interrupted load) go too.
  for (const sub of ["links", "progs", "maps"]) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) {
      if (sub === "links") {
        detachPinnedLink(join(d, f));
        programs.push(f);
      } else unlinkSync(join(d, f));
    }
    rmdirSync(d);
  }
  const maps = rec?.maps ?? [];
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
  if (rec) unlinkSync(recordPath(dir));
  return { programs: [...new Set(programs)], maps };
}

export interface ModuleStatus {
  record: ModuleRecord;
  /** false when the pin directory is gone (removed by hand): the record is stale. */
  present: boolean;
  programs: { name: string; spec: string; progId: number | null; tag: string | null; linkId: number | null; loadedAt: Date | null }[];
  maps: { name: string; id: number | null; type: number | null; entries: number | null }[];
}

/** Wall-clock time of a CLOCK_BOOTTIME timestamp (program load_time). */
function bootTimeToDate(ns: bigint): Date {
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return new Date(Date.now() - (uptime * 1000 - Number(ns / 1_000_000n)));
}

/** Live state of every recorded module (ids and tags read from the kernel now). */
export function moduleStatus(rec: ModuleRecord): ModuleStatus {
  const present = existsSync(rec.pinDir);
  const programs = rec.programs.map((p) => {
    let progId: number | null = null;
    let linkId: number | null = null;
    try {
      if (p.kind === "link") {
        const fd = openPinnedFd(join(rec.pinDir, "links", p.name));
        try {
          const li = linkInfo(fd);
          progId = li.progId;
          linkId = li.id;
        } finally {
          closeSync(fd);
        }
      } else if (p.tc) progId = tcFilterProgId(p.tc);
    } catch {
      // pin gone: shown as missing
    }
    const info = progId ? progInfoById(progId) : null;
    return { name: p.name, spec: p.spec, progId, linkId, tag: info?.tag ?? null, loadedAt: info ? bootTimeToDate(info.loadTimeNs) : null };
  });
  const maps = rec.maps.map((name) => {
    try {
      const fd = openPinnedFd(join(rec.pinDir, "maps", pinName(name)));
      try {
        const i = mapInfo(fd);
        return { name, id: i.id, type: i.type, entries: i.maxEntries };
      } finally {
        closeSync(fd);
      }
    } catch {
      return { name, id: null, type: null, entries: null };
    }
  });
  return { record: rec, present, programs, maps };
}
