// Loads bpf/counter.bpf.o, attaches it to an interface (generic XDP) and prints the counters every
// second until Ctrl-C. Needs root (or CAP_BPF + CAP_NET_ADMIN):
//   npm run build && npm run gen && sudo npm start -- <interface>
import { setInterval as every } from "node:timers/promises";
import { attachXdp } from "tsbpf/runtime";
import { load } from "./counter.skel.js";

const iface = process.argv[2];
if (!iface) {
  console.error("usage: npm start -- <interface>");
  process.exit(2);
}

const obj = load();
const link = attachXdp(obj.programs.count_packets, iface, { mode: "generic" });
const stop = new AbortController();
process.once("SIGINT", () => stop.abort());
console.log(`counting packets on ${iface}; Ctrl-C to stop`);
try {
  for await (const _ of every(1000, undefined, { signal: stop.signal })) {
    const lines: string[] = [];
    for (const [proto, perCpu] of obj.maps.counters.readAll()) {
      const packets = perCpu.reduce((n, c) => n + c.packets, 0n);
      const bytes = perCpu.reduce((n, c) => n + c.bytes, 0n);
      if (packets > 0n) lines.push(`protocol ${proto}: ${packets} packets, ${bytes} bytes`);
    }
    console.log(lines.join("\n") || "(no IPv4 packets yet)");
  }
} catch (e) {
  if (!stop.signal.aborted) throw e;
} finally {
  link.close();
  obj.close();
}
