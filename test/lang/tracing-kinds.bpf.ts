// Tracing program kinds that attach on this kernel: a raw tracepoint and a BTF tracepoint on
// sys_enter, and a uprobe on libc's getpid. Only this process's events count: user space sets
// TARGET_TGID (.rodata) before load.
import { rawTracepoint, tpBtf, uprobe, ArrayMap, getCurrentPidTgid, atomicAdd, u32, type u64 } from "tsbpf/bpf";

const TARGET_TGID: u32 = 0;
const SYS_GETPID = 39;

/** [0] raw_tp getpid syscalls, [1] tp_btf getpid syscalls, [2] uprobe calls of getpid(). */
const hits = new ArrayMap<u64>(4);

function mine(): boolean {
  return u32(getCurrentPidTgid() >> 32) === TARGET_TGID;
}

function bump(slot: u32): void {
  const h = hits.lookup(slot);
  if (h !== null) atomicAdd(h.value, 1);
}

// raw_tp/sys_enter and tp_btf/sys_enter: (struct pt_regs *regs, long id)
export const raw_sys_enter = rawTracepoint("sys_enter", (ctx) => {
  if (mine() && ctx.arg(1) === SYS_GETPID) bump(0);
  return 0;
});

export const btf_sys_enter = tpBtf("sys_enter", (ctx) => {
  if (mine() && ctx.arg(1) === SYS_GETPID) bump(1);
  return 0;
});

export const libc_getpid = uprobe("/lib/x86_64-linux-gnu/libc.so.6", "getpid", () => {
  if (mine()) bump(2);
  return 0;
});

export const LICENSE = "GPL";
