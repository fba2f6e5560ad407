// Why: callers (and the test suite) need one cheap, honest answer to "can this
// process load BPF programs?", plus the bpffs mount that pinning relies on.

import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { MAP_TYPE } from "../common/map-kinds.js";
import { errnoFrom, errnoText, libbpf } from "./libbpf.js";

export type BpfAvailability = { ok: true } | { ok: false; reason: string };

const EPERM = 1;
const ENOSYS = 38;
const EACCES = 13;

let availability: BpfAvailability | null = null;

function probe(): BpfAvailability {
  if (process.platform !== "linux") return { ok: false, reason: `not Linux (platform is ${process.platform})` };
  let api: ReturnType<typeof libbpf>;
  try {
    api = libbpf();
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  const fd = api.bpf_map_create(MAP_TYPE.ARRAY, "tsbpf_probe", 4, 4, 1, null);
  if (fd < 0) {
    const errno = errnoFrom(fd);
    if (errno === EPERM || errno === EACCES) {
      return { ok: false, reason: `bpf() not permitted (${errnoText(errno)}); run as root or grant CAP_BPF` };
    }
    if (errno === ENOSYS) return { ok: false, reason: "the kernel has no bpf() syscall (ENOSYS)" };
    return { ok: false, reason: `creating a test BPF map failed: ${errnoText(errno)}` };
  }
  closeSync(fd);
  return { ok: true };
}

/** Whether this process can create BPF maps and load programs (result cached). */
export function bpfAvailable(): BpfAvailability {
  availability ??= probe();
  return availability;
}

/** Number of possible CPUs, which sizes per-CPU map values. */
export function possibleCpus(): number {
  const n = libbpf().libbpf_num_possible_cpus();
  if (n <= 0) throw new Error(`cannot determine the number of possible CPUs: ${errnoText(-n)}`);
  return n;
}

export const BPFFS_PATH = "/sys/fs/bpf";

function bpffsMounted(path: string): boolean {
  const mounts = readFileSync("/proc/mounts", "utf8");
  return mounts.split("\n").some((line) => {
    const [, mountPoint, fsType] = line.split(" ");
    return mountPoint === path && fsType === "bpf";
  });
}

/** Mount bpffs at /sys/fs/bpf unless it already is; returns the mount point. */
export function ensureBpffs(): string {
  if (bpffsMounted(BPFFS_PATH)) return BPFFS_PATH;
  if (!existsSync(BPFFS_PATH)) mkdirSync(BPFFS_PATH, { recursive: true });
  try {
    execFileSync("mount", ["-t", "bpf", "bpf", BPFFS_PATH], { stdio: "pipe" });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`cannot mount bpffs at ${BPFFS_PATH}: ${stderr || (e as Error).message}`);
  }
  if (!bpffsMounted(BPFFS_PATH)) throw new Error(`bpffs is still not mounted at ${BPFFS_PATH}`);
  return BPFFS_PATH;
}
