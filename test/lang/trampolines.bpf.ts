// fentry/fexit/LSM programs: they compile to the right sections; whether the kernel loads them
// depends on BPF trampoline support (this project's test machine refuses them with EPERM).
import { fentry, fexit, lsm, ArrayMap, type u64 } from "tsbpf/bpf";

const seen = new ArrayMap<u64>(2);

export const entry_unlinkat = fentry("do_unlinkat", (ctx) => {
  seen.update(0, ctx.arg(0));
  return 0;
});

export const exit_unlinkat = fexit("do_unlinkat", (ctx) => {
  seen.update(1, ctx.arg(2)); // fexit: the return value follows the arguments
  return 0;
});

export const deny_nothing = lsm("file_open", () => 0);

export const LICENSE = "GPL";
