// A connect() policy for the processes of a cgroup: connections to blocked IPv4 ports fail with
// EPERM, connections to redirected ports go to another port (a transparent local proxy, or a
// service moved to a new port), everything else passes. User space owns both tables.

import { cgroupSockAddr4, atomicAdd, htons, ntohs, u16, HashMap, ArrayMap, type u32, type u64 } from "tsbpf/bpf";

/** Destination ports (host order) whose connections are refused. */
const blocked_ports = new HashMap<u16, u16>(256);
/** Destination port -> the port to connect to instead (host order). */
const redirect_ports = new HashMap<u16, u16>(256);
/** 0: connections refused, 1: connections redirected, 2: connections passed. */
const stats = new ArrayMap<u64>(3);

function count(what: u32): void {
  const c = stats.lookup(what);
  if (c !== null) atomicAdd(c.value, 1);
}

export const connect4_policy = cgroupSockAddr4("connect4", (ctx) => {
  const port = ntohs(u16(ctx.user_port));
  if (blocked_ports.lookup(port) !== null) {
    count(0);
    return 0;
  }
  const to = redirect_ports.lookup(port);
  if (to !== null) {
    ctx.user_port = htons(to.value);
    count(1);
    return 1;
  }
  count(2);
  return 1;
});

export const LICENSE = "GPL";
