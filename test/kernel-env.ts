// Why: kernel-backed tests must run wherever bpf() works, fail loudly in CI
// when it does not, and otherwise skip with a single visible line instead of
// a wall of red on developer machines without privileges.

import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bpfAvailable } from "../runtime/kernel.js";

const inCi = (): boolean => process.env.CI === "true";

let warned = false;
function warnSkip(reason: string): void {
  if (warned) return;
  warned = true;
  console.warn(`skipping kernel tests: ${reason}`);
}

/** A `describe` that needs a working bpf(); see the file header for the fallback policy. */
export function describeKernel(name: string, fn: () => void): void {
  const avail = bpfAvailable();
  if (avail.ok) {
    describe(name, fn);
  } else if (inCi()) {
    describe(name, () => {
      it("has a usable BPF environment", () => {
        throw new Error(`kernel tests cannot run under CI=true: ${avail.reason}`);
      });
    });
  } else {
    warnSkip(avail.reason);
    describe.skip(name, fn);
  }
}

/** A single `it` that needs a working bpf(); same policy as describeKernel. */
export function kernelTest(name: string, fn: () => unknown, timeout?: number): void {
  const avail = bpfAvailable();
  if (avail.ok) {
    it(name, fn, timeout);
  } else if (inCi()) {
    it(name, () => {
      throw new Error(`kernel test cannot run under CI=true: ${avail.reason}`);
    });
  } else {
    warnSkip(avail.reason);
    it.skip(name, fn);
  }
}

export const VMLINUX_BTF = "/sys/kernel/btf/vmlinux";

/**
 * A `describe` that reads the running kernel's BTF: the same policy as describeKernel (fails under
 * CI=true, skips with one line elsewhere) when /sys/kernel/btf/vmlinux is missing.
 */
export function describeWithBtf(name: string, fn: () => void): void {
  if (existsSync(VMLINUX_BTF)) describe(name, fn);
  else if (inCi()) {
    describe(name, () => {
      it("has the kernel's BTF", () => {
        throw new Error(`kernel BTF tests cannot run under CI=true: no ${VMLINUX_BTF}`);
      });
    });
  } else {
    console.warn(`skipping kernel BTF tests: no ${VMLINUX_BTF}`);
    describe.skip(name, fn);
  }
}

/** A single `it` that reads the running kernel's BTF; same policy as describeWithBtf. */
export function btfTest(name: string, fn: () => unknown, timeout?: number): void {
  if (existsSync(VMLINUX_BTF)) it(name, fn, timeout);
  else if (inCi()) it(name, () => expect.fail(`kernel BTF test cannot run under CI=true: no ${VMLINUX_BTF}`));
  else {
    console.warn(`skipping kernel BTF test: no ${VMLINUX_BTF}`);
    it.skip(name, fn);
  }
}
