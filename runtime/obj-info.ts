// Why: live replacement, `tsbpf ls` and map-reuse checks need what the kernel itself says about a
// pinned program, map or link (ids, tag, load time, layout, BTF ids, what a link is attached to);
// BPF_OBJ_GET_INFO_BY_FD returns it in structs whose layouts only this file knows.

import { closeSync } from "node:fs";
import { errnoFrom, errnoText, lastErrno, libbpf } from "./libbpf.js";

/** Byte offsets in struct bpf_prog_info / bpf_map_info / bpf_link_info (linux/bpf.h, stable ABI). */
const PROG_INFO = { type: 0, id: 4, tag: 8, loadTime: 40, uid: 48, name: 64, size: 232 } as const;
const MAP_INFO = {
  type: 0,
  id: 4,
  keySize: 8,
  valueSize: 12,
  maxEntries: 16,
  flags: 20,
  name: 24,
  btfId: 64,
  btfKey: 68,
  btfValue: 72,
  size: 96,
} as const;
const LINK_INFO = { type: 0, id: 4, progId: 8, union: 16, size: 64 } as const;

/** enum bpf_link_type, by number. */
export const LINK_TYPES: Record<number, string> = {
  1: "raw_tracepoint",
  2: "tracing",
  3: "cgroup",
  4: "iter",
  5: "netns",
  6: "xdp",
  7: "perf_event",
  8: "kprobe_multi",
  9: "struct_ops",
  10: "netfilter",
  11: "tcx",
  12: "uprobe_multi",
  13: "netkit",
};

export interface ProgInfo {
  id: number;
  type: number;
  /** The kernel's program tag (hash of the instructions), hex. */
  tag: string;
  name: string;
  /** Load time in ns since boot (CLOCK_BOOTTIME). */
  loadTimeNs: bigint;
  uid: number;
}

export interface MapInfo {
  id: number;
  type: number;
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** BTF object id in the kernel (0: none) and the key/value type ids inside it. */
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
}

export interface LinkInfo {
  id: number;
  /** enum bpf_link_type (see LINK_TYPES). */
  type: number;
  typeName: string;
  progId: number;
  /** XDP links: the interface index. */
  ifindex?: number;
  /** cgroup links: the cgroup id and attach type. */
  cgroupId?: bigint;
  attachType?: number;
}

function cString(b: Buffer, off: number, max: number): string {
  const s = b.subarray(off, off + max);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? s.length : end).toString("utf8");
}

function infoBytes(fd: number, size: number, what: string): Buffer {
  const info = Buffer.alloc(size);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(size, 0);
  const rc = libbpf().bpf_obj_get_info_by_fd(fd, info, len);
  if (rc < 0) throw new Error(`cannot read ${what} info of fd ${fd}: ${errnoText(errnoFrom(rc))}`);
  return info;
}

export function progInfo(fd: number): ProgInfo {
  const b = infoBytes(fd, PROG_INFO.size, "program");
  return {
    type: b.readUInt32LE(PROG_INFO.type),
    id: b.readUInt32LE(PROG_INFO.id),
    tag: b.subarray(PROG_INFO.tag, PROG_INFO.tag + 8).toString("hex"),
    loadTimeNs: b.readBigUInt64LE(PROG_INFO.loadTime),
    uid: b.readUInt32LE(PROG_INFO.uid),
    name: cString(b, PROG_INFO.name, 16),
  };
}

export function mapInfo(fd: number): MapInfo {
  const b = infoBytes(fd, MAP_INFO.size, "map");
  return {
    type: b.readUInt32LE(MAP_INFO.type),
    id: b.readUInt32LE(MAP_INFO.id),
    keySize: b.readUInt32LE(MAP_INFO.keySize),
    valueSize: b.readUInt32LE(MAP_INFO.valueSize),
    maxEntries: b.readUInt32LE(MAP_INFO.maxEntries),
    flags: b.readUInt32LE(MAP_INFO.flags),
    name: cString(b, MAP_INFO.name, 16),
    btfId: b.readUInt32LE(MAP_INFO.btfId),
    btfKeyTypeId: b.readUInt32LE(MAP_INFO.btfKey),
    btfValueTypeId: b.readUInt32LE(MAP_INFO.btfValue),
  };
}

export function linkInfo(fd: number): LinkInfo {
  const b = infoBytes(fd, LINK_INFO.size, "link");
  const type = b.readUInt32LE(LINK_INFO.type);
  const out: LinkInfo = {
    id: b.readUInt32LE(LINK_INFO.id),
    type,
    typeName: LINK_TYPES[type] ?? `type ${type}`,
    progId: b.readUInt32LE(LINK_INFO.progId),
  };
  if (type === 6) out.ifindex = b.readUInt32LE(LINK_INFO.union);
  if (type === 3) {
    out.cgroupId = b.readBigUInt64LE(LINK_INFO.union);
    out.attachType = b.readUInt32LE(LINK_INFO.union + 8);
  }
  return out;
}

/** An fd for a pinned object (BPF_OBJ_GET); the caller closes it. */
export function openPinnedFd(path: string): number {
  const fd = libbpf().bpf_obj_get(path);
  if (fd < 0) {
    const errno = errnoFrom(fd) || lastErrno();
    const hint = errno === 2 ? " (nothing is pinned there)" : errno === 22 ? " (not a path on a bpffs mount?)" : "";
    throw new Error(`cannot open pinned object ${path}: ${errnoText(errno)}${hint}`);
  }
  return fd;
}

/** Info of the program with kernel id `id` (opened and closed again). */
export function progInfoById(id: number): ProgInfo | null {
  const fd = libbpf().bpf_prog_get_fd_by_id(id);
  if (fd < 0) return null;
  try {
    return progInfo(fd);
  } finally {
    closeSync(fd);
  }
}
