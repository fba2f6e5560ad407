// Why: a loaded program does nothing until it is attached to a hook; these
// functions attach to every hook tsbpf supports (preferring real BPF links so
// that closing the fd detaches), turn failures into AttachError with the
// errno and libbpf's own explanation, and never leak an fd on failure.

import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import type { ProgramHandle } from "./types.js";
import { AttachError, Link } from "./link.js";
import {
  addressOf,
  errnoFrom,
  ifNameToIndex,
  lastErrno,
  libbpf,
  setSocketOption,
  withLibbpfMessages,
  type LibbpfMessage,
  type Ptr,
} from "./libbpf.js";
import { BPF_ATTACH_TYPE as A, progTypesFor, sectionType } from "../common/program-types.js";
import { MAP_TYPE } from "../common/map-kinds.js";

// ---- constants (linux/bpf.h, linux/if_link.h, asm-generic/socket.h) ----

const BPF_XDP = A.XDP;
const XDP_FLAGS = { auto: 0, generic: 1 << 1, driver: 1 << 2, offload: 1 << 3 } as const;
const BPF_TC_INGRESS = 1;
const BPF_TC_EGRESS = 2;
const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;
const EEXIST = 17;
const EINVAL = 22;
const ENOENT = 2;
const EOPNOTSUPP = 95;
const ESRCH = 3;

/** Byte layouts of libbpf 1.1 option structs (x86-64 / LP64). */
const LINK_CREATE_OPTS = { size: 64, flags: 8 } as const;
const TC_HOOK = { size: 24, ifindex: 8, attachPoint: 12, parent: 16 } as const;
const TC_OPTS = { size: 32, progFd: 8, flags: 12, progId: 16, handle: 20, priority: 24 } as const;
const UPROBE_OPTS = { size: 48, refCtrOffset: 8, cookie: 16, retprobe: 24, funcName: 32 } as const;

/** Cgroup attach types by name (enum bpf_attach_type). */
export const CGROUP_ATTACH_TYPES = {
  ingress: A.CGROUP_INET_INGRESS,
  egress: A.CGROUP_INET_EGRESS,
  sock_create: A.CGROUP_INET_SOCK_CREATE,
  sock_ops: A.CGROUP_SOCK_OPS,
  device: A.CGROUP_DEVICE,
  bind4: A.CGROUP_INET4_BIND,
  bind6: A.CGROUP_INET6_BIND,
  connect4: A.CGROUP_INET4_CONNECT,
  connect6: A.CGROUP_INET6_CONNECT,
  post_bind4: A.CGROUP_INET4_POST_BIND,
  post_bind6: A.CGROUP_INET6_POST_BIND,
  sendmsg4: A.CGROUP_UDP4_SENDMSG,
  sendmsg6: A.CGROUP_UDP6_SENDMSG,
  sysctl: A.CGROUP_SYSCTL,
  recvmsg4: A.CGROUP_UDP4_RECVMSG,
  recvmsg6: A.CGROUP_UDP6_RECVMSG,
  getsockopt: A.CGROUP_GETSOCKOPT,
  setsockopt: A.CGROUP_SETSOCKOPT,
  getpeername4: A.CGROUP_INET4_GETPEERNAME,
  getpeername6: A.CGROUP_INET6_GETPEERNAME,
  getsockname4: A.CGROUP_INET4_GETSOCKNAME,
  getsockname6: A.CGROUP_INET6_GETSOCKNAME,
  sock_release: A.CGROUP_INET_SOCK_RELEASE,
} as const;
export type CgroupAttachType = keyof typeof CGROUP_ATTACH_TYPES;

export type XdpMode = keyof typeof XDP_FLAGS;
export type TcDirection = "ingress" | "egress";

// ---- helpers ----

export function loadedFd(prog: ProgramHandle): number {
  const fd = prog.fd;
  if (fd < 0) throw new Error(`program '${prog.name}' is not loaded (autoload was off), so it cannot be attached`);
  return fd;
}

function detailOf(messages: LibbpfMessage[]): string {
  const lines = messages.filter((m) => m.level === 0).map((m) => m.text.replace(/^libbpf: /, "").trim());
  return lines.length ? `\n  libbpf: ${lines.slice(-3).join("\n  libbpf: ")}` : "";
}

/** Call a libbpf attach function returning `struct bpf_link *` and wrap the result. */
function viaLibbpf(prog: ProgramHandle, target: string, call: (p: Ptr) => Ptr | null, hint?: (errno: number) => string): Link {
  const p = prog.nativePtr;
  loadedFd(prog);
  return withLibbpfMessages((messages) => {
    const link = call(p);
    if (!link) {
      const errno = lastErrno() || EINVAL;
      throw new AttachError(prog.name, target, errno, (hint?.(errno) ?? "") + detailOf(messages));
    }
    return Link.fromLibbpf(prog.name, target, link);
  });
}

export function requireType(prog: ProgramHandle, types: number[], target: string, what: string): void {
  if (!types.includes(prog.type)) {
    throw new AttachError(prog.name, target, EINVAL, `; ${what} (program type is ${prog.type}, section '${prog.section}')`);
  }
}

/** The ifindex of `iface` in this process's network namespace. */
export function ifindexOf(iface: string | number): number {
  if (typeof iface === "number") {
    if (!Number.isInteger(iface) || iface <= 0) throw new RangeError(`bad ifindex ${iface}`);
    return iface;
  }
  const idx = ifNameToIndex(iface);
  if (idx === 0) throw new Error(`no network interface named '${iface}' in this network namespace`);
  return idx;
}

// ---- XDP ----

export interface XdpOptions {
  /**
   * generic: XDP_FLAGS_SKB_MODE, works on every device; driver: native XDP
   * (XDP_FLAGS_DRV_MODE), only on drivers with XDP support; offload: the NIC
   * runs it (XDP_FLAGS_HW_MODE); auto (default): driver if supported, else generic.
   */
  mode?: XdpMode;
}

/** Attach an XDP program to an interface through a BPF link (closing the link detaches it). */
export function attachXdp(prog: ProgramHandle, iface: string | number, opts: XdpOptions = {}): Link {
  const mode = opts.mode ?? "auto";
  if (!(mode in XDP_FLAGS)) throw new RangeError(`unknown XDP mode '${mode}' (generic, driver, offload or auto)`);
  const target = `xdp:${iface} (${mode})`;
  requireType(prog, progTypesFor("xdp"), target, "only XDP programs (section 'xdp') attach to XDP");
  const fd = loadedFd(prog);
  const ifindex = ifindexOf(iface);
  const o = Buffer.alloc(LINK_CREATE_OPTS.size);
  o.writeBigUInt64LE(BigInt(LINK_CREATE_OPTS.size), 0);
  o.writeUInt32LE(XDP_FLAGS[mode], LINK_CREATE_OPTS.flags);
  const linkFd = libbpf().bpf_link_create(fd, ifindex, BPF_XDP, o);
  if (linkFd < 0) {
    const errno = errnoFrom(linkFd);
    let hint = "";
    if (errno === EOPNOTSUPP && mode !== "generic") hint = `; the driver of ${iface} has no ${mode} XDP support, try mode "generic"`;
    else if (errno === 16) hint = `; another XDP program is already attached to ${iface}`;
    throw new AttachError(prog.name, target, errno, hint);
  }
  return Link.fromFd(prog.name, target, linkFd);
}

// ---- TC (clsact + cls_bpf, direct action) ----

export interface TcOptions {
  /** Filter priority (1..65535); default: the kernel picks one. */
  priority?: number;
  /** Filter handle; default: the kernel picks one. */
  handle?: number;
}

/** clsact qdiscs this process created, with how many of our filters still use each. */
const clsactUsers = new Map<number, { created: boolean; users: number }>();

function tcHook(ifindex: number, attachPoint: number): Buffer {
  const h = Buffer.alloc(TC_HOOK.size);
  h.writeBigUInt64LE(BigInt(TC_HOOK.size), 0);
  h.writeInt32LE(ifindex, TC_HOOK.ifindex);
  h.writeUInt32LE(attachPoint, TC_HOOK.attachPoint);
  return h;
}

/**
 * Attach a TC classifier (section 'tc' / 'classifier', direct-action) to an
 * interface's ingress or egress through a clsact qdisc, creating the qdisc if
 * needed. close() removes the filter, and the qdisc too when this process
 * created it and no other filter of this process still uses it. TC filters
 * are not BPF links: they cannot be pinned and survive a crash of the process.
 */
export function attachTc(prog: ProgramHandle, iface: string | number, direction: TcDirection, opts: TcOptions = {}): Link {
  const target = `tc:${iface}:${direction}`;
  if (direction !== "ingress" && direction !== "egress") throw new RangeError(`TC direction must be ingress or egress, got '${direction}'`);
  requireType(prog, progTypesFor("tc"), target, "only TC programs (section 'tc' or 'classifier') attach to TC");
  const fd = loadedFd(prog);
  const ifindex = ifindexOf(iface);
  const api = libbpf();
  const point = direction === "ingress" ? BPF_TC_INGRESS : BPF_TC_EGRESS;

  return withLibbpfMessages((messages) => {
    const qdisc = tcHook(ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
    let created = false;
    const rc = api.bpf_tc_hook_create(qdisc);
    if (rc < 0) {
      const errno = errnoFrom(rc);
      if (errno !== EEXIST) throw new AttachError(prog.name, target, errno, "; cannot create the clsact qdisc" + detailOf(messages));
    } else created = true;
    const entry = clsactUsers.get(ifindex) ?? { created: false, users: 0 };
    entry.created ||= created;
    entry.users++;
    clsactUsers.set(ifindex, entry);
    const release = (): void => {
      entry.users--;
      if (entry.users === 0) {
        clsactUsers.delete(ifindex);
        if (entry.created) api.bpf_tc_hook_destroy(tcHook(ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS));
      }
    };

    const hook = tcHook(ifindex, point);
    const o = Buffer.alloc(TC_OPTS.size);
    o.writeBigUInt64LE(BigInt(TC_OPTS.size), 0);
    o.writeInt32LE(fd, TC_OPTS.progFd);
    o.writeUInt32LE(opts.handle ?? 0, TC_OPTS.handle);
    o.writeUInt32LE(opts.priority ?? 0, TC_OPTS.priority);
    const arc = api.bpf_tc_attach(hook, o);
    if (arc < 0) {
      release();
      throw new AttachError(prog.name, target, errnoFrom(arc), detailOf(messages));
    }
    const handle = o.readUInt32LE(TC_OPTS.handle);
    const priority = o.readUInt32LE(TC_OPTS.priority);
    return new Link(prog.name, `${target} (handle ${handle}, priority ${priority})`, {
      fd: () => -1,
      destroy() {
        const d = Buffer.alloc(TC_OPTS.size);
        d.writeBigUInt64LE(BigInt(TC_OPTS.size), 0);
        d.writeUInt32LE(handle, TC_OPTS.handle);
        d.writeUInt32LE(priority, TC_OPTS.priority);
        // ENOENT: the interface or qdisc is already gone (e.g. the veth was deleted).
        api.bpf_tc_detach(hook, d);
        release();
      },
    });
  });
}

// ---- tcx (TC through a BPF link, Linux 6.6+) ----

const BPF_TCX_INGRESS = A.TCX_INGRESS;
const BPF_TCX_EGRESS = A.TCX_EGRESS;

/**
 * Attach a TC program (section 'tc') to an interface through a tcx BPF link (Linux 6.6+; no
 * qdisc involved). Unlike attachTc, the result is a real link: it can be pinned and its program
 * replaced atomically (Link.replaceProgram); closing the last reference detaches. Programs keep
 * TC's return codes (TC_ACT_OK is tcx's "pass", TC_ACT_SHOT its "drop").
 */
export function attachTcx(prog: ProgramHandle, iface: string | number, direction: TcDirection): Link {
  const target = `tcx:${iface}:${direction}`;
  if (direction !== "ingress" && direction !== "egress")
    throw new RangeError(`tcx direction must be ingress or egress, got '${direction}'`);
  requireType(prog, progTypesFor("tc"), target, "only TC programs (section 'tc') attach to tcx");
  const fd = loadedFd(prog);
  const ifindex = ifindexOf(iface);
  const linkFd = libbpf().bpf_link_create(fd, ifindex, direction === "ingress" ? BPF_TCX_INGRESS : BPF_TCX_EGRESS, null);
  if (linkFd < 0) {
    const errno = errnoFrom(linkFd);
    throw new AttachError(prog.name, target, errno, errno === EINVAL ? "; tcx needs Linux 6.6 or later" : "");
  }
  return Link.fromFd(prog.name, target, linkFd);
}

// ---- socket filters ----

/**
 * Attach a socket filter (section 'socket') to an open socket fd with
 * setsockopt(SO_ATTACH_BPF). close() detaches it (SO_DETACH_BPF); it does not
 * close the socket. Only one BPF filter per socket: attaching replaces.
 */
export function attachSocketFilter(prog: ProgramHandle, socketFd: number): Link {
  const target = `socket fd ${socketFd}`;
  requireType(prog, progTypesFor("socket"), target, "only socket filter programs (section 'socket') attach to sockets");
  const fd = loadedFd(prog);
  const value = Buffer.alloc(4);
  value.writeInt32LE(fd, 0);
  if (setSocketOption(socketFd, SOL_SOCKET, SO_ATTACH_BPF, value) < 0) {
    const errno = lastErrno() || EINVAL;
    const hint = errno === 88 || errno === 9 ? "; not an open socket" : "";
    throw new AttachError(prog.name, target, errno, hint);
  }
  return new Link(prog.name, target, {
    fd: () => -1,
    destroy() {
      // EBADF/ENOENT: the socket is already closed or the filter replaced; nothing left to undo.
      setSocketOption(socketFd, SOL_SOCKET, SO_DETACH_BPF, Buffer.alloc(4));
    },
  });
}

// ---- tracing ----

const TRACEFS = "/sys/kernel/tracing";

/** Mount tracefs at /sys/kernel/tracing unless it (or debugfs' tracing dir) is there; returns the path. */
export function ensureTracefs(): string {
  if (existsSync(`${TRACEFS}/events`)) return TRACEFS;
  if (existsSync("/sys/kernel/debug/tracing/events")) return "/sys/kernel/debug/tracing";
  try {
    execFileSync("mount", ["-t", "tracefs", "nodev", TRACEFS], { stdio: "pipe" });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`tracefs is not mounted and mounting it at ${TRACEFS} failed: ${stderr || (e as Error).message}`);
  }
  return TRACEFS;
}

/** Attach a tracepoint program (section 'tracepoint/...' or 'tp/...') to CATEGORY/NAME, e.g. syscalls/sys_enter_getpid. */
export function attachTracepoint(prog: ProgramHandle, category: string, name: string): Link {
  const target = `tracepoint:${category}/${name}`;
  let dir: string;
  try {
    dir = ensureTracefs();
  } catch (e) {
    throw new AttachError(prog.name, target, ENOENT, `; ${(e as Error).message}`);
  }
  return viaLibbpf(
    prog,
    target,
    (p) => libbpf().bpf_program__attach_tracepoint(p, category, name),
    (errno) =>
      errno === ENOENT && !existsSync(`${dir}/events/${category}/${name}`) ? `; no tracepoint ${category}/${name} in ${dir}/events` : "",
  );
}

/** Attach a raw tracepoint program (section 'raw_tp/...' or 'raw_tracepoint/...') to a tracepoint by name, e.g. sys_enter. */
export function attachRawTracepoint(prog: ProgramHandle, name: string): Link {
  return viaLibbpf(prog, `raw_tracepoint:${name}`, (p) => libbpf().bpf_program__attach_raw_tracepoint(p, name));
}

/**
 * Attach a BTF-typed tracing program: tp_btf/..., fentry/..., fexit/...,
 * fmod_ret/... The target was fixed at load time from the section name.
 * (On kernels that refuse fentry/fexit loads, loadObject already fails with EPERM.)
 */
export function attachTracing(prog: ProgramHandle): Link {
  return viaLibbpf(prog, `tracing:${prog.section}`, (p) => libbpf().bpf_program__attach_trace(p));
}

export interface KprobeOptions {
  /** Attach at function return (kretprobe). */
  retprobe?: boolean;
}

/**
 * Attach a kprobe program (section 'kprobe/...') to a kernel function. Needs
 * CONFIG_KPROBES; without it this throws AttachError with errno ENOENT (the
 * kprobe PMU and kprobe_events are both missing).
 */
export function attachKprobe(prog: ProgramHandle, funcName: string, opts: KprobeOptions = {}): Link {
  const retprobe = opts.retprobe ?? false;
  const target = `${retprobe ? "kretprobe" : "kprobe"}:${funcName}`;
  return viaLibbpf(prog, target, (p) => libbpf().bpf_program__attach_kprobe(p, retprobe, funcName), kprobeHint);
}

function kprobeHint(errno: number): string {
  return errno === ENOENT && !existsSync("/sys/bus/event_source/devices/kprobe")
    ? "; this kernel has no kprobe support (CONFIG_KPROBES is off)"
    : "";
}

export interface UprobeOptions {
  /** Process to trace: -1 (default) every process, 0 this process, or a pid. */
  pid?: number;
  /** Attach at function return (uretprobe). */
  retprobe?: boolean;
  /** bpf_get_attach_cookie() value. */
  cookie?: bigint;
}

/**
 * Attach a uprobe program (section 'uprobe' / 'uprobe/...') to a function in
 * an ELF binary or shared library: either by symbol name (resolved by libbpf,
 * e.g. "getpid" in /lib/x86_64-linux-gnu/libc.so.6) or by file offset.
 */
export function attachUprobe(prog: ProgramHandle, binaryPath: string, func: string | number, opts: UprobeOptions = {}): Link {
  const pid = opts.pid ?? -1;
  const target = `${opts.retprobe ? "uretprobe" : "uprobe"}:${binaryPath}:${typeof func === "number" ? `0x${func.toString(16)}` : func}`;
  if (!existsSync(binaryPath)) throw new AttachError(prog.name, target, ENOENT, `; no such file ${binaryPath}`);
  const name = typeof func === "string" ? Buffer.from(`${func}\0`, "utf8") : null;
  const o = Buffer.alloc(UPROBE_OPTS.size);
  o.writeBigUInt64LE(BigInt(UPROBE_OPTS.size), 0);
  o.writeBigUInt64LE(opts.cookie ?? 0n, UPROBE_OPTS.cookie);
  o.writeUInt8(opts.retprobe ? 1 : 0, UPROBE_OPTS.retprobe);
  if (name) o.writeBigUInt64LE(addressOf(name), UPROBE_OPTS.funcName);
  const offset = typeof func === "number" ? func : 0;
  const link = viaLibbpf(prog, target, (p) => libbpf().bpf_program__attach_uprobe_opts(p, pid, binaryPath, offset, o));
  void name; // kept alive until after the call (its address is in `o`)
  return link;
}

// ---- cgroups ----

/**
 * Attach a cgroup program (cgroup_skb/ingress, cgroup/connect4, ...) to the
 * cgroup v2 directory `cgroupPath` through a BPF link. Without `attachType`
 * the program's expected attach type (from its section name) is used.
 */
export function attachCgroup(prog: ProgramHandle, cgroupPath: string, attachType?: CgroupAttachType | number): Link {
  const target = `cgroup:${cgroupPath}${attachType === undefined ? "" : `:${attachType}`}`;
  const progFd = loadedFd(prog);
  let type: number | undefined;
  if (typeof attachType === "string") {
    type = CGROUP_ATTACH_TYPES[attachType];
    if (type === undefined) throw new RangeError(`unknown cgroup attach type '${attachType}'`);
  } else type = attachType;
  let cgFd: number;
  try {
    cgFd = openSync(cgroupPath, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).errno;
    throw new AttachError(prog.name, target, code ? -code : ENOENT, `; cannot open the cgroup directory`);
  }
  try {
    if (type === undefined) return viaLibbpf(prog, target, (p) => libbpf().bpf_program__attach_cgroup(p, cgFd));
    const linkFd = libbpf().bpf_link_create(progFd, cgFd, type, null);
    if (linkFd < 0) throw new AttachError(prog.name, target, errnoFrom(linkFd));
    return Link.fromFd(prog.name, target, linkFd);
  } finally {
    closeSync(cgFd); // the link holds its own reference to the cgroup
  }
}

// ---- socket maps ----

/** Attach types of programs that run on a socket map's sockets. */
export const SOCKMAP_ATTACH_TYPES = {
  stream_parser: A.SK_SKB_STREAM_PARSER,
  stream_verdict: A.SK_SKB_STREAM_VERDICT,
  verdict: A.SK_SKB_VERDICT,
  msg_verdict: A.SK_MSG_VERDICT,
} as const;
export type SockMapAttachType = keyof typeof SOCKMAP_ATTACH_TYPES;

/** What attachSockMap needs of a map: a BpfMap or a TypedMap (its `.map`). */
export type SockMapTarget = { readonly fd: number; readonly type: number; readonly name: string } | { readonly map: SockMapTarget };

/**
 * Attach an sk_skb or sk_msg program to a SockMap/SockHash: it then runs on every socket in the
 * map (sockets added before or after). The attach type comes from the section (sk_skb/stream_parser,
 * sk_skb/stream_verdict, sk_skb = verdict, sk_msg) unless given. Uses a BPF link (Linux 6.10+;
 * closing it detaches) and falls back to BPF_PROG_ATTACH on the map (close() detaches with
 * BPF_PROG_DETACH) where the kernel has no sockmap links.
 */
export function attachSockMap(prog: ProgramHandle, target: SockMapTarget, attachType?: SockMapAttachType): Link {
  const map = "map" in target ? target.map : target;
  const what = `sockmap:${"name" in map ? map.name : "?"}`;
  requireType(prog, progTypesFor("sockmap"), what, "only sk_skb and sk_msg programs attach to socket maps");
  if (!("fd" in map) || (map.type !== MAP_TYPE.SOCKMAP && map.type !== MAP_TYPE.SOCKHASH)) {
    throw new AttachError(prog.name, what, EINVAL, "; the target is not a SockMap or SockHash");
  }
  const type = attachType !== undefined ? SOCKMAP_ATTACH_TYPES[attachType] : A[sectionType(prog.section)?.attach ?? "SK_SKB_VERDICT"];
  if (type === undefined) throw new RangeError(`unknown socket map attach type '${attachType}'`);
  const target2 = `${what}:${Object.entries(SOCKMAP_ATTACH_TYPES).find(([, v]) => v === type)?.[0] ?? type}`;
  const progFd = loadedFd(prog);
  const api = libbpf();
  const linkFd = api.bpf_link_create(progFd, map.fd, type, null);
  if (linkFd >= 0) return Link.fromFd(prog.name, target2, linkFd);
  const errno = errnoFrom(linkFd);
  if (errno !== EINVAL && errno !== EOPNOTSUPP) throw new AttachError(prog.name, target2, errno, sockMapHint(errno));
  const rc = api.bpf_prog_attach(progFd, map.fd, type, 0);
  if (rc < 0) throw new AttachError(prog.name, target2, errnoFrom(rc), sockMapHint(errnoFrom(rc)));
  const mapFd = map.fd;
  return new Link(prog.name, `${target2} (prog_attach)`, {
    fd: () => -1,
    destroy() {
      api.bpf_prog_detach2(progFd, mapFd, type);
    },
  });
}

function sockMapHint(errno: number): string {
  return errno === 16 ? "; a program of this attach type is already attached to the map" : "";
}

// ---- network namespaces ----

/** A cgroup's id (the inode number of its cgroup v2 directory): the key of its CgroupStorage values, what bpf_get_current_cgroup_id returns. */
export function cgroupId(cgroupPath: string): bigint {
  return statSync(cgroupPath, { bigint: true }).ino;
}

// ---- auto ----

/**
 * Attach from the section name via libbpf's bpf_program__attach: tracepoint/,
 * tp/, raw_tp/, raw_tracepoint/, tp_btf/, fentry/, fexit/, kprobe/,
 * kretprobe/, uprobe/BINARY:FUNC, ... Sections that need a target (xdp, tc,
 * socket, cgroup) throw an AttachError naming the function to use instead.
 */
export function attachAuto(prog: ProgramHandle): Link {
  const sec = prog.section;
  const needs: [RegExp, string][] = [
    [/^xdp/, "attachXdp(prog, ifname)"],
    [/^(tc|classifier|action)\b/, "attachTc(prog, ifname, direction)"],
    [/^socket/, "attachSocketFilter(prog, socketFd)"],
    [/^cgroup/, "attachCgroup(prog, cgroupPath)"],
    [/^flow_dissector/, "attachFlowDissector(prog, netnsPath)"],
    [/^netfilter/, "attachNetfilter(prog, { family, hook })"],
  ];
  for (const [re, fn] of needs) {
    if (re.test(sec)) throw new AttachError(prog.name, `section '${sec}'`, EOPNOTSUPP, `; this section needs a target: use ${fn}`);
  }
  return viaLibbpf(
    prog,
    `section '${sec}'`,
    (p) => libbpf().bpf_program__attach(p),
    (errno) => {
      if (errno === EOPNOTSUPP || errno === ESRCH) return "; libbpf cannot attach this section automatically";
      return /^k(ret)?probe/.test(sec) ? kprobeHint(errno) : "";
    },
  );
}
