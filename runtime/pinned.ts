// Why: a live module outlives the process that loaded it through pins in bpffs. This file opens
// pinned maps (raw or typed from the BTF the kernel keeps for them, so another process reads the
// same shapes the .bpf.ts source declares), and lets a new object version take over pinned maps:
// each map is reused (libbpf's bpf_map__reuse_fd) only when its type, sizes, flags and BTF layout
// match, is refused with the map and field that differ, or is handed to a user migration.

import { closeSync, existsSync, mkdirSync, readdirSync, statfsSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseBtf, type Btf } from "../common/btf-reader.js";
import { btfCodec, rawCodec, type Codec, type CodecOptions } from "./codec.js";
import { copyNative, errnoFrom, errnoText, libbpf, type LibbpfApi, type Ptr } from "./libbpf.js";
import { BpfMap } from "./map.js";
import { mapInfo, openPinnedFd, type MapInfo } from "./obj-info.js";
import { mapShapeDiff, type MapShape } from "./map-layout.js";
import { makeTypedMap, typedMap, type SkeletonSpec, type TypedMap } from "./typed-map.js";
import type { BpfObject } from "./object.js";

const BPF_FS_MAGIC = 0xcafe4a11;
const BPF_MAP_TYPE_PROG_ARRAY = 3;
const U32_KEY_TYPES = new Set([2, 6]);

/** The pin file name of a map: bpffs refuses names with '.', so `obj.bss` is pinned as `obj_bss` (as libbpf does). */
export function pinName(map: string): string {
  return map.replace(/\./g, "_");
}

/** Whether `path` (or, when it does not exist yet, its nearest existing parent) is on a bpffs mount. */
export function isOnBpffs(path: string): boolean {
  let p = path;
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) return false;
    p = up;
  }
  try {
    return statfsSync(p).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** Throw unless `dir` can hold pins (it is on bpffs). */
export function requireBpffsDir(dir: string): void {
  if (!isOnBpffs(dir)) {
    throw new Error(`${dir} is not on a bpffs mount: pins must live under /sys/fs/bpf (or another mount of type bpf)`);
  }
}

/** A map's key/value BTF from the kernel (the BTF object the loader handed over), or null. */
export function kernelBtf(btfId: number): Btf | null {
  if (!btfId) return null;
  const api = libbpf();
  const h = api.btf__load_from_kernel_by_id(btfId);
  if (!h) return null;
  try {
    return btfBytes(api, h);
  } finally {
    api.btf__free(h);
  }
}

function btfBytes(api: LibbpfApi, handle: Ptr): Btf | null {
  const size = new Uint8Array(4);
  const data = api.btf__raw_data(handle, size);
  const n = new DataView(size.buffer).getUint32(0, true);
  return data && n > 0 ? parseBtf(copyNative(data, n)) : null;
}

/** A map opened from its pin; close() releases the fd (the pin stays). */
export class PinnedMap {
  readonly path: string;
  readonly info: MapInfo;
  readonly map: BpfMap;
  readonly btf: Btf | null;
  #fd: number;

  constructor(path: string, name?: string) {
    this.path = path;
    this.#fd = openPinnedFd(path);
    try {
      this.info = mapInfo(this.#fd);
      this.btf = kernelBtf(this.info.btfId);
    } catch (e) {
      closeSync(this.#fd);
      throw e;
    }
    const i = this.info;
    this.map = new BpfMap(this, {
      name: name ?? i.name,
      fd: this.#fd,
      type: i.type,
      keySize: i.keySize,
      valueSize: i.valueSize,
      maxEntries: i.maxEntries,
    });
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Keys and values decoded with the map's own BTF (raw bytes where it has none). */
  typed<K = any, V = any>(opts: CodecOptions = {}): TypedMap<K, V> {
    const i = this.info;
    const key: Codec<unknown> =
      this.btf && i.btfKeyTypeId
        ? btfCodec(this.btf, i.btfKeyTypeId, opts)
        : U32_KEY_TYPES.has(i.type) && i.keySize === 4
          ? u32
          : rawCodec(i.keySize);
    const value: Codec<unknown> = this.btf && i.btfValueTypeId ? btfCodec(this.btf, i.btfValueTypeId, opts) : rawCodec(i.valueSize);
    return makeTypedMap(this.map, key, value) as TypedMap<K, V>;
  }

  /** What mapShapeDiff compares. */
  shape(): MapShape {
    const i = this.info;
    return {
      type: i.type,
      keySize: i.keySize,
      valueSize: i.valueSize,
      maxEntries: i.maxEntries,
      flags: i.flags,
      btf: this.btf,
      keyTypeId: i.btfKeyTypeId,
      valueTypeId: i.btfValueTypeId,
    };
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const u32: Codec<unknown> = {
  size: 4,
  tsType: "number",
  encode(v: unknown): Uint8Array {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff)
      throw new RangeError(`key: ${String(v)} is not a u32 index`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return b;
  },
  encodeInto(v: unknown, out: Uint8Array, off = 0): void {
    out.set(u32.encode(v), off);
  },
  decode: (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true),
};

/** Open a pinned map by path (from this or any other process). */
export function openPinnedMap(path: string, name?: string): PinnedMap {
  return new PinnedMap(path, name);
}

/** Every map pinned in `mapsDir`, typed from its kernel BTF; close() releases them all. */
export interface PinnedMaps {
  readonly maps: Readonly<Record<string, TypedMap>>;
  readonly pinned: ReadonlyMap<string, PinnedMap>;
  close(): void;
  [Symbol.dispose](): void;
}

/**
 * Open the maps a live module pinned (`<pinDir>/maps/*`, or a plain directory of map pins). With a
 * skeleton spec (generated skeletons pass theirs) each promised map must be there with the
 * promised type and sizes.
 */
export function openPinnedMaps(dir: string, spec?: SkeletonSpec, opts: CodecOptions = {}): PinnedMaps {
  const mapsDir = existsSync(join(dir, "maps")) ? join(dir, "maps") : dir;
  const pinned = new Map<string, PinnedMap>();
  const close = (): void => {
    for (const p of pinned.values()) p.close();
  };
  try {
    for (const name of readdirSync(mapsDir)) pinned.set(name, new PinnedMap(join(mapsDir, name), name));
    const problems: string[] = [];
    for (const [name, want] of Object.entries(spec?.maps ?? {})) {
      const m = pinned.get(name)?.map;
      if (!m) problems.push(`missing map '${name}'`);
      else if (m.keySize !== want.keySize || m.valueSize !== want.valueSize || m.type !== want.type) {
        problems.push(
          `map '${name}' is type ${m.type} with ${m.keySize}-byte keys and ${m.valueSize}-byte values; the skeleton expects type ${want.type}, ${want.keySize} and ${want.valueSize}`,
        );
      }
    }
    if (problems.length) throw new Error(`pinned maps in ${mapsDir} do not match the skeleton: ${problems.join("; ")}`);
    const maps: Record<string, TypedMap> = {};
    for (const [name, p] of pinned) maps[name] = p.typed(opts);
    return { maps: Object.freeze(maps), pinned, close, [Symbol.dispose]: close };
  } catch (e) {
    close();
    throw e;
  }
}

// ---- map reuse on load ---------------------------------------------------------------------------

/**
 * Converts the entries of a pinned map whose layout changed into the new object's map. It runs
 * after the new object is loaded and before its programs replace the old ones; the new map is
 * then pinned in place of the old one.
 */
export type MapMigration = (from: TypedMap, to: TypedMap) => void;

/** A pinned map whose layout differs from the new object's (the `field` says what differs). */
export class MapLayoutError extends Error {
  readonly map: string;
  readonly difference: string;

  constructor(map: string, difference: string, path: string) {
    super(`map '${map}' cannot be reused from ${path}: ${difference}; pass a migration for '${map}' or unload the module first`);
    this.name = "MapLayoutError";
    this.map = map;
    this.difference = difference;
  }
}

export interface MapReuseOptions {
  /** Directory of map pins, one file per map name. */
  mapsDir: string;
  /** Migrations by map name, for maps whose layout changed. */
  migrate?: Readonly<Record<string, MapMigration>>;
}

/** What map reuse did for one load. */
export interface MapReusePlan {
  /** Maps taken over from their pins (entries kept). */
  reused: string[];
  /** Maps created empty (no pin yet, or never reused: .rodata, .kconfig, program arrays). */
  fresh: string[];
  /** Maps whose layout changed and that a migration fills; the old map stays open until finish. */
  migrated: { name: string; difference: string; old: PinnedMap }[];
  /** Maps not pinned at all (constants and program arrays belong to one version). */
  unpinned: string[];
}

/** .rodata/.kconfig hold one version's constants and program arrays its programs: never shared. */
function shareable(api: LibbpfApi, map: Ptr): boolean {
  const name = api.bpf_map__name(map);
  if (api.bpf_map__type(map) === BPF_MAP_TYPE_PROG_ARRAY) return false;
  return !(api.bpf_map__is_internal(map) && /\.(rodata|kconfig)/.test(name));
}

/**
 * A LoadOptions.beforeLoad hook that points every shareable map of the object at its pin in
 * `mapsDir` when the layouts match; `plan` records the outcome. Throws MapLayoutError (and the load
 * is abandoned) for a changed map without a migration.
 */
export function reusePinnedMaps(opts: MapReuseOptions, plan: MapReusePlan): (obj: Ptr) => void {
  return (obj) => {
    const api = libbpf();
    let btf: Btf | null | undefined;
    const objectBtf = (): Btf | null => {
      if (btf !== undefined) return btf;
      const h = api.bpf_object__btf(obj);
      btf = h ? btfBytes(api, h) : null;
      return btf;
    };
    for (let m = api.bpf_object__next_map(obj, null); m; m = api.bpf_object__next_map(obj, m)) {
      const name = api.bpf_map__name(m);
      if (!shareable(api, m)) {
        plan.unpinned.push(name);
        continue;
      }
      const path = join(opts.mapsDir, pinName(name));
      if (!existsSync(path)) {
        plan.fresh.push(name);
        continue;
      }
      const old = new PinnedMap(path, name);
      const fresh: MapShape = {
        type: api.bpf_map__type(m),
        keySize: api.bpf_map__key_size(m),
        valueSize: api.bpf_map__value_size(m),
        maxEntries: api.bpf_map__max_entries(m),
        flags: api.bpf_map__map_flags(m),
        btf: objectBtf(),
        keyTypeId: api.bpf_map__btf_key_type_id(m),
        valueTypeId: api.bpf_map__btf_value_type_id(m),
      };
      const diff = mapShapeDiff(old.shape(), fresh);
      if (diff === null) {
        // libbpf dups the fd; the new object then creates nothing for this map.
        const rc = api.bpf_map__reuse_fd(m, old.map.fd);
        old.close();
        if (rc < 0) throw new Error(`map '${name}': cannot reuse the pinned map ${path}: ${errnoText(errnoFrom(rc))}`);
        plan.reused.push(name);
      } else if (opts.migrate?.[name]) {
        plan.migrated.push({ name, difference: diff, old });
      } else {
        old.close();
        for (const mig of plan.migrated) mig.old.close();
        throw new MapLayoutError(name, diff, path);
      }
    }
    for (const name of Object.keys(opts.migrate ?? {})) {
      if (!plan.migrated.some((x) => x.name === name) && !plan.reused.includes(name) && !plan.fresh.includes(name)) {
        for (const mig of plan.migrated) mig.old.close();
        throw new Error(`a migration is given for map '${name}', but the new object has no such map`);
      }
    }
  };
}

/** Run the plan's migrations from the old pinned maps into the loaded object's maps. */
export function runMigrations(obj: BpfObject, plan: MapReusePlan, migrate: Readonly<Record<string, MapMigration>>): void {
  for (const m of plan.migrated) {
    try {
      migrate[m.name]!(m.old.typed(), typedMap(obj, m.name));
    } catch (e) {
      throw new Error(`migration of map '${m.name}' failed: ${(e as Error).message}`);
    }
  }
}

/** Release the old maps the plan kept open for migration. */
export function closePlan(plan: MapReusePlan): void {
  for (const m of plan.migrated) m.old.close();
}

/** Pin `fd` at `path`, replacing whatever is pinned there. */
export function pinFd(fd: number, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) unlinkSync(path);
  const rc = libbpf().bpf_obj_pin(fd, path);
  if (rc < 0) throw new Error(`cannot pin at ${path}: ${errnoText(errnoFrom(rc))}`);
}

/** Pin the object's shareable maps that are not pinned yet (fresh and migrated ones) in `mapsDir`. */
export function pinNewMaps(obj: BpfObject, plan: MapReusePlan, mapsDir: string): void {
  for (const name of [...plan.fresh, ...plan.migrated.map((m) => m.name)]) {
    const map = obj.maps.get(name);
    if (map) pinFd(map.fd, join(mapsDir, pinName(name)));
  }
}
