// Runs in a fresh network namespace (unshare -n, from test/helpers.test.ts): sets up a veth
// pair with a route and a neighbour, loads the object at argv[2], runs program argv[3] once
// and prints the `results` map's first four u64 slots as JSON.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadObject, readU64, u32le } from "../../runtime/index.js";
import { ipv4Packet } from "../../testing/packets.js";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
ip("link", "set", "lo", "up");
ip("link", "add", "d0", "type", "veth", "peer", "name", "d1");
ip("addr", "add", "10.1.0.1/24", "dev", "d0");
ip("link", "set", "d0", "up");
ip("link", "set", "d1", "up");
ip("neigh", "add", "10.1.0.2", "lladdr", "02:00:00:00:00:02", "dev", "d0");
writeFileSync("/proc/sys/net/ipv4/conf/all/forwarding", "1");
writeFileSync("/proc/sys/net/ipv4/conf/lo/forwarding", "1");
const d0 = (JSON.parse(ip("-j", "link", "show", "d0").toString()) as { ifindex: number }[])[0]!.ifindex;

using obj = loadObject(readFileSync(process.argv[2]!));
const retval = obj.programs.get(process.argv[3]!)!.run({ data: ipv4Packet(17, 64) }).retval;
const results = obj.maps.get("results")!;
const slots = [0, 1, 2, 3].map((i) => BigInt.asIntN(64, readU64(results.lookup(u32le(i))!)).toString());
process.stdout.write(JSON.stringify({ retval, d0, slots }));
