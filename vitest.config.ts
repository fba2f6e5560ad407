import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Kernel tests share bpffs and the bpf() syscall; forks keep koffi's native state per file.
    pool: "forks",
  },
});
