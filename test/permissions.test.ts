// Loading without the capabilities BPF needs gives the documented BpfPermissionError and leaks no
// file descriptors. The child process runs as root with CAP_BPF, CAP_SYS_ADMIN, CAP_PERFMON and
// CAP_NET_ADMIN removed from its bounding set (setpriv), so its effective set lacks them.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { describeKernel } from "./kernel-env.js";

const root = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-perm-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function child(args: string[], obj: string): { ok: boolean; name?: string; message?: string; leaked: number } {
  const out = execFileSync(
    args[0],
    [...args.slice(1), process.execPath, "--import", "tsx", join(root, "test/support/load-unprivileged.ts"), obj],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  return JSON.parse(out.trim().split("\n").pop()!);
}

describeKernel("permissions", () => {
  const haveSetpriv = spawnSync("setpriv", ["--version"], { stdio: "ignore" }).status === 0;
  it("a process without CAP_BPF/CAP_SYS_ADMIN gets BpfPermissionError and leaks nothing", () => {
    if (!haveSetpriv) {
      if (process.env.CI === "true") expect.fail("setpriv (util-linux) is not installed");
      console.warn("skipping permission test: setpriv not installed");
      return;
    }
    const src = join(root, "examples/xdp-counter/xdp-counter.bpf.ts");
    const obj = join(tmp, "xdp-counter.o");
    writeFileSync(obj, compile(src, readFileSync(src, "utf8")).object!);

    const allowed = child(["env"], obj);
    expect(allowed).toMatchObject({ ok: true, leaked: 0 });

    const dropped = child(["setpriv", "--bounding-set=-bpf,-sys_admin,-perfmon,-net_admin", "--inh-caps=-all"], obj);
    expect(dropped.ok).toBe(false);
    expect(dropped.name).toBe("BpfPermissionError");
    expect(dropped.message).toMatch(/needs root, or CAP_BPF/);
    expect(dropped.leaked).toBe(0);
  });
});
