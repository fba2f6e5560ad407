// An OCI image layout holding one eBPF object, following bpfman's eBPF bytecode image spec (the
// "backwards compatible OCI" variant): exactly one tar+gzip layer with the object at its root, and
// the image config labels `io.ebpf.programs` / `io.ebpf.maps` (JSON objects: name -> kind) that
// bpfman reads to learn what the image holds. Written with node:crypto and node:zlib only (no
// docker, no registry): blobs/sha256/<digest>, index.json and oci-layout, ready for
// `skopeo copy oci:DIR docker://registry/...`.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { inspectObject, MAP_TYPE_NAMES } from "./inspect.js";

export const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** bpfman's program kinds by section prefix (its names: "probe" for k/uprobes, "tracing" for fentry/fexit). */
const PROGRAM_KINDS: [RegExp, string][] = [
  [/^xdp/, "xdp"],
  [/^(tc|classifier|tcx)\b/, "tc"],
  [/^action\b/, "sched_act"],
  [/^socket/, "socket_filter"],
  [/^(kprobe|kretprobe|uprobe|uretprobe|ksyscall|kretsyscall)\b/, "probe"],
  [/^(tracepoint|tp|tp_btf)\//, "tracepoint"],
  [/^(raw_tp|raw_tracepoint)\//, "raw_tracepoint"],
  [/^(raw_tp\.w|raw_tracepoint\.w)\//, "raw_tracepoint_writable"],
  [/^(fentry|fexit|fmod_ret)(\.s)?\//, "tracing"],
  [/^lsm(\.s)?\//, "lsm"],
  [/^cgroup_skb\//, "cgroup_skb"],
  [/^cgroup\/(connect|sendmsg|recvmsg|getpeername|getsockname|bind)/, "cgroup_sock_addr"],
  [/^cgroup\/(sock|post_bind)/, "cgroup_sock"],
  [/^cgroup\/sysctl/, "cgroup_sysctl"],
  [/^cgroup\/(getsockopt|setsockopt)/, "cgroup_sockopt"],
  [/^cgroup\/dev/, "cgroup_device"],
  [/^sockops/, "sock_ops"],
  [/^sk_skb/, "sk_skb"],
  [/^sk_msg/, "sk_msg"],
  [/^sk_lookup/, "sk_lookup"],
  [/^perf_event/, "perf_event"],
  [/^flow_dissector/, "flow_dissector"],
  [/^netfilter/, "netfilter"],
  [/^iter(\.s)?\//, "tracing"],
];

export function programKind(section: string): string {
  return PROGRAM_KINDS.find(([re]) => re.test(section))?.[1] ?? "unspec";
}

/** bpfman's map kind names: BPF_MAP_TYPE_PERCPU_ARRAY -> "per_cpu_array". */
export function mapKind(type: number): string {
  const n = MAP_TYPE_NAMES[type];
  return n ? n.toLowerCase().replace("percpu", "per_cpu") : "unspec";
}

/** The two labels bpfman requires, from the object itself (global-data maps are left out, as bpfman does). */
export function bytecodeLabels(object: Uint8Array): Record<string, string> {
  const info = inspectObject(object);
  const programs: Record<string, string> = {};
  for (const p of info.programs) programs[p.name] = programKind(p.section);
  if (Object.keys(programs).length === 0) throw new Error("the object has no programs");
  const maps: Record<string, string> = {};
  for (const m of info.maps) if (!/\.(rodata|data|bss)/.test(m.name)) maps[m.name] = mapKind(m.type);
  return { "io.ebpf.programs": JSON.stringify(programs), "io.ebpf.maps": JSON.stringify(maps) };
}

/** A POSIX ustar archive with one regular file (mode 0644, owner 0:0) at its root. */
export function tarOneFile(name: string, data: Uint8Array, mtime: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`file name too long for a tar header: ${name}`);
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s, off, len, "utf8");
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(data.length, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put("        ", 148, 8); // checksum field counts as spaces while summing
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  put("root", 265, 32);
  put("root", 297, 32);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  const pad = (512 - (data.length % 512)) % 512;
  return Buffer.concat([h, Buffer.from(data), Buffer.alloc(pad), Buffer.alloc(1024)]);
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export interface ImageOptions {
  /** File name of the object inside the layer. */
  fileName: string;
  /** index.json ref name (org.opencontainers.image.ref.name); default "latest". */
  tag?: string;
  /** OCI architecture; default the host's (amd64, arm64, ...). eBPF objects here are little-endian. */
  architecture?: string;
  /** Creation time (default now, or SOURCE_DATE_EPOCH when set: reproducible images). */
  created?: Date;
  /** Extra labels (e.g. org.opencontainers.image.source). */
  labels?: Record<string, string>;
}

export interface ImageResult {
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  /** sha256 of the uncompressed tar (the config's rootfs diff_id). */
  diffId: string;
  labels: Record<string, string>;
}

const GOARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

/** Write the OCI image layout for `object` into `dir` (which must not exist or be empty). */
export function writeBytecodeImage(dir: string, object: Uint8Array, opts: ImageOptions): ImageResult {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} is not empty; choose a new directory for the image`);
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const created = opts.created ?? (epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date());
  const labels = { ...bytecodeLabels(object), ...opts.labels };
  const tar = tarOneFile(opts.fileName, object, Math.floor(created.getTime() / 1000));
  // gzip's header time stays 0, so equal inputs give equal layer digests.
  const layer = gzipSync(tar, { level: 9 });
  const config = Buffer.from(
    JSON.stringify({
      created: created.toISOString(),
      architecture: opts.architecture ?? GOARCH[process.arch] ?? process.arch,
      os: "linux",
      config: { Labels: labels },
      rootfs: { type: "layers", diff_ids: [`sha256:${sha256(tar)}`] },
      history: [{ created: created.toISOString(), created_by: `tsbpf image (${opts.fileName})` }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: `sha256:${sha256(config)}`, size: config.length },
      layers: [{ mediaType: MEDIA.layer, digest: `sha256:${sha256(layer)}`, size: layer.length }],
    }),
  );
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  for (const b of [layer, config, manifest]) writeFileSync(join(blobs, sha256(b)), b);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: MEDIA.manifest,
        digest: `sha256:${sha256(manifest)}`,
        size: manifest.length,
        annotations: { "org.opencontainers.image.ref.name": opts.tag ?? "latest" },
      },
    ],
  };
  writeFileSync(join(dir, "index.json"), JSON.stringify(index));
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return {
    manifestDigest: `sha256:${sha256(manifest)}`,
    configDigest: `sha256:${sha256(config)}`,
    layerDigest: `sha256:${sha256(layer)}`,
    diffId: `sha256:${sha256(tar)}`,
    labels,
  };
}
