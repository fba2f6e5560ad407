// User-space side of xdp-pass: compile (or take a prebuilt object), load, attach to an interface in
// generic XDP mode, and print every second how many packets the interface has received since (they
// all go through: the program returns XDP_PASS); detach on Ctrl-C or after --duration seconds.
//
//   node --import tsx examples/xdp-pass/user.ts <interface> [--duration s] [--object file.bpf.o]

import { readFileSync } from "node:fs";
import { setInterval as every } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attachXdp } from "tsbpf/runtime";
import { load } from "./xdp-pass.skel.js";

const usage = "usage: user.ts <interface> [--duration seconds] [--object xdp-pass.bpf.o]";
const { values: opts, positionals } = parseArgs({
  options: { duration: { type: "string" }, object: { type: "string" } },
  allowPositionals: true,
});
const iface = positionals[0];
const duration = opts.duration === undefined ? undefined : Number(opts.duration);
if (positionals.length !== 1 || !iface || (duration !== undefined && !(duration > 0))) {
  console.error(usage);
  process.exit(2);
}

/** The object file given with --object, or the bytes of xdp-pass.bpf.ts compiled now. */
async function objectFile(): Promise<string | Uint8Array> {
  if (opts.object) return opts.object;
  const { compile } = await import("tsbpf/compiler"); // loads TypeScript: only when compiling
  const source = fileURLToPath(new URL("./xdp-pass.bpf.ts", import.meta.url));
  const result = compile(source, readFileSync(source, "utf8"));
  if (!result.ok || !result.object) {
    for (const d of result.diagnostics) console.error(`${d.file}:${d.line}:${d.col} - ${d.severity} ${d.code}: ${d.message}`);
    process.exit(1);
  }
  return result.object;
}

/** The kernel's receive counter of the interface (in this process's network namespace). */
const rxPackets = (): bigint => BigInt(readFileSync(`/sys/class/net/${iface}/statistics/rx_packets`, "utf8").trim());

using obj = load(await objectFile());
{
  using link = attachXdp(obj.programs.xdp_pass, iface, { mode: "generic" });
  const received = (): string => {
    const n = rxPackets() - start;
    return `${iface} received ${n} ${n === 1n ? "packet" : "packets"}`;
  };
  console.log(`attached xdp_pass to ${link.target}; every packet passes, Ctrl-C to stop`);
  const start = rxPackets();

  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  if (duration !== undefined) setTimeout(() => stop.abort(), duration * 1000).unref();

  let seconds = 0;
  try {
    for await (const _ of every(1000, undefined, { signal: stop.signal })) {
      console.log(`${String(++seconds).padStart(4)}s  ${received()} since attach`);
    }
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  }
  console.log(`total  ${received()} while xdp_pass was attached`);
}
console.log("detached");
