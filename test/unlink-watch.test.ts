// examples/unlink-watch: an fexit program with BTF-typed arguments. This kernel refuses fentry/fexit
// loads (EPERM), so the test checks what can be checked here: the object compiles, libbpf accepts it
// and applies its CO-RE relocation (struct filename's `name`) against the kernel's BTF, and only the
// kernel's program load fails, with EPERM. On a kernel with trampolines it attaches and reports an
// unlink this test performs.

import { mkdtempSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { attachTracing } from "../runtime/attach.js";
import { loadObject, RingBuffer } from "../runtime/index.js";
import { describeKernel } from "./kernel-env.js";

const source = resolve(import.meta.dirname, "..", "examples", "unlink-watch", "unlink-watch.bpf.ts");

describeKernel("examples/unlink-watch", () => {
  it("is relocated by libbpf; the kernel then refuses fexit here (EPERM), or it reports an unlink", async () => {
    const r = compile(source, readFileSync(source, "utf8"), { checkIr: true });
    expect(r.diagnostics).toEqual([]);
    let log: string[];
    try {
      using obj = loadObject(r.object!, { name: "unlink_watch", libbpfDebug: true });
      log = obj.libbpfLog;
      // Trampolines work on this kernel: check the behaviour too.
      using link = attachTracing(obj.programs.get("unlink_watch")!);
      using events = new RingBuffer(obj.maps.get("events")!);
      const file = join(mkdtempSync(join(tmpdir(), "tsbpf-unlink-")), "victim");
      writeFileSync(file, "x");
      unlinkSync(file);
      const seen = await new Promise<Uint8Array[]>((res) => setTimeout(() => res(events.drain()), 200));
      expect(link.fd).toBeGreaterThan(0);
      expect(seen.some((b) => Buffer.from(b.subarray(24, 88)).toString().startsWith(file))).toBe(true);
    } catch (e) {
      const err = e as Error & { libbpfLog?: string[] };
      expect(err.message).toMatch(/EPERM/);
      log = err.libbpfLog ?? [];
      expect(log.join("\n")).toMatch(/prog 'unlink_watch': BPF program load failed: Operation not permitted/);
    }
    const text = log.join("\n");
    expect(text).toMatch(/CO-RE relocating \[\d+\] struct filename: found target candidate \[\d+\] struct filename in \[vmlinux\]/);
    expect(text).toMatch(/prog 'unlink_watch': relo #0: patched insn #\d+ \(LDX\/ST\/STX\) off 0 -> 0/);
    expect(text).not.toMatch(/failed to resolve CO-RE relocation|poisoning/);
  });
});
