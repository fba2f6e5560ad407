// The language-service plugin, driven the way an editor drives it: a ts.LanguageService over
// in-memory .bpf.ts files with the plugin wrapped around it (and, at the end, a real tsserver
// spoken to over its JSON protocol).

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import init from "../compiler/tools/ts-plugin.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const STDLIB = path.join(ROOT, "stdlib");
const DIR = path.join(ROOT, "test", "virtual-plugin-project");

/** The compiler options docs/language.md recommends for the BPF side of a project. */
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noLib: true,
  types: [],
  noEmit: true,
  allowImportingTsExtensions: true,
  paths: { "tsbpf/bpf": [path.join(STDLIB, "bpf.d.ts")] },
};

class Editor {
  files = new Map<string, { text: string; version: number }>();
  ls: ts.LanguageService;
  programs = new Set<ts.Program>();
  logs: string[] = [];

  constructor() {
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => OPTIONS,
      getScriptFileNames: () => [...this.files.keys(), path.join(STDLIB, "globals.d.ts")],
      getScriptVersion: (f) => String(this.files.get(f)?.version ?? 0),
      getScriptSnapshot: (f) => {
        const mem = this.files.get(f);
        if (mem) return ts.ScriptSnapshot.fromString(mem.text);
        return fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, "utf8")) : undefined;
      },
      getCurrentDirectory: () => DIR,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => this.files.has(f) || fs.existsSync(f),
      readFile: (f) => this.files.get(f)?.text ?? (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined),
    };
    const base = ts.createLanguageService(host, ts.createDocumentRegistry());
    const logs: string[] = (this.logs = []);
    const info = {
      languageService: base,
      languageServiceHost: host,
      project: { projectService: { logger: { info: (s: string) => logs.push(s) } } },
      config: {},
      serverHost: ts.sys,
    } as unknown as ts.server.PluginCreateInfo;
    this.ls = init({ typescript: ts }).create(info);
  }

  set(name: string, text: string): string {
    const f = path.join(DIR, name);
    this.files.set(f, { text, version: (this.files.get(f)?.version ?? 0) + 1 });
    return f;
  }

  diags(f: string) {
    this.programs.add(this.ls.getProgram()!);
    return this.ls.getSemanticDiagnostics(f).map((d) => ({
      code: d.code,
      source: d.source,
      start: d.start!,
      length: d.length!,
      text: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    }));
  }

  /** Applies the first fix named `fixName` for the diagnostic `d`; returns the new text. */
  applyFix(f: string, d: { code: number; start: number; length: number }, fixName: string): string {
    const fixes = this.ls.getCodeFixesAtPosition(f, d.start, d.start + d.length, [d.code], {}, {});
    const fix = fixes.find((x) => x.fixName === fixName);
    expect(fix, `no ${fixName} among ${fixes.map((x) => x.fixName).join(", ")}`).toBeDefined();
    let text = this.files.get(f)!.text;
    const edits = fix!.changes.flatMap((c) => c.textChanges).sort((a, b) => b.span.start - a.span.start);
    for (const e of edits) text = text.slice(0, e.span.start) + e.newText + text.slice(e.span.start + e.span.length);
    this.set(path.basename(f), text);
    return text;
  }
}

const LOOP = `import { xdp, XdpAction, type u32 } from "tsbpf/bpf";

export const prog = xdp((ctx) => {
  let x: u32 = 0;
  while (x < ctx.len) { x++; }
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
`;

describe("ts-plugin in a LanguageService", () => {
  it("adds tsbpf's diagnostics with code, span, source and hint to tsc's", () => {
    const ed = new Editor();
    const f = ed.set("loop.bpf.ts", LOOP);
    const d = ed.diags(f);
    expect(d, ed.logs.join("\n")).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 2001, source: "tsbpf", start: LOOP.indexOf("x < ctx.len"), length: "x < ctx.len".length });
    expect(d[0].text).toBe(
      "this loop's bound is not a compile-time constant\nhint: loop as for (let i = A; i < N; i++) with constant A and N and no other writes to i",
    );
  });

  it("reports verifier-rule errors found by the back end (call-chain stack) and only in .bpf.ts files", () => {
    const ed = new Editor();
    const src = `import { xdp, XdpAction, ArrayMap, zero, type u32, type u64, type FixedArray } from "tsbpf/bpf";
interface Big { a: FixedArray<u64, 40> }
const bigs = new ArrayMap<u64>(1);
/** @noinline */
function leaf(x: u32): u32 {
  const b: Big = zero<Big>();
  b.a[x & 31] = 1;
  bigs.update(0, b.a[3]);
  return 0;
}
export const prog = xdp((ctx) => {
  const b: Big = zero<Big>();
  b.a[ctx.len & 31] = 2;
  bigs.update(0, b.a[5]);
  return leaf(ctx.len) === 0 ? XdpAction.PASS : XdpAction.DROP;
});
export const LICENSE = "GPL";
`;
    const f = ed.set("stack.bpf.ts", src);
    const d = ed.diags(f);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 2028, source: "tsbpf", start: src.indexOf("prog = xdp"), length: 4 });
    expect(d[0].text).toMatch(/'prog' needs \d+ bytes of stack along prog -> leaf/);
    const plain = ed.set("plain.ts", LOOP);
    expect(ed.diags(plain).filter((x) => x.source === "tsbpf")).toEqual([]);
  });

  it("a module imported by a .bpf.ts file shows the errors compiling its importer finds in it; other .ts files get no fixes", () => {
    const ed = new Editor();
    const common = ed.set(
      "common.ts",
      `import type { u32 } from "tsbpf/bpf";\nexport const LIMIT = 8;\n/** @noinline */\nexport function spin(n: u32): u32 {\n  let x: u32 = 0;\n  while (x < n) { x++; }\n  return x;\n}\n`,
    );
    const entry = ed.set(
      "entry.bpf.ts",
      `import { xdp, XdpAction } from "tsbpf/bpf";\nimport { spin, LIMIT } from "./common.ts";\nexport const prog = xdp((ctx) => (spin(ctx.len) > LIMIT ? XdpAction.DROP : XdpAction.PASS));\nexport const LICENSE = "GPL";\n`,
    );
    const inModule = ed.diags(common);
    expect(inModule).toEqual([expect.objectContaining({ code: 2001, source: "tsbpf", text: expect.stringContaining("loop's bound") })]);
    expect(ed.diags(entry)).toEqual([]);
    const user = ed.set("user.ts", `export function f(x: { a: number } | null) { return x.a; }\n`);
    const [d] = ed.ls.getSemanticDiagnostics(user);
    const fixes = ed.ls.getCodeFixesAtPosition(user, d.start!, d.start! + d.length!, [d.code], {}, {});
    expect(fixes.filter((f) => f.fixName.startsWith("tsbpf"))).toEqual([]);
  });

  it("compiles a file again only when it or a module it imports changed", () => {
    const ed = new Editor();
    const lib = ed.set("lib.ts", `export const LIMIT = 8;\n`);
    const a = ed.set("a.bpf.ts", LOOP);
    const b = ed.set(
      "b.bpf.ts",
      `import { xdp, XdpAction } from "tsbpf/bpf";\nimport { LIMIT } from "./lib.ts";\nexport const prog = xdp((ctx) => (ctx.len > LIMIT ? XdpAction.DROP : XdpAction.PASS));\nexport const LICENSE = "GPL";\n`,
    );
    const compiles = () =>
      ed.logs.filter((l) => / diagnostics in /.test(l)).map((l) => path.basename(l.split(":")[0].replace("[tsbpf] ", "")));
    ed.diags(a);
    ed.diags(b);
    expect(compiles()).toEqual(["a.bpf.ts", "b.bpf.ts"]);
    ed.set("a.bpf.ts", LOOP + "\n"); // edit a: b is not compiled again
    ed.diags(a);
    ed.diags(b);
    expect(compiles()).toEqual(["a.bpf.ts", "b.bpf.ts", "a.bpf.ts"]);
    ed.set("lib.ts", `export const LIMIT = 9;\n`); // edit b's import: b is
    ed.diags(a);
    ed.diags(b);
    expect(compiles()).toEqual(["a.bpf.ts", "b.bpf.ts", "a.bpf.ts", "b.bpf.ts"]);
    void lib;
  });

  it("reuses the editor's program: one program per edit, and a cached answer for the same version", () => {
    const ed = new Editor();
    const f = ed.set("loop.bpf.ts", LOOP);
    const p1 = ed.ls.getProgram()!;
    ed.diags(f);
    const again = ed.diags(f);
    expect(ed.ls.getProgram()).toBe(p1);
    expect(again).toHaveLength(1);
    ed.set("loop.bpf.ts", LOOP.replace("while (x < ctx.len) { x++; }", "for (let i: u32 = 0; i < 4; i++) { x++; }"));
    expect(ed.diags(f)).toEqual([]);
    expect(ed.programs.size).toBe(2);
  });

  it("quick fix: add LICENSE", () => {
    const ed = new Editor();
    const src = LOOP.replace(`\nexport const LICENSE = "GPL";\n`, "").replace("while (x < ctx.len) { x++; }", "");
    const f = ed.set("nolicense.bpf.ts", src);
    const [d] = ed.diags(f);
    expect(d.code).toBe(3001);
    const text = ed.applyFix(f, d, "tsbpfAddLicense");
    expect(text).toContain(`export const LICENSE = "GPL";`);
    expect(ed.diags(f)).toEqual([]);
  });

  it("quick fix: add the null check around a use of a possibly-null lookup", () => {
    const ed = new Editor();
    const src = `import { xdp, XdpAction, ArrayMap, type u64 } from "tsbpf/bpf";
interface Counter { packets: u64; }
const counters = new ArrayMap<Counter>(4);
export const prog = xdp((ctx) => {
  const c = counters.lookup(0);
  c.packets += 1;
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    const f = ed.set("null.bpf.ts", src);
    const [d] = ed.diags(f);
    expect(d.code).toBe(18047);
    const text = ed.applyFix(f, d, "tsbpfAddNullCheck");
    expect(text).toContain("  if (c !== null) {\n    c.packets += 1;\n  }");
    expect(ed.diags(f)).toEqual([]);
  });

  it("quick fix: a non-null assertion becomes a null check", () => {
    const ed = new Editor();
    const src = `import { xdp, XdpAction, ArrayMap, type u64 } from "tsbpf/bpf";
interface Counter { packets: u64; }
const counters = new ArrayMap<Counter>(4);
export const prog = xdp((ctx) => {
  const c = counters.lookup(0);
  c!.packets += 1;
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    const f = ed.set("bang.bpf.ts", src);
    const d = ed.diags(f).find((x) => x.code === 1036)!;
    expect(d).toBeDefined();
    const text = ed.applyFix(f, d, "tsbpfAddNullCheck");
    expect(text).toContain("if (c !== null) {\n    c.packets += 1;\n  }");
    expect(ed.diags(f)).toEqual([]);
  });

  it("quick fix: a narrowing becomes an explicit conversion, imported when needed", () => {
    const ed = new Editor();
    const src = `import { xdp, XdpAction, ktimeGetNs, type u32 } from "tsbpf/bpf";
let last: u32 = 0;
export const prog = xdp((ctx) => {
  const t: u32 = ktimeGetNs();
  last = t;
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
    const f = ed.set("narrow.bpf.ts", src);
    const [d] = ed.diags(f);
    expect(d.code).toBe(2322);
    const text = ed.applyFix(f, d, "tsbpfConvert");
    expect(text).toContain("const t: u32 = u32(ktimeGetNs());");
    expect(text).toContain("import { xdp, XdpAction, ktimeGetNs, u32 } from");
    expect(ed.diags(f)).toEqual([]);
  });

  it("quick fix: 'as' on an integer becomes a conversion", () => {
    const ed = new Editor();
    const src = `import { xdp, XdpAction, u8 } from "tsbpf/bpf";
export const prog = xdp((ctx) => {
  const b = ctx.len as u8;
  return b > 3 ? XdpAction.PASS : XdpAction.DROP;
});
export const LICENSE = "GPL";
`;
    const f = ed.set("as.bpf.ts", src);
    const d = ed.diags(f).find((x) => x.code === 1037)!;
    expect(d).toBeDefined();
    const text = ed.applyFix(f, d, "tsbpfConvert");
    expect(text).toContain("const b = u8(ctx.len);");
    expect(ed.diags(f)).toEqual([]);
  });
});

describe("ts-plugin in tsserver", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsbpf-tsserver-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("loads from a tsconfig's plugins and returns tsbpf diagnostics over the protocol", async () => {
    // A user project: node_modules/tsbpf is this package (dist/ must be built).
    expect(fs.existsSync(path.join(ROOT, "dist", "compiler", "tools", "ts-plugin.js"))).toBe(true);
    fs.mkdirSync(path.join(tmp, "node_modules"));
    fs.symlinkSync(ROOT, path.join(tmp, "node_modules", "tsbpf"));
    fs.writeFileSync(
      path.join(tmp, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "ESNext",
          moduleResolution: "Bundler",
          strict: true,
          noLib: true,
          types: [],
          noEmit: true,
          plugins: [{ name: "tsbpf/ts-plugin" }],
        },
        files: ["./node_modules/tsbpf/stdlib/globals.d.ts"],
        include: ["**/*.bpf.ts"],
      }),
    );
    const file = path.join(tmp, "loop.bpf.ts");
    fs.writeFileSync(file, LOOP);
    const server = spawn(
      process.execPath,
      [
        path.join(ROOT, "node_modules", "typescript", "lib", "tsserver.js"),
        "--disableAutomaticTypingAcquisition",
        "--pluginProbeLocations",
        tmp,
        "--allowLocalPluginLoads",
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    try {
      let buf = "";
      const waiting: ((m: any) => boolean)[] = [];
      const seen: any[] = [];
      server.stdout.setEncoding("utf8");
      server.stdout.on("data", (chunk: string) => {
        buf += chunk;
        for (;;) {
          const m = /Content-Length: (\d+)\r\n\r\n/.exec(buf);
          if (!m) break;
          const start = m.index + m[0].length;
          const len = Number(m[1]);
          if (Buffer.byteLength(buf.slice(start)) < len) break;
          const body = Buffer.from(buf.slice(start)).subarray(0, len).toString();
          buf = Buffer.from(buf.slice(start)).subarray(len).toString();
          const msg = JSON.parse(body);
          seen.push(msg);
          for (let i = waiting.length - 1; i >= 0; i--) if (waiting[i](msg)) waiting.splice(i, 1);
        }
      });
      let seq = 0;
      const send = (command: string, args: object) =>
        server.stdin.write(JSON.stringify({ seq: ++seq, type: "request", command, arguments: args }) + "\n");
      const until = (pred: (m: any) => boolean) =>
        new Promise<any>((resolve, reject) => {
          const hit = seen.find(pred);
          if (hit) return resolve(hit);
          const t = setTimeout(() => reject(new Error(`tsserver: no answer; saw ${JSON.stringify(seen).slice(0, 2000)}`)), 50_000);
          waiting.push((m) => (pred(m) ? (clearTimeout(t), resolve(m), true) : false));
        });
      send("open", { file, fileContent: LOOP, projectRootPath: tmp });
      send("semanticDiagnosticsSync", { file });
      const res = await until((m) => m.type === "response" && m.command === "semanticDiagnosticsSync");
      expect(res.success).toBe(true);
      const d = res.body.find((x: any) => x.code === 2001);
      expect(d, JSON.stringify(res.body)).toBeDefined();
      expect(d).toMatchObject({ source: "tsbpf", start: { line: 5, offset: 10 }, end: { line: 5, offset: 21 } });
      expect(d.text).toContain("this loop's bound is not a compile-time constant");
      send("getSupportedCodeFixes", { file });
      const fixes = await until((m) => m.type === "response" && m.command === "getSupportedCodeFixes");
      expect(fixes.body).toContain("3001");
    } finally {
      server.kill();
    }
  }, 60_000);
});
