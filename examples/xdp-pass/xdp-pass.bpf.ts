// The smallest XDP program: let every packet through.
import { xdp, XdpAction } from "tsbpf/bpf";

export const xdp_pass = xdp(() => XdpAction.PASS);

export const LICENSE = "GPL";
