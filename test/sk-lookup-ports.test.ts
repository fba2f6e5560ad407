// examples/sk-lookup-ports in the kernel: its user.ts, run in a network namespace of its own, serves
// a range of ports from one listening socket, and connections outside the range are refused.

import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { describeKernel } from "./kernel-env.js";

const SRC = join(import.meta.dirname, "..", "examples", "sk-lookup-ports", "sk-lookup-ports.bpf.ts");

describeKernel("sk-lookup-ports example", () => {
  it("user.ts steers ports 7000-7009 to its one server and reports the counters", () => {
    const r = compile(SRC, readFileSync(SRC, "utf8"), { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    const object = join(tmpdir(), `tsbpf-sk-lookup-ports-${process.pid}.o`);
    writeFileSync(object, r.object!);
    try {
      const child = join(import.meta.dirname, "support", "sk-lookup-user-child.ts");
      const out = execFileSync("unshare", ["-n", process.execPath, "--import", "tsx", child, object], {
        encoding: "utf8",
        timeout: 60_000,
      });
      const { answers, code, stdout } = JSON.parse(out) as { answers: string[]; code: number; stdout: string };
      expect(stdout).toMatch(/^attached steer_ports to netns:\/proc\/self\/ns\/net: ports 7000-7009 -> 127\.0\.0\.1:\d+/m);
      // The server answers with the port the client dialled: the connection kept it.
      expect(answers).toEqual(["port 7000", "port 7004", "port 7009", "ECONNREFUSED"]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^total {2}steered 3 \| refused 0 \| no socket 0$/m);
      expect(stdout).toMatch(/^detached$/m);
    } finally {
      rmSync(object, { force: true });
    }
  }, 60_000);
});
