// examples/sockmap-redirect in the kernel: its user.ts, run in a network namespace and a cgroup of
// their own, makes a loopback TCP connection's messages go socket to socket (sk_msg redirects
// counted), and the bytes arrive intact and in order at both ends.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { describeKernel } from "./kernel-env.js";

const SRC = join(import.meta.dirname, "..", "examples", "sockmap-redirect", "sockmap-redirect.bpf.ts");
const CGROUP2 = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].find((d) => existsSync(join(d, "cgroup.controllers"))) ?? "/sys/fs/cgroup";

describeKernel("sockmap-redirect example", () => {
  it("user.ts makes a connection's messages go socket to socket, intact", () => {
    const r = compile(SRC, readFileSync(SRC, "utf8"), { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    const object = join(tmpdir(), `tsbpf-sockmap-redirect-${process.pid}.o`);
    const cgroup = join(CGROUP2, `tsbpf-smr-${process.pid}`);
    writeFileSync(object, r.object!);
    if (!existsSync(cgroup)) mkdirSync(cgroup);
    try {
      const child = join(import.meta.dirname, "support", "sockmap-redirect-user-child.ts");
      const out = execFileSync("unshare", ["-n", process.execPath, "--import", "tsx", child, object, cgroup], {
        encoding: "utf8",
        timeout: 60_000,
      });
      const res = JSON.parse(out) as { intact: boolean; atServer: number; atClient: number; code: number; stdout: string };
      expect(res.stdout).toMatch(/^attached redirect_to_peer to sockmap:sockets:msg_verdict and add_established to cgroup:/m);
      expect(res.intact, JSON.stringify(res)).toBe(true);
      expect(res.code).toBe(0);
      // Both ends went into the map; every message (some may be coalesced by TCP's sendmsg) was redirected.
      const total = /^total {2}sockets (\d+) \| redirected (\d+) \| passed (\d+) \| in map (\d+)$/m.exec(res.stdout);
      expect(total, res.stdout).not.toBeNull();
      expect(Number(total![1])).toBe(2);
      expect(Number(total![2])).toBeGreaterThan(0);
      expect(Number(total![3])).toBe(0);
    } finally {
      rmSync(object, { force: true });
      for (let i = 0; i < 50 && existsSync(cgroup); i++) {
        try {
          rmdirSync(cgroup);
        } catch {
          execFileSync("sleep", ["0.02"]);
        }
      }
    }
  }, 60_000);
});
