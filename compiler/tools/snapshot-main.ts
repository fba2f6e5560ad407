// Entry of the V8 start-up snapshot (built by build-snapshot.ts, run by bin/tsbpf when present).
// While the snapshot is built, this loads TypeScript and the compiler, parses and binds the stdlib
// and compiles a small program once, so that a `tsbpf build` started from the snapshot finds all of
// that already in its heap instead of compiling 9 MB of JavaScript and parsing the stdlib again.

import v8 from "node:v8";
import { compile } from "../compile.js";
import { preloadStdlib } from "../frontend/ts-adapter.js";
import { main } from "./cli.js";

/** Touches the common paths of every stage: headers, maps, branches, a loop, a subprogram. */
const WARM_UP = `import { xdp, XdpAction, HashMap, PerCpuArray, ETH_P_IP, htons, type u32, type u64, type EthHdr, type Ipv4Hdr } from "tsbpf/bpf";
const seen = new HashMap<u32, u64>(1024);
const hits = new PerCpuArray<u64>(4);
/** @noinline */
function bump(i: u32): void { const h = hits.lookup(i & 3); if (h !== null) h.value += 1; }
export const warm = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  let sum: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) sum += (ip.saddr >> (i * 8)) & 0xff;
  const v = seen.lookup(ip.saddr);
  if (v !== null) v.value += 1; else seen.update(ip.saddr, 1);
  switch (ip.protocol) { case 6: bump(1); break; case 17: bump(2); break; default: bump(sum & 3); }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;

if (v8.startupSnapshot.isBuildingSnapshot()) {
  preloadStdlib();
  const r = compile("warm-up.bpf.ts", WARM_UP);
  // A warm-up that stops compiling would leave a snapshot that hides a broken build; refuse it.
  if (!r.ok) throw new Error(`snapshot warm-up failed: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}`);
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    if (process.env.TSBPF_DEBUG) process.stderr.write("tsbpf: started from the start-up snapshot\n");
    // Started as `node --snapshot-blob <blob> <args>`: there is no script name in argv.
    Promise.resolve(main(process.argv.slice(1))).then((code) => {
      process.exitCode = code;
    });
  });
}
