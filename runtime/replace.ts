// Why: replacing a running program must never leave its hook empty. BPF links of the kinds the
// kernel can update (XDP, cgroup, tcx, netns, iter, netkit) swap programs with one
// BPF_LINK_UPDATE; TC classifiers (cls_bpf, not links in libbpf 1.1) swap with a netlink replace
// on the same handle and priority. Everything else cannot be replaced atomically and is refused
// here; callers may fall back to detach + attach only when the user accepts a gap.

import { closeSync } from "node:fs";
import type { ProgramHandle } from "./types.js";
import { errnoFrom, errnoText, libbpf, withLibbpfMessages } from "./libbpf.js";
import { linkInfo, LINK_TYPES, openPinnedFd } from "./obj-info.js";

const BPF_F_REPLACE = 1 << 2;
const LINK_UPDATE_OPTS = { size: 16, flags: 8, oldProgFd: 12 } as const;
const TC_HOOK = { size: 24, ifindex: 8, attachPoint: 12 } as const;
const TC_OPTS = { size: 32, progFd: 8, flags: 12, progId: 16, handle: 20, priority: 24 } as const;
const BPF_TC_INGRESS = 1;
const BPF_TC_EGRESS = 2;
const BPF_TC_F_REPLACE = 1;
const EEXIST = 17;
const ENOENT = 2;

/** What a replacement needs of a program: its fd (and name, for messages). */
export type ProgramRef = Pick<ProgramHandle, "fd" | "name">;

/** Link types whose program the kernel swaps atomically with BPF_LINK_UPDATE. */
export const UPDATABLE_LINK_TYPES = new Set([3, 4, 5, 6, 11, 13]);

/** The program of an attachment could not be swapped (see `atomic` for why). */
export class ReplaceError extends Error {
  readonly errno: number;
  /** false: this kind of attachment can never be replaced atomically (detach + attach would leave a gap). */
  readonly atomic: boolean;

  constructor(message: string, errno: number, atomic: boolean) {
    super(message);
    this.name = "ReplaceError";
    this.errno = errno;
    this.atomic = atomic;
  }
}

/** Whether the BPF link behind `linkFd` can have its program replaced atomically; the link kind's name. */
export function linkUpdatable(linkFd: number): { updatable: boolean; kind: string } {
  const info = linkInfo(linkFd);
  return { updatable: UPDATABLE_LINK_TYPES.has(info.type), kind: LINK_TYPES[info.type] ?? `link type ${info.type}` };
}

export interface LinkUpdateOptions {
  /** Only swap if the link still runs this program (BPF_F_REPLACE compare-and-swap). */
  expectedProgFd?: number;
}

/**
 * Atomically make the BPF link `linkFd` run `prog` instead of its current program
 * (BPF_LINK_UPDATE). Packets or events see either the old or the new program, never none.
 */
export function updateLinkProgram(linkFd: number, prog: ProgramRef, opts: LinkUpdateOptions = {}): void {
  const { updatable, kind } = linkUpdatable(linkFd);
  if (!updatable) {
    throw new ReplaceError(`a ${kind} link cannot have its program replaced atomically (the kernel has no update for it)`, 95, false);
  }
  let o: Buffer | null = null;
  if (opts.expectedProgFd !== undefined) {
    o = Buffer.alloc(LINK_UPDATE_OPTS.size);
    o.writeBigUInt64LE(BigInt(LINK_UPDATE_OPTS.size), 0);
    o.writeUInt32LE(BPF_F_REPLACE, LINK_UPDATE_OPTS.flags);
    o.writeUInt32LE(opts.expectedProgFd, LINK_UPDATE_OPTS.oldProgFd);
  }
  const rc = libbpf().bpf_link_update(linkFd, prog.fd, o);
  if (rc < 0) {
    const errno = errnoFrom(rc);
    const hint =
      errno === 22
        ? " (the new program's type or expected attach type differs from the running one)"
        : errno === 1
          ? " (the link runs a different program than expected)"
          : "";
    throw new ReplaceError(`cannot replace the program of the ${kind} link with '${prog.name}': ${errnoText(errno)}${hint}`, errno, true);
  }
}

// ---- TC (cls_bpf) -------------------------------------------------------------------------------

/** A cls_bpf filter identified the way the kernel does: interface, direction, handle, priority. */
export interface TcFilter {
  ifindex: number;
  direction: "ingress" | "egress";
  handle: number;
  priority: number;
}

function hook(ifindex: number, point: number): Buffer {
  const h = Buffer.alloc(TC_HOOK.size);
  h.writeBigUInt64LE(BigInt(TC_HOOK.size), 0);
  h.writeInt32LE(ifindex, TC_HOOK.ifindex);
  h.writeUInt32LE(point, TC_HOOK.attachPoint);
  return h;
}

function tcOpts(f: Partial<TcFilter>, progFd = 0, flags = 0): Buffer {
  const o = Buffer.alloc(TC_OPTS.size);
  o.writeBigUInt64LE(BigInt(TC_OPTS.size), 0);
  o.writeInt32LE(progFd, TC_OPTS.progFd);
  o.writeUInt32LE(flags, TC_OPTS.flags);
  o.writeUInt32LE(f.handle ?? 0, TC_OPTS.handle);
  o.writeUInt32LE(f.priority ?? 0, TC_OPTS.priority);
  return o;
}

const point = (d: "ingress" | "egress") => (d === "ingress" ? BPF_TC_INGRESS : BPF_TC_EGRESS);

function libbpfDetail(messages: { level: number; text: string }[]): string {
  const w = messages.filter((m) => m.level === 0).map((m) => m.text.trim());
  return w.length ? `\n  libbpf: ${w.slice(-2).join("\n  libbpf: ")}` : "";
}

/**
 * Attach a TC classifier that stays attached after this process exits (no Link owns it), creating
 * the clsact qdisc when missing; returns the filter's handle and priority for replaceTcProgram and
 * detachTcFilter.
 */
export function attachTcFilter(
  prog: ProgramHandle,
  ifindex: number,
  direction: "ingress" | "egress",
  want: { handle?: number; priority?: number } = {},
): TcFilter {
  const api = libbpf();
  return withLibbpfMessages((messages) => {
    const rc = api.bpf_tc_hook_create(hook(ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS));
    if (rc < 0 && errnoFrom(rc) !== EEXIST)
      throw new Error(`cannot create the clsact qdisc on ifindex ${ifindex}: ${errnoText(errnoFrom(rc))}`);
    const o = tcOpts(want, prog.fd);
    const arc = api.bpf_tc_attach(hook(ifindex, point(direction)), o);
    if (arc < 0)
      throw new Error(
        `cannot attach '${prog.name}' to tc ${direction} of ifindex ${ifindex}: ${errnoText(errnoFrom(arc))}${libbpfDetail(messages)}`,
      );
    return { ifindex, direction, handle: o.readUInt32LE(TC_OPTS.handle), priority: o.readUInt32LE(TC_OPTS.priority) };
  });
}

/**
 * Atomically make the cls_bpf filter `f` run `prog` (netlink replace on the same handle and
 * priority: the classifier list is switched under RCU, so every packet runs one of the two).
 */
export function replaceTcProgram(f: TcFilter, prog: ProgramRef): void {
  const api = libbpf();
  withLibbpfMessages((messages) => {
    if (tcFilterProgId(f) === null)
      throw new ReplaceError(
        `no tc filter handle ${f.handle} priority ${f.priority} on ${f.direction} of ifindex ${f.ifindex} to replace`,
        ENOENT,
        true,
      );
    const rc = api.bpf_tc_attach(hook(f.ifindex, point(f.direction)), tcOpts(f, prog.fd, BPF_TC_F_REPLACE));
    if (rc < 0)
      throw new ReplaceError(
        `cannot replace the tc filter's program with '${prog.name}': ${errnoText(errnoFrom(rc))}${libbpfDetail(messages)}`,
        errnoFrom(rc),
        true,
      );
  });
}

/** Kernel id of the program the filter runs, or null when there is no such filter. */
export function tcFilterProgId(f: TcFilter): number | null {
  const o = tcOpts(f);
  const rc = withLibbpfMessages(() => libbpf().bpf_tc_query(hook(f.ifindex, point(f.direction)), o));
  if (rc < 0) return null;
  return o.readUInt32LE(TC_OPTS.progId);
}

/** Remove the filter (a missing filter or interface is not an error: it is already gone). */
export function detachTcFilter(f: TcFilter): void {
  withLibbpfMessages(() => libbpf().bpf_tc_detach(hook(f.ifindex, point(f.direction)), tcOpts(f)));
}

/** Update a pinned BPF link's program by pin path. */
export function updatePinnedLink(path: string, prog: ProgramRef, opts: LinkUpdateOptions = {}): void {
  const fd = openPinnedFd(path);
  try {
    updateLinkProgram(fd, prog, opts);
  } finally {
    closeSync(fd);
  }
}
