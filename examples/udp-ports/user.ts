// User-space side of udp-ports: load the object, attach it to an interface in generic XDP mode and
// print UDP packet and byte counts per destination port (mod 64) every second until Ctrl-C or
// --duration seconds. The PortStat type comes from the skeleton, which `tsbpf gen` wrote from the
// interface in common.ts that udp-ports.bpf.ts imports.
//
//   npx tsbpf build examples/udp-ports/udp-ports.bpf.ts     # writes udp-ports.bpf.o next to it
//   node --import tsx examples/udp-ports/user.ts <interface> [--duration s]

import { setInterval as every } from "node:timers/promises";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load, type PortStat } from "./udp-ports.skel.js";

const { values: opts, positionals } = parseArgs({ options: { duration: { type: "string" } }, allowPositionals: true });
const iface = positionals[0];
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (positionals.length !== 1 || !iface || (duration !== undefined && !(duration > 0))) {
  console.error("usage: user.ts <interface> [--duration seconds]");
  process.exit(2);
}

function format(entries: [number, PortStat][]): string {
  const busy = entries.filter(([, s]) => s.packets > 0n);
  if (busy.length === 0) return "no UDP packets yet";
  return busy.map(([port, s]) => `port%64=${port}: ${s.packets} packets, ${s.bytes} bytes`).join(" | ");
}

using obj = load();
{
  using link = attachXdp(obj.programs.count_ports, iface, { mode: "generic" });
  console.log(`attached count_ports to ${link.target}; counting UDP packets, dropping port 9; Ctrl-C to stop`);
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  if (duration !== undefined) setTimeout(() => stop.abort(), duration * 1000).unref();
  try {
    for await (const _ of every(1000, undefined, { signal: stop.signal })) console.log(format(obj.maps.ports.readAll()));
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  }
}
console.log("detached");
