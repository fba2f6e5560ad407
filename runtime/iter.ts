// Why: an iterator program (section iter/<target>) runs only when someone reads it: a BPF link
// attaches it to its target (BPF_LINK_CREATE with BPF_TRACE_ITER), and each BPF_ITER_CREATE on that
// link gives a fresh file whose read() runs the program over the target's objects, returning what
// it wrote with seqPrintf/seqWrite. Some targets take parameters at attach time (one process's
// tasks, the map to walk, the cgroup to start from): the kernel's union bpf_iter_link_info, passed
// by address in BPF_LINK_CREATE's iter_info/iter_info_len. The link is made with a raw bpf(2)
// call (the attr layout is the kernel's stable uapi, as for netfilter links) rather than libbpf's
// bpf_program__attach_iter, whose options struct and link object depend on the libbpf version.

import { closeSync, openSync, readSync } from "node:fs";
import { MAP_TYPE, mapTypeName } from "../common/map-kinds.js";
import { BPF_ATTACH_TYPE as A, BPF_PROG_TYPE } from "../common/program-types.js";
import { addressOf, bpfSyscall, lastErrno } from "./libbpf.js";
import { AttachError, Link } from "./link.js";
import type { ProgramHandle } from "./types.js";

const EBADF = 9;
const EACCES = 13;
const EINVAL = 22;
const E2BIG = 7;
const BPF_LINK_CREATE = 28;
const BPF_ITER_CREATE = 33;

/** Orders of a cgroup iterator walk (enum bpf_cgroup_iter_order; "children" is in newer kernels only: Linux 6.18 refuses it). */
export const CGROUP_ITER_ORDER = {
  self: 1,
  descendants_pre: 2,
  descendants_post: 3,
  ancestors_up: 4,
  children: 5,
} as const;
export type CgroupIterOrder = keyof typeof CGROUP_ITER_ORDER;

/** A map for a map iterator: a runtime map (`obj.maps.get(...)`), a typed map (`obj.typed.x`) or a map fd. */
export type IterMap =
  | { readonly fd: number; readonly name?: string; readonly type?: number }
  | { readonly map: { readonly fd: number; readonly name?: string; readonly type?: number } }
  | number;

/**
 * Target parameters of attachIterator (the kernel's union bpf_iter_link_info):
 * - `{ task: { tid } | { pid } | { pidFd } }` for task, task_file and task_vma iterators (Linux 6.1):
 *   one thread, every thread of one process, or the process of a pidfd;
 * - `{ map }` for bpf_map_elem, bpf_sk_storage_map and sockmap iterators (required there);
 * - `{ cgroup: { fd | path | id, order } }` for the cgroup iterator (Linux 6.1; required there):
 *   where the walk starts (default: the cgroup v2 root) and in which order.
 */
export type IteratorTarget =
  | { task: { tid: number } | { pid: number } | { pidFd: number } }
  | { map: IterMap }
  | { cgroup: { fd?: number; path?: string; id?: bigint | number; order: CgroupIterOrder } };

/** Which parameters each iterator target takes, and whether it needs them. */
const TARGET_PARAMS: Record<string, { kind: "task" | "map" | "cgroup"; required: boolean; mapTypes?: number[] }> = {
  task: { kind: "task", required: false },
  task_file: { kind: "task", required: false },
  task_vma: { kind: "task", required: false },
  bpf_map_elem: {
    kind: "map",
    required: true,
    mapTypes: [MAP_TYPE.HASH, MAP_TYPE.ARRAY, MAP_TYPE.PERCPU_HASH, MAP_TYPE.PERCPU_ARRAY, MAP_TYPE.LRU_HASH, MAP_TYPE.LRU_PERCPU_HASH],
  },
  bpf_sk_storage_map: { kind: "map", required: true, mapTypes: [MAP_TYPE.SK_STORAGE] },
  sockmap: { kind: "map", required: true, mapTypes: [MAP_TYPE.SOCKMAP, MAP_TYPE.SOCKHASH] },
  cgroup: { kind: "cgroup", required: true },
};

const USAGE = {
  task: "{ task: { tid } | { pid } | { pidFd } }",
  map: "{ map }",
  cgroup: "{ cgroup: { fd | path | id, order } }",
} as const;

/** The encoded parameters, a description for the link's target, and fds to close after the link exists. */
interface Encoded {
  info: Buffer | null;
  what: string;
  opened: number[];
}

/**
 * Attach an iterator (section 'iter/<target>': task, tcp, ...) to its target through a BPF link.
 * `target` narrows or names what it walks (see IteratorTarget). Read its output with
 * readIterator(link), as often as wanted; closing the link detaches it.
 */
export function attachIterator(prog: ProgramHandle, target?: IteratorTarget): Link {
  const name = prog.section.replace(/^iter(\.s)?\//, "");
  const base = `iter:${name}`;
  if (prog.type !== BPF_PROG_TYPE.TRACING || !/^iter(\.s)?\//.test(prog.section))
    throw new AttachError(
      prog.name,
      base,
      EINVAL,
      `; only iterators (section 'iter/<target>') attach as iterators (section '${prog.section}')`,
    );
  if (prog.fd < 0) throw new Error(`program '${prog.name}' is not loaded (autoload was off), so it cannot be attached`);
  const bad = (errno: number, why: string) => new AttachError(prog.name, base, errno, `; ${why}`);
  const enc = encodeTarget(name, target, bad);
  const label = enc.what ? `${base} (${enc.what})` : base;
  try {
    // union bpf_attr.link_create: prog_fd, target_fd (0), attach_type, flags, iter_info, iter_info_len.
    const attr = Buffer.alloc(64);
    attr.writeUInt32LE(prog.fd, 0);
    attr.writeUInt32LE(A.TRACE_ITER, 8);
    if (enc.info) {
      attr.writeBigUInt64LE(addressOf(enc.info), 16);
      attr.writeUInt32LE(enc.info.length, 24);
    }
    const fd = bpfSyscall(BPF_LINK_CREATE, attr);
    if (fd < 0) {
      const errno = lastErrno() || EINVAL;
      throw new AttachError(prog.name, label, errno, kernelHint(errno, name, target));
    }
    return Link.fromFd(prog.name, label, fd);
  } finally {
    for (const fd of enc.opened) closeSync(fd); // the link holds its own references
  }
}

function encodeTarget(name: string, target: IteratorTarget | undefined, bad: (errno: number, why: string) => AttachError): Encoded {
  const spec = TARGET_PARAMS[name];
  const given = target === undefined || target === null ? undefined : Object.keys(target);
  if (!given || given.length === 0) {
    if (spec?.required) throw bad(EINVAL, `a ${name} iterator needs target parameters: attachIterator(prog, ${USAGE[spec.kind]})`);
    return { info: null, what: "", opened: [] };
  }
  if (given.length !== 1 || !Object.hasOwn(USAGE, given[0]!))
    throw bad(EINVAL, `target parameters are one of ${Object.values(USAGE).join(", ")}; got { ${given.join(", ")} }`);
  const kind = given[0] as keyof typeof USAGE;
  if (!spec) throw bad(EINVAL, `iter/${name} takes no target parameters (got { ${kind} })`);
  if (spec.kind !== kind) throw bad(EINVAL, `iter/${name} takes ${USAGE[spec.kind]}, not { ${kind} }`);
  if (kind === "task") return encodeTask((target as { task: unknown }).task, bad);
  if (kind === "map") return encodeMap((target as { map: IterMap }).map, spec.mapTypes ?? [], name, bad);
  return encodeCgroup((target as { cgroup: unknown }).cgroup, bad);
}

/** A positive 32-bit integer (pids, tids and fds the kernel reads as "none" when 0). */
function positive(v: unknown, what: string, errno: number, bad: (errno: number, why: string) => AttachError): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0 || v > 0xffffffff)
    throw bad(errno, `${what} must be a positive integer, got ${typeof v === "number" ? v : typeof v}`);
  return v;
}

function encodeTask(task: unknown, bad: (errno: number, why: string) => AttachError): Encoded {
  const keys = task && typeof task === "object" ? Object.keys(task).filter((k) => (task as Record<string, unknown>)[k] !== undefined) : [];
  if (keys.length !== 1 || !["tid", "pid", "pidFd"].includes(keys[0]!))
    throw bad(EINVAL, `task parameters are exactly one of { tid }, { pid }, { pidFd }; got { ${keys.join(", ")} }`);
  const key = keys[0] as "tid" | "pid" | "pidFd";
  const v = positive((task as Record<string, unknown>)[key], key, key === "pidFd" ? EBADF : EINVAL, bad);
  // struct { __u32 tid; __u32 pid; __u32 pid_fd; } task
  const info = Buffer.alloc(12);
  info.writeUInt32LE(v, { tid: 0, pid: 4, pidFd: 8 }[key]);
  return { info, what: `${key}=${v}`, opened: [] };
}

function encodeMap(map: IterMap, types: number[], name: string, bad: (errno: number, why: string) => AttachError): Encoded {
  let fd: number;
  let label: string;
  if (typeof map === "number") {
    fd = positive(map, "the map fd", EBADF, bad);
    label = `map fd ${fd}`;
  } else {
    const m = map && typeof map === "object" && "map" in map ? map.map : map;
    if (!m || typeof m !== "object" || !("fd" in m))
      throw bad(EINVAL, "map must be a map of a loaded object (obj.maps.get(...) or obj.typed.x) or a map fd");
    try {
      fd = m.fd; // a map of a closed object throws here
    } catch (e) {
      throw bad(EBADF, `the map cannot be used: ${(e as Error).message}`);
    }
    label = `map ${m.name ?? `fd ${fd}`}`;
    if (m.type !== undefined && !types.includes(m.type))
      throw bad(EINVAL, `a ${name} iterator walks ${types.map(mapTypeName).join(", ")} maps; '${m.name ?? fd}' is ${mapTypeName(m.type)}`);
  }
  // struct { __u32 map_fd; } map
  const info = Buffer.alloc(4);
  info.writeUInt32LE(fd, 0);
  return { info, what: label, opened: [] };
}

function encodeCgroup(cg: unknown, bad: (errno: number, why: string) => AttachError): Encoded {
  if (!cg || typeof cg !== "object") throw bad(EINVAL, `cgroup parameters are ${USAGE.cgroup}`);
  const { fd, path, id, order } = cg as { fd?: unknown; path?: unknown; id?: unknown; order?: unknown };
  const code = typeof order === "string" ? CGROUP_ITER_ORDER[order as CgroupIterOrder] : undefined;
  if (code === undefined)
    throw bad(EINVAL, `the cgroup walk needs an order: one of ${Object.keys(CGROUP_ITER_ORDER).join(", ")} (got ${String(order)})`);
  const starts = [fd, path, id].filter((v) => v !== undefined).length;
  if (starts > 1) throw bad(EINVAL, "give at most one of the cgroup's fd, path and id (none: the cgroup v2 root)");
  // struct { __u32 order; __u32 cgroup_fd; __u64 cgroup_id; } cgroup
  const info = Buffer.alloc(16);
  info.writeUInt32LE(code, 0);
  const opened: number[] = [];
  let what = `root, ${order}`;
  if (fd !== undefined) {
    info.writeUInt32LE(positive(fd, "the cgroup fd", EBADF, bad), 4);
    what = `cgroup fd ${fd}, ${order}`;
  } else if (path !== undefined) {
    if (typeof path !== "string" || path === "") throw bad(EINVAL, "the cgroup path must be a directory path");
    let dirFd: number;
    try {
      dirFd = openSync(path, "r");
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).errno;
      throw bad(errno ? -errno : EBADF, `cannot open the cgroup directory ${path}`);
    }
    opened.push(dirFd);
    info.writeUInt32LE(dirFd, 4);
    what = `${path}, ${order}`;
  } else if (id !== undefined) {
    const big = typeof id === "bigint" ? id : typeof id === "number" && Number.isInteger(id) ? BigInt(id) : -1n;
    if (big <= 0n || big >= 1n << 64n) throw bad(EINVAL, `the cgroup id must be a positive 64-bit integer, got ${String(id)}`);
    info.writeBigUInt64LE(big, 8);
    what = `cgroup id ${big}, ${order}`;
  }
  return { info, what, opened };
}

/** What an errno from BPF_LINK_CREATE means for iterator parameters. */
function kernelHint(errno: number, name: string, target: IteratorTarget | undefined): string {
  if (!target) return "";
  if (errno === E2BIG) return "; this kernel's union bpf_iter_link_info is smaller: these parameters need a newer kernel";
  if (errno === EINVAL && "task" in target) return "; task iterator parameters need Linux 6.1";
  if (errno === EINVAL && "cgroup" in target)
    return "; the cgroup iterator needs Linux 6.1 (order 'children' a newer kernel than 6.18), and a cgroup v2 directory or id";
  if (errno === EBADF && "task" in target) return "; the pidFd is not an open pidfd";
  if (errno === EBADF && "map" in target) return "; the map fd is not an open BPF map";
  if (errno === EACCES && "map" in target) return `; the ${name} program reads past the map's key or value size`;
  if (errno === EINVAL && "map" in target) return `; this map's kind cannot be walked by a ${name} iterator`;
  return "";
}

/** Run the iterator once over its target (BPF_ITER_CREATE, then read to the end) and return its output. */
export function readIterator(link: Link): Uint8Array {
  const attr = Buffer.alloc(8); // union bpf_attr.iter_create: link_fd, flags
  attr.writeUInt32LE(link.fd, 0);
  const fd = bpfSyscall(BPF_ITER_CREATE, attr);
  if (fd < 0) throw new AttachError(link.program, link.target, lastErrno() || EINVAL, "; BPF_ITER_CREATE failed");
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
