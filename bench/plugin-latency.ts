// Editor latency of the tsbpf language-service plugin on a generated 500-line .bpf.ts file: the time
// getSemanticDiagnostics takes after a one-character edit, with the plugin and without it (tsc
// only), the way tsserver asks after every keystroke. Run: node --import tsx bench/plugin-latency.ts

import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import init from "../compiler/tools/ts-plugin.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const STDLIB = path.join(ROOT, "stdlib");
const FILE = path.join(ROOT, "bench", "virtual", "big.bpf.ts");

/** ~500 lines: 24 helper functions (half @noinline) of ~16 lines, one XDP program calling them. */
export function bigSource(): string {
  const out = [`import { xdp, XdpAction, HashMap, ETH_P_IP, htons, type u32, type u64, type EthHdr, type Ipv4Hdr } from "tsbpf/bpf";`, ``];
  out.push(`interface Stat { packets: u64; bytes: u64; drops: u64; }`, `const stats = new HashMap<u32, Stat>(1024);`, ``);
  const N = 24;
  for (let i = 0; i < N; i++) {
    if (i % 2 === 0) out.push(`/** @noinline */`);
    out.push(
      `function step${i}(x: u32, len: u32): u32 {`,
      `  let acc: u32 = x ^ ${i * 7919};`,
      `  for (let k: u32 = 0; k < 4; k++) {`,
      `    acc = acc * 31 + k + ${i};`,
      `    if ((acc & 1) === 1) {`,
      `      acc = acc >> 1;`,
      `    } else {`,
      `      acc = acc + len;`,
      `    }`,
      `  }`,
      `  const s = stats.lookup(acc & 1023);`,
      `  if (s !== null) {`,
      `    s.packets += 1;`,
      `    s.bytes += len;`,
      `  }`,
      `  return acc;`,
      `}`,
      ``,
    );
  }
  out.push(`export const prog = xdp((ctx) => {`, `  const eth = ctx.header<EthHdr>(0);`, `  if (eth === null) return XdpAction.PASS;`);
  out.push(
    `  if (eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;`,
    `  const ip = ctx.header<Ipv4Hdr>(14);`,
    `  if (ip === null) return XdpAction.PASS;`,
  );
  out.push(`  let h: u32 = ip.saddr;`);
  for (let i = 0; i < N; i++) out.push(`  h = step${i}(h, ctx.len);`);
  out.push(`  return (h & 3) === 0 ? XdpAction.DROP : XdpAction.PASS;`, `});`, ``, `export const LICENSE = "GPL";`);
  while (out.length < 500) out.push(`// padding line ${out.length}`);
  return out.join("\n") + "\n";
}

function service(text: () => string, version: () => number, withPlugin: boolean): ts.LanguageService {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noLib: true,
    types: [],
    noEmit: true,
    paths: { "tsbpf/bpf": [path.join(STDLIB, "bpf.d.ts")] },
  };
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => [FILE, path.join(STDLIB, "globals.d.ts")],
    getScriptVersion: (f) => (f === FILE ? String(version()) : "1"),
    getScriptSnapshot: (f) =>
      f === FILE
        ? ts.ScriptSnapshot.fromString(text())
        : fs.existsSync(f)
          ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, "utf8"))
          : undefined,
    getCurrentDirectory: () => ROOT,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => f === FILE || fs.existsSync(f),
    readFile: (f) => (f === FILE ? text() : fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined),
  };
  const ls = ts.createLanguageService(host, ts.createDocumentRegistry());
  if (!withPlugin) return ls;
  const info = {
    languageService: ls,
    languageServiceHost: host,
    project: undefined,
    config: {},
    serverHost: ts.sys,
  } as unknown as ts.server.PluginCreateInfo;
  return init({ typescript: ts }).create(info);
}

function measure(withPlugin: boolean, rounds: number): { cold: number; median: number; p90: number; diags: number } {
  const base = bigSource();
  let v = 1;
  let text = base;
  const ls = service(
    () => text,
    () => v,
    withPlugin,
  );
  let t = performance.now();
  let diags = ls.getSemanticDiagnostics(FILE).length;
  const cold = performance.now() - t;
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // One keystroke: a different constant in one function.
    text = base.replace("acc * 31", `acc * ${33 + (i % 50)}`);
    v++;
    t = performance.now();
    diags = ls.getSemanticDiagnostics(FILE).length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { cold, median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)], diags };
}

const lines = bigSource().split("\n").length - 1;
const rounds = Number(process.argv[2] ?? 30);
const tscOnly = measure(false, rounds);
const plugin = measure(true, rounds);
const fmt = (r: typeof tscOnly) =>
  `cold ${r.cold.toFixed(0)} ms, per edit median ${r.median.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms (${r.diags} diagnostics)`;
console.log(`plugin latency on a ${lines}-line .bpf.ts file, ${rounds} edits`);
console.log(`  tsc only:        ${fmt(tscOnly)}`);
console.log(`  tsc + tsbpf:     ${fmt(plugin)}`);
console.log(`  tsbpf's share:   median ${(plugin.median - tscOnly.median).toFixed(1)} ms per edit`);
