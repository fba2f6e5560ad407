// Samples an attach point as fast as the tools allow until STOPFILE exists, for the live-swap
// tests: node hook-sampler.mjs xdp|tc|cgroup TARGET STOPFILE
//   xdp: `ip -j link show dev TARGET`, tc: `tc -j filter show dev TARGET ingress`,
//   cgroup: `bpftool -j cgroup show TARGET`, link: `bpftool -j link show id TARGET` (its program;
//   for tcx links, which bpftool 7.1 does not list per device).
// Prints {"samples":N,"empty":E,"ids":[...]} (E: samples that saw no program at the hook).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const [kind, target, stop] = process.argv.slice(2);

function progIds() {
  if (kind === "xdp") {
    const j = JSON.parse(execFileSync("ip", ["-j", "link", "show", "dev", target]).toString());
    const x = j[0]?.xdp;
    const id = x?.prog?.id ?? x?.attached?.[0]?.prog?.id;
    return id === undefined ? [] : [id];
  }
  if (kind === "tc") {
    const j = JSON.parse(execFileSync("tc", ["-j", "filter", "show", "dev", target, "ingress"]).toString() || "[]");
    return j.map((f) => f.options?.prog?.id).filter((x) => typeof x === "number");
  }
  if (kind === "link") {
    const l = JSON.parse(execFileSync("bpftool", ["-j", "link", "show", "id", target]).toString());
    return l.prog_id ? [l.prog_id] : [];
  }
  const j = JSON.parse(execFileSync("bpftool", ["-j", "cgroup", "show", target]).toString() || "[]");
  return j.map((p) => p.id);
}

let samples = 0;
let empty = 0;
const ids = new Set();
while (!existsSync(stop)) {
  const got = progIds();
  samples++;
  if (got.length === 0) empty++;
  for (const id of got) ids.add(id);
}
process.stdout.write(JSON.stringify({ samples, empty, ids: [...ids] }) + "\n");
