// Why: every attachment (a libbpf `struct bpf_link *`, a raw BPF link fd, a TC
// filter, a socket filter) must be undone exactly once, from close() or
// `using`; Link hides which of those it is behind one small interface.

import { closeSync, unlinkSync } from "node:fs";
import { errnoFrom, errnoText, lastErrno, libbpf, type Ptr } from "./libbpf.js";
import type { ProgramHandle } from "./types.js";
import { updateLinkProgram, type LinkUpdateOptions } from "./replace.js";

/** How a Link undoes its attachment; implemented in attach.ts. */
export interface LinkBackend {
  /** BPF link fd, or -1 when the attachment is not a BPF link (TC via clsact, socket filters). */
  fd(): number;
  /** Pin to bpffs; undefined when the attachment cannot be pinned. */
  pin?(path: string): void;
  unpin?(path: string): void;
  /** Detach (unless pinned) and release the fd; called once. */
  destroy(): void;
}

/** An attachment failed, or a link operation (pin/unpin) did. */
export class AttachError extends Error {
  /** Positive errno (e.g. 1 EPERM, 2 ENOENT, 95 EOPNOTSUPP). */
  readonly errno: number;
  readonly program: string;
  /** What was being attached to: "xdp:veth0", "kprobe:do_sys_openat2", ... */
  readonly target: string;

  constructor(program: string, target: string, errno: number, detail = "") {
    super(`cannot attach program '${program}' to ${target}: ${errnoText(errno)}${detail}`);
    this.name = "AttachError";
    this.errno = errno;
    this.program = program;
    this.target = target;
  }
}

/** A live attachment of a program; close() (or `using`) detaches it. */
export class Link {
  /** Program name. */
  readonly program: string;
  /** "xdp:veth0 (generic)", "tc:eth0:ingress", "tracepoint:syscalls/sys_enter_getpid", ... */
  readonly target: string;
  #backend: LinkBackend | null;
  #pinnedPath: string | null = null;

  /** @internal Built by the attach functions. */
  constructor(program: string, target: string, backend: LinkBackend) {
    this.program = program;
    this.target = target;
    this.#backend = backend;
  }

  /** Wrap a libbpf `struct bpf_link *` (destroyed with bpf_link__destroy). */
  static fromLibbpf(program: string, target: string, link: Ptr): Link {
    return new Link(program, target, libbpfBackend(link));
  }

  /** Wrap a BPF link fd from bpf_link_create (closed on destroy). */
  static fromFd(program: string, target: string, fd: number): Link {
    return new Link(program, target, fdBackend(fd));
  }

  /** Re-open a link pinned in bpffs (by this or another process); closing it leaves the pin in place. */
  static open(path: string): Link {
    const api = libbpf();
    const link = api.bpf_link__open(path);
    if (!link) {
      const errno = lastErrno() || 2;
      throw new AttachError("?", `pinned link ${path}`, errno);
    }
    const out = new Link("?", `pinned:${path}`, libbpfBackend(link));
    out.#pinnedPath = path;
    return out;
  }

  get closed(): boolean {
    return this.#backend === null;
  }

  /** The BPF link fd, or -1 for attachments that are not BPF links (TC clsact filters, socket filters). */
  get fd(): number {
    return this.#live().fd();
  }

  /** Where the link is pinned, or null. */
  get pinnedPath(): string | null {
    return this.#pinnedPath;
  }

  /**
   * Pin the link in bpffs so the attachment outlives this process (and this
   * Link's close()). Only BPF links can be pinned.
   */
  pin(path: string): void {
    const b = this.#live();
    if (!b.pin) throw new Error(`${this.target}: this attachment is not a BPF link and cannot be pinned`);
    b.pin(path);
    this.#pinnedPath = path;
  }

  /**
   * Atomically swap the program this BPF link runs (BPF_LINK_UPDATE; XDP, cgroup, tcx, netns, iter
   * links). Throws ReplaceError for attachments the kernel cannot update (runtime/replace.ts).
   */
  replaceProgram(prog: ProgramHandle, opts: LinkUpdateOptions = {}): void {
    const fd = this.#live().fd();
    if (fd < 0) throw new Error(`${this.target}: this attachment is not a BPF link; use replaceTcProgram for TC filters`);
    updateLinkProgram(fd, prog, opts);
  }

  /** Remove the pin; the attachment then lives until close(). */
  unpin(): void {
    const b = this.#live();
    if (this.#pinnedPath === null) return;
    if (!b.unpin) throw new Error(`${this.target}: this attachment cannot be unpinned`);
    b.unpin(this.#pinnedPath);
    this.#pinnedPath = null;
  }

  /** Detach and release the fd; safe to call twice. A pinned link stays attached until its pin is removed. */
  close(): void {
    const b = this.#backend;
    if (b === null) return;
    this.#backend = null;
    b.destroy();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #live(): LinkBackend {
    if (this.#backend === null) throw new Error(`link ${this.target} is closed`);
    return this.#backend;
  }
}

function pinError(what: string, path: string, errno: number): Error {
  const hint = errno === 2 || errno === 22 ? " (is bpffs mounted there? see ensureBpffs())" : "";
  return new Error(`cannot ${what} link at ${path}: ${errnoText(errno)}${hint}`);
}

function libbpfBackend(link: Ptr): LinkBackend {
  const api = libbpf();
  return {
    fd: () => api.bpf_link__fd(link),
    pin(path) {
      const rc = api.bpf_link__pin(link, path);
      if (rc < 0) throw pinError("pin", path, errnoFrom(rc));
    },
    unpin(path) {
      const rc = api.bpf_link__unpin(link);
      if (rc < 0) throw pinError("unpin", path, errnoFrom(rc));
    },
    destroy() {
      // A pinned libbpf link is only disconnected from our fd: the pin keeps it attached.
      api.bpf_link__destroy(link);
    },
  };
}

function fdBackend(fd: number): LinkBackend {
  const api = libbpf();
  return {
    fd: () => fd,
    pin(path) {
      const rc = api.bpf_obj_pin(fd, path);
      if (rc < 0) throw pinError("pin", path, errnoFrom(rc));
    },
    unpin(path) {
      try {
        unlinkSync(path);
      } catch (e) {
        throw new Error(`cannot unpin link at ${path}: ${(e as Error).message}`);
      }
    },
    destroy() {
      closeSync(fd);
    },
  };
}
