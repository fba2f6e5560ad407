// Why: the public surface of `tsbpf/runtime`; everything else is internal.

export { loadObject, BpfObject, VerifierError, BpfPermissionError, BpfObjectError, type LoadOptions } from "./object.js";
export { BpfProgram, type RunOptions, type RunResult } from "./program.js";
export { BpfMap } from "./map.js";
export { bpfAvailable, ensureBpffs, possibleCpus, BPFFS_PATH, type BpfAvailability } from "./kernel.js";
export { u32le, u64le, readU32, readU64 } from "./bytes.js";
export {
  TypedMap,
  PerCpuTypedMap,
  ProgArrayMap,
  ValueMap,
  SocketMap,
  socketFd,
  pidFd,
  type SocketLike,
  typedMap,
  objectBtf,
  bindSkeleton,
  type TypedMaps,
  type BatchOptions,
  type BatchMode,
  type SkeletonSpec,
} from "./typed-map.js";
export { btfCodec, ctypeCodec, rawCodec, type Codec, type CodecOptions } from "./codec.js";
export { Globals, bindGlobals, type GlobalVarInfo, type GlobalSectionKind, type GlobalsSpec, type GlobalInitOptions } from "./globals.js";
export { parseBtf, readObjectBtf, Btf, BtfError, type BtfType, type BtfMapDef } from "../common/btf-reader.js";
export {
  attachXdp,
  attachTc,
  attachTcx,
  attachSocketFilter,
  attachTracepoint,
  attachRawTracepoint,
  attachTracing,
  attachKprobe,
  attachUprobe,
  attachCgroup,
  attachAuto,
  attachSockMap,
  cgroupId,
  SOCKMAP_ATTACH_TYPES,
  type SockMapAttachType,
  type SockMapTarget,
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
export { attachFlowDissector, attachNetfilter, attachNetns, NF_FAMILY, NF_HOOK, type NetfilterOptions } from "./attach-net.js";
export { bindUdpSocket, type UdpSocketOptions } from "./udp-socket.js";
export { attachIterator, CGROUP_ITER_ORDER, readIterator, type CgroupIterOrder, type IteratorTarget, type IterMap } from "./iter.js";
export { Link, AttachError } from "./link.js";
export {
  VERIFIER_HINTS,
  explainVerifierLog,
  readLineInfo,
  type VerifierExplanation,
  type LineInfo,
  type LineRecord,
} from "./verifier-log.js";
export { RingBuffer, type EventReader, type EventReaderOptions } from "./ring-buffer.js";
export { PerfBuffer, type PerfBufferOptions } from "./perf-buffer.js";
export { progInfo, mapInfo, linkInfo, openPinnedFd, LINK_TYPES, type ProgInfo, type MapInfo, type LinkInfo } from "./obj-info.js";
export {
  openPinnedMap,
  openPinnedMaps,
  PinnedMap,
  MapLayoutError,
  isOnBpffs,
  kernelBtf,
  type PinnedMaps,
  type MapMigration,
} from "./pinned.js";
export { mapShapeDiff, type MapShape } from "./map-layout.js";
export {
  updateLinkProgram,
  updatePinnedLink,
  replaceTcProgram,
  attachTcFilter,
  detachTcFilter,
  tcFilterProgId,
  ReplaceError,
  UPDATABLE_LINK_TYPES,
  type TcFilter,
  type LinkUpdateOptions,
} from "./replace.js";
export {
  deployModule,
  unloadModule,
  moduleStatus,
  listModuleRecords,
  readModuleRecord,
  stateDir,
  type DeployOptions,
  type DeployReport,
  type ModuleRecord,
  type ModuleAttach,
  type SwapReport,
} from "./live-module.js";
export { attachPerfEvent, openPerfEvent, PERF_TYPE, PERF_COUNT_SW, PERF_COUNT_HW, type PerfEventOptions } from "./perf-event.js";
