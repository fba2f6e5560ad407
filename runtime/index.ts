// Why: the public surface of `tsbpf/runtime`; everything else is internal.

export { loadObject, BpfObject, VerifierError, type LoadOptions } from "./object.js";
export { BpfProgram, type RunOptions, type RunResult } from "./program.js";
export { BpfMap } from "./map.js";
export { bpfAvailable, ensureBpffs, possibleCpus, BPFFS_PATH, type BpfAvailability } from "./kernel.js";
export { u32le, u64le, readU32, readU64 } from "./bytes.js";
export { TypedMap, PerCpuTypedMap, typedMap, objectBtf, bindSkeleton, type TypedMaps, type BatchOptions, type BatchMode, type SkeletonSpec } from "./typed-map.js";
export { btfCodec, ctypeCodec, rawCodec, type Codec, type CodecOptions } from "./codec.js";
export { parseBtf, readObjectBtf, Btf, BtfError, type BtfType, type BtfMapDef } from "./btf-reader.js";
