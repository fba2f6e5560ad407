// Runs in a fresh network namespace (unshare -n, from test/sk-lookup-ports.test.ts): brings up lo,
// starts examples/sk-lookup-ports/user.ts (object file argv[2]) for a few seconds, connects to ports
// inside and outside its range once it has attached, and prints (as JSON) the answers and its output.

import { execFile, execFileSync } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
execFileSync("ip", ["link", "set", "lo", "up"], { stdio: "pipe" });

const args = ["--import", "tsx", join(root, "examples", "sk-lookup-ports", "user.ts"), "--ports", "7000-7009"];
const child = execFile(process.execPath, [...args, "--duration", "3", "--object", process.argv[2]!], { cwd: root, timeout: 30_000 });
let stdout = "";
child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
child.stderr!.on("data", (d: Buffer) => process.stderr.write(d));
const exited = new Promise<number | null>((r) => child.on("close", r));
for (let i = 0; i < 300 && !/^attached /m.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));

const dial = (p: number) =>
  new Promise<string>((resolve) => {
    const c = connect(p, "127.0.0.1");
    let got = "";
    c.on("data", (d: Buffer) => (got += d.toString()));
    c.on("end", () => resolve(got.trim()));
    c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });
const answers = [await dial(7000), await dial(7004), await dial(7009), await dial(7010)];
const code = await exited;
process.stdout.write(JSON.stringify({ answers, code, stdout }));
