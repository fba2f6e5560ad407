// Bundler plugin: a real vite build of a temp project whose entry imports xdp-counter.bpf.ts?bpf
// embeds the compiled object; the built module loads and runs it with BPF_PROG_TEST_RUN. A source
// error fails the build with the formatted diagnostic (code and location), not a stack trace.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { bpfModuleCode, tsbpf } from "../compiler/tools/bundler-plugin.js";
import type { BpfImportObject } from "../compiler/tools/bundler-plugin.js";
import { describeKernel } from "./kernel-env.js";

const root = resolve(import.meta.dirname, "..");
const RUNTIME = join(root, "runtime", "index.js");
const COUNTER_SRC = join(root, "examples", "xdp-counter", "xdp-counter.bpf.ts");
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-bundler-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The runtime stays an import of the repository's runtime (vitest resolves it and koffi). */
const externalRuntime: Plugin = {
  name: "external-runtime",
  enforce: "pre",
  resolveId: (id) => (id === RUNTIME ? { id, external: true } : null),
};

/** Build `entry` (SSR/library output, one ES module) into `<dir>/out`; the output file's path. */
async function bundle(dir: string, entry: string, opts: { verify?: boolean } = {}): Promise<string> {
  const outDir = join(dir, "out");
  const result = await build({
    root: dir,
    configFile: false,
    logLevel: "silent",
    plugins: [tsbpf.vite({ runtime: RUNTIME, ...opts }), externalRuntime],
    build: { ssr: join(dir, entry), outDir, write: true, emptyOutDir: true, minify: false },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as { output: { type: string; fileName: string; isEntry?: boolean }[] }[];
  const chunk = outputs.flatMap((o) => o.output).find((c) => c.type === "chunk" && c.isEntry);
  if (!chunk) throw new Error("vite build produced no entry chunk");
  return join(outDir, chunk.fileName);
}

function project(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

const ENTRY = `import load, { object, load as loadFrom } from "${COUNTER_SRC}?bpf";
export { load, object, loadFrom };
`;

describe("bundler plugin", () => {
  let out = "";
  beforeAll(async () => {
    out = await bundle(project("ok", { "main.ts": ENTRY }), "main.ts");
  }, 60_000);

  it("embeds the compiled object in the bundle", async () => {
    const text = readFileSync(out, "utf8");
    expect(text).not.toContain("xdp-counter.bpf.o");
    expect(text).not.toMatch(/tsbpf\/compiler|typescript/);
    const mod = (await import(pathToFileURL(out).href)) as { object: Uint8Array; load: unknown; loadFrom: unknown };
    const expected = compile(COUNTER_SRC, readFileSync(COUNTER_SRC, "utf8")).object!;
    expect(Buffer.from(mod.object).equals(Buffer.from(expected))).toBe(true);
    expect(typeof mod.load).toBe("function");
    expect(typeof mod.loadFrom).toBe("function");
  });

  it("resolves a relative ?bpf import next to the importer", async () => {
    const dir = project("relative", { "main.ts": `export { object } from "./prog.bpf.ts?bpf";\n` });
    copyFileSync(COUNTER_SRC, join(dir, "prog.bpf.ts"));
    const mod = (await import(pathToFileURL(await bundle(dir, "main.ts")).href)) as { object: Uint8Array };
    expect([...mod.object.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]); // ELF
  }, 60_000);

  it("fails the build with the formatted diagnostic on a source error", async () => {
    const bad = `import { xdp, XdpAction } from "tsbpf/bpf";

export const prog = xdp((ctx) => {
  let x = 0;
  while (x < ctx.len) x++;
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
`;
    const dir = project("bad", { "main.ts": `export { object } from "./bad.bpf.ts?bpf";\n`, "bad.bpf.ts": bad });
    const err = await bundle(dir, "main.ts").then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/bad\.bpf\.ts:5:\d+ - error TSBPF2001: /);
    expect(err!.message).toContain("while (x < ctx.len) x++;");
  }, 60_000);

  it("bpfModuleCode throws a stackless error listing every diagnostic", () => {
    let caught: Error | undefined;
    try {
      bpfModuleCode(join(tmp, "bad", "bad.bpf.ts"), readFileSync(join(tmp, "bad", "bad.bpf.ts"), "utf8"));
    } catch (e) {
      caught = e as Error;
    }
    expect(caught?.message).toContain("TSBPF2001");
    expect(caught?.stack).not.toMatch(/\n\s+at /);
  });

  it("verify: a process without bpf() fails the build saying so; a kernel warning becomes a bundler warning", () => {
    const file = join(tmp, "bad", "ok.bpf.ts");
    const text = readFileSync(COUNTER_SRC, "utf8");
    expect(() => bpfModuleCode(file, text, { verify: true }, () => ({ ok: false, unavailable: "EPERM (not root, no CAP_BPF)" }))).toThrow(
      /ok\.bpf\.ts: the tsbpf plugin's verify option needs the bpf\(\) system call, and this build process cannot use it: EPERM/,
    );
    const warned = bpfModuleCode(file, text, { verify: true }, (f) => ({
      ok: false,
      diagnostics: [
        {
          code: "TSBPF2206",
          severity: "warning",
          message: "the kernel did not load 'xdp_counter': EPERM",
          hint: "",
          file: f,
          start: 0,
          length: 1,
          line: 1,
          col: 1,
        },
      ],
    }));
    expect(warned.warnings.join("\n")).toContain("TSBPF2206");
    expect(warned.code).toContain("__tsbpf_object");
  });

  describeKernel("verify: true loads each object into the kernel at build time", () => {
    it("a program the kernel accepts builds", async () => {
      const dir = project("verified", { "main.ts": `export { object } from "./prog.bpf.ts?bpf";\n` });
      copyFileSync(COUNTER_SRC, join(dir, "prog.bpf.ts"));
      const mod = (await import(pathToFileURL(await bundle(dir, "main.ts", { verify: true })).href)) as { object: Uint8Array };
      expect([...mod.object.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    }, 60_000);

    it("a program the kernel refuses fails the build at its TypeScript line (TSBPF2205)", async () => {
      // A fuzzer program the cost estimate misses: it compiles with no warning, and the kernel refuses it.
      const dir = project("refused", { "main.ts": `export { object } from "./refused.bpf.ts?bpf";\n` });
      copyFileSync(join(root, "test", "fixtures", "verifier-cost", "unwarned-seed20261290-3067.bpf.ts"), join(dir, "refused.bpf.ts"));
      const err = await bundle(dir, "main.ts", { verify: true }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(/refused\.bpf\.ts:\d+:\d+ - error TSBPF2205: /);
      expect(err!.message).toContain("the kernel refused");
    }, 120_000);
  });

  describeKernel("the built module in the kernel", () => {
    it("loads the embedded object and runs xdp_counter once", async () => {
      const mod = (await import(pathToFileURL(out).href)) as { load: (opts?: object) => BpfImportObject };
      using obj = mod.load();
      const r = obj.programs.xdp_counter!.run({ data: new Uint8Array(64) });
      expect(r.retval).toBe(2); // XDP_PASS
      expect(Object.keys(obj.maps)).toEqual(["counters"]);
    });

    it("load() without a source also takes the embedded object", async () => {
      const mod = (await import(pathToFileURL(out).href)) as { loadFrom: (src?: string | Uint8Array) => BpfImportObject };
      using obj = mod.loadFrom();
      expect(obj.programs.xdp_counter!.run({ data: new Uint8Array(64) }).retval).toBe(2);
    });
  });
});
