// Every file deletion: an fexit program on the kernel's do_unlinkat(int dfd, struct filename *name)
// sees its arguments, typed from the kernel's prototype, and its return value, and sends the name,
// the result and the calling process to user space through a ring buffer.
import { fexit, RingBuf, zero, probeReadKernelStr, getCurrentPidTgid, getCurrentComm, u32, type i32, type u8, type FixedArray } from "tsbpf/bpf";
// Kernel types from `npx tsbpf vmlinux --only do_unlinkat --depth 1 -o vmlinux.d.ts` (see README).
import type {} from "./vmlinux";

export interface UnlinkEvent {
  pid: u32;
  /** do_unlinkat's result: 0, or a negative errno. */
  ret: i32;
  comm: FixedArray<u8, 16>;
  name: FixedArray<u8, 64>;
}

const events = new RingBuf<UnlinkEvent>(256 * 1024);

export const unlink_watch = fexit("do_unlinkat", (dfd, name, ret) => {
  if (name === null) return 0;
  const ev: UnlinkEvent = zero<UnlinkEvent>();
  ev.pid = u32(getCurrentPidTgid() >> 32);
  ev.ret = ret;
  ev.comm = getCurrentComm();
  // struct filename { const char *name; ... }: a CO-RE relocated load, then the string itself.
  probeReadKernelStr(ev.name, name.name);
  events.output(ev);
  return 0;
});

export const LICENSE = "GPL";
