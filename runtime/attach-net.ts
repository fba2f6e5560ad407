// Why: flow dissectors attach to a network namespace and netfilter programs to a netfilter hook of
// one, both through BPF links. libbpf 1.1 has neither netfilter's link options nor its section, so
// netfilter links are created with a raw BPF_LINK_CREATE, from inside the target namespace (the
// kernel takes the caller's), after which the thread returns to its own namespace.

import { closeSync, openSync } from "node:fs";
import { BPF_ATTACH_TYPE as A, BPF_PROG_TYPE, progTypesFor } from "../common/program-types.js";
import { bpfSyscall, errnoFrom, lastErrno, libbpf, setNamespace } from "./libbpf.js";
import { loadedFd, requireType } from "./attach.js";
import { AttachError, Link } from "./link.js";
import type { ProgramHandle } from "./types.js";

const EINVAL = 22;
const EEXIST = 17;
const CLONE_NEWNET = 0x40000000;
const BPF_LINK_CREATE = 28;

function openNetns(path: string, prog: ProgramHandle, target: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    throw new AttachError(
      prog.name,
      target,
      (e as NodeJS.ErrnoException).errno ? -(e as NodeJS.ErrnoException).errno! : 2,
      `; cannot open ${path}`,
    );
  }
}

/** A BPF link of `prog` to the network namespace file `netns` (BPF_LINK_CREATE with the namespace's fd). */
function netnsLink(prog: ProgramHandle, netns: string, attachType: number, target: string, hint: (errno: number) => string): Link {
  const fd = loadedFd(prog);
  const nsFd = openNetns(netns, prog, target);
  try {
    const linkFd = libbpf().bpf_link_create(fd, nsFd, attachType, null);
    if (linkFd < 0) {
      const errno = errnoFrom(linkFd);
      throw new AttachError(prog.name, target, errno, hint(errno));
    }
    return Link.fromFd(prog.name, target, linkFd);
  } finally {
    closeSync(nsFd); // the link keeps the namespace
  }
}

/**
 * Attach a flow dissector (section 'flow_dissector') to a network namespace through a BPF link:
 * `netns` is a namespace file (/run/netns/NAME as `ip netns add` makes it, /proc/PID/ns/net);
 * default this process's. The kernel then dissects that namespace's packets with it (and every
 * namespace's, when attached to the initial one). One flow dissector per namespace (EEXIST).
 */
export function attachFlowDissector(prog: ProgramHandle, netns = "/proc/self/ns/net"): Link {
  const target = `flow_dissector:${netns}`;
  requireType(
    prog,
    [BPF_PROG_TYPE.FLOW_DISSECTOR],
    target,
    "only flow dissectors (section 'flow_dissector') attach to a network namespace",
  );
  return netnsLink(prog, netns, A.FLOW_DISSECTOR, target, (errno) =>
    errno === EEXIST ? "; the namespace already has a flow dissector" : "",
  );
}

/**
 * Attach an sk_lookup program (section 'sk_lookup') to a network namespace through a BPF link
 * (BPF_SK_LOOKUP; Linux 5.9): it then runs on every socket lookup for incoming connections and
 * datagrams there. `netns` is a path such as /proc/self/ns/net (the default: this process's
 * namespace) or /run/netns/NAME.
 */
export function attachNetns(prog: ProgramHandle, netns = "/proc/self/ns/net"): Link {
  const target = `netns:${netns}`;
  requireType(
    prog,
    [BPF_PROG_TYPE.SK_LOOKUP],
    target,
    "only sk_lookup programs (section 'sk_lookup') attach with attachNetns; flow dissectors use attachFlowDissector",
  );
  return netnsLink(prog, netns, A.SK_LOOKUP, target, () => "");
}

/** Protocol families of netfilter hooks (NFPROTO_*). */
export const NF_FAMILY = { ipv4: 2, ipv6: 10 } as const;
/** Netfilter hooks of the inet families (enum nf_inet_hooks). */
export const NF_HOOK = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 } as const;

export interface NetfilterOptions {
  /** Protocol family: "ipv4" (NFPROTO_IPV4) or "ipv6" (NFPROTO_IPV6). */
  family: keyof typeof NF_FAMILY;
  /** Hook: prerouting, input (NF_INET_LOCAL_IN), forward, output (NF_INET_LOCAL_OUT), postrouting. */
  hook: keyof typeof NF_HOOK;
  /** Order among the hook's functions (lower runs first; iptables' filter table is 0). Not INT_MIN or INT_MAX. */
  priority?: number;
  /** BPF_F_NETFILTER_IP_DEFRAG: reassemble fragments before the program (needs priority > -400; kernel 6.6). */
  defrag?: boolean;
  /** Network namespace file to attach in (/run/netns/NAME); default this thread's. */
  netns?: string;
}

/**
 * Attach a netfilter program (section 'netfilter') to a netfilter hook through a BPF link
 * (BPF_LINK_CREATE with netfilter's pf/hooknum/priority/flags, Linux 6.4). Closing the link
 * detaches it. The program returns NF_DROP (0) or NF_ACCEPT (1).
 */
export function attachNetfilter(prog: ProgramHandle, opts: NetfilterOptions): Link {
  const target = `netfilter:${opts.family}:${opts.hook}${opts.netns ? `@${opts.netns}` : ""}`;
  requireType(prog, progTypesFor("netfilter"), target, "only netfilter programs (section 'netfilter') attach to netfilter hooks");
  const pf = NF_FAMILY[opts.family];
  const hook = NF_HOOK[opts.hook];
  if (pf === undefined || hook === undefined) throw new RangeError(`bad netfilter family or hook: ${opts.family}/${opts.hook}`);
  const priority = opts.priority ?? 0;
  if (!Number.isInteger(priority) || priority <= -(2 ** 31) || priority >= 2 ** 31 - 1)
    throw new RangeError(`netfilter priority must be an integer strictly between INT_MIN and INT_MAX, got ${priority}`);
  const fd = loadedFd(prog);
  // union bpf_attr.link_create: prog_fd, target_fd, attach_type, flags, then netfilter's pf,
  // hooknum, priority, flags.
  const attr = Buffer.alloc(64);
  attr.writeUInt32LE(fd, 0);
  attr.writeUInt32LE(A.NETFILTER, 8);
  attr.writeUInt32LE(pf, 16);
  attr.writeUInt32LE(hook, 20);
  attr.writeInt32LE(priority, 24);
  attr.writeUInt32LE(opts.defrag ? 1 : 0, 28);
  const create = (): number => {
    const rc = bpfSyscall(BPF_LINK_CREATE, attr);
    return rc < 0 ? -(lastErrno() || EINVAL) : rc;
  };
  const rc = opts.netns ? inNetns(opts.netns, prog, target, create) : create();
  if (rc < 0) {
    const errno = -rc;
    const hint = errno === EINVAL ? "; netfilter links need Linux 6.4 (6.6 for defrag) and a priority other than INT_MIN/INT_MAX" : "";
    throw new AttachError(prog.name, target, errno, hint);
  }
  return Link.fromFd(prog.name, target, rc);
}

/** Runs `fn` with this thread in the network namespace at `path`, then returns it to its own. */
function inNetns<T>(path: string, prog: ProgramHandle, target: string, fn: () => T): T {
  const own = openNetns("/proc/thread-self/ns/net", prog, target);
  const other = openNetns(path, prog, target);
  try {
    if (setNamespace(other, CLONE_NEWNET) !== 0) throw new AttachError(prog.name, target, lastErrno() || EINVAL, `; cannot enter ${path}`);
    let out: { ok: true; v: T } | { ok: false; e: unknown };
    try {
      out = { ok: true, v: fn() };
    } catch (e) {
      out = { ok: false, e };
    }
    // Back home before anything else runs on this thread, whether fn threw or not.
    if (setNamespace(own, CLONE_NEWNET) !== 0)
      throw new Error(`could not return to this thread's network namespace after attaching '${prog.name}' (errno ${lastErrno()})`);
    if (!out.ok) throw out.e;
    return out.v;
  } finally {
    closeSync(other);
    closeSync(own);
  }
}
