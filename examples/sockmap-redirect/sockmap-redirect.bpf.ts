// Local TCP connections that skip the network stack: a sock_ops program puts every established TCP
// socket of a cgroup into a SockHash under its 4-tuple, and an sk_msg program attached to that map
// hands each message a socket sends straight to the receive queue of the socket at the other end of
// the connection (its 4-tuple reversed), when that socket is in the map too.

import {
  sockOps,
  skMsg,
  SockHash,
  ArrayMap,
  SockOpsOp,
  SkAction,
  SkRedirectFlags,
  sockHashUpdate,
  msgRedirectHash,
  atomicAdd,
  ntohs,
  u16,
  type u32,
  type u64,
} from "tsbpf/bpf";

/** A connection as one end sees it: addresses in network order, ports in host order. */
interface Conn {
  local_ip4: u32;
  remote_ip4: u32;
  local_port: u32;
  remote_port: u32;
}

const sockets = new SockHash<Conn>(65536);
/** 0: sockets added, 1: messages redirected to the peer, 2: messages passed (no peer in the map). */
const stats = new ArrayMap<u64>(3);

function count(i: u32): void {
  const c = stats.lookup(i);
  if (c !== null) atomicAdd(c.value, 1);
}

export const add_established = sockOps((ctx) => {
  if (ctx.family !== 2) return 1;
  if (ctx.op !== SockOpsOp.ACTIVE_ESTABLISHED_CB && ctx.op !== SockOpsOp.PASSIVE_ESTABLISHED_CB) return 1;
  // remote_port holds the network-order port in its upper 16 bits.
  const key: Conn = {
    local_ip4: ctx.local_ip4,
    remote_ip4: ctx.remote_ip4,
    local_port: ctx.local_port,
    remote_port: ntohs(u16(ctx.remote_port >> 16)),
  };
  if (sockHashUpdate(sockets, key) === 0) count(0);
  return 1;
});

export const redirect_to_peer = skMsg((ctx) => {
  const peer: Conn = {
    local_ip4: ctx.remote_ip4,
    remote_ip4: ctx.local_ip4,
    local_port: ntohs(u16(ctx.remote_port >> 16)),
    remote_port: ctx.local_port,
  };
  const verdict = msgRedirectHash(sockets, peer, SkRedirectFlags.INGRESS);
  count(verdict === SkAction.PASS ? 1 : 2);
  // Without a peer in the map the redirect says DROP; send the message the ordinary way instead.
  return SkAction.PASS;
});

export const LICENSE = "GPL";
