// The user-space programs next to the examples (examples/*/user.ts): their committed skeletons are
// what `tsbpf gen` writes today, they type-check against the package's own exports (`tsbpf/runtime`,
// `tsbpf/compiler`), and, run as child processes with `node --import tsx`, they attach to a veth
// whose other end lives in a network namespace of this test, report the real traffic sent across
// (pings, TCP and UDP from `ip netns exec`) and detach on --duration or SIGINT.

import { execFile, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/compile.js";
import { skeletonFor } from "../compiler/tools/skeleton.js";
import { describeKernel } from "./kernel-env.js";
import { VethNetns } from "./support/bpf-c.js";

const root = resolve(import.meta.dirname, "..");
const EXAMPLES = [
  "xdp-pass",
  "xdp-counter",
  "socket-filter-tcp",
  "firewall",
  "lpm-blocklist",
  "tail-call-dispatcher",
  "xdp-redirect",
  "connect4-policy",
  "udp-ports",
  "flow-timeout",
  "sk-lookup-ports",
  "sockmap-redirect",
  "ip-sizes",
  "scan-guard",
] as const;
const userPath = (name: string): string => join(root, "examples", name, "user.ts");
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-user-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("example user programs: sources", () => {
  it.each(EXAMPLES)("%s.skel.ts is what `tsbpf gen` generates now", (name) => {
    const src = join(root, "examples", name, `${name}.bpf.ts`);
    const { text } = skeletonFor(src, readFileSync(src, "utf8"), { objectPath: `./${name}.bpf.o` });
    expect(text).not.toBeNull();
    const committed = readFileSync(join(root, "examples", name, `${name}.skel.ts`), "utf8");
    // On a mismatch: `npx tsbpf gen examples/NAME/NAME.bpf.ts` from the repository root.
    expect(committed).toBe(text);
  });

  it("user.ts files type-check against the package exports (strict, NodeNext)", () => {
    const tsconfig = join(tmp, "tsconfig.json");
    writeFileSync(
      tsconfig,
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          noUnusedLocals: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(root, "node_modules", "@types")],
        },
        files: EXAMPLES.map(userPath),
      }),
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    let output = "";
    try {
      execFileSync(process.execPath, [tsc, "-p", tsconfig], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      output = `${err.stdout ?? ""}${err.stderr ?? ""}`;
    }
    expect(output).toBe("");
  }, 30_000);
});

const sh = promisify(execFile);

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Start `node --import tsx examples/NAME/user.ts ARGS...`, wait for its "attached" line, run
 * `traffic(child)`, then wait for it to exit (on --duration, or whatever `traffic` did).
 */
async function runUser(
  name: string,
  args: string[],
  traffic: (child: ChildProcess, waitFor: (re: RegExp) => Promise<void>) => Promise<unknown>,
): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  let child!: ChildProcess;
  const exited = new Promise<Finished>((resolveExit) => {
    child = execFile(process.execPath, ["--import", "tsx", userPath(name), ...args], { cwd: root, timeout: 50_000 });
    child.on("close", (code, signal) => resolveExit({ code, signal, stdout, stderr })); // after stdout/stderr end
  });
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  /** Resolves once stdout matches `re`; rejects if the program exits first. */
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise<void>((ok, fail) => {
      const check = (): void => {
        if (re.test(stdout)) ok();
      };
      child.stdout!.on("data", check);
      check();
      void exited.then((f) => fail(new Error(`${name}/user.ts exited (code ${f.code}) before printing ${re}:\n${f.stdout}${f.stderr}`)));
    });
  await waitFor(/^attached /m);
  try {
    await traffic(child, waitFor);
  } catch (e) {
    child.kill("SIGINT"); // detach and exit now, not at the child's timeout
    await exited;
    throw e;
  }
  return exited;
}

/**
 * Compile examples/NAME/NAME.bpf.ts into the temp dir and return the object's path, for runs with
 * --object: a child that compiles loads the TypeScript compiler, seconds of CPU on a loaded machine,
 * so only two of the runs below take that path.
 */
function prebuilt(name: string): string {
  const src = join(root, "examples", name, `${name}.bpf.ts`);
  const r = compile(src, readFileSync(src, "utf8"));
  expect(r.ok).toBe(true);
  const object = join(tmp, `${name}.bpf.o`);
  writeFileSync(object, r.object!);
  return object;
}

/** The line starting with `total` (printed after the last tick, before detaching). */
function totalLine(out: string): string {
  const line = out.split("\n").find((l) => l.startsWith("total"));
  expect(line, out).toBeDefined();
  return line!;
}

interface Net {
  net: VethNetns;
  /** A second address of the namespace's end, for the firewall's source rule. */
  extraIp: string;
  ping(count: number, from?: string): Promise<boolean>;
  /** Connect to the host end (bash's /dev/tcp), giving up after 1 s; true if it connected. */
  tcp(port: number): Promise<boolean>;
  /** Send one datagram "hi\n" to the host end. */
  udp(port: number): Promise<boolean>;
}

/** Run `argv` inside the namespace; resolves to true when it exited 0. */
async function inNs(net: VethNetns, argv: string[]): Promise<boolean> {
  try {
    await sh("ip", ["netns", "exec", net.ns, ...argv], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

describeKernel("example user programs on a veth", () => {
  // Each test has its own veth pair and namespace (the XDP programs would clash on one interface),
  // so they run concurrently: most of each test is the program's three seconds of --duration.
  const nets: VethNetns[] = [];
  /** A veth pair with one end in a fresh namespace; the namespace also gets `peerIp` .3 as a second address. */
  const makeNet = (tag: string): Net => {
    const net = new VethNetns(tag);
    nets.push(net);
    net.create();
    const extraIp = net.peerIp.replace(/\.2$/, ".3");
    execFileSync("ip", ["-n", net.ns, "addr", "add", `${extraIp}/24`, "dev", net.peer]);
    const ping = (count: number, from?: string): Promise<boolean> =>
      inNs(net, ["ping", "-c", String(count), "-i", "0.2", "-W", "1", "-q", ...(from ? ["-I", from] : []), net.hostIp]);
    const tcp = (port: number): Promise<boolean> => inNs(net, ["timeout", "1", "bash", "-c", `echo > /dev/tcp/${net.hostIp}/${port}`]);
    const udp = (port: number): Promise<boolean> => inNs(net, ["bash", "-c", `echo hi > /dev/udp/${net.hostIp}/${port}`]);
    return { net, extraIp, ping, tcp, udp };
  };
  afterAll(() => {
    for (const net of nets) net.destroy();
  });

  describe.concurrent("each program", () => {
    it("xdp-pass (prebuilt object): traffic still flows while attached", async () => {
      const { net, ping } = makeNet("u");
      const out = await runUser("xdp-pass", [net.host, "--duration", "3", "--object", prebuilt("xdp-pass")], async () => {
        expect(net.hostLink()).toMatch(/xdpgeneric/);
        expect(await ping(3)).toBe(true);
      });
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(new RegExp(`^attached xdp_pass to xdp:${net.host} \\(generic\\)`));
      const received = Number(/received (\d+) packets? while/.exec(totalLine(out.stdout))?.[1]);
      expect(received).toBeGreaterThanOrEqual(3);
      expect(out.stdout).toMatch(/\ndetached\n$/);
      expect(net.hostLink()).not.toMatch(/xdp/);
    });

    it("xdp-counter (compiled by user.ts): ICMP, TCP and UDP counts summed over CPUs, every second", async () => {
      const { net, ping, tcp, udp } = makeNet("v");
      const out = await runUser("xdp-counter", [net.host, "--duration", "3"], async () => {
        expect(await ping(3)).toBe(true);
        expect(await tcp(9)).toBe(false); // refused: one SYN in
        await udp(9999);
      });
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^ {3}1s {2}/m);
      const total = totalLine(out.stdout);
      expect(total).toMatch(/ICMP: 3 packets, 294 bytes/); // 3 echo requests of 98 bytes
      expect(total).toMatch(/TCP: [1-9]\d* packets?, \d+ bytes/);
      expect(total).toMatch(/UDP: 1 packet, \d+ bytes/);
      expect(out.stdout).toMatch(/\ndetached\n$/);
      expect(net.hostLink()).not.toMatch(/xdp/);
    });

    it("xdp-counter (prebuilt object): SIGINT detaches and exits 0", async () => {
      const { net, ping } = makeNet("w");
      const out = await runUser("xdp-counter", [net.host, "--object", prebuilt("xdp-counter")], async (child, waitFor) => {
        expect(await ping(2)).toBe(true);
        await waitFor(/^ +\d+s {2}ICMP: 2 packets, 196 bytes$/m); // a tick after the pings
        child.kill("SIGINT");
      });
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      expect(totalLine(out.stdout)).toMatch(/ICMP: 2 packets/);
      expect(out.stdout).toMatch(/\ndetached\n$/);
      expect(net.hostLink()).not.toMatch(/xdp/);
    });

    it("socket-filter-tcp (prebuilt object): the filtered packet socket sees only TCP", async () => {
      const { net, ping, tcp, udp } = makeNet("x");
      const out = await runUser("socket-filter-tcp", [net.host, "--duration", "3", "--object", prebuilt("socket-filter-tcp")], async () => {
        expect(await ping(3)).toBe(true);
        expect(await tcp(9)).toBe(false); // SYN in, RST out
        await udp(9999);
      });
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      const total = totalLine(out.stdout);
      const [, filtered, unfiltered] = /filtered socket: (.*) \| unfiltered socket: (.*)$/.exec(total) ?? [];
      expect(filtered, total).toMatch(/^TCP \d+$/);
      expect(Number(/TCP (\d+)/.exec(filtered!)?.[1])).toBeGreaterThanOrEqual(2);
      expect(Number(/ICMP (\d+)/.exec(unfiltered!)?.[1])).toBeGreaterThanOrEqual(6); // requests and replies
      expect(unfiltered).toMatch(/UDP 1\b/);
      expect(unfiltered).toMatch(/TCP [2-9]/);
      expect(out.stdout).toMatch(/\ndetached\n$/);
    });

    it("firewall (compiled by user.ts): rules from the command line, hits per rule", async () => {
      const { net, extraIp, ping, tcp, udp } = makeNet("y");
      const args = [net.host, "--block-source", extraIp, "--block-port", "8080", "--block-port", "53", "--duration", "3"];
      const out = await runUser("firewall", args, async () => {
        const [allowed, blocked, tcpBlocked] = await Promise.all([ping(3), ping(2, extraIp), tcp(8080), udp(8080)]);
        expect(allowed).toBe(true);
        expect(blocked).toBe(false); // rule 1 dropped the requests
        expect(tcpBlocked).toBe(false); // rule 2 dropped the SYN: timeout, not refused
      });
      expect(out.stderr).toBe("");
      expect(out.code).toBe(0);
      expect(out.stdout).toContain(
        `  rule 1: drop from ${extraIp}\n  rule 2: drop TCP/UDP to port 8080\n  rule 3: drop TCP/UDP to port 53\n`,
      );
      const total = totalLine(out.stdout);
      const hits = Object.fromEntries([...total.matchAll(/(passed|rule \d+): (\d+)/g)].map((m) => [m[1], Number(m[2])]));
      expect(hits.passed).toBeGreaterThanOrEqual(3);
      expect(hits["rule 1"]).toBe(2);
      expect(hits["rule 2"]).toBeGreaterThanOrEqual(2); // the UDP datagram and at least one SYN
      expect(hits["rule 3"]).toBe(0);
      expect(out.stdout).toMatch(/\ndetached\n$/);
      expect(net.hostLink()).not.toMatch(/xdp/);
    });

    it("scan-guard (prebuilt object): SYNs to closed ports are counted per source and dropped past --limit; listening ports stay open", async () => {
      const { net } = makeNet("z");
      const server = createServer((s) => s.end());
      await new Promise<void>((ok) => server.listen(0, net.hostIp, ok));
      const open = (server.address() as { port: number }).port;
      /** Connect from the namespace: "connected", "refused" (RST: the SYN reached the stack) or "timeout" (dropped). */
      const connect = async (port: number): Promise<string> => {
        try {
          await sh("ip", ["netns", "exec", net.ns, "timeout", "1", "bash", "-c", `echo > /dev/tcp/${net.hostIp}/${port}`]);
          return "connected";
        } catch (e) {
          return (e as { code?: number }).code === 124 ? "timeout" : "refused";
        }
      };
      try {
        const args = [net.host, "--limit", "3", "--duration", "4", "--object", prebuilt("scan-guard")];
        const out = await runUser("scan-guard", args, async () => {
          const seen: string[] = [];
          seen.push(await connect(open));
          for (const port of [9, 10, 11, 12]) seen.push(await connect(port));
          seen.push(await connect(open)); // a blocked source still reaches a listening port
          expect(seen).toEqual(["connected", "refused", "refused", "refused", "timeout", "connected"]);
        });
        expect(out.stderr).toBe("");
        expect(out.code).toBe(0);
        expect(out.stdout).toMatch(/^attached scan_guard to xdp:\S+ \(generic\): a source's SYNs are dropped after 3 probes/);
        const total = totalLine(out.stdout);
        expect(total).toMatch(/^total {2}to listening ports 2 \| probes 3 \| dropped [1-9]\d* \| /);
        expect(total).toContain(`${net.peerIp} 3 (blocked)`);
        expect(out.stdout).toMatch(/\ndetached\n$/);
        expect(net.hostLink()).not.toMatch(/xdp/);
      } finally {
        server.close();
      }
    });

    it("firewall: bad arguments exit 2 with usage", async () => {
      const err = await sh(process.execPath, ["--import", "tsx", userPath("firewall"), "lo", "--block-port", "70000"], { cwd: root }).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect((err as { code: number }).code).toBe(2);
      expect((err as { stderr: string }).stderr).toMatch(/not a port: 70000\nusage: user.ts <interface>/);
    });
  });
});
