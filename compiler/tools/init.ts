// `tsbpf init [dir]`: a small ready project from templates/init/ — an XDP program with its
// kernel-side tsconfig (and the editor plugin), user space with its own tsconfig, a vitest test
// using tsbpf/testing, and package.json scripts build, gen, check, test, start.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const INIT_USAGE = "  tsbpf init [dir] [--force]";

const here = dirname(fileURLToPath(import.meta.url));

/** The package root: compiler/tools/.. in the source tree, dist/compiler/tools/../.. when built. */
function packageRoot(): string {
  for (const c of [resolve(here, "../.."), resolve(here, "../../..")]) {
    if (existsSync(join(c, "templates", "init")) && existsSync(join(c, "package.json"))) return c;
  }
  throw new Error("internal: tsbpf templates/init not found next to the compiler");
}

function files(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p, base) : [relative(base, p)];
  });
}

/** Template file name -> project file name (npm drops dot files like .gitignore from packages). */
const target = (f: string) => (f === "gitignore" ? ".gitignore" : f);

export function initCommand(args: string[]): number {
  let dir: string | undefined;
  let force = false;
  for (const a of args) {
    if (a === "--force") force = true;
    else if (a.startsWith("-")) {
      process.stderr.write(`error: unknown option ${a}\nusage:\n${INIT_USAGE}\n`);
      return 2;
    } else if (dir === undefined) dir = a;
    else {
      process.stderr.write(`usage:\n${INIT_USAGE}\n`);
      return 2;
    }
  }
  const root = packageRoot();
  const tpl = join(root, "templates", "init");
  const dest = resolve(dir ?? ".");
  const list = files(tpl);
  const clash = list.map(target).filter((f) => existsSync(join(dest, f)));
  if (clash.length && !force) {
    process.stderr.write(`error: ${dir ?? "."} already has ${clash.join(", ")}; nothing written (--force overwrites them)\n`);
    return 1;
  }
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    version: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const name =
    basename(dest)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[._-]+/, "") || "bpf-project";
  const vars: Record<string, string> = {
    name,
    tsbpfVersion: `^${pkg.version}`,
    typescriptVersion: pkg.dependencies?.typescript ?? "^6.0.0",
    vitestVersion: pkg.devDependencies?.vitest ?? "^4.0.0",
  };
  for (const f of list) {
    const out = join(dest, target(f));
    mkdirSync(dirname(out), { recursive: true });
    const text = readFileSync(join(tpl, f), "utf8").replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m);
    writeFileSync(out, text);
  }
  const cd = dir && dir !== "." ? `cd ${dir} && ` : "";
  process.stdout.write(
    `created ${list.length} files in ${dir ?? "."}:\n${list.map((f) => `  ${target(f)}`).join("\n")}\n\n` +
      `next:\n  ${cd}npm install\n  npm test            # builds bpf/counter.bpf.o, generates src/counter.skel.ts, runs the tests\n` +
      `  sudo npm start -- <interface>\n`,
  );
  return 0;
}
