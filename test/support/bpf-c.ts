// Helpers for the attach/events kernel tests: compile tiny C BPF programs with clang-19 (for hooks the
// tsbpf compiler cannot express yet), a throwaway network namespace with a veth pair, fd counting and
// raw syscalls through libc.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import koffi from "koffi";
import { expect, it } from "vitest";

export const CLANG = "clang-19";

function clangAvailable(): boolean {
  try {
    execFileSync(CLANG, ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

export const haveClang = clangAvailable();
let warned = false;

/** An `it` that needs clang-19: skipped with one warning locally, failing under CI=true. */
export function clangIt(name: string, fn: () => unknown, timeout?: number): void {
  if (haveClang) it(name, fn, timeout);
  else if (process.env.CI === "true") it(name, () => expect.fail(`${CLANG} is required under CI=true`));
  else {
    if (!warned) console.warn(`skipping clang-built attach/event tests: ${CLANG} not found`);
    warned = true;
    it.skip(name, fn);
  }
}

/** Compiles C sources into objects in one temp dir; remove() deletes it. */
export class CBuilder {
  readonly dir = mkdtempSync(join(tmpdir(), "tsbpf-c-"));

  build(name: string, source: string): string {
    const src = join(this.dir, `${name}.bpf.c`);
    const out = join(this.dir, `${name}.o`);
    writeFileSync(src, `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n${source}\nchar LICENSE[] SEC("license") = "GPL";\n`);
    execFileSync(CLANG, ["-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", src, "-o", out], { stdio: "pipe" });
    return out;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Run a command (argument array, never a shell string); returns stdout. */
export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
}

function tryRun(cmd: string, args: string[]): void {
  try {
    run(cmd, args);
  } catch {
    // cleanup of something already gone
  }
}

/**
 * A network namespace `tsbpf-test-<pid>-<tag>` holding one end of a veth pair
 * (`peer`, 10.211.N.2); the other end (`host`, 10.211.N.1) stays in this
 * process's namespace so programs can be attached to it by ifindex.
 */
export class VethNetns {
  readonly ns: string;
  readonly host: string;
  readonly peer: string;
  readonly hostIp: string;
  readonly peerIp: string;

  constructor(tag: string) {
    const id = process.pid % 100000;
    this.ns = `tsbpf-test-${process.pid}-${tag}`;
    this.host = `tsb${tag}h${id}`.slice(0, 15);
    this.peer = `tsb${tag}p${id}`.slice(0, 15);
    const net = `10.${(tag.charCodeAt(0) % 50) + 200}.${process.pid % 250}`;
    this.hostIp = `${net}.1`;
    this.peerIp = `${net}.2`;
  }

  create(): void {
    this.destroy();
    run("ip", ["netns", "add", this.ns]);
    run("ip", ["link", "add", this.host, "type", "veth", "peer", "name", this.peer, "netns", this.ns]);
    run("ip", ["addr", "add", `${this.hostIp}/24`, "dev", this.host]);
    run("ip", ["link", "set", this.host, "up"]);
    run("ip", ["-n", this.ns, "addr", "add", `${this.peerIp}/24`, "dev", this.peer]);
    run("ip", ["-n", this.ns, "link", "set", this.peer, "up"]);
    run("ip", ["-n", this.ns, "link", "set", "lo", "up"]);
  }

  /** Ping the host end from inside the namespace; true if every echo was answered. */
  ping(count: number): boolean {
    try {
      run("ip", ["netns", "exec", this.ns, "ping", "-c", String(count), "-i", "0.2", "-W", "2", "-q", this.hostIp]);
      return true;
    } catch {
      return false;
    }
  }

  /** `ip -d link show` of the host end (shows attached XDP programs). */
  hostLink(): string {
    return run("ip", ["-d", "link", "show", "dev", this.host]);
  }

  /** `tc qdisc show` of the host end. */
  hostQdiscs(): string {
    return run("tc", ["qdisc", "show", "dev", this.host]);
  }

  destroy(): void {
    tryRun("ip", ["link", "del", this.host]);
    tryRun("ip", ["netns", "del", this.ns]);
  }
}

interface Libc {
  syscall(nr: number): number;
  getpid(): number;
  socket(domain: number, type: number, proto: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, alen: number): number;
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number;
  getsockname(fd: number, addr: Uint8Array, len: Uint8Array): number;
  close(fd: number): number;
}

let libcApi: Libc | null = null;
/** A few libc calls the tests make directly. */
export function libc(): Libc {
  if (libcApi) return libcApi;
  const lib = koffi.load("libc.so.6");
  libcApi = {
    syscall: lib.func("long syscall(long nr)"),
    getpid: lib.func("int getpid()"),
    socket: lib.func("int socket(int domain, int type, int protocol)"),
    bind: lib.func("int bind(int fd, const void *addr, uint32_t len)"),
    sendto: lib.func("long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)"),
    recv: lib.func("long recv(int fd, void *buf, size_t len, int flags)"),
    getsockname: lib.func("int getsockname(int fd, void *addr, void *len)"),
    close: lib.func("int close(int fd)"),
  };
  return libcApi;
}

export const SYS_getpid = 39;

/** struct sockaddr_in for 127.0.0.1:port. */
export function loopback(port: number): Uint8Array {
  const a = Buffer.alloc(16);
  a.writeUInt16LE(2, 0); // AF_INET
  a.writeUInt16BE(port, 2);
  a.writeUInt32BE(0x7f000001, 4);
  return a;
}

/** Path of the libc.so.6 this process has mapped (for uprobes). */
export function libcPath(): string {
  libc();
  const line = readFileSync("/proc/self/maps", "utf8")
    .split("\n")
    .find((l) => /\/libc\.so\.6$/.test(l));
  if (!line) throw new Error("libc.so.6 is not mapped");
  return line.slice(line.indexOf("/"));
}
