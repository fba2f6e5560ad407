// Why: the public surface of `tsbpf/runtime`; everything else is internal.

export { loadObject, BpfObject, VerifierError, type LoadOptions } from "./object.js";
export { BpfProgram, type RunOptions, type RunResult } from "./program.js";
export { BpfMap } from "./map.js";
export { bpfAvailable, ensureBpffs, possibleCpus, BPFFS_PATH, type BpfAvailability } from "./kernel.js";
export { u32le, u64le, readU32, readU64 } from "./bytes.js";
