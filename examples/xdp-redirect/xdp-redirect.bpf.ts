// An XDP redirector over a devmap: every IPv4 frame arriving on the interface the program is
// attached to is sent out of the device in slot 0 of `tx_port` (set by user space), without going
// through the network stack. Other frames (ARP, IPv6) stay local. When the slot is empty the
// redirect falls back to XDP_PASS. `stats` counts frames redirected (0) and passed (1).
import { xdp, XdpAction, DevMap, PerCpuArray, ETH_P_IP, htons, type u32, type u64, type EthHdr } from "tsbpf/bpf";

/** Slot 0: the egress device's ifindex. */
const tx_port = new DevMap(1);

/** 0: frames redirected, 1: frames passed because the slot was empty. */
const stats = new PerCpuArray<u64>(2);

function count(i: u32): void {
  const n = stats.lookup(i);
  if (n !== null) n.value += 1;
}

export const xdp_redirect = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.h_proto !== htons(ETH_P_IP)) return XdpAction.PASS;
  const action = tx_port.redirect(0, XdpAction.PASS); // PASS when slot 0 is empty
  count(action === XdpAction.REDIRECT ? 0 : 1);
  return action;
});

export const LICENSE = "GPL";
