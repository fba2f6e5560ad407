// Why: the public surface of `tsbpf/runtime`; everything else is internal.

export { loadObject, BpfObject, VerifierError, BpfPermissionError, BpfObjectError, type LoadOptions } from "./object.js";
export { BpfProgram, type RunOptions, type RunResult } from "./program.js";
export { BpfMap } from "./map.js";
export { bpfAvailable, ensureBpffs, possibleCpus, BPFFS_PATH, type BpfAvailability } from "./kernel.js";
export { u32le, u64le, readU32, readU64 } from "./bytes.js";
export { TypedMap, PerCpuTypedMap, typedMap, objectBtf, bindSkeleton, type TypedMaps, type BatchOptions, type BatchMode, type SkeletonSpec } from "./typed-map.js";
export { btfCodec, ctypeCodec, rawCodec, type Codec, type CodecOptions } from "./codec.js";
export { Globals, bindGlobals, type GlobalVarInfo, type GlobalSectionKind, type GlobalsSpec, type GlobalInitOptions } from "./globals.js";
export { parseBtf, readObjectBtf, Btf, BtfError, type BtfType, type BtfMapDef } from "../common/btf-reader.js";
export {
  attachXdp,
  attachTc,
  attachSocketFilter,
  attachTracepoint,
  attachRawTracepoint,
  attachTracing,
  attachKprobe,
  attachUprobe,
  attachCgroup,
  attachAuto,
  ensureTracefs,
  ifindexOf,
  CGROUP_ATTACH_TYPES,
  type CgroupAttachType,
  type XdpMode,
  type XdpOptions,
  type TcDirection,
  type TcOptions,
  type KprobeOptions,
  type UprobeOptions,
} from "./attach.js";
export { Link, AttachError } from "./link.js";
export { RingBuffer, type EventReader, type EventReaderOptions } from "./ring-buffer.js";
export { PerfBuffer, type PerfBufferOptions } from "./perf-buffer.js";
