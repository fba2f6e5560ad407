// `tsbpf image`: the OCI image layout follows bpfman's bytecode image spec (one tar+gzip layer with
// the object at its root, io.ebpf.programs / io.ebpf.maps labels), every blob is named by its
// sha256, equal inputs give equal digests, skopeo (a Debian OCI tool) reads and copies it, and
// the object inside loads into the kernel.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { imageCommand } from "../compiler/tools/image-command.js";
import { mapKind, programKind } from "../compiler/tools/oci-image.js";
import { loadObject } from "../runtime/index.js";
import { kernelTest } from "./kernel-env.js";

const root = join(import.meta.dirname, "..");
const SRC = join(root, "examples", "xdp-counter", "xdp-counter.bpf.ts");
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-image-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const blob = (dir: string, digest: string) => readFileSync(join(dir, "blobs", "sha256", digest.replace(/^sha256:/, "")));

function haveSkopeo(): boolean {
  try {
    execFileSync("skopeo", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

function build(dir: string, ...extra: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = imageCommand([SRC, "-o", dir, ...extra], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, out: out.join(""), err: err.join("") };
}

interface Manifest {
  mediaType: string;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number }[];
}

describe("tsbpf image", () => {
  const dir = join(tmp, "img");
  const object = compile(SRC, readFileSync(SRC, "utf8")).object!;
  process.env.SOURCE_DATE_EPOCH = "1700000000";
  const first = build(dir, "--tag", "v1");
  delete process.env.SOURCE_DATE_EPOCH;

  it("writes an OCI layout whose blobs are named by their sha256", () => {
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    for (const f of readdirSync(join(dir, "blobs", "sha256"))) expect(sha(readFileSync(join(dir, "blobs", "sha256", f)))).toBe(f);
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
      manifests: { digest: string; size: number; annotations: Record<string, string> }[];
    };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.annotations["org.opencontainers.image.ref.name"]).toBe("v1");
    const m = JSON.parse(blob(dir, index.manifests[0]!.digest).toString()) as Manifest;
    expect(blob(dir, index.manifests[0]!.digest).length).toBe(index.manifests[0]!.size);
    expect(m.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(m.config.mediaType).toBe("application/vnd.oci.image.config.v1+json");
    expect(m.layers).toHaveLength(1); // the spec: exactly one layer
    expect(m.layers[0]!.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    expect(first.out).toContain(`in layer ${m.layers[0]!.digest}`);

    const config = JSON.parse(blob(dir, m.config.digest).toString()) as {
      config: { Labels: Record<string, string> };
      rootfs: { diff_ids: string[] };
      os: string;
      created: string;
    };
    expect(config.os).toBe("linux");
    expect(config.created).toBe("2023-11-14T22:13:20.000Z"); // SOURCE_DATE_EPOCH
    expect(JSON.parse(config.config.Labels["io.ebpf.programs"]!)).toEqual({ xdp_counter: "xdp" });
    expect(JSON.parse(config.config.Labels["io.ebpf.maps"]!)).toEqual({ counters: "per_cpu_array" });

    // The layer: gzip of a tar whose only entry is the object, at the root.
    const tar = gunzipSync(blob(dir, m.layers[0]!.digest));
    expect(`sha256:${sha(tar)}`).toBe(config.rootfs.diff_ids[0]);
    expect(tar.subarray(0, 100).toString().replace(/\0+$/, "")).toBe("xdp-counter.bpf.o");
    const size = parseInt(tar.subarray(124, 136).toString(), 8);
    expect(new Uint8Array(tar.subarray(512, 512 + size))).toEqual(object);
    const listing = execFileSync("tar", ["-tzf", join(dir, "blobs", "sha256", m.layers[0]!.digest.slice(7))]).toString();
    expect(listing).toBe("xdp-counter.bpf.o\n");
  });

  it("gives equal digests for equal inputs (SOURCE_DATE_EPOCH) and refuses a non-empty directory", () => {
    const again = join(tmp, "img2");
    process.env.SOURCE_DATE_EPOCH = "1700000000";
    try {
      expect(build(again, "--tag", "v1").code).toBe(0);
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
    expect(readFileSync(join(again, "index.json"), "utf8")).toBe(readFileSync(join(dir, "index.json"), "utf8"));
    const used = build(dir);
    expect(used.code).toBe(1);
    expect(used.err).toMatch(/is not empty/);
    expect(build(join(tmp, "x")).code).toBe(0);
    const none = join(tmp, "none");
    mkdirSync(none);
    writeFileSync(join(none, "bad.bpf.ts"), "export const x = ;\n");
    const out: string[] = [];
    expect(
      imageCommand([join(none, "bad.bpf.ts"), "-o", join(none, "img")], { stdout: (s) => out.push(s), stderr: (s) => out.push(s) }),
    ).toBe(1);
    expect(imageCommand([SRC], { stdout: () => {}, stderr: () => {} })).toBe(2);
  });

  it("names program and map kinds the way bpfman does", () => {
    expect(programKind("xdp")).toBe("xdp");
    expect(programKind("tc")).toBe("tc");
    expect(programKind("classifier")).toBe("tc");
    expect(programKind("tracepoint/syscalls/sys_enter_getpid")).toBe("tracepoint");
    expect(programKind("raw_tp/sys_enter")).toBe("raw_tracepoint");
    expect(programKind("kprobe/do_sys_openat2")).toBe("probe");
    expect(programKind("uprobe/libc.so.6:getpid")).toBe("probe");
    expect(programKind("fentry/tcp_connect")).toBe("tracing");
    expect(programKind("cgroup_skb/egress")).toBe("cgroup_skb");
    expect(programKind("cgroup/connect4")).toBe("cgroup_sock_addr");
    expect(programKind("socket")).toBe("socket_filter");
    expect(mapKind(1)).toBe("hash");
    expect(mapKind(6)).toBe("per_cpu_array");
    expect(mapKind(10)).toBe("lru_per_cpu_hash");
    expect(mapKind(27)).toBe("ringbuf");
  });

  const skopeoIt = haveSkopeo() ? it : process.env.CI === "true" ? it : it.skip;
  if (!haveSkopeo()) console.warn("skopeo not found: the skopeo checks of tsbpf image are skipped (apt-get install skopeo)");
  skopeoIt("is read and copied by skopeo with the labels and layer digest", () => {
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const m = JSON.parse(blob(dir, index.manifests[0]!.digest).toString()) as Manifest;
    const info = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${dir}:v1`]).toString()) as {
      Digest: string;
      Labels: Record<string, string>;
      Layers: string[];
      Architecture: string;
      Os: string;
    };
    expect(info.Digest).toBe(index.manifests[0]!.digest);
    expect(info.Labels).toEqual({ "io.ebpf.programs": '{"xdp_counter":"xdp"}', "io.ebpf.maps": '{"counters":"per_cpu_array"}' });
    expect(info.Layers).toEqual([m.layers[0]!.digest]);
    expect(info.Os).toBe("linux");
    // skopeo copy checks every blob against its digest on the way.
    execFileSync("skopeo", ["copy", "-q", `oci:${dir}:v1`, `dir:${join(tmp, "copied")}`]);
    expect(readFileSync(join(tmp, "copied", m.layers[0]!.digest.slice(7)))).toEqual(blob(dir, m.layers[0]!.digest));
  });

  kernelTest("the object in the layer loads into the kernel", () => {
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const m = JSON.parse(blob(dir, index.manifests[0]!.digest).toString()) as Manifest;
    const tar = gunzipSync(blob(dir, m.layers[0]!.digest));
    const size = parseInt(tar.subarray(124, 136).toString(), 8);
    using obj = loadObject(new Uint8Array(tar.subarray(512, 512 + size)));
    expect([...obj.programs.keys()]).toEqual(["xdp_counter"]);
  });
});
