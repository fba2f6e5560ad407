// Builds the V8 start-up snapshot that makes a cold `tsbpf build` fast (run by `npm run prepare`
// after tsc): bundle snapshot-main.js with TypeScript into one CommonJS file (the snapshot builder
// only takes one script), then `node --build-snapshot` it. The blob only fits the node binary that
// built it, so its path is recorded beside it; bin/tsbpf checks it and otherwise runs the plain
// JavaScript entry. Any failure here leaves no snapshot and is not an error: start-up is just slower.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { V8_FLAGS } from "./v8-flags.js";

const here = dirname(fileURLToPath(import.meta.url)); // dist/compiler/tools
const outDir = resolve(here, "../../snapshot"); // dist/snapshot
const bundle = resolve(outDir, "tsbpf-snapshot.cjs");
const blob = resolve(outDir, "tsbpf.blob");

/**
 * ts-adapter loads typescript through createRequire (cheaper for plain Node), which esbuild cannot
 * follow; the snapshot builder must not load files itself, so the bundle gets a plain require.
 */
const bundleTypescript: import("esbuild").Plugin = {
  name: "tsbpf-bundle-typescript",
  setup(build) {
    build.onLoad({ filter: /[\\/]ts-adapter\.js$/ }, async (args) => {
      const text = readFileSync(args.path, "utf8");
      const local = /^const require = createRequire\(import\.meta\.url\);$/m;
      const load = /\b__require\("typescript"\)/;
      if (!local.test(text) || !load.test(text)) throw new Error(`${args.path}: the typescript require was not found`);
      return { contents: text.replace(local, "").replace(load, 'require("typescript")'), loader: "js" };
    });
  },
};

async function buildSnapshot(): Promise<string> {
  if (process.env.TSBPF_NO_SNAPSHOT) return "skipped (TSBPF_NO_SNAPSHOT is set)";
  let esbuild: typeof import("esbuild");
  try {
    esbuild = await import("esbuild");
  } catch {
    return "skipped: esbuild (a development dependency) is not installed";
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [resolve(here, "snapshot-main.js")],
    bundle: true,
    platform: "node",
    format: "cjs",
    outfile: bundle,
    // Only `build` runs from the snapshot; the runtime's native module stays out of it.
    external: ["koffi"],
    // The snapshot builder runs one CommonJS script; import.meta.url becomes this file's URL, so
    // the stdlib is found at dist/snapshot/../../stdlib as from dist/compiler/frontend.
    define: { "import.meta.url": "__tsbpf_import_meta_url" },
    banner: { js: 'var __tsbpf_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    // Minified, the snapshot is 14 MB instead of 32 (mostly the source text V8 keeps for functions
    // compiled on first use, and their names): a third less to deserialize at every start.
    minify: true,
    legalComments: "none",
    logLevel: "error",
    plugins: [bundleTypescript],
  });
  const r = spawnSync(process.execPath, [...V8_FLAGS, "--no-warnings", "--snapshot-blob", blob, "--build-snapshot", bundle], {
    encoding: "utf8",
  });
  if (r.status !== 0 || !existsSync(blob)) {
    rmSync(outDir, { recursive: true, force: true });
    return `failed (${r.error?.message ?? r.stderr.trim().split("\n").slice(-3).join(" | ")}); tsbpf starts without it`;
  }
  // A snapshot that cannot start would break `tsbpf build` (bin/tsbpf only falls back when node
  // refuses the blob outright), so try it once.
  const probe = spawnSync(process.execPath, [...V8_FLAGS, "--snapshot-blob", blob, "help"], { encoding: "utf8" });
  if (probe.status !== 0 || !probe.stdout.includes("tsbpf build")) {
    rmSync(outDir, { recursive: true, force: true });
    return `failed: the snapshot does not start (${probe.stderr.trim().split("\n").slice(0, 2).join(" | ")}); tsbpf starts without it`;
  }
  rmSync(bundle);
  // bin/tsbpf uses the blob only with this very node binary.
  writeFileSync(`${blob}.node`, `${process.execPath}\n`);
  return `built ${blob}`;
}

buildSnapshot().then(
  (msg) => process.stdout.write(`tsbpf start-up snapshot: ${msg}\n`),
  (e: Error) => {
    rmSync(outDir, { recursive: true, force: true });
    process.stdout.write(`tsbpf start-up snapshot: failed (${e.message}); tsbpf starts without it\n`);
  },
);
