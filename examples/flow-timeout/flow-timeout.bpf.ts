// Per-flow state that expires on its own: every IPv4 flow (addresses, ports, protocol) seen by
// this XDP program gets an entry in `flows` with packet and byte counts and a BPF timer. The timer
// fires IDLE_NS after the flow's first packet; its callback re-arms it for the rest of the idle
// time when the flow was seen since, and otherwise deletes the entry. No user-space sweeper.
import {
  xdp,
  XdpAction,
  HashMap,
  ArrayMap,
  UpdateFlags,
  TimerClock,
  timerInit,
  timerSetCallback,
  timerStart,
  ktimeGetNs,
  atomicAdd,
  htons,
  zero,
  type BpfTimer,
  type EthHdr,
  type Ipv4Hdr,
  type u16,
  type u32,
  type u64,
} from "tsbpf/bpf";

interface FlowKey {
  saddr: u32;
  daddr: u32;
  /** Network byte order; 0 for protocols without ports. */
  sport: u16;
  dport: u16;
  proto: u32;
}

interface Flow {
  timer: BpfTimer;
  packets: u64;
  bytes: u64;
  /** ktimeGetNs() of the last packet. */
  lastSeen: u64;
}

/** The first four bytes of a TCP or UDP header. */
interface Ports {
  source: u16;
  dest: u16;
}

/** Idle time after which a flow is forgotten, in ns (set before load: `rodata: { IDLE_NS }`). */
const IDLE_NS: u64 = 10_000_000_000;

const flows = new HashMap<FlowKey, Flow>(4096);
/** 0: flows created, 1: flows expired. */
const stats = new ArrayMap<u64>(2);

function bump(i: u32): void {
  const n = stats.lookup(i);
  if (n !== null) atomicAdd(n.value, 1);
}

/** The flow's timer: forget the flow if it has been idle for IDLE_NS, else wait for the rest. */
function expire(map: HashMap<FlowKey, Flow>, key: FlowKey, flow: Flow): 0 {
  const idle = ktimeGetNs() - flow.lastSeen;
  if (idle < IDLE_NS) {
    timerStart(flow.timer, IDLE_NS - idle);
    return 0;
  }
  flows.delete(key);
  bump(1);
  return 0;
}

export const flow_timeout = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(0x0800)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XdpAction.PASS;
  const key: FlowKey = { saddr: ip.saddr, daddr: ip.daddr, sport: 0, dport: 0, proto: ip.protocol };
  if (ip.protocol === 6 || ip.protocol === 17) {
    const ports = ctx.header<Ports>(14 + (ip.ver_ihl & 0x0f) * 4);
    if (ports !== null) {
      key.sport = ports.source;
      key.dport = ports.dest;
    }
  }
  const now = ktimeGetNs();
  const seen = flows.lookup(key);
  if (seen !== null) {
    seen.packets += 1;
    seen.bytes += ctx.len;
    seen.lastSeen = now;
    return XdpAction.PASS;
  }
  // A new flow: insert it, then arm the timer inside the map's copy.
  const fresh: Flow = zero<Flow>();
  fresh.packets = 1;
  fresh.bytes = ctx.len;
  fresh.lastSeen = now;
  if (flows.update(key, fresh, UpdateFlags.NOEXIST) !== 0) return XdpAction.PASS;
  const f = flows.lookup(key);
  if (f === null) return XdpAction.PASS;
  if (timerInit(f.timer, flows, TimerClock.MONOTONIC) !== 0) return XdpAction.PASS;
  timerSetCallback(f.timer, expire);
  timerStart(f.timer, IDLE_NS);
  bump(0);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
