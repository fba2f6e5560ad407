// Helpers for the live-replacement tests: compile the fixtures in test/fixtures/live once into a
// temp dir, give each test a unique bpffs pin dir and module-record dir, and remove whatever a
// test left behind (pins, records) even when it failed.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../compiler/compile.js";

export const LIVE_FIXTURES = join(import.meta.dirname, "..", "fixtures", "live");

/** A temp dir of compiled fixtures, a pin-dir factory and a record dir; cleanup() removes all. */
export class LiveEnv {
  readonly tmp = mkdtempSync(join(tmpdir(), "tsbpf-live-"));
  readonly stateDir = join(this.tmp, "state");
  readonly #pins: string[] = [];
  #n = 0;

  constructor() {
    mkdirSync(this.stateDir);
  }

  /** Compile test/fixtures/live/<name>.bpf.ts to <tmp>/<name>.o; returns the path. */
  object(name: string): string {
    const out = join(this.tmp, `${name}.o`);
    if (existsSync(out)) return out;
    const src = join(LIVE_FIXTURES, `${name}.bpf.ts`);
    const r = compile(src, readFileSync(src, "utf8"));
    if (!r.ok || !r.object) throw new Error(`fixture ${name} does not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    writeFileSync(out, r.object);
    return out;
  }

  /** A fresh pin dir under /sys/fs/bpf (not created), unique per process and call. */
  pinDir(tag: string): string {
    // The temp dir's random suffix keeps names apart even between test files of one process.
    const p = `/sys/fs/bpf/tsbpf-live-${process.pid}-${this.tmp.slice(-6)}-${tag}-${this.#n++}`;
    this.#pins.push(p);
    return p;
  }

  cleanup(): void {
    for (const p of this.#pins) {
      // Unpinning every link and map detaches whatever a failed test left attached.
      if (existsSync(p)) rmSync(p, { recursive: true, force: true });
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** Kernel id of the XDP program on `dev` (from `ip -j link`), or null. */
export function xdpProgId(dev: string, netns?: string): number | null {
  const args = [...(netns ? ["-n", netns] : []), "-j", "link", "show", "dev", dev];
  const j = JSON.parse(execFileSync("ip", args).toString()) as {
    xdp?: { prog?: { id: number }; attached?: { prog?: { id: number } }[] };
  }[];
  const x = j[0]?.xdp;
  return x?.prog?.id ?? x?.attached?.[0]?.prog?.id ?? null;
}

/** Program ids of the cls_bpf filters on `dev` ingress (from `tc -j filter show`). */
export function tcProgIds(dev: string): number[] {
  const j = JSON.parse(execFileSync("tc", ["-j", "filter", "show", "dev", dev, "ingress"]).toString() || "[]") as {
    options?: { prog?: { id: number } };
  }[];
  return j.map((f) => f.options?.prog?.id).filter((x): x is number => typeof x === "number");
}
