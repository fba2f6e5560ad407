// The benchmark's programs: each a .bpf.ts with a C twin (.bpf.c) beside it. A file may hold several
// programs (a tail-call dispatcher and its handlers): its row then sums them, and `entry` names the
// one the run time is measured on. `setup` fills maps identically in both objects before the
// behaviour check, so lookups that hit are exercised too.

import type { BpfObject } from "../runtime/index.js";
import { u32le } from "../runtime/index.js";

export interface BenchProgram {
  /** Folder and file base name. */
  name: string;
  /** Folder relative to the repository root. */
  dir: string;
  /** Packet programs are test-run (behaviour and ns/packet); the others are only loaded (isLoadOnly). */
  kind: "xdp" | "tc" | "socket" | "tracing" | "cgroup" | "sk_lookup";
  setup?: (obj: BpfObject) => void;
  /** Why this kernel refuses to load it (fentry/fexit/LSM: EPERM); it is compiled and counted only. */
  refusedHere?: string;
  /** Label of the packet (bench/twins.ts) its run time is measured on; default TIMING_PACKET. */
  timing?: string;
  /** In a file with several programs, the one test-run for ns/packet (the others are reached from it). */
  entry?: string;
}

/** 10.0.0.9 as it sits in a packet, read as a little-endian u32 key. */
const ADDR_10_0_0_9 = Uint8Array.of(10, 0, 0, 9);

function put(obj: BpfObject, map: string, key: Uint8Array, value: Uint8Array): void {
  const m = obj.maps.get(map);
  if (!m) throw new Error(`bench setup: no map ${map}`);
  m.update(key, value);
}

const bench = (name: string, kind: BenchProgram["kind"], setup?: BenchProgram["setup"]): BenchProgram => ({
  name,
  dir: `bench/programs/${name}`,
  kind,
  setup,
});
const example = (name: string, kind: BenchProgram["kind"], setup?: BenchProgram["setup"]): BenchProgram => ({
  name,
  dir: `examples/${name}`,
  kind,
  setup,
});

export const PROGRAMS: readonly BenchProgram[] = [
  example("xdp-pass", "xdp"),
  example("xdp-counter", "xdp"),
  bench("proto-counters", "xdp"),
  example("firewall", "xdp", (obj) => {
    put(obj, "blocked_sources", ADDR_10_0_0_9, u32le(5));
    put(obj, "blocked_ports", u32le(22), u32le(7));
  }),
  bench("fw-atomic", "xdp", (obj) => {
    put(obj, "allow_src", ADDR_10_0_0_9, u32le(1));
    put(obj, "port_policy", u32le(22), u32le(1));
    put(obj, "port_policy", u32le(53), u32le(1));
  }),
  { ...bench("icmp-echo", "xdp"), timing: "ipv4/icmp echo" },
  bench("tc-classify", "tc"),
  example("socket-filter-tcp", "socket"),
  bench("sock-dns", "socket"),
  bench("tp-syscalls", "tracing"),
  bench("execve-trace", "tracing"),
  { ...bench("payload-loop", "xdp"), timing: "ipv4/udp:8080 payload 100" },
  bench("bpf2bpf", "xdp"),
  bench("globals-cfg", "xdp"),
  bench("xdp-vlan", "xdp"),
  // Examples of the map, helper and kernel-type work, measured the same way.
  example("lpm-blocklist", "xdp"),
  // Three programs: the row sums them; the run time is the dispatcher's, tail calls included.
  { ...example("tail-call-dispatcher", "xdp"), entry: "dispatcher" },
  example("xdp-redirect", "xdp"),
  example("connect4-policy", "cgroup"),
  example("sk-lookup-ports", "sk_lookup"),
  example("scan-guard", "xdp"),
  example("exec-tracer", "tracing"),
  { ...example("unlink-watch", "tracing"), refusedHere: "fexit: this kernel refuses trampoline programs (EPERM)" },
];

/** Kinds BPF_PROG_TEST_RUN cannot run here: loaded and counted, not run. */
export function isLoadOnly(kind: BenchProgram["kind"]): boolean {
  return kind === "tracing" || kind === "cgroup" || kind === "sk_lookup";
}
