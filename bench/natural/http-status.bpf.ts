// An HTTP response's status code: the first line is "HTTP/1.x NNN"; the three digits after the
// first space are parsed, and 5xx answers counted.
// sizes: 16 32 64
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 16;
interface Digits { a: u8; b: u8; c: u8 }
const results = new ArrayMap<u64>(4);
export const p = xdp((ctx) => {
  let at: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const c = ctx.header<u8>(54 + i);
    if (c === null) break;
    if (c === 32) { at = i + 1; break; }
  }
  if (at === 0) return XdpAction.PASS;
  const d = ctx.header<Digits>(54 + at);
  if (d === null) return XdpAction.PASS;
  const code = u32(d.a - 48) * 100 + u32(d.b - 48) * 10 + u32(d.c - 48);
  if (code >= 500 && code < 600) {
    const c = results.lookup(0);
    if (c !== null) c.value += 1;
  }
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
